"""Builders for Azure Firewall, Firewall Policy rule collection groups, and IP groups."""

from __future__ import annotations

from collections.abc import Iterator

from netwarden.ingest import fields
from netwarden.ingest.build.context import BuildContext, common, props
from netwarden.ingest.interface import RawResource
from netwarden.ingest.node import Node
from netwarden.model.base import Resource
from netwarden.model.edge import (
    AppProtocol,
    CollectionAction,
    Firewall,
    FirewallIpConfiguration,
    FirewallPolicy,
    FirewallRule,
    FirewallRuleKind,
    IpGroup,
    RuleCollection,
    RuleCollectionGroup,
)
from netwarden.model.values import Protocol

# Azure Firewall priorities (rule collection groups and collections): 100-65000.
_PRIORITIES = (100, 65000)


def _action(node: Node) -> CollectionAction:
    written = node.get("type").str() if isinstance(node.value, dict) else node.str()
    text = (written or "").strip().lower()
    for member in CollectionAction:
        if member.value.lower() == text:
            return member
    raise node.error(f"{node.value!r} is not a rule collection action (Allow, Deny or Dnat)")


def _protocols(node: Node) -> tuple[Protocol, ...]:
    return tuple(item.parse(Protocol.parse) for item in node.items())


def _rule(node: Node, kind: FirewallRuleKind) -> FirewallRule:
    translated = node.get("translatedAddress")
    translated_port = node.get("translatedPort")
    return FirewallRule(
        name=node.get("name").str() or "",
        kind=kind,
        sources=fields.addresses(Node(None, node.location), node.get("sourceAddresses")),
        source_ip_group_ids=node.get("sourceIpGroups").strs(),
        destinations=fields.addresses(Node(None, node.location), node.get("destinationAddresses")),
        destination_ip_group_ids=node.get("destinationIpGroups").strs(),
        destination_fqdns=node.get("destinationFqdns").strs(),
        protocols=_protocols(node.get("ipProtocols") if not node.get("ipProtocols").missing
                             else node.get("protocols")) if kind is not FirewallRuleKind.APPLICATION else (),
        destination_ports=fields.port_ranges(Node(None, node.location), node.get("destinationPorts")),
        translated_address=fields.prefix(translated) if translated.value else None,
        translated_fqdn=node.get("translatedFqdn").str(),
        translated_port=fields.port(translated_port) if translated_port.value not in (None, "") else None,
        app_protocols=tuple(AppProtocol(name=p.get("protocolType").str() or "",
                                        port=fields.port(p.get("port")))
                            for p in node.get("protocols").items()) if kind is FirewallRuleKind.APPLICATION else (),
        target_fqdns=node.get("targetFqdns").strs(),
        fqdn_tags=node.get("fqdnTags").strs(),
        web_categories=node.get("webCategories").strs(),
    )


_RULE_TYPES = {"natrule": FirewallRuleKind.NAT, "networkrule": FirewallRuleKind.NETWORK,
               "applicationrule": FirewallRuleKind.APPLICATION}


def _policy_collection(node: Node) -> RuleCollection:
    rules = []
    for rule in node.get("rules").items():
        rule_type = (rule.get("ruleType").str() or "").lower()
        if rule_type not in _RULE_TYPES:
            raise rule.get("ruleType").error(
                f"{rule.get('ruleType').value!r} is not a rule type (NatRule, NetworkRule, ApplicationRule)")
        rules.append(_rule(rule, _RULE_TYPES[rule_type]))
    return RuleCollection(
        name=node.get("name").str() or "",
        priority=fields.priority(node.get("priority"), *_PRIORITIES),
        action=_action(node.get("action")),
        rules=tuple(rules),
    )


def rule_collection_group(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    yield RuleCollectionGroup(
        **common(raw),
        policy_id=raw.parent_id or "",
        priority=fields.priority(p.get("priority"), *_PRIORITIES),
        collections=tuple(_policy_collection(c) for c in p.get("ruleCollections").items()),
    )


def firewall_policy(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    groups = list(p.get("ruleCollectionGroups").refs())
    groups += [child.id for segment in ("ruleCollectionGroups", "ruleGroups")
               for child in ctx.children(raw, segment)]
    yield FirewallPolicy(
        **common(raw),
        base_policy_id=p.get("basePolicy").ref(),
        rule_collection_group_ids=tuple(dict.fromkeys(groups)),
        threat_intel_mode=p.get("threatIntelMode").str(),
        tier=p.path("sku", "tier").str(),
    )


def _classic(p: Node, member: str, kind: FirewallRuleKind) -> tuple[RuleCollection, ...]:
    found = []
    for collection in p.get(member).items():
        cp = collection.get("properties")
        found.append(RuleCollection(
            name=collection.get("name").str() or "",
            priority=fields.priority(cp.get("priority"), *_PRIORITIES),
            action=_action(cp.get("action")),
            rules=tuple(_rule(rule, kind) for rule in cp.get("rules").items()),
        ))
    return tuple(found)


def firewall(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    configs = []
    for config in p.get("ipConfigurations").items():
        cp = config.get("properties")
        private = cp.get("privateIPAddress")
        configs.append(FirewallIpConfiguration(
            name=config.get("name").str() or "",
            private_ip=fields.prefix(private) if private.value else None,
            subnet_id=cp.get("subnet").ref(),
            public_ip_id=cp.get("publicIPAddress").ref(),
        ))
    hub_ip = p.path("hubIPAddresses", "privateIPAddress")
    yield Firewall(
        **common(raw),
        tier=p.path("sku", "tier").str(),
        ip_configurations=tuple(configs),
        policy_id=p.get("firewallPolicy").ref(),
        threat_intel_mode=p.get("threatIntelMode").str(),
        nat_collections=_classic(p, "natRuleCollections", FirewallRuleKind.NAT),
        network_collections=_classic(p, "networkRuleCollections", FirewallRuleKind.NETWORK),
        application_collections=_classic(p, "applicationRuleCollections", FirewallRuleKind.APPLICATION),
        virtual_hub_id=p.get("virtualHub").ref(),
        hub_private_ip=fields.prefix(hub_ip) if hub_ip.value else None,
    )


def ip_group(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    yield IpGroup(**common(raw), prefixes=fields.prefixes(props(raw).get("ipAddresses")))


BUILDERS = {
    "microsoft.network/azurefirewalls": firewall,
    "microsoft.network/firewallpolicies": firewall_policy,
    "microsoft.network/firewallpolicies/rulecollectiongroups": rule_collection_group,
    # the name of rule collection groups in early API versions (2019-2020)
    "microsoft.network/firewallpolicies/rulegroups": rule_collection_group,
    "microsoft.network/ipgroups": ip_group,
}
CONSUMED_CHILDREN: set[str] = set()
