"""Azure Firewall, Firewall Policy with its rule collection groups, classic rule
collections (merged into their firewall), and IP groups."""

from __future__ import annotations

from typing import Any

from netwarden.ingest.terraform.network import append_to
from netwarden.ingest.terraform.shape import Kind, Val, View

_NET = "Microsoft.Network"
FIREWALL = f"{_NET}/azureFirewalls"
POLICY = f"{_NET}/firewallPolicies"


def firewall(v: View) -> None:
    configs = [c.obj({"name": c.at("name"), "properties": c.obj({
        "subnet": c.ref("subnet_id"),
        "publicIPAddress": c.ref("public_ip_address_id"),
        "privateIPAddress": c.at("private_ip_address", note="assigned by Azure"),
    })}) for c in v.blocks("ip_configuration")]
    hub = v.block("virtual_hub", quiet=True)
    v.tf.emit(v, v.resource(v.obj({
        "sku": v.obj({"name": v.at("sku_name", quiet=True), "tier": v.at("sku_tier", quiet=True)}),
        "ipConfigurations": configs,
        "firewallPolicy": v.ref("firewall_policy_id"),
        "threatIntelMode": v.at("threat_intel_mode", quiet=True),
        "virtualHub": hub.ref("virtual_hub_id") if hub else None,
        "hubIPAddresses": hub.obj({"privateIPAddress": hub.at("private_ip_address")}) if hub else None,
    })))


def policy(v: View) -> None:
    v.tf.emit(v, v.resource(v.obj({
        "sku": v.obj({"tier": v.at("sku", quiet=True)}),
        "basePolicy": v.ref("base_policy_id"),
        "threatIntelMode": v.at("threat_intelligence_mode", quiet=True),
    })))


def _addresses(r: View) -> dict[str, Val]:
    return {"sourceAddresses": r.at("source_addresses"), "sourceIpGroups": r.at("source_ip_groups"),
            "destinationIpGroups": r.at("destination_ip_groups")}


def _network_rule(r: View, protocols: str) -> dict[str, Any]:
    return r.obj({"ruleType": "NetworkRule", "name": r.at("name"), protocols: r.at("protocols"),
                  **_addresses(r), "destinationAddresses": r.at("destination_addresses"),
                  "destinationFqdns": r.at("destination_fqdns"),
                  "destinationPorts": r.at("destination_ports")})


def _nat_rule(r: View, protocols: str) -> dict[str, Any]:
    single = r.at("destination_address", quiet=True)      # policy NAT rules name one address
    destinations = single.map(lambda a: [a]) if single.value else r.at("destination_addresses")
    return r.obj({"ruleType": "NatRule", "name": r.at("name"), protocols: r.at("protocols"),
                  **_addresses(r), "destinationAddresses": destinations,
                  "destinationPorts": r.at("destination_ports"),
                  "translatedAddress": r.at("translated_address"),
                  "translatedFqdn": r.at("translated_fqdn", quiet=True),
                  "translatedPort": r.at("translated_port")})


def _application_rule(r: View, protocol_block: str) -> dict[str, Any]:
    return r.obj({
        "ruleType": "ApplicationRule", "name": r.at("name"), **_addresses(r),
        "protocols": [p.obj({"protocolType": p.at("type"), "port": p.at("port")})
                      for p in r.blocks(protocol_block)],
        "destinationAddresses": r.at("destination_addresses", quiet=True),
        "targetFqdns": r.first("destination_fqdns", "target_fqdns"),
        "targetUrls": r.at("destination_urls", quiet=True),
        "fqdnTags": r.first("destination_fqdn_tags", "fqdn_tags"),
        "webCategories": r.at("web_categories", quiet=True),
    })


_POLICY_COLLECTIONS = (
    ("nat_rule_collection", "FirewallPolicyNatRuleCollection", _nat_rule),
    ("network_rule_collection", "FirewallPolicyFilterRuleCollection", _network_rule),
    ("application_rule_collection", "FirewallPolicyFilterRuleCollection", _application_rule),
)


def rule_collection_group(v: View) -> None:
    collections = []
    for block, collection_type, rule in _POLICY_COLLECTIONS:
        for c in v.blocks(block):
            argument = "protocols" if rule is _application_rule else "ipProtocols"
            collections.append(c.obj({
                "ruleCollectionType": collection_type, "name": c.at("name"),
                "priority": c.at("priority"), "action": c.obj({"type": c.at("action")}),
                "rules": [rule(r, argument) for r in c.blocks("rule")],
            }))
    v.tf.emit(v, v.resource(v.obj({"priority": v.at("priority"), "ruleCollections": collections})))


_CLASSIC = {
    "azurerm_firewall_network_rule_collection": ("networkRuleCollections", _network_rule, "protocols"),
    "azurerm_firewall_nat_rule_collection": ("natRuleCollections", _nat_rule, "protocols"),
    "azurerm_firewall_application_rule_collection": ("applicationRuleCollections",
                                                     _application_rule, "protocol"),
}


def classic_collection(v: View) -> None:
    """A classic rule collection belongs to the firewall named ``azure_firewall_name``."""
    member, rule, argument = _CLASSIC[v.instance.type]
    target = v.tf.find(FIREWALL, v.at("resource_group_name").value, v.at("azure_firewall_name").value,
                       v.instance)
    collection = v.obj({"name": v.at("name"), "properties": v.obj({
        "priority": v.at("priority"), "action": v.obj({"type": v.at("action")}),
        "rules": [rule(r, argument) for r in v.blocks("rule")],
    })})
    append_to(v, target, member, collection, f"{v.instance.type} {v.at('name').value}")


def ip_group(v: View) -> None:
    v.tf.emit(v, v.resource(v.obj({"ipAddresses": v.at("cidrs")})))


KINDS = {
    "azurerm_firewall": Kind(FIREWALL, None, firewall),
    "azurerm_firewall_policy": Kind(POLICY, None, policy),
    "azurerm_firewall_policy_rule_collection_group": Kind(f"{POLICY}/ruleCollectionGroups",
                                                          "firewall_policy_id", rule_collection_group),
    "azurerm_ip_group": Kind(f"{_NET}/ipGroups", None, ip_group),
    **{name: Kind("part", None, classic_collection) for name in _CLASSIC},
}
