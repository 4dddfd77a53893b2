"""PaaS services (storage, key vault, SQL) with their network rules, private endpoints,
flow logs, and AKS clusters."""

from __future__ import annotations

from typing import Any

from netwarden.ingest.terraform.network import append_to
from netwarden.ingest.terraform.shape import Kind, Val, View, enabled

STORAGE = "Microsoft.Storage/storageAccounts"
SQL = "Microsoft.Sql/servers"
AKS = "Microsoft.ContainerService/managedClusters"


def _acls(r: View, with_action: bool) -> dict[str, Any]:
    """``network_rules`` / ``network_acls`` as Azure's ``networkAcls``."""
    bypass = r.at("bypass")
    action = {"action": "Allow"} if with_action else {}
    return r.obj({
        "defaultAction": r.at("default_action"),
        # a list of names becomes Azure's comma-separated string; anything else is passed
        # on as it is, for the builder to report where it stands
        "bypass": bypass.map(lambda b: ", ".join(b) if isinstance(b, list)
                             and all(isinstance(x, str) for x in b) else b),
        "ipRules": [r.obj({"value": ip, **action}, ip.where) for ip in r.elements("ip_rules")],
        "virtualNetworkRules": [r.obj({"id": s, **action}, s.where)
                                for s in r.elements("virtual_network_subnet_ids")],
    })


def storage(v: View) -> None:
    # Unset, network_rules is computed; Azure's default (allow every network) applies.
    rules = v.block("network_rules", quiet=True)
    v.tf.emit(v, v.resource(v.obj({
        "publicNetworkAccess": enabled(v.at("public_network_access_enabled")),
        "networkAcls": _acls(rules, True) if rules else None,
    })))


def storage_rules(v: View) -> None:
    """``azurerm_storage_account_network_rules`` replaces the account's ``networkAcls``."""
    target = v.at("storage_account_id", quiet=True).value or v.tf.find(
        STORAGE, v.at("resource_group_name", quiet=True).value,
        v.at("storage_account_name", quiet=True).value, v.instance)
    if target is None:
        v.at("storage_account_id")         # reported as unresolved
        return
    acls = _acls(v, True)

    def apply(resource: dict[str, Any]) -> str | None:
        resource["properties"]["networkAcls"] = acls
        return None

    v.tf.merge(v, target, apply, "storage account network rules")


def key_vault(v: View) -> None:
    acls = v.block("network_acls", quiet=True)
    v.tf.emit(v, v.resource(v.obj({
        "publicNetworkAccess": enabled(v.at("public_network_access_enabled")),
        "networkAcls": _acls(acls, False) if acls else None,
    })))


def sql_server(v: View) -> None:
    v.tf.emit(v, v.resource(v.obj({
        "publicNetworkAccess": enabled(v.at("public_network_access_enabled")),
    })))


def sql_firewall_rule(v: View) -> None:
    v.tf.emit(v, v.resource(v.obj({"startIpAddress": v.at("start_ip_address"),
                                   "endIpAddress": v.at("end_ip_address")})))


def sql_vnet_rule(v: View) -> None:
    v.tf.emit(v, v.resource(v.obj({"virtualNetworkSubnetId": v.at("subnet_id")})))


def private_endpoint(v: View) -> None:
    connection = v.block("private_service_connection")
    connections: dict[str, list[dict[str, Any]]] = {"privateLinkServiceConnections": [],
                                                    "manualPrivateLinkServiceConnections": []}
    ips = [c.obj({"name": c.at("name"), "properties": c.obj({
        "privateIPAddress": c.at("private_ip_address")})}) for c in v.blocks("ip_configuration")]
    if connection is not None:
        manual = connection.at("is_manual_connection").value is True
        member = "manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections"
        connections[member].append(connection.obj({"name": connection.at("name"), "properties": connection.obj({
            "privateLinkServiceId": connection.first("private_connection_resource_id",
                                                     "private_connection_resource_alias"),
            "groupIds": connection.at("subresource_names"),
        })}))
        if not ips:   # the address Azure assigns, known once applied
            ips.append(connection.obj({"name": Val("default", connection.location), "properties":
                connection.obj({"privateIPAddress": connection.at(
                    "private_ip_address", note="assigned by Azure: the analysis cannot place "
                                             "this private endpoint")})}))
    v.tf.emit(v, v.resource(v.obj({
        "subnet": v.ref("subnet_id"),
        **connections,
        "ipConfigurations": ips,
        "customDnsConfigs": [c.obj({"fqdn": c.at("fqdn", quiet=True),
                                    "ipAddresses": c.at("ip_addresses", quiet=True)})
                             for c in v.blocks("custom_dns_configs", quiet=True)],
    })))


def flow_log(v: View) -> None:
    retention = v.block("retention_policy")
    analytics = v.block("traffic_analytics", quiet=True)
    v.tf.emit(v, v.resource(v.obj({
        # azurerm v4: target_resource_id (an NSG or a VNet); v3: network_security_group_id
        "targetResourceId": v.first("target_resource_id", "network_security_group_id"),
        "storageId": v.at("storage_account_id"),
        "enabled": v.at("enabled"),
        "retentionPolicy": retention.obj({"enabled": retention.at("enabled"),
                                          "days": retention.at("days")}) if retention else None,
        "format": v.obj({"type": "JSON", "version": v.at("version", quiet=True)}),
        "flowAnalyticsConfiguration": analytics.obj({
            "networkWatcherFlowAnalyticsConfiguration": analytics.obj({
                "enabled": analytics.at("enabled"),
                "workspaceResourceId": analytics.at("workspace_resource_id", quiet=True),
                "trafficAnalyticsInterval": analytics.at("interval_in_minutes", quiet=True),
            })}) if analytics else None,
    })))


def _pool(p: View) -> dict[str, Any]:
    return p.obj({"name": p.at("name"), "vnetSubnetID": p.at("vnet_subnet_id")})


def aks(v: View) -> None:
    net = v.block("network_profile", quiet=True)
    pool = v.block("default_node_pool")
    access = v.block("api_server_access_profile", quiet=True)
    ranges = access.at("authorized_ip_ranges", quiet=True) if access else \
        v.at("api_server_authorized_ip_ranges", quiet=True)
    v.tf.emit(v, v.resource(v.obj({
        "networkProfile": net.obj({
            "networkPlugin": net.at("network_plugin"),
            "networkPolicy": net.at("network_policy", quiet=True),
            "podCidr": net.at("pod_cidr", quiet=True),
            "podCidrs": net.at("pod_cidrs", quiet=True),
            "serviceCidr": net.at("service_cidr", quiet=True),
            "serviceCidrs": net.at("service_cidrs", quiet=True),
            "outboundType": net.at("outbound_type", quiet=True),
        }) if net else None,
        "agentPoolProfiles": [_pool(pool)] if pool else [],
        "apiServerAccessProfile": v.obj({
            "enablePrivateCluster": v.at("private_cluster_enabled", quiet=True),
            "authorizedIPRanges": ranges,
        }),
    })))


def aks_node_pool(v: View) -> None:
    append_to(v, v.at("kubernetes_cluster_id").value, "agentPoolProfiles", _pool(v),
              f"node pool {v.at('name').value}")


KINDS = {
    "azurerm_storage_account": Kind(STORAGE, None, storage),
    "azurerm_storage_account_network_rules": Kind("part", None, storage_rules),
    "azurerm_key_vault": Kind("Microsoft.KeyVault/vaults", None, key_vault),
    "azurerm_mssql_server": Kind(SQL, None, sql_server),
    "azurerm_sql_server": Kind(SQL, None, sql_server),
    "azurerm_mssql_firewall_rule": Kind(f"{SQL}/firewallRules", "server_id", sql_firewall_rule),
    "azurerm_sql_firewall_rule": Kind(f"{SQL}/firewallRules", "server_name", sql_firewall_rule),
    "azurerm_mssql_virtual_network_rule": Kind(f"{SQL}/virtualNetworkRules", "server_id",
                                               sql_vnet_rule),
    "azurerm_private_endpoint": Kind("Microsoft.Network/privateEndpoints", None, private_endpoint),
    "azurerm_network_watcher_flow_log": Kind("Microsoft.Network/networkWatchers/flowLogs",
                                             "network_watcher_name", flow_log),
    "azurerm_kubernetes_cluster": Kind(AKS, None, aks),
    "azurerm_kubernetes_cluster_node_pool": Kind(f"{AKS}/agentPools", "kubernetes_cluster_id",
                                                 aks_node_pool),
}
