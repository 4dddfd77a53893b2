"""The generated Azure estate as a Terraform plan (``terraform show -json``, azurerm v4).

The estate is written the way a hub-and-spoke code base declares it: the hub in the root
module, each spoke in ``module.spoke["spokeNNN"]`` with ``for_each`` resources
(``azurerm_subnet.this["snet-web-000"]``); subnets, routes, peerings and the
associations (subnet-NSG, subnet-route table, NIC-ASG) are resources of their own, NSG
rules are inline ``security_rule`` blocks, firewall rules sit in
``azurerm_firewall_policy_rule_collection_group`` blocks.

It is a plan against an estate that exists: every ``values.id`` is known, so nothing
needs ``configuration`` references to resolve (the configuration lists each resource
block, without expressions). ``resource_changes`` lists every instance with its actions
(``no-op``; ``update`` for what ``changed`` names) and ``after_unknown``; ``before`` and
``after`` are given in full only for changed instances (``full_changes=True``: for all,
as Terraform prints them; that triples the file and neither tool reads them for
unchanged resources).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

PROVIDER = "registry.terraform.io/hashicorp/azurerm"
_SPOKE_RG = re.compile(r"^rg-(?:spoke|workload|data)(\d{3})$", re.IGNORECASE)


def _rg(resource_id: str) -> str:
    return resource_id.split("/")[4]


def _name(resource_id: str) -> str:
    return resource_id.rsplit("/", 1)[1]


def _id(value: Any) -> str:
    return value["id"] if isinstance(value, dict) and "id" in value else ""


def _ids(values: Any) -> list[str]:
    return [v["id"] for v in values or () if isinstance(v, dict) and "id" in v]


def _module(resource_id: str) -> str | None:
    """The spoke module key of a resource (by its resource group), None for the root."""
    m = _SPOKE_RG.match(_rg(resource_id))
    return f"spoke{m.group(1)}" if m else None


def _base(r: dict, **values: Any) -> dict[str, Any]:
    return {"id": r["id"], "name": r["name"], "location": r.get("location", "westeurope"),
            "resource_group_name": _rg(r["id"]), "tags": r.get("tags") or {}, **values}


# -- one converter per Azure type: yields (tf type, for_each key, values) -----------------------

Out = Iterator[tuple[str, str, dict[str, Any]]]


def _vnet(r: dict) -> Out:
    p = r["properties"]
    yield "azurerm_virtual_network", r["name"], _base(
        r, address_space=p["addressSpace"]["addressPrefixes"], dns_servers=[], subnet=[],
        bgp_community="", edge_zone="", flow_timeout_in_minutes=0, ddos_protection_plan=[],
        encryption=[])
    for s in p.get("subnets", ()):
        sp = s["properties"]
        yield "azurerm_subnet", s["name"], {
            "id": s["id"], "name": s["name"], "resource_group_name": _rg(r["id"]),
            "virtual_network_name": r["name"], "address_prefixes": [sp["addressPrefix"]],
            "service_endpoints": [e["service"] for e in sp.get("serviceEndpoints", ())],
            "service_endpoint_policy_ids": [], "delegation": [],
            "default_outbound_access_enabled": True,
            "private_endpoint_network_policies": sp.get("privateEndpointNetworkPolicies", "Disabled"),
            "private_link_service_network_policies_enabled": True}
        if nsg := _id(sp.get("networkSecurityGroup")):
            yield "azurerm_subnet_network_security_group_association", s["name"], {
                "id": s["id"], "subnet_id": s["id"], "network_security_group_id": nsg}
        if rt := _id(sp.get("routeTable")):
            yield "azurerm_subnet_route_table_association", s["name"], {
                "id": s["id"], "subnet_id": s["id"], "route_table_id": rt}
    for peer in p.get("virtualNetworkPeerings", ()):
        pp = peer["properties"]
        yield "azurerm_virtual_network_peering", peer["name"], {
            "id": peer["id"], "name": peer["name"], "resource_group_name": _rg(r["id"]),
            "virtual_network_name": r["name"],
            "remote_virtual_network_id": _id(pp["remoteVirtualNetwork"]),
            "allow_virtual_network_access": pp.get("allowVirtualNetworkAccess", True),
            "allow_forwarded_traffic": pp.get("allowForwardedTraffic", False),
            "allow_gateway_transit": pp.get("allowGatewayTransit", False),
            "use_remote_gateways": pp.get("useRemoteGateways", False), "triggers": None}


def _rule(rule: dict) -> dict[str, Any]:
    p = rule["properties"]
    return {
        "name": rule["name"], "description": p.get("description", ""), "priority": p["priority"],
        "direction": p["direction"], "access": p["access"], "protocol": p["protocol"],
        "source_port_range": p.get("sourcePortRange", ""),
        "source_port_ranges": p.get("sourcePortRanges", []),
        "destination_port_range": p.get("destinationPortRange", ""),
        "destination_port_ranges": p.get("destinationPortRanges", []),
        "source_address_prefix": p.get("sourceAddressPrefix", ""),
        "source_address_prefixes": p.get("sourceAddressPrefixes", []),
        "destination_address_prefix": p.get("destinationAddressPrefix", ""),
        "destination_address_prefixes": p.get("destinationAddressPrefixes", []),
        "source_application_security_group_ids": _ids(p.get("sourceApplicationSecurityGroups")),
        "destination_application_security_group_ids": _ids(p.get("destinationApplicationSecurityGroups")),
    }


def _nsg(r: dict) -> Out:
    yield "azurerm_network_security_group", r["name"], _base(
        r, security_rule=[_rule(x) for x in r["properties"].get("securityRules", ())])


def _asg(r: dict) -> Out:
    yield "azurerm_application_security_group", r["name"], _base(r)


def _nic(r: dict) -> Out:
    p = r["properties"]
    if "privateEndpoint" in p:      # a private endpoint's NIC: part of the endpoint in Terraform
        return
    configs = []
    for c in p["ipConfigurations"]:
        cp = c["properties"]
        configs.append({
            "name": c["name"], "subnet_id": _id(cp.get("subnet")),
            "private_ip_address": cp.get("privateIPAddress", ""),
            "private_ip_address_allocation": cp.get("privateIPAllocationMethod", "Dynamic"),
            "private_ip_address_version": "IPv4", "public_ip_address_id": _id(cp.get("publicIPAddress")),
            "primary": cp.get("primary", True),
            "gateway_load_balancer_frontend_ip_configuration_id": ""})
        for asg in _ids(cp.get("applicationSecurityGroups")):
            yield "azurerm_network_interface_application_security_group_association", \
                f"{r['name']}|{_name(asg)}", {"id": f"{r['id']}|{asg}", "network_interface_id": r["id"],
                                              "application_security_group_id": asg}
    yield "azurerm_network_interface", r["name"], _base(
        r, ip_configuration=configs, ip_forwarding_enabled=p.get("enableIPForwarding", False),
        accelerated_networking_enabled=p.get("enableAcceleratedNetworking", False),
        dns_servers=[], internal_dns_name_label="", edge_zone="",
        private_ip_address=configs[0]["private_ip_address"] if configs else "",
        virtual_machine_id=_id(p.get("virtualMachine")))


def _vm(r: dict) -> Out:
    p = r["properties"]
    yield "azurerm_linux_virtual_machine", r["name"], _base(
        r, size=p["hardwareProfile"]["vmSize"], admin_username="azureuser",
        disable_password_authentication=True,
        admin_ssh_key=[{"username": "azureuser", "public_key": "ssh-ed25519 AAAAC3Nza... bench"}],
        network_interface_ids=_ids(p["networkProfile"]["networkInterfaces"]),
        os_disk=[{"caching": "ReadWrite", "storage_account_type": "Premium_LRS", "disk_size_gb": 30,
                  "name": f"osdisk-{r['name']}", "write_accelerator_enabled": False}],
        source_image_reference=[{"publisher": "Canonical", "offer": "ubuntu-24_04-lts",
                                 "sku": "server", "version": "latest"}],
        encryption_at_host_enabled=True, provision_vm_agent=True, allow_extension_operations=False,
        zone="", priority="Regular")


def _pip(r: dict) -> Out:
    p, sku = r["properties"], r.get("sku", {})
    yield "azurerm_public_ip", r["name"], _base(
        r, sku=sku.get("name", "Standard"), sku_tier=sku.get("tier", "Regional"),
        allocation_method=p.get("publicIPAllocationMethod", "Static"),
        ip_address=p.get("ipAddress", ""), ip_version="IPv4", idle_timeout_in_minutes=4,
        zones=[], domain_name_label="", fqdn="")


def _route_table(r: dict) -> Out:
    p = r["properties"]
    yield "azurerm_route_table", r["name"], _base(
        r, bgp_route_propagation_enabled=not p.get("disableBgpRoutePropagation", False),
        route=[], subnets=_ids(p.get("subnets")))
    for route in p.get("routes", ()):
        rp = route["properties"]
        yield "azurerm_route", f"{r['name']}/{route['name']}", {
            "id": route["id"], "name": route["name"], "resource_group_name": _rg(r["id"]),
            "route_table_name": r["name"], "address_prefix": rp["addressPrefix"],
            "next_hop_type": rp["nextHopType"], "next_hop_in_ip_address": rp.get("nextHopIpAddress", "")}


def _firewall(r: dict) -> Out:
    p = r["properties"]
    yield "azurerm_firewall", r["name"], _base(
        r, sku_name=p["sku"]["name"], sku_tier=p["sku"]["tier"],
        threat_intel_mode=p.get("threatIntelMode", "Alert"), firewall_policy_id=_id(p.get("firewallPolicy")),
        ip_configuration=[{"name": c["name"], "subnet_id": _id(c["properties"].get("subnet")),
                           "public_ip_address_id": _id(c["properties"].get("publicIPAddress")),
                           "private_ip_address": c["properties"].get("privateIPAddress", "")}
                          for c in p.get("ipConfigurations", ())],
        virtual_hub=[], management_ip_configuration=[], dns_servers=[], zones=[])


def _policy(r: dict) -> Out:
    p = r["properties"]
    yield "azurerm_firewall_policy", r["name"], _base(
        r, sku=p.get("sku", {}).get("tier", "Standard"), threat_intelligence_mode=p.get("threatIntelMode", "Alert"),
        base_policy_id=None, dns=[], intrusion_detection=[], threat_intelligence_allowlist=[])


def _rcg(r: dict) -> Out:
    p = r["properties"]
    collections = []
    for c in p.get("ruleCollections", ()):
        collections.append({"name": c["name"], "priority": c["priority"], "action": c["action"]["type"],
                            "rule": [{"name": x["name"], "description": "", "protocols": x["ipProtocols"],
                                      "source_addresses": x.get("sourceAddresses", []),
                                      "source_ip_groups": x.get("sourceIpGroups", []),
                                      "destination_addresses": x.get("destinationAddresses", []),
                                      "destination_ip_groups": x.get("destinationIpGroups", []),
                                      "destination_fqdns": x.get("destinationFqdns", []),
                                      "destination_ports": x.get("destinationPorts", [])}
                                     for x in c["rules"]]})
    yield "azurerm_firewall_policy_rule_collection_group", r["name"], {
        "id": r["id"], "name": r["name"], "firewall_policy_id": r["id"].rsplit("/ruleCollectionGroups/", 1)[0],
        "priority": p["priority"], "network_rule_collection": collections,
        "application_rule_collection": [], "nat_rule_collection": []}


def _acls(a: dict | None, bypass_list: bool) -> dict[str, Any]:
    bypass = [b.strip() for b in (a or {}).get("bypass", "AzureServices").split(",") if b.strip()]
    return {"default_action": (a or {}).get("defaultAction", "Allow"),
            "bypass": bypass if bypass_list else ", ".join(bypass),
            "ip_rules": [x["value"] for x in (a or {}).get("ipRules", ())],
            "virtual_network_subnet_ids": [x["id"] for x in (a or {}).get("virtualNetworkRules", ())]}


def _storage(r: dict) -> Out:
    """Accounts without a private endpoint whose ACL denies by default declare their rules
    as ``azurerm_storage_account_network_rules`` (both styles occur in real code)."""
    p = r["properties"]
    separate = not p.get("privateEndpointConnections") and \
        (p.get("networkAcls") or {}).get("defaultAction") == "Deny"
    rules = _acls(p.get("networkAcls"), True)
    yield "azurerm_storage_account", r["name"], _base(
        r, account_kind=r.get("kind", "StorageV2"), account_tier=r.get("sku", {}).get("tier", "Standard"),
        account_replication_type=r.get("sku", {}).get("name", "Standard_LRS").split("_")[-1],
        public_network_access_enabled=p.get("publicNetworkAccess", "Enabled") == "Enabled",
        allow_nested_items_to_be_public=p.get("allowBlobPublicAccess", False),
        min_tls_version=p.get("minimumTlsVersion", "TLS1_2"), https_traffic_only_enabled=True,
        shared_access_key_enabled=True, network_rules=[] if separate else [{**rules, "private_link_access": []}])
    if separate:
        yield "azurerm_storage_account_network_rules", r["name"], {
            "id": r["id"], "storage_account_id": r["id"], **rules, "private_link_access": []}


def _private_endpoint(r: dict) -> Out:
    p = r["properties"]
    conn = p["privateLinkServiceConnections"][0]
    ip = (p.get("customDnsConfigs") or [{}])[0].get("ipAddresses", [""])[0]
    yield "azurerm_private_endpoint", r["name"], _base(
        r, subnet_id=_id(p["subnet"]), custom_network_interface_name="",
        private_service_connection=[{"name": conn["name"], "is_manual_connection": False,
                                     "private_connection_resource_id": conn["properties"]["privateLinkServiceId"],
                                     "subresource_names": conn["properties"]["groupIds"],
                                     "private_ip_address": ip, "request_message": ""}],
        ip_configuration=[], private_dns_zone_group=[],
        custom_dns_configs=[{"fqdn": c["fqdn"], "ip_addresses": c["ipAddresses"]}
                            for c in p.get("customDnsConfigs", ())],
        network_interface=[{"id": x["id"], "name": _name(x["id"])} for x in p.get("networkInterfaces", ())])


def _key_vault(r: dict) -> Out:
    p = r["properties"]
    yield "azurerm_key_vault", r["name"], _base(
        r, sku_name=p["sku"]["name"], tenant_id=p["tenantId"], enable_rbac_authorization=True,
        public_network_access_enabled=p.get("publicNetworkAccess", "Enabled") == "Enabled",
        purge_protection_enabled=p.get("enablePurgeProtection", False),
        soft_delete_retention_days=p.get("softDeleteRetentionInDays", 90),
        network_acls=[_acls(p["networkAcls"], False)] if "networkAcls" in p else [],
        vault_uri=p.get("vaultUri", ""), access_policy=[], contact=[])


def _watcher(r: dict) -> Out:
    yield "azurerm_network_watcher", r["name"], _base(r)


def _flow_log(r: dict) -> Out:
    p = r["properties"]
    ta = p.get("flowAnalyticsConfiguration", {}).get("networkWatcherFlowAnalyticsConfiguration")
    watcher = r["id"].split("/flowLogs/")[0]
    yield "azurerm_network_watcher_flow_log", r["name"], _base(
        r, network_watcher_name=_name(watcher), resource_group_name=_rg(watcher),
        target_resource_id=p["targetResourceId"], storage_account_id=p["storageId"],
        enabled=p.get("enabled", True), version=p.get("format", {}).get("version", 2),
        retention_policy=[{"enabled": p["retentionPolicy"]["enabled"], "days": p["retentionPolicy"]["days"]}],
        traffic_analytics=[{"enabled": ta["enabled"], "workspace_id": ta["workspaceId"],
                            "workspace_region": ta["workspaceRegion"],
                            "workspace_resource_id": ta["workspaceResourceId"],
                            "interval_in_minutes": ta.get("trafficAnalyticsInterval", 60)}] if ta else [])


def _app_gateway(r: dict) -> Out:
    p = r["properties"]

    def ref_name(value: Any) -> str:
        return _name(_id(value))

    yield "azurerm_application_gateway", r["name"], _base(
        r, sku=[{"name": p["sku"]["name"], "tier": p["sku"]["tier"], "capacity": p["sku"].get("capacity", 2)}],
        firewall_policy_id=_id(p.get("firewallPolicy")), waf_configuration=[],
        gateway_ip_configuration=[{"id": g["id"], "name": g["name"], "subnet_id": _id(g["properties"]["subnet"])}
                                  for g in p["gatewayIPConfigurations"]],
        frontend_ip_configuration=[{"id": f["id"], "name": f["name"],
                                    "public_ip_address_id": _id(f["properties"].get("publicIPAddress")),
                                    "subnet_id": "", "private_ip_address": "",
                                    "private_ip_address_allocation": "Dynamic"}
                                   for f in p["frontendIPConfigurations"]],
        frontend_port=[{"id": f["id"], "name": f["name"], "port": f["properties"]["port"]}
                       for f in p["frontendPorts"]],
        ssl_certificate=[{"name": c["name"], "data": None, "password": None,
                          "key_vault_secret_id": "https://kv-bench-001.vault.azure.net/secrets/cert-bench"}
                         for c in p.get("sslCertificates", ())],
        http_listener=[{"name": h["name"],
                        "frontend_ip_configuration_name": ref_name(h["properties"]["frontendIPConfiguration"]),
                        "frontend_port_name": ref_name(h["properties"]["frontendPort"]),
                        "protocol": h["properties"]["protocol"], "host_name": None,
                        "ssl_certificate_name": ref_name(h["properties"].get("sslCertificate"))}
                       for h in p["httpListeners"]],
        backend_address_pool=[{"id": b["id"], "name": b["name"], "fqdns": [],
                               "ip_addresses": [a["ipAddress"] for a in b["properties"]["backendAddresses"]]}
                              for b in p["backendAddressPools"]],
        backend_http_settings=[{"name": b["name"], "port": b["properties"]["port"],
                                "protocol": b["properties"]["protocol"],
                                "cookie_based_affinity": b["properties"].get("cookieBasedAffinity", "Disabled"),
                                "request_timeout": b["properties"].get("requestTimeout", 30)}
                               for b in p["backendHttpSettingsCollection"]],
        request_routing_rule=[{"name": x["name"], "rule_type": x["properties"]["ruleType"],
                               "priority": x["properties"]["priority"],
                               "http_listener_name": ref_name(x["properties"]["httpListener"]),
                               "backend_address_pool_name": ref_name(x["properties"]["backendAddressPool"]),
                               "backend_http_settings_name": ref_name(x["properties"]["backendHttpSettings"])}
                              for x in p.get("requestRoutingRules", ())])


def _waf_policy(r: dict) -> Out:
    p = r["properties"]
    s = p["policySettings"]
    yield "azurerm_web_application_firewall_policy", r["name"], _base(
        r, policy_settings=[{"enabled": s.get("state", "Enabled") == "Enabled", "mode": s.get("mode", "Detection"),
                             "request_body_check": s.get("requestBodyCheck", True),
                             "file_upload_limit_in_mb": 100, "max_request_body_size_in_kb": 128}],
        managed_rules=[{"managed_rule_set": [{"type": m["ruleSetType"], "version": m["ruleSetVersion"],
                                              "rule_group_override": []}
                                             for m in p["managedRules"]["managedRuleSets"]],
                        "exclusion": []}],
        custom_rules=[])


CONVERTERS = {
    "microsoft.network/virtualnetworks": _vnet,
    "microsoft.network/networksecuritygroups": _nsg,
    "microsoft.network/applicationsecuritygroups": _asg,
    "microsoft.network/networkinterfaces": _nic,
    "microsoft.compute/virtualmachines": _vm,
    "microsoft.network/publicipaddresses": _pip,
    "microsoft.network/routetables": _route_table,
    "microsoft.network/azurefirewalls": _firewall,
    "microsoft.network/firewallpolicies": _policy,
    "microsoft.network/firewallpolicies/rulecollectiongroups": _rcg,
    "microsoft.storage/storageaccounts": _storage,
    "microsoft.network/privateendpoints": _private_endpoint,
    "microsoft.keyvault/vaults": _key_vault,
    "microsoft.network/networkwatchers": _watcher,
    "microsoft.network/networkwatchers/flowlogs": _flow_log,
    "microsoft.network/applicationgateways": _app_gateway,
    "microsoft.network/applicationgatewaywebapplicationfirewallpolicies": _waf_policy,
}


def instances(resources: Iterable[dict]) -> Iterator[tuple[str | None, str, str, dict[str, Any]]]:
    """(module key, tf type, for_each key, values) for every Terraform resource instance."""
    for r in resources:
        convert = CONVERTERS.get(r["type"].lower())
        if convert is None:
            raise ValueError(f"no Terraform mapping for {r['type']}")
        module = _module(r["id"])
        for tf_type, key, values in convert(r):
            yield module, tf_type, key, values


def _address(module: str | None, tf_type: str, key: str) -> str:
    prefix = f'module.spoke["{module}"].' if module else ""
    return f'{prefix}{tf_type}.this[{json.dumps(key)}]'


def to_plan(resources: Iterable[dict], changed: Iterable[str] = (), full_changes: bool = False,
            previous: dict[str, dict] | None = None) -> dict[str, Any]:
    """The plan document. ``changed``: Azure/Terraform IDs whose instances are updated
    (``previous``: their values before, by ID)."""
    changed_ids = {c.lower() for c in changed}
    root: list[dict] = []
    modules: dict[str, list[dict]] = {}
    changes: list[dict] = []
    blocks: dict[str | None, dict[str, None]] = {}
    for module, tf_type, key, values in instances(resources):
        address = _address(module, tf_type, key)
        item = {"address": address, "mode": "managed", "type": tf_type, "name": "this", "index": key,
                "provider_name": PROVIDER, "schema_version": 0, "values": values, "sensitive_values": {}}
        (modules.setdefault(module, []) if module else root).append(item)
        blocks.setdefault(module and "spoke", {})[tf_type] = None
        update = values["id"].lower() in changed_ids
        change: dict[str, Any] = {"actions": ["update"] if update else ["no-op"],
                                  "before": None, "after": None, "after_unknown": {},
                                  "before_sensitive": {}, "after_sensitive": {}}
        if update or full_changes:
            change["before"] = (previous or {}).get(values["id"], values) if update else values
            change["after"] = values
        changes.append({"address": address, **({"module_address": f'module.spoke["{module}"]'} if module else {}),
                        "mode": "managed", "type": tf_type, "name": "this", "index": key,
                        "provider_name": PROVIDER, "change": change})

    def config(types: Iterable[str]) -> list[dict]:
        return [{"address": f"{t}.this", "mode": "managed", "type": t, "name": "this",
                 "provider_config_key": "azurerm", "expressions": {},
                 "schema_version": 0, "for_each_expression": {"references": ["local.items"]}}
                for t in types]

    return {
        "format_version": "1.2", "terraform_version": "1.11.4",
        "planned_values": {"root_module": {
            "resources": root,
            "child_modules": [{"address": f'module.spoke["{m}"]', "resources": items}
                              for m, items in sorted(modules.items())]}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {"azurerm": {"name": "azurerm", "full_name": PROVIDER,
                                            "version_constraint": "~> 4.0",
                                            "expressions": {"features": [{}]}}},
            "root_module": {
                "resources": config(blocks.get(None, {})),
                "module_calls": {"spoke": {
                    "source": "./modules/spoke",
                    "for_each_expression": {"references": ["local.spokes"]},
                    "module": {"resources": config(blocks.get("spoke", {}))}}}}},
        "timestamp": "2026-01-01T00:00:00Z", "applyable": bool(changed_ids), "complete": True,
        "errored": False,
    }


def write_plan(resources: Iterable[dict], path: str | Path, **kwargs: Any) -> dict[str, int]:
    """Write the plan as ``terraform show -json`` does (one line, compact); returns counts."""
    plan = to_plan(resources, **kwargs)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(plan, f, separators=(",", ":"))
    counts: dict[str, int] = {}
    for change in plan["resource_changes"]:
        counts[change["type"]] = counts.get(change["type"], 0) + 1
    return counts
