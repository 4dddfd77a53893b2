"""Builders for PaaS services (storage, key vault, SQL) and private endpoints."""

from __future__ import annotations

from collections.abc import Iterator

from netwarden.ingest import fields
from netwarden.ingest.build.context import BuildContext, common, props
from netwarden.ingest.interface import RawResource
from netwarden.ingest.node import Node
from netwarden.model.base import Resource
from netwarden.model.paas import PaasKind, PaasService, PrivateEndpoint
from netwarden.model.values import Prefix


def _endpoint_connections(p: Node) -> tuple[str, ...]:
    return tuple(ref for c in p.get("privateEndpointConnections").items()
                 if (ref := c.path("properties", "privateEndpoint").ref()))


def _acl_service(raw: RawResource, kind: PaasKind, ports: tuple[int, ...]) -> PaasService:
    """Storage accounts and key vaults: ``networkAcls`` with a default action."""
    p = props(raw)
    acls = p.get("networkAcls")
    return PaasService(
        **common(raw),
        kind=kind,
        public_network_access=p.get("publicNetworkAccess").str(),
        default_action=acls.get("defaultAction").str() if not acls.missing else None,
        ip_rules=tuple(fields.prefix(rule.get("value")) for rule in acls.get("ipRules").items()),
        vnet_subnet_ids=tuple(ref for rule in acls.get("virtualNetworkRules").items()
                              if (ref := rule.get("id").str())),
        bypass=tuple(s.strip() for s in (acls.get("bypass").str() or "").split(",") if s.strip()),
        private_endpoint_ids=_endpoint_connections(p),
        ports=ports,
    )


def storage(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    yield _acl_service(raw, PaasKind.STORAGE, (443, 445))


def key_vault(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    yield _acl_service(raw, PaasKind.KEY_VAULT, (443,))


def sql_server(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    """A SQL logical server has no default action: with public access enabled, only its
    firewall rules (start-end ranges; 0.0.0.0-0.0.0.0 means "Azure services") admit."""
    p = props(raw)
    rules: list[Prefix] = []
    azure_services = False
    for child in ctx.children(raw, "firewallRules"):
        cp = props(child)
        start, end = cp.get("startIpAddress"), cp.get("endIpAddress")
        first, last = fields.prefix(start), fields.prefix(end)
        if first.first > last.last:
            raise end.error(f"{end.value!r} is below the start address {start.value!r}")
        if first.first == 0 and last.last == 0:
            azure_services = True
            continue
        rules.append(Prefix(f"{start.value}-{end.value}", first.first, last.last))
    yield PaasService(
        **common(raw),
        kind=PaasKind.SQL,
        public_network_access=p.get("publicNetworkAccess").str(),
        default_action="Deny",
        ip_rules=tuple(rules),
        vnet_subnet_ids=tuple(ref for child in ctx.children(raw, "virtualNetworkRules")
                              if (ref := props(child).get("virtualNetworkSubnetId").str())),
        bypass=("AzureServices",) if azure_services else (),
        private_endpoint_ids=_endpoint_connections(p),
        ports=(1433,),
    )


def private_endpoint(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    targets: list[str] = []
    groups: list[str] = []
    for member in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
        for connection in p.get(member).items():
            cp = connection.get("properties")
            if target := cp.get("privateLinkServiceId").str():
                targets.append(target)
            groups.extend(cp.get("groupIds").strs())
    ips = [fields.prefix(a) for c in p.get("customDnsConfigs").items()
           for a in c.get("ipAddresses").items()]
    ips += [fields.prefix(c.path("properties", "privateIPAddress"))
            for c in p.get("ipConfigurations").items()
            if c.path("properties", "privateIPAddress").value]
    yield PrivateEndpoint(
        **common(raw),
        subnet_id=p.get("subnet").ref(),
        nic_ids=p.get("networkInterfaces").refs(),
        target_ids=tuple(dict.fromkeys(targets)),
        group_ids=tuple(dict.fromkeys(groups)),
        private_ips=tuple(dict.fromkeys(ips)),
    )


BUILDERS = {
    "microsoft.storage/storageaccounts": storage,
    "microsoft.keyvault/vaults": key_vault,
    "microsoft.sql/servers": sql_server,
    "microsoft.network/privateendpoints": private_endpoint,
}
CONSUMED_CHILDREN = {"microsoft.sql/servers/firewallrules", "microsoft.sql/servers/virtualnetworkrules"}
