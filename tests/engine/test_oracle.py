"""Hand-written scenarios for the reference oracle (it is the reference: it must be right),
and a smoke test of the random-estate strategy.

Each scenario states the Azure behaviour it encodes; most come from the documentation
pages "How network security groups filter network traffic", "Network security groups
overview" (default rules, service tags), "Virtual network traffic routing" (system routes,
UDRs, next hops) and "Virtual network peering" (non-transitive, forwarded traffic).
"""

from __future__ import annotations

import time

import pytest
from estates import Builder, estates, ip, packets, rule
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import Verdict, evaluate, nsg_decision

from netwarden.model import Direction

TCP, UDP, ICMP = 6, 17, 1
INTERNET_HOST = ip("203.0.113.7")


def tcp(src: str | int, dst: str | int, dport: int, sport: int = 40000):
    return (_ip(src), _ip(dst), TCP, sport, dport)


def icmp(src: str | int, dst: str | int):
    return (_ip(src), _ip(dst), ICMP, 0, 0)


def _ip(value: str | int) -> int:
    return value if isinstance(value, int) else ip(value)


def from_nic(config_id: str) -> tuple[str, str]:
    return ("nic", config_id)


def from_internet(address: str | int = INTERNET_HOST) -> tuple[str, int]:
    return ("internet", _ip(address))


def assert_arrives(verdict: Verdict, where: str) -> None:
    assert verdict.allowed, verdict.explain()
    assert verdict.arrived_at == where, verdict.explain()
    assert verdict.dropped_by is None


def assert_dropped(verdict: Verdict, kind: str, resource_id: str | None = None,
                   name: str | None = None) -> None:
    assert not verdict.allowed, verdict.explain()
    assert verdict.arrived_at is None
    assert verdict.dropped_by is not None
    assert verdict.dropped_by[0] == kind, verdict.explain()
    if resource_id is not None:
        assert verdict.dropped_by[1] == resource_id, verdict.explain()
    if name is not None:
        assert verdict.dropped_by[2] == name, verdict.explain()


# ---------------------------------------------------------------------------------------
# "How network security groups filter network traffic"
# ---------------------------------------------------------------------------------------
#
# The documented picture: NSG1 on Subnet1; VM1 in Subnet1 with NSG2 on its NIC; VM2 in
# Subnet1 with no NIC NSG; VM3 in Subnet2 (no subnet NSG) with NSG2 on its NIC; VM4 in
# Subnet3 with no NSG anywhere. Traffic: TCP port 80 to and from the internet. Every VM
# has a Basic public IP so that "no NSG" means open.

ALLOW_80_IN = rule("allow-http", 100, "in", "allow", "tcp", src="Internet", dst_ports=80)
DENY_80_OUT = rule("deny-http-out", 100, "out", "deny", "tcp", dst="Internet", dst_ports=80)


def doc_estate(nsg1_rules=(), nsg2_rules=()):
    b = Builder()
    b.vnet("vnet", "10.0.0.0/16")
    nsg1 = b.nsg("NSG1", *nsg1_rules)
    nsg2 = b.nsg("NSG2", *nsg2_rules)
    s1 = b.subnet("vnet", "Subnet1", "10.0.1.0/24", nsg=nsg1)
    s2 = b.subnet("vnet", "Subnet2", "10.0.2.0/24")
    s3 = b.subnet("vnet", "Subnet3", "10.0.3.0/24")
    vms = {
        "VM1": b.nic(s1, "vm1-nic", "10.0.1.4", nsg=nsg2,
                     public_ip=b.public_ip("vm1-pip", "20.0.0.1", "Basic")),
        "VM2": b.nic(s1, "vm2-nic", "10.0.1.5",
                     public_ip=b.public_ip("vm2-pip", "20.0.0.2", "Basic")),
        "VM3": b.nic(s2, "vm3-nic", "10.0.2.4", nsg=nsg2,
                     public_ip=b.public_ip("vm3-pip", "20.0.0.3", "Basic")),
        "VM4": b.nic(s3, "vm4-nic", "10.0.3.4",
                     public_ip=b.public_ip("vm4-pip", "20.0.0.4", "Basic")),
    }
    public = {"VM1": "20.0.0.1", "VM2": "20.0.0.2", "VM3": "20.0.0.3", "VM4": "20.0.0.4"}
    private = {"VM1": "10.0.1.4", "VM2": "10.0.1.5", "VM3": "10.0.2.4", "VM4": "10.0.3.4"}
    return b.build(), vms, public, private, nsg1, nsg2


@pytest.mark.parametrize(
    ("nsg1_allows", "nsg2_allows", "expected"),
    [
        # Neither allows: VM1/VM2 stop at NSG1 (NSG2 is never evaluated for VM1), VM3 at
        # NSG2, VM4 has no NSG at all and is open.
        (False, False, {"VM1": "NSG1", "VM2": "NSG1", "VM3": "NSG2", "VM4": None}),
        # NSG1 allows port 80: VM1 still needs NSG2 ("both NSG1 and NSG2 must have a rule").
        (True, False, {"VM1": "NSG2", "VM2": None, "VM3": "NSG2", "VM4": None}),
        (False, True, {"VM1": "NSG1", "VM2": "NSG1", "VM3": None, "VM4": None}),
        (True, True, {"VM1": None, "VM2": None, "VM3": None, "VM4": None}),
    ],
)
def test_doc_inbound_port_80_from_internet(nsg1_allows, nsg2_allows, expected):
    estate, vms, public, private, nsg1, nsg2 = doc_estate(
        (ALLOW_80_IN,) if nsg1_allows else (), (ALLOW_80_IN,) if nsg2_allows else ())
    ids = {"NSG1": nsg1, "NSG2": nsg2}
    for vm, blocker in expected.items():
        verdict = evaluate(estate, from_internet(), tcp(INTERNET_HOST, public[vm], 80))
        if blocker is None:
            assert_arrives(verdict, f"nic:{vms[vm]}")
        else:
            assert_dropped(verdict, "nsg", ids[blocker], "DenyAllInBound")


def test_doc_inbound_subnet_nsg_is_evaluated_before_nic_nsg():
    estate, vms, public, *_ = doc_estate((ALLOW_80_IN,), (ALLOW_80_IN,))
    verdict = evaluate(estate, from_internet(), tcp(INTERNET_HOST, public["VM1"], 80))
    nsg_hops = [h for h in verdict.hops if h.kind == "nsg"]
    assert [h.resource_id.rsplit("/", 1)[1] for h in nsg_hops] == ["NSG1", "NSG2"]
    assert all("Inbound" in h.detail for h in nsg_hops)


@pytest.mark.parametrize(
    ("nsg1_rules", "nsg2_rules", "expected"),
    [
        # AllowInternetOutBound in both NSGs: everybody reaches the internet.
        ((), (), {"VM1": None, "VM2": None, "VM3": None, "VM4": None}),
        # NSG2 denies: VM1 is stopped by NSG2 (NSG1 never sees it), VM3 too.
        ((), (DENY_80_OUT,), {"VM1": "NSG2", "VM2": None, "VM3": "NSG2", "VM4": None}),
        # NSG1 denies: VM1 passes NSG2 then NSG1 denies; VM2 is denied by NSG1.
        ((DENY_80_OUT,), (), {"VM1": "NSG1", "VM2": "NSG1", "VM3": None, "VM4": None}),
    ],
)
def test_doc_outbound_port_80_to_internet(nsg1_rules, nsg2_rules, expected):
    estate, vms, public, private, nsg1, nsg2 = doc_estate(nsg1_rules, nsg2_rules)
    ids = {"NSG1": nsg1, "NSG2": nsg2}
    for vm, blocker in expected.items():
        verdict = evaluate(estate, from_nic(vms[vm]), tcp(private[vm], "8.8.8.8", 80))
        if blocker is None:
            assert_arrives(verdict, "internet")
        else:
            assert_dropped(verdict, "nsg", ids[blocker], "deny-http-out")


def test_doc_outbound_nic_nsg_is_evaluated_before_subnet_nsg():
    estate, vms, public, private, *_ = doc_estate()
    verdict = evaluate(estate, from_nic(vms["VM1"]), tcp(private["VM1"], "8.8.8.8", 80))
    nsg_hops = [h for h in verdict.hops if h.kind == "nsg"]
    assert [h.resource_id.rsplit("/", 1)[1] for h in nsg_hops] == ["NSG2", "NSG1"]
    assert all("AllowInternetOutBound" in h.detail for h in nsg_hops)


def test_doc_intra_subnet_traffic_is_filtered_by_the_subnet_nsg():
    # By default VM1 and VM2 talk (AllowVnetInBound / AllowVnetOutBound) ...
    estate, vms, _, private, nsg1, nsg2 = doc_estate()
    assert_arrives(evaluate(estate, from_nic(vms["VM2"]), tcp(private["VM2"], private["VM1"], 22)),
                   f"nic:{vms['VM1']}")
    # ... until NSG1 denies everything: then they no longer can, in either direction.
    deny_all = (rule("deny-in", 100, "in", "deny"), rule("deny-out", 100, "out", "deny"))
    estate, vms, _, private, nsg1, nsg2 = doc_estate(deny_all, ())
    assert_dropped(evaluate(estate, from_nic(vms["VM2"]), tcp(private["VM2"], private["VM1"], 22)),
                   "nsg", nsg1, "deny-out")
    # From VM1 outbound: NSG2 (NIC) allows, then NSG1 (subnet) denies.
    assert_dropped(evaluate(estate, from_nic(vms["VM1"]), tcp(private["VM1"], private["VM2"], 22)),
                   "nsg", nsg1, "deny-out")


# ---------------------------------------------------------------------------------------
# NSG rule matching
# ---------------------------------------------------------------------------------------


def two_vms(subnet_rules=(), nic_rules=(), *, asgs_a=(), asgs_b=(), asg_names=()):
    """A (10.0.1.4) and B (10.0.1.5) in one subnet; subnet NSG and B's NIC NSG."""
    b = Builder()
    b.vnet("vnet", "10.0.0.0/16")
    for name in asg_names:
        b.asg(name)
    subnet_nsg = b.nsg("nsg-subnet", *subnet_rules)
    nic_nsg = b.nsg("nsg-nic", *nic_rules)
    s = b.subnet("vnet", "snet", "10.0.1.0/24", nsg=subnet_nsg)
    a = b.nic(s, "a", "10.0.1.4", asgs=asgs_a)
    c = b.nic(s, "b", "10.0.1.5", nsg=nic_nsg, asgs=asgs_b)
    return b.build(), a, c, subnet_nsg, nic_nsg


def test_deny_above_allow_wins():
    rules = (rule("allow-ssh", 200, "in", "allow", "tcp", dst_ports=22),
             rule("deny-ssh", 100, "in", "deny", "tcp", dst_ports=22))   # listed second
    estate, a, c, subnet_nsg, _ = two_vms(rules)
    assert_dropped(evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 22)),
                   "nsg", subnet_nsg, "deny-ssh")
    rules = (rule("allow-ssh", 100, "in", "allow", "tcp", dst_ports=22),
             rule("deny-ssh", 200, "in", "deny", "tcp", dst_ports=22))
    estate, a, c, subnet_nsg, _ = two_vms(rules)
    verdict = evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 22))
    assert_arrives(verdict, f"nic:{c}")
    assert any("allow-ssh" in h.detail for h in verdict.hops)


def test_nic_nsg_denies_what_subnet_nsg_allows():
    estate, a, c, _, nic_nsg = two_vms(
        (rule("allow-sql", 100, "in", "allow", "tcp", dst_ports=1433),),
        (rule("deny-sql", 100, "in", "deny", "tcp", dst_ports=1433),))
    assert_dropped(evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 1433)),
                   "nsg", nic_nsg, "deny-sql")
    # Other ports fall through to AllowVnetInBound at both levels.
    assert_arrives(evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 80)), f"nic:{c}")


def test_asg_rules_select_by_membership():
    web = Builder.asg_id("asg-web")
    db = Builder.asg_id("asg-db")
    # Only web -> db on 1433; everything else inbound denied at the NIC of B.
    nic_rules = (
        rule("web-to-db", 100, "in", "allow", "tcp", dst_ports=1433,
             src_asgs=(web,), dst_asgs=(db.upper(),)),      # ARM ids are case-insensitive
        rule("deny-rest", 200, "in", "deny"),
    )
    estate, a, c, _, nic_nsg = two_vms((), nic_rules, asgs_a=(web,), asgs_b=(db,),
                                       asg_names=("asg-web", "asg-db"))
    assert_arrives(evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 1433)), f"nic:{c}")
    assert_dropped(evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 22)),
                   "nsg", nic_nsg, "deny-rest")
    # A is not in asg-web any more: the ASG rule does not match.
    estate, a, c, _, nic_nsg = two_vms((), nic_rules, asgs_a=(), asgs_b=(db,),
                                       asg_names=("asg-web", "asg-db"))
    assert_dropped(evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 1433)),
                   "nsg", nic_nsg, "deny-rest")
    # B is not in asg-db: the destination side does not match.
    estate, a, c, _, nic_nsg = two_vms((), nic_rules, asgs_a=(web,), asgs_b=(web,),
                                       asg_names=("asg-web", "asg-db"))
    assert_dropped(evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 1433)),
                   "nsg", nic_nsg, "deny-rest")


def test_zero_slash_zero_written_out_matches_everything():
    # 0.0.0.0/0 as a prefix (not "*") matches VNet and internet addresses alike.
    estate, a, c, subnet_nsg, _ = two_vms((rule("deny-all", 100, "in", "deny",
                                                src="0.0.0.0/0", dst="0.0.0.0/0"),))
    assert_dropped(evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 80)),
                   "nsg", subnet_nsg, "deny-all")
    estate, a, c, subnet_nsg, _ = two_vms((rule("deny-all", 100, "out", "deny",
                                                dst="0.0.0.0/0"),))
    assert_dropped(evaluate(estate, from_nic(a), tcp("10.0.1.4", "8.8.8.8", 443)),
                   "nsg", subnet_nsg, "deny-all")


@pytest.mark.parametrize(("packet_port", "denied"), [(22, True), (20, True), (25, True),
                                                     (19, False), (26, False)])
def test_port_range_20_25_contains_22(packet_port, denied):
    estate, a, c, subnet_nsg, _ = two_vms((rule("deny-low", 100, "in", "deny", "tcp",
                                                dst_ports="20-25"),))
    verdict = evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", packet_port))
    if denied:
        assert_dropped(verdict, "nsg", subnet_nsg, "deny-low")
    else:
        assert_arrives(verdict, f"nic:{c}")


def test_icmp_never_matches_a_rule_naming_a_port():
    # Protocol "*" with port 22: TCP/UDP to 22 match, ICMP does not (it has no ports).
    estate, a, c, subnet_nsg, _ = two_vms((rule("deny-22", 100, "in", "deny", "*",
                                                dst_ports=22),))
    assert_dropped(evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 22)),
                   "nsg", subnet_nsg, "deny-22")
    assert_dropped(evaluate(estate, from_nic(a), (ip("10.0.1.4"), ip("10.0.1.5"), UDP, 5, 22)),
                   "nsg", subnet_nsg, "deny-22")
    assert_arrives(evaluate(estate, from_nic(a), icmp("10.0.1.4", "10.0.1.5")), f"nic:{c}")
    # A "*" port rule does match ICMP, and an ICMP rule does not match TCP.
    estate, a, c, subnet_nsg, _ = two_vms((rule("deny-icmp", 100, "in", "deny", "icmp"),))
    assert_dropped(evaluate(estate, from_nic(a), icmp("10.0.1.4", "10.0.1.5")),
                   "nsg", subnet_nsg, "deny-icmp")
    assert_arrives(evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 22)), f"nic:{c}")


def test_source_port_range_is_checked_too():
    estate, a, c, subnet_nsg, _ = two_vms((rule("deny-eph", 100, "in", "deny", "tcp",
                                                src_ports="1000-2000"),))
    assert_dropped(evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 80, sport=1500)),
                   "nsg", subnet_nsg, "deny-eph")
    assert_arrives(evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 80, sport=40000)),
                   f"nic:{c}")


def test_augmented_rule_any_prefix_matches():
    estate, a, c, subnet_nsg, _ = two_vms((rule("deny-two", 100, "in", "deny",
                                                src=("192.168.0.0/16", "10.0.1.4/32")),))
    assert_dropped(evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 80)),
                   "nsg", subnet_nsg, "deny-two")


def test_unknown_service_tag_matches_nothing():
    estate, a, c, subnet_nsg, _ = two_vms((rule("deny-storage", 100, "in", "deny",
                                                src="Storage.WestEurope"),))
    assert_arrives(evaluate(estate, from_nic(a), tcp("10.0.1.4", "10.0.1.5", 80)), f"nic:{c}")


def test_nsg_decision_helper_gives_the_deciding_rule():
    estate, a, c, subnet_nsg, _ = two_vms()
    subnet = Builder.subnet_id("vnet", "snet")
    decided = nsg_decision(estate, subnet_nsg, Direction.INBOUND,
                           tcp("10.0.1.4", "10.0.1.5", 80), subnet)
    assert decided.name == "AllowVnetInBound"
    decided = nsg_decision(estate, subnet_nsg, Direction.INBOUND,
                           tcp("8.8.8.8", "10.0.1.5", 80), subnet)
    assert decided.name == "DenyAllInBound"
    decided = nsg_decision(estate, subnet_nsg, Direction.INBOUND,
                           tcp("168.63.129.16", "10.0.1.5", 80), subnet)
    assert decided.name == "AllowVnetInBound"     # the host address is in VirtualNetwork


# ---------------------------------------------------------------------------------------
# Public IPs
# ---------------------------------------------------------------------------------------


def one_public_vm(sku: str, *, subnet_rules=None, nic_rules=None, routes=None):
    b = Builder()
    b.vnet("vnet", "10.0.0.0/16")
    subnet_nsg = b.nsg("nsg-subnet", *subnet_rules) if subnet_rules is not None else None
    nic_nsg = b.nsg("nsg-nic", *nic_rules) if nic_rules is not None else None
    table = b.route_table("rt", *routes) if routes is not None else None
    s = b.subnet("vnet", "snet", "10.0.1.0/24", nsg=subnet_nsg, route_table=table)
    pip = b.public_ip("pip", "20.1.2.3", sku)
    vm = b.nic(s, "vm", "10.0.1.4", nsg=nic_nsg, public_ip=pip)
    return b.build(), vm, pip, subnet_nsg, nic_nsg


def test_standard_public_ip_without_nsg_is_closed_basic_is_open():
    estate, vm, pip, *_ = one_public_vm("Standard")
    assert_dropped(evaluate(estate, from_internet(), tcp(INTERNET_HOST, "20.1.2.3", 22)),
                   "public-ip", pip, None)
    estate, vm, pip, *_ = one_public_vm("Basic")
    assert_arrives(evaluate(estate, from_internet(), tcp(INTERNET_HOST, "20.1.2.3", 22)),
                   f"nic:{vm}")


def test_standard_public_ip_opens_only_where_an_nsg_allows():
    allow_443 = (rule("https", 100, "in", "allow", "tcp", src="Internet", dst_ports=443),)
    estate, vm, pip, _, nic_nsg = one_public_vm("Standard", nic_rules=allow_443)
    assert_arrives(evaluate(estate, from_internet(), tcp(INTERNET_HOST, "20.1.2.3", 443)),
                   f"nic:{vm}")
    assert_dropped(evaluate(estate, from_internet(), tcp(INTERNET_HOST, "20.1.2.3", 22)),
                   "nsg", nic_nsg, "DenyAllInBound")


def test_inbound_rules_see_the_translated_destination():
    # A rule naming the public IP never matches: NSGs run after DNAT to the private IP.
    rules = (rule("by-public", 100, "in", "allow", "tcp", dst="20.1.2.3", dst_ports=22),)
    estate, vm, pip, subnet_nsg, _ = one_public_vm("Standard", subnet_rules=rules)
    assert_dropped(evaluate(estate, from_internet(), tcp(INTERNET_HOST, "20.1.2.3", 22)),
                   "nsg", subnet_nsg, "DenyAllInBound")
    rules = (rule("by-private", 100, "in", "allow", "tcp", dst="10.0.1.4", dst_ports=22),)
    estate, vm, pip, subnet_nsg, _ = one_public_vm("Standard", subnet_rules=rules)
    assert_arrives(evaluate(estate, from_internet(), tcp(INTERNET_HOST, "20.1.2.3", 22)),
                   f"nic:{vm}")


def test_internet_cannot_address_private_ips_or_unknown_public_ips():
    estate, vm, *_ = one_public_vm("Basic")
    assert_dropped(evaluate(estate, from_internet(), tcp(INTERNET_HOST, "10.0.1.4", 22)),
                   "no-route", None, None)
    assert_dropped(evaluate(estate, from_internet(), tcp(INTERNET_HOST, "20.9.9.9", 22)),
                   "no-route", None, None)


def test_nic_to_a_public_ip_of_the_estate_is_out_of_scope():
    b = Builder()
    b.vnet("vnet", "10.0.0.0/16")
    s = b.subnet("vnet", "snet", "10.0.1.0/24")
    pip = b.public_ip("pip", "20.1.2.3", "Basic")
    b.nic(s, "vm", "10.0.1.4", public_ip=pip)
    other = b.nic(s, "other", "10.0.1.5")
    estate = b.build()
    assert_dropped(evaluate(estate, from_nic(other), tcp("10.0.1.5", "20.1.2.3", 80)),
                   "unsupported", pip, None)


# ---------------------------------------------------------------------------------------
# Service tags
# ---------------------------------------------------------------------------------------


def test_udr_default_route_makes_allow_vnet_inbound_admit_the_internet():
    # The gotcha: VirtualNetwork includes "address prefixes used on user-defined routes";
    # with a 0.0.0.0/0 UDR it is every address, so AllowVnetInBound admits internet traffic.
    estate, vm, pip, subnet_nsg, _ = one_public_vm("Standard", subnet_rules=())
    assert_dropped(evaluate(estate, from_internet(), tcp(INTERNET_HOST, "20.1.2.3", 3389)),
                   "nsg", subnet_nsg, "DenyAllInBound")
    estate, vm, pip, subnet_nsg, _ = one_public_vm(
        "Standard", subnet_rules=(), routes=[("to-fw", "0.0.0.0/0", "VirtualAppliance",
                                             "10.0.9.4")])
    verdict = evaluate(estate, from_internet(), tcp(INTERNET_HOST, "20.1.2.3", 3389))
    assert_arrives(verdict, f"nic:{vm}")
    assert any("AllowVnetInBound" in h.detail for h in verdict.hops)


def test_udr_default_route_does_not_empty_the_internet_tag():
    # A 0.0.0.0/0 UDR widens VirtualNetwork to everything, but the Internet tag is still
    # the public space outside the virtual network: a rule naming Internet keeps matching.
    deny_internet = (rule("deny-internet", 100, "in", "deny", src="Internet"),
                     rule("allow-rest", 200, "in", "allow"))
    estate, vm, pip, subnet_nsg, _ = one_public_vm("Standard", subnet_rules=deny_internet)
    assert_dropped(evaluate(estate, from_internet(), tcp(INTERNET_HOST, "20.1.2.3", 80)),
                   "nsg", subnet_nsg, "deny-internet")
    estate, vm, pip, subnet_nsg, _ = one_public_vm(
        "Standard", subnet_rules=deny_internet, routes=[("all", "0.0.0.0/0", "Internet")])
    assert_dropped(evaluate(estate, from_internet(), tcp(INTERNET_HOST, "20.1.2.3", 80)),
                   "nsg", subnet_nsg, "deny-internet")


def test_narrow_udr_prefix_joins_virtual_network_tag():
    estate, vm, pip, subnet_nsg, _ = one_public_vm(
        "Standard", subnet_rules=(), routes=[("docs", "203.0.113.0/24", "Internet")])
    assert_arrives(evaluate(estate, from_internet(), tcp("203.0.113.7", "20.1.2.3", 80)),
                   f"nic:{vm}")
    assert_dropped(evaluate(estate, from_internet(), tcp("8.8.8.8", "20.1.2.3", 80)),
                   "nsg", subnet_nsg, "DenyAllInBound")


def test_internet_tag_excludes_private_ranges_outside_the_vnet():
    # 10.99.0.5 is neither VirtualNetwork nor Internet (it is private address space).
    b = Builder()
    b.vnet("vnet", "10.0.0.0/16")
    nsg = b.nsg("nsg", rule("allow-internet", 100, "out", "allow", dst="Internet"),
                rule("deny-rest", 200, "out", "deny"))
    s = b.subnet("vnet", "snet", "10.0.1.0/24", nsg=nsg,
                 route_table=b.route_table("rt", ("all-out", "0.0.0.0/0", "Internet")))
    b.nic(s, "vm", "10.0.1.4")
    estate = b.build()
    subnet = Builder.subnet_id("vnet", "snet")
    # With a 0/0 UDR, VirtualNetwork is everything, and Internet is still public space.
    assert nsg_decision(estate, nsg, Direction.OUTBOUND, tcp("10.0.1.4", "8.8.8.8", 80),
                        subnet).name == "allow-internet"
    b2 = Builder()
    b2.vnet("vnet", "10.0.0.0/16")
    nsg = b2.nsg("nsg", rule("allow-internet", 100, "out", "allow", dst="Internet"),
                 rule("deny-rest", 200, "out", "deny"))
    b2.subnet("vnet", "snet", "10.0.1.0/24", nsg=nsg)
    estate = b2.build()
    assert nsg_decision(estate, nsg, Direction.OUTBOUND, tcp("10.0.1.4", "8.8.8.8", 80),
                        subnet).name == "allow-internet"
    for private in ("10.99.0.5", "172.16.0.1", "192.168.3.3", "100.64.0.1", "168.63.129.16"):
        assert nsg_decision(estate, nsg, Direction.OUTBOUND, tcp("10.0.1.4", private, 80),
                            subnet).name == "deny-rest", private


def test_azure_load_balancer_tag_is_the_host_address():
    b = Builder()
    b.vnet("vnet", "10.0.0.0/16")
    nsg = b.nsg("nsg", rule("probe", 100, "in", "allow", "tcp", src="AzureLoadBalancer"),
                rule("deny-vnet", 200, "in", "deny", src="VirtualNetwork"))
    b.subnet("vnet", "snet", "10.0.1.0/24", nsg=nsg)
    estate = b.build()
    subnet = Builder.subnet_id("vnet", "snet")
    assert nsg_decision(estate, nsg, Direction.INBOUND, tcp("168.63.129.16", "10.0.1.4", 80),
                        subnet).name == "probe"
    assert nsg_decision(estate, nsg, Direction.INBOUND, tcp("10.0.1.5", "10.0.1.4", 80),
                        subnet).name == "deny-vnet"
    assert nsg_decision(estate, nsg, Direction.INBOUND, tcp("8.8.8.8", "10.0.1.4", 80),
                        subnet).name == "DenyAllInBound"
    # 168.63.129.16 is in VirtualNetwork too, so with only "deny-vnet" it is denied there.
    b = Builder()
    b.vnet("vnet", "10.0.0.0/16")
    nsg = b.nsg("nsg", rule("deny-vnet", 200, "in", "deny", src="VirtualNetwork"))
    b.subnet("vnet", "snet", "10.0.1.0/24", nsg=nsg)
    assert nsg_decision(b.build(), nsg, Direction.INBOUND, tcp("168.63.129.16", "10.0.1.4", 80),
                        subnet).name == "deny-vnet"


# ---------------------------------------------------------------------------------------
# Peering and routing
# ---------------------------------------------------------------------------------------


def chain(*, ab=(True, True), bc=(True, True), forwarded=False):
    """VNets A (10.1), B (10.2), C (10.3); A-B and B-C peered (each side's
    allow_virtual_network_access given), A and C not. One VM in each."""
    b = Builder()
    vms = {}
    for name, octet in (("A", 1), ("B", 2), ("C", 3)):
        b.vnet(name, f"10.{octet}.0.0/16")
        s = b.subnet(name, "snet", f"10.{octet}.1.0/24")
        vms[name] = b.nic(s, f"vm{name}", f"10.{octet}.1.4")
    peerings = {
        "AB": b.peering("A", "B", access=ab[0], forwarded=forwarded),
        "BA": b.peering("B", "A", access=ab[1], forwarded=forwarded),
        "BC": b.peering("B", "C", access=bc[0], forwarded=forwarded),
        "CB": b.peering("C", "B", access=bc[1], forwarded=forwarded),
    }
    return b.build(), vms, peerings


def test_peering_connects_and_is_not_transitive():
    estate, vms, _ = chain()
    assert_arrives(evaluate(estate, from_nic(vms["A"]), tcp("10.1.1.4", "10.2.1.4", 80)),
                   f"nic:{vms['B']}")
    assert_arrives(evaluate(estate, from_nic(vms["C"]), tcp("10.3.1.4", "10.2.1.4", 80)),
                   f"nic:{vms['B']}")
    # A has no route to C's space: 10.0.0.0/8 -> None.
    assert_dropped(evaluate(estate, from_nic(vms["A"]), tcp("10.1.1.4", "10.3.1.4", 80)),
                   "route", "system", "10.0.0.0/8")


def test_peering_without_virtual_network_access_drops():
    estate, vms, peerings = chain(ab=(False, True))
    assert_dropped(evaluate(estate, from_nic(vms["A"]), tcp("10.1.1.4", "10.2.1.4", 80)),
                   "peering", peerings["AB"], None)
    # The other direction is gated by B's own peering, which allows.
    assert_arrives(evaluate(estate, from_nic(vms["B"]), tcp("10.2.1.4", "10.1.1.4", 80)),
                   f"nic:{vms['A']}")


def test_one_sided_peering_carries_no_route():
    b = Builder()
    b.vnet("A", "10.1.0.0/16")
    b.vnet("B", "10.2.0.0/16")
    a = b.nic(b.subnet("A", "snet", "10.1.1.0/24"), "vmA", "10.1.1.4")
    b.nic(b.subnet("B", "snet", "10.2.1.0/24"), "vmB", "10.2.1.4")
    b.peering("A", "B")
    estate = b.build()
    assert_dropped(evaluate(estate, from_nic(a), tcp("10.1.1.4", "10.2.1.4", 80)),
                   "route", "system", "10.0.0.0/8")


def test_peered_space_is_in_virtual_network_tag_only_with_access():
    # B's NSG admits VirtualNetwork only. A's own peering allows access; B's peering to A
    # does not, so A's space is not in VirtualNetwork as seen from B.
    b = Builder()
    b.vnet("A", "10.1.0.0/16")
    b.vnet("B", "10.2.0.0/16")
    a = b.nic(b.subnet("A", "snet", "10.1.1.0/24"), "vmA", "10.1.1.4")
    nsg = b.nsg("nsg-b")
    target = b.nic(b.subnet("B", "snet", "10.2.1.0/24", nsg=nsg), "vmB", "10.2.1.4")
    b.peering("A", "B", access=True)
    b.peering("B", "A", access=False)
    estate = b.build()
    assert_dropped(evaluate(estate, from_nic(a), tcp("10.1.1.4", "10.2.1.4", 80)),
                   "nsg", nsg, "DenyAllInBound")
    b2 = Builder()
    b2.vnet("A", "10.1.0.0/16")
    b2.vnet("B", "10.2.0.0/16")
    a = b2.nic(b2.subnet("A", "snet", "10.1.1.0/24"), "vmA", "10.1.1.4")
    nsg = b2.nsg("nsg-b")
    target = b2.nic(b2.subnet("B", "snet", "10.2.1.0/24", nsg=nsg), "vmB", "10.2.1.4")
    b2.peer("A", "B")
    assert_arrives(evaluate(b2.build(), from_nic(a), tcp("10.1.1.4", "10.2.1.4", 80)),
                   f"nic:{target}")


def hub_and_spokes(*, forwarded_back: bool, ip_forwarding: bool = True, nva_rules=None):
    """Spoke1 (10.1) and Spoke2 (10.2) peered with Hub (10.0) only. Spoke1's subnet sends
    10.2.0.0/16 to the NVA 10.0.1.4 in the hub. The spoke2 side of the hub peering has
    allow_forwarded_traffic = forwarded_back."""
    b = Builder()
    b.vnet("hub", "10.0.0.0/16")
    b.vnet("spoke1", "10.1.0.0/16")
    b.vnet("spoke2", "10.2.0.0/16")
    nva_nsg = b.nsg("nsg-nva", *nva_rules) if nva_rules is not None else None
    nva = b.nic(b.subnet("hub", "nva", "10.0.1.0/24"), "nva", "10.0.1.4",
                ip_forwarding=ip_forwarding, nsg=nva_nsg)
    rt = b.route_table("rt-spoke1", ("to-spoke2", "10.2.0.0/16", "VirtualAppliance",
                                     "10.0.1.4"))
    s1 = b.nic(b.subnet("spoke1", "snet", "10.1.1.0/24", route_table=rt), "vm1", "10.1.1.4")
    s2 = b.nic(b.subnet("spoke2", "snet", "10.2.1.0/24"), "vm2", "10.2.1.4")
    b.peer("hub", "spoke1", forwarded=True)
    b.peering("hub", "spoke2")
    back = b.peering("spoke2", "hub", forwarded=forwarded_back)
    return b.build(), {"nva": nva, "vm1": s1, "vm2": s2}, back


def test_forwarded_traffic_through_nva_needs_allow_forwarded_traffic():
    estate, ids, back = hub_and_spokes(forwarded_back=False)
    verdict = evaluate(estate, from_nic(ids["vm1"]), tcp("10.1.1.4", "10.2.1.4", 443))
    assert_dropped(verdict, "peering", back, None)
    assert any(h.kind == "appliance" for h in verdict.hops)
    estate, ids, back = hub_and_spokes(forwarded_back=True)
    verdict = evaluate(estate, from_nic(ids["vm1"]), tcp("10.1.1.4", "10.2.1.4", 443))
    assert_arrives(verdict, f"nic:{ids['vm2']}")
    # Traffic from the NVA itself is not forwarded: it needs no allow_forwarded_traffic.
    estate, ids, back = hub_and_spokes(forwarded_back=False)
    assert_arrives(evaluate(estate, from_nic(ids["nva"]), tcp("10.0.1.4", "10.2.1.4", 443)),
                   f"nic:{ids['vm2']}")


def test_ip_forwarding_off_drops_at_the_nva():
    estate, ids, _ = hub_and_spokes(forwarded_back=True, ip_forwarding=False)
    nva_nic = Builder.nic_id("nva")
    assert_dropped(evaluate(estate, from_nic(ids["vm1"]), tcp("10.1.1.4", "10.2.1.4", 443)),
                   "ip-forwarding", nva_nic, None)


def test_nva_nsgs_filter_in_and_out():
    # The NVA's NIC NSG sees the unchanged packet inbound and again outbound.
    deny_in = (rule("no-443-in", 100, "in", "deny", "tcp", dst_ports=443),)
    estate, ids, _ = hub_and_spokes(forwarded_back=True, nva_rules=deny_in)
    assert_dropped(evaluate(estate, from_nic(ids["vm1"]), tcp("10.1.1.4", "10.2.1.4", 443)),
                   "nsg", Builder.nsg_id("nsg-nva"), "no-443-in")
    deny_out = (rule("no-443-out", 100, "out", "deny", "tcp", dst_ports=443),)
    estate, ids, _ = hub_and_spokes(forwarded_back=True, nva_rules=deny_out)
    assert_dropped(evaluate(estate, from_nic(ids["vm1"]), tcp("10.1.1.4", "10.2.1.4", 443)),
                   "nsg", Builder.nsg_id("nsg-nva"), "no-443-out")


def test_packet_addressed_to_the_nva_arrives_there():
    b = Builder()
    b.vnet("vnet", "10.0.0.0/16")
    rt = b.route_table("rt", ("all", "0.0.0.0/0", "VirtualAppliance", "10.0.2.4"))
    vm = b.nic(b.subnet("vnet", "app", "10.0.1.0/24", route_table=rt), "vm", "10.0.1.4")
    nva = b.nic(b.subnet("vnet", "fw", "10.0.2.0/24"), "fw", "10.0.2.4")   # no forwarding
    estate = b.build()
    # The /16 VnetLocal route is longer than the 0/0 UDR: in-VNet traffic goes direct.
    assert_arrives(evaluate(estate, from_nic(vm), tcp("10.0.1.4", "10.0.2.4", 22)), f"nic:{nva}")
    # Internet traffic goes to the NVA, which does not forward.
    assert_dropped(evaluate(estate, from_nic(vm), tcp("10.0.1.4", "8.8.8.8", 443)),
                   "ip-forwarding", Builder.nic_id("fw"), None)


def test_udr_next_hops_none_vnetlocal_and_missing_appliance():
    b = Builder()
    b.vnet("vnet", "10.0.0.0/16")
    rt = b.route_table("rt", ("blackhole", "10.0.3.0/24", "None"),
                       ("ghost", "203.0.113.0/24", "VirtualAppliance", "10.0.9.9"),
                       ("local", "10.5.0.0/16", "VnetLocal"))
    vm = b.nic(b.subnet("vnet", "app", "10.0.1.0/24", route_table=rt), "vm", "10.0.1.4")
    b.nic(b.subnet("vnet", "db", "10.0.3.0/24"), "db", "10.0.3.4")
    estate = b.build()
    assert_dropped(evaluate(estate, from_nic(vm), tcp("10.0.1.4", "10.0.3.4", 1433)),
                   "route", rt, "blackhole")
    assert_dropped(evaluate(estate, from_nic(vm), tcp("10.0.1.4", "203.0.113.7", 443)),
                   "next-hop", f"{rt}/routes/ghost", None)
    assert_dropped(evaluate(estate, from_nic(vm), tcp("10.0.1.4", "10.5.0.9", 443)),
                   "no-host", Builder.vnet_id("vnet"), None)
    # No host at that address in the VNet itself.
    assert_dropped(evaluate(estate, from_nic(vm), tcp("10.0.1.4", "10.0.1.99", 443)),
                   "no-host", Builder.vnet_id("vnet"), None)
    # Private space outside the VNet: system None routes.
    for private, prefix in (("10.9.0.1", "10.0.0.0/8"), ("172.20.0.1", "172.16.0.0/12"),
                            ("192.168.1.1", "192.168.0.0/16"), ("100.64.0.1", "100.64.0.0/10")):
        assert_dropped(evaluate(estate, from_nic(vm), tcp("10.0.1.4", private, 80)),
                       "route", "system", prefix)
    assert_arrives(evaluate(estate, from_nic(vm), tcp("10.0.1.4", "8.8.8.8", 80)), "internet")


def test_default_udr_removes_the_none_routes():
    b = Builder()
    b.vnet("vnet", "10.0.0.0/16")
    rt = b.route_table("rt", ("out", "0.0.0.0/0", "Internet"))
    vm = b.nic(b.subnet("vnet", "app", "10.0.1.0/24", route_table=rt), "vm", "10.0.1.4")
    estate = b.build()
    # the None route for 192.168.0.0/16 is gone: the packet takes 0/0 to the internet, where
    # a private destination cannot be delivered (no longer dropped by the None route)
    assert_dropped(evaluate(estate, from_nic(vm), tcp("10.0.1.4", "192.168.1.1", 80)), "internet")


def test_udr_replaces_the_system_route_of_the_same_prefix():
    # A UDR for the VNet's own /16 to None cuts the subnet off from its VNet, except where a
    # longer system route does not exist (there is none): all of 10.0/16 is dropped.
    b = Builder()
    b.vnet("vnet", "10.0.0.0/16")
    rt = b.route_table("rt", ("isolate", "10.0.0.0/16", "None"))
    vm = b.nic(b.subnet("vnet", "app", "10.0.1.0/24", route_table=rt), "vm", "10.0.1.4")
    b.nic(b.subnet("vnet", "db", "10.0.3.0/24"), "db", "10.0.3.4")
    estate = b.build()
    assert_dropped(evaluate(estate, from_nic(vm), tcp("10.0.1.4", "10.0.3.4", 1433)),
                   "route", rt, "isolate")


def test_routing_loop_between_two_nvas():
    b = Builder()
    b.vnet("vnet", "10.0.0.0/16")
    rt1 = b.route_table("rt1", ("out", "0.0.0.0/0", "VirtualAppliance", "10.0.2.4"))
    rt2 = b.route_table("rt2", ("out", "0.0.0.0/0", "VirtualAppliance", "10.0.3.4"))
    rt3 = b.route_table("rt3", ("out", "0.0.0.0/0", "VirtualAppliance", "10.0.2.4"))
    vm = b.nic(b.subnet("vnet", "app", "10.0.1.0/24", route_table=rt1), "vm", "10.0.1.4")
    b.nic(b.subnet("vnet", "fw1", "10.0.2.0/24", route_table=rt2), "fw1", "10.0.2.4",
          ip_forwarding=True)
    b.nic(b.subnet("vnet", "fw2", "10.0.3.0/24", route_table=rt3), "fw2", "10.0.3.4",
          ip_forwarding=True)
    estate = b.build()
    verdict = evaluate(estate, from_nic(vm), tcp("10.0.1.4", "8.8.8.8", 443))
    assert_dropped(verdict, "loop", Builder.nic_id("fw1"), None)


# ---------------------------------------------------------------------------------------
# The random estates
# ---------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_estates_are_well_formed_and_evaluable(data):
    estate, meta = data.draw(estates())
    assert not estate.diagnostics, [str(d) for d in estate.diagnostics]
    addresses = [v for _, v in meta.nic_ips]
    assert len(addresses) == len(set(addresses))
    for _ in range(10):
        src, packet = data.draw(packets(meta))
        verdict = evaluate(estate, src, packet)
        assert verdict.allowed == (verdict.arrived_at is not None)
        assert verdict.allowed == (verdict.dropped_by is None)
        assert verdict.dropped_by is None or verdict.dropped_by[0] != "unsupported"
        if verdict.arrived_at and verdict.arrived_at.startswith("nic:"):
            config = estate.get(verdict.arrived_at[4:])
            expected = packet[1]
            if src[0] == "internet":
                expected = next(c for a, _, c in meta.public_ips if a == packet[1])
                expected = meta.config_ip(expected)
            assert expected in config.private_ip


def test_oracle_is_fast_enough_for_the_differential_tests():
    # ~200 estates x 50 packets must take seconds, not minutes.
    collected = []

    @settings(max_examples=200, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(estates())
    def collect(pair):
        collected.append(pair)

    collect()
    started = time.perf_counter()
    evaluated = 0
    for estate, meta in collected:
        targets = ([v for _, v in meta.nic_ips] + list(meta.internet_ips)
                   + list(meta.unheld_private_ips))
        for index in range(50):
            config_id, src_ip = meta.nic_ips[index % len(meta.nic_ips)]
            dst = targets[(index * 7) % len(targets)]
            evaluate(estate, ("nic", config_id), (src_ip, dst, TCP, 40000, 20 + index))
            evaluated += 1
    elapsed = time.perf_counter() - started
    assert evaluated == 50 * len(collected)
    assert elapsed < 20, f"{evaluated} evaluations took {elapsed:.1f}s"
