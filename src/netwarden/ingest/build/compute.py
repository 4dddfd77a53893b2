"""Builders for NICs (with their IP configurations), VMs and public IPs."""

from __future__ import annotations

from collections.abc import Iterator

from netwarden.ingest import fields
from netwarden.ingest.build.context import BuildContext, common, props
from netwarden.ingest.interface import RawResource
from netwarden.ingest.node import Node
from netwarden.model.base import Resource
from netwarden.model.compute import (
    IpConfiguration,
    NetworkInterface,
    PublicIp,
    PublicIpSku,
    VirtualMachine,
)
from netwarden.model.values import Prefix


def nic(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    configs = tuple(_ip_configuration(child, raw.id) for child in ctx.children(raw, "ipConfigurations"))
    if not configs:
        ctx.warn(raw.node.location, "incomplete", f"network interface {raw.name} has no IP configuration")
    yield NetworkInterface(
        **common(raw),
        ip_configurations=configs,
        nsg_id=p.get("networkSecurityGroup").ref(),
        vm_id=p.get("virtualMachine").ref(),
        private_endpoint_id=p.get("privateEndpoint").ref(),
        ip_forwarding=p.get("enableIPForwarding").bool(False),
    )


def _private_ip(p: Node) -> Prefix | None:
    if p.get("privateIPAddress").value:
        return fields.prefix(p.get("privateIPAddress"))
    if p.get("privateIPAddressPrefix").value:
        return fields.prefix(p.get("privateIPAddressPrefix"))
    return None


def _ip_configuration(raw: RawResource, nic_id: str) -> IpConfiguration:
    p = props(raw)
    return IpConfiguration(
        **common(raw),
        nic_id=nic_id,
        private_ip=_private_ip(p),
        subnet_id=p.get("subnet").ref(),
        public_ip_id=p.get("publicIPAddress").ref(),
        asg_ids=p.get("applicationSecurityGroups").refs(),
        lb_backend_pool_ids=p.get("loadBalancerBackendAddressPools").refs(),
        lb_nat_rule_ids=p.get("loadBalancerInboundNatRules").refs(),
        appgw_backend_pool_ids=p.get("applicationGatewayBackendAddressPools").refs(),
        primary=p.get("primary").bool(False),
    )


def vm(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    yield VirtualMachine(
        **common(raw),
        nic_ids=props(raw).path("networkProfile", "networkInterfaces").refs(),
    )


def public_ip(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    sku_name = (raw.node.path("sku", "name").str() or "Basic").lower()
    address = p.get("ipAddress")
    yield PublicIp(
        **common(raw),
        address=fields.prefix(address) if address.value else None,
        # An export without a SKU is from an API version that predates it: Basic.
        sku=PublicIpSku.STANDARD if sku_name.startswith("standard") else PublicIpSku.BASIC,
        attached_to=p.get("ipConfiguration").ref(),
    )


BUILDERS = {
    "microsoft.network/networkinterfaces": nic,
    "microsoft.compute/virtualmachines": vm,
    "microsoft.network/publicipaddresses": public_ip,
}
CONSUMED_CHILDREN = {"microsoft.network/networkinterfaces/ipconfigurations"}
