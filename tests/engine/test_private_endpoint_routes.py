"""Private endpoints' /32 routes (next hop type InterfaceEndpoint), in the engine and in the
reference evaluator, on the case the guidance cares about: a spoke whose UDRs send traffic
to a firewall in the hub, and a private endpoint in the hub.

learn.microsoft.com, "Manage network policies for private endpoints": the /32 wins by
longest prefix match unless route-table policies are enabled on the endpoint's subnet and
a UDR covering it is at least as long as the VNet's address-space prefix (0.0.0.0/0 never
is); a UDR of the very /32 replaces it like any system route of its prefix.
"""

from __future__ import annotations

import oracle
import pytest
from estates import Builder, ip

from netwarden.engine import Engine, Packet

PE, VM, NVA = "10.0.1.4", "10.1.1.4", "10.0.2.4"


def hub_and_spoke(udr: str, policies: str) -> tuple[Builder, str]:
    b = Builder()
    b.vnet("hub", "10.0.0.0/16")
    b.vnet("spoke", "10.1.0.0/16")
    b.nic(b.subnet("hub", "endpoints", "10.0.1.0/24", endpoint_policies=policies), "pe-kv", PE,
          private_endpoint=True)
    b.nic(b.subnet("hub", "nva", "10.0.2.0/24"), "nva", NVA, ip_forwarding=True)
    table = b.route_table("spoke-rt", ("to-nva", udr, "VirtualAppliance", NVA))
    vm = b.nic(b.subnet("spoke", "app", "10.1.1.0/24", route_table=table), "vm", VM)
    b.peering("hub", "spoke", access=True, forwarded=True)
    b.peering("spoke", "hub", access=True, forwarded=True)
    return b, vm


@pytest.mark.parametrize(("udr", "policies", "through_nva"), [
    ("0.0.0.0/0", "Disabled", False),
    ("0.0.0.0/0", "RouteTableEnabled", False),       # a default route never invalidates it
    ("0.0.0.0/0", "Enabled", False),
    ("10.0.0.0/16", "Disabled", False),              # the /32 is longer
    ("10.0.0.0/16", "NetworkSecurityGroupEnabled", False),
    ("10.0.0.0/16", "RouteTableEnabled", True),      # as long as the VNet's prefix: invalidated
    ("10.0.0.0/16", "Enabled", True),
    ("10.0.1.0/24", "Enabled", True),                # longer than the VNet's prefix
    ("10.0.0.0/8", "Enabled", False),                # shorter than the VNet's prefix
    ("10.0.1.4/32", "Disabled", True),               # the very /32: replaced
    ("10.0.1.5/32", "Enabled", False),               # does not cover the endpoint
])
def test_traffic_to_a_private_endpoint_bypasses_the_nva_unless_a_udr_may_and_does_claim_it(
        udr: str, policies: str, through_nva: bool) -> None:
    b, vm = hub_and_spoke(udr, policies)
    estate = b.build()
    packet = (ip(VM), ip(PE), 6, 50000, 443)
    expected = oracle.evaluate(estate, ("nic", vm), packet)
    assert expected.arrived_at == f"nic:{Builder.config_id('pe-kv')}"
    assert any(h.kind == "appliance" for h in expected.hops) == through_nva, \
        [str(h) for h in expected.hops]

    trace = Engine(estate).trace(Packet(*packet))
    arrived = [o for o in trace.outcomes if o.status == "arrived"]
    assert len(arrived) == 1, [[str(h) for h in o.hops] for o in trace.outcomes]
    hops = arrived[0].hops
    assert any(h.kind == "nva" for h in hops) == through_nva, [str(h) for h in hops]
    route = next(h for h in hops if h.kind == "route")
    assert ("InterfaceEndpoint" in (route.detail or "")) == (not through_nva), route.detail


def test_the_endpoint_route_is_in_its_own_vnet_too_and_names_the_endpoint() -> None:
    b = Builder()
    b.vnet("hub", "10.0.0.0/16")
    b.nic(b.subnet("hub", "endpoints", "10.0.1.0/24"), "pe-kv", PE, private_endpoint=True)
    b.nic(b.subnet("hub", "nva", "10.0.2.0/24"), "nva", NVA, ip_forwarding=True)
    table = b.route_table("rt", ("vnet-to-nva", "10.0.0.0/16", "VirtualAppliance", NVA))
    vm = b.nic(b.subnet("hub", "app", "10.0.3.0/24", route_table=table), "vm", "10.0.3.4")
    estate = b.build()
    engine = Engine(estate)
    app = next(s for s in estate.subnets if s.name == "app")
    routes = [e.describe() for e in engine.walker.router.effective_routes(app)]
    assert routes[0] == "10.0.1.4/32 -> InterfaceEndpoint [Default: private endpoint]", routes
    # the VM next to it goes through the NVA, the endpoint does not
    to_vm = Engine(estate).trace(Packet(ip("10.0.3.4"), ip("10.0.2.9"), 6, 50000, 443))
    assert any(h.kind == "nva" for o in to_vm.outcomes for h in o.hops)
    to_pe = oracle.evaluate(estate, ("nic", vm), (ip("10.0.3.4"), ip(PE), 6, 50000, 443))
    assert to_pe.arrived_at and not any(h.kind == "appliance" for h in to_pe.hops)
