"""Network interfaces, their IP configurations, virtual machines, public IPs."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from netwarden.model.base import Resource
from netwarden.model.values import Prefix


@dataclass(frozen=True, slots=True, kw_only=True)
class IpConfiguration(Resource):
    nic_id: str
    private_ip: Prefix | None = None          # a single address, or a delegated prefix
    subnet_id: str | None = None
    public_ip_id: str | None = None
    asg_ids: tuple[str, ...] = ()
    lb_backend_pool_ids: tuple[str, ...] = ()
    lb_nat_rule_ids: tuple[str, ...] = ()
    appgw_backend_pool_ids: tuple[str, ...] = ()
    primary: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkInterface(Resource):
    ip_configurations: tuple[IpConfiguration, ...] = ()
    nsg_id: str | None = None
    vm_id: str | None = None
    private_endpoint_id: str | None = None
    ip_forwarding: bool = False

    @property
    def subnet_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.subnet_id for c in self.ip_configurations if c.subnet_id))


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualMachine(Resource):
    nic_ids: tuple[str, ...] = ()


class PublicIpSku(enum.Enum):
    BASIC = "Basic"
    STANDARD = "Standard"


@dataclass(frozen=True, slots=True, kw_only=True)
class PublicIp(Resource):
    address: Prefix | None = None     # None when dynamic and not allocated in the export
    sku: PublicIpSku = PublicIpSku.BASIC
    attached_to: str | None = None    # the ipConfiguration (NIC, LB frontend, gateway ...) that holds it
