"""EDGE002: a VM (or a NIC without one) holds a public IP address of its own."""
from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.engine.path import Outcome
from netwarden.model import ids
from netwarden.model.base import Resource
from netwarden.model.compute import PublicIp


class VmPublicIp(Check):
    """Finds every VM (or NIC without a VM) whose IP configuration holds an instance-level
    public IP. Severity is HIGH when the internet reaches the VM through that public IP with
    any packet (the engine decides: both NSGs by priority, the Standard SKU's closed
    default, the Basic SKU's open one), proved by a witness packet and its path; MEDIUM
    when nothing gets through today."""

    id = "EDGE002"
    name = "vm-public-ip"
    title = "VM with a public IP address of its own"
    severity = Severity.MEDIUM
    area = Area.EDGE
    rationale = ("Provision VMs with private IP addresses and expose a minimal set of public "
                 "IPs: a VM's own public IP bypasses the edge (WAF, firewall, load balancer) "
                 "and leaves one NSG rule between the VM and the internet.")
    remediation = ("Remove the public IP from the NIC. Publish the workload through an "
                   "Application Gateway, a load balancer or Azure Firewall DNAT, administer it "
                   "through Azure Bastion or a VPN, and use a NAT gateway for outbound traffic.")
    references = ("https://learn.microsoft.com/azure/well-architected/security/networking",
                  "https://learn.microsoft.com/azure/bastion/bastion-overview")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        estate = ctx.estate
        found: dict[str, tuple[Resource, list[str], list[Outcome]]] = {}
        for nic in estate.nics:
            for config in (c for c in nic.ip_configurations if c.public_ip_id):
                pip_id = config.public_ip_id or ""
                pip = estate.get(pip_id, PublicIp)
                owner: Resource = estate.vm_of(nic) or nic
                _, labels, through = found.setdefault(owner.id, (owner, [], []))
                labels.append(f"{pip.name} ({pip.sku.value}, {pip.address or 'dynamic'}) on "
                              f"{nic.name}" if pip else f"{ids.name_from_id(pip_id)} on {nic.name}")
                through += [o for o in ctx.exposure(config.id, config.private_ip)
                            if o.hops[:1] and o.hops[0].kind == "public-ip"
                            and ids.key(o.hops[0].resource or "") == ids.key(pip_id)]
        for owner, labels, through in found.values():
            facts = tuple(f"publicIPAddress: {label}" for label in labels)
            held = f"{owner.name} holds public IP {', '.join(labels)}"
            if through:
                yield self.finding(owner, f"{held}; the internet reaches {owner.name} through it",
                                   Evidence.of(through[0], None, *facts), Severity.HIGH)
            else:
                yield self.finding(owner, f"{held} (no internet packet gets through it today)",
                                   Evidence(facts=facts))
