"""PaaS services with their network access controls, and private endpoints."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from netwarden.model.base import Resource
from netwarden.model.values import Prefix


class PaasKind(enum.Enum):
    STORAGE = "storage"
    KEY_VAULT = "keyvault"
    SQL = "sql"
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class PaasService(Resource):
    """A PaaS service's public endpoint and how it is restricted.

    ``public_network_access``: "Enabled", "Disabled", or None when the export does not
    say (Azure's default for storage, key vault and SQL is enabled).
    ``default_action``: the network ACL's default, "Allow" or "Deny" (None: no ACL, which
    behaves as Allow). ``ip_rules`` are allowed public ranges (SQL firewall rules
    included); ``vnet_subnet_ids`` are subnets allowed through service endpoints.
    """

    kind: PaasKind
    public_network_access: str | None = None
    default_action: str | None = None
    ip_rules: tuple[Prefix, ...] = ()
    vnet_subnet_ids: tuple[str, ...] = ()
    bypass: tuple[str, ...] = ()
    private_endpoint_ids: tuple[str, ...] = ()
    ports: tuple[int, ...] = (443,)

    @property
    def public_access_enabled(self) -> bool:
        return (self.public_network_access or "Enabled").lower() != "disabled"

    @property
    def open_to_all_networks(self) -> bool:
        """Public access on and nothing restricting it (default action Allow, or an
        allow-all firewall rule such as SQL's 0.0.0.0-255.255.255.255)."""
        if not self.public_access_enabled:
            return False
        if (self.default_action or "Allow").lower() == "allow":
            return True
        return any(rule.first == 0 and rule.last >= 0xFFFFFFFF for rule in self.ip_rules)


@dataclass(frozen=True, slots=True, kw_only=True)
class PrivateEndpoint(Resource):
    subnet_id: str | None = None
    nic_ids: tuple[str, ...] = ()
    target_ids: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    private_ips: tuple[Prefix, ...] = ()
