"""What the PaaS checks share: how a service is named, which private endpoints reach it,
and whether its public endpoint admits the whole internet (with the settings that say so)."""

from __future__ import annotations

from netwarden.checks.context import ScanContext
from netwarden.engine.addresses import NON_PUBLIC
from netwarden.model import ids
from netwarden.model.estate import Estate
from netwarden.model.paas import PaasKind, PaasService, PrivateEndpoint

LABELS = {PaasKind.STORAGE: "storage account", PaasKind.KEY_VAULT: "key vault",
          PaasKind.SQL: "SQL server", PaasKind.OTHER: "PaaS service"}
# The service-endpoint service names that carry traffic to each kind.
SERVICE_ENDPOINTS = {PaasKind.STORAGE: ("microsoft.storage", "microsoft.storage.global"),
                     PaasKind.KEY_VAULT: ("microsoft.keyvault",), PaasKind.SQL: ("microsoft.sql",)}


def label(service: PaasService) -> str:
    return f"{LABELS[service.kind]} {service.name}"


def private_endpoints(estate: Estate, service: PaasService) -> list[str]:
    """Names of the private endpoints connected to the service: those it lists and those in
    the estate that target it."""
    found = {ids.key(pe): ids.name_from_id(pe) for pe in service.private_endpoint_ids}
    for pe in estate.of(PrivateEndpoint):
        if any(ids.key(t) == ids.key(service.id) for t in pe.target_ids):
            found[ids.key(pe.id)] = pe.name
    return sorted(found.values())


def open_to_internet(ctx: ScanContext, service: PaasService) -> tuple[str, ...]:
    """The settings that leave the public endpoint open to every network, first the public
    access setting, then the deciding one; () when it is closed or restricted. An IP/firewall
    rule set opens it when together its ranges cover every public IPv4 address (so
    0.0.0.0-255.255.255.255, 0.0.0.0/1 + 128.0.0.0/1, 1.0.0.0-255.255.255.255 alike); SQL's
    0.0.0.0-0.0.0.0 "Azure services" rule is not among them."""
    if not service.public_access_enabled:
        return ()
    access = service.public_network_access or "not set (Azure default: Enabled)"
    facts = [f"publicNetworkAccess: {access}"]
    if (service.default_action or "Allow").lower() == "allow":
        facts.append(f"networkAcls.defaultAction: {service.default_action}"
                     if service.default_action else "networkAcls: not set, so default action Allow")
    else:
        space = ctx.space
        rules = [r for r in service.ip_rules if r.version == 4]
        public = space.all() - space.union(space.src_range(p.first, p.last) for p in NON_PUBLIC)
        if not rules or not public <= space.union(space.src_range(r.first, r.last) for r in rules):
            return ()
        where = "firewall rules" if service.kind is PaasKind.SQL else "networkAcls.ipRules"
        facts.append(f"{where} admit every public address: {', '.join(r.text for r in rules)}")
    if service.bypass:
        facts.append(f"bypass: {', '.join(service.bypass)}")
    return tuple(facts)
