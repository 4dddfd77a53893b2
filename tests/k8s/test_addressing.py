"""Pod addressing and the Azure path by network plugin: Azure CNI (pods in the node subnet),
kubenet (a pod CIDR behind the nodes: SNAT to a node's address on the way out, unroutable
from the VNet), and a cluster without a policy engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from netwarden.engine import Engine, Service
from netwarden.ingest import load_estate
from netwarden.k8s.model import KubeCluster, Workload
from tests.k8s.kube import deployment, policy, write

SUB = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network"
VNET = f"{SUB}/virtualNetworks/vnet"


def estate(plugin: str, pod_cidr: str | None = None) -> list[dict[str, Any]]:
    nsg_rules = [{"name": "AllowNodes443", "properties": {
        "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
        "sourceAddressPrefix": "10.50.1.0/24", "sourcePortRange": "*",
        "destinationAddressPrefix": "*", "destinationPortRange": "443"}},
        {"name": "DenyAll", "properties": {
            "priority": 4096, "direction": "Inbound", "access": "Deny", "protocol": "*",
            "sourceAddressPrefix": "*", "sourcePortRange": "*",
            "destinationAddressPrefix": "*", "destinationPortRange": "*"}}]
    profile: dict[str, Any] = {"networkPlugin": plugin, "networkPolicy": "calico"}
    if pod_cidr:
        profile["podCidr"] = pod_cidr
    return [
        {"id": VNET, "name": "vnet", "type": "Microsoft.Network/virtualNetworks", "location": "eastus",
         "properties": {"addressSpace": {"addressPrefixes": ["10.50.0.0/16"]}, "subnets": [
             {"id": f"{VNET}/subnets/nodes", "name": "nodes", "properties": {"addressPrefix": "10.50.1.0/24"}},
             {"id": f"{VNET}/subnets/vms", "name": "vms", "properties": {
                 "addressPrefix": "10.50.2.0/24", "networkSecurityGroup": {"id": f"{SUB}/networkSecurityGroups/nsg-vms"}}}]}},
        {"id": f"{SUB}/networkSecurityGroups/nsg-vms", "name": "nsg-vms",
         "type": "Microsoft.Network/networkSecurityGroups", "location": "eastus",
         "properties": {"securityRules": nsg_rules}},
        {"id": f"{SUB}/networkInterfaces/nic-vm", "name": "nic-vm", "type": "Microsoft.Network/networkInterfaces",
         "location": "eastus", "properties": {"ipConfigurations": [{"name": "ip", "properties": {
             "privateIPAddress": "10.50.2.4", "subnet": {"id": f"{VNET}/subnets/vms"}}}]}},
        {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks",
         "name": "aks", "type": "Microsoft.ContainerService/managedClusters", "location": "eastus",
         "properties": {"networkProfile": profile, "agentPoolProfiles": [
             {"name": "p", "count": 2, "vnetSubnetID": f"{VNET}/subnets/nodes"}]}},
    ]


def engine(tmp_path: Path, plugin: str, pod_cidr: str | None = None) -> Engine:
    (tmp_path / "estate.json").write_text(json.dumps(estate(plugin, pod_cidr)))
    manifests = write(tmp_path / "k8s", deployment("app", "web", {"app": "web"}, [8080], replicas=2),
                      deployment("app", "job", {"app": "job"}, [80]),
                      policy("app", "web", {"podSelector": {"matchLabels": {"app": "web"}},
                                            "ingress": [{"ports": [{"port": 8080}]}]}))
    return Engine(load_estate([tmp_path / "estate.json", manifests]))


def reach(e: Engine, a: str, b: str, port: int):  # type: ignore[no-untyped-def]
    return e.reach(e.endpoint(a), e.endpoint(b), Service(6, (port, port)))


def test_azure_cni_pods_are_node_subnet_addresses(tmp_path: Path) -> None:
    e = engine(tmp_path, "azure")
    (cluster,) = e.estate.of(KubeCluster)
    assert cluster.pod_addressing == "node-subnet"
    # namespace by namespace, then kind and name: app/job first
    assert {w.name: str(w.addresses[0]) for w in e.estate.of(Workload)} == {
        "job": "10.50.1.4", "web": "10.50.1.5-10.50.1.6"}
    out = reach(e, "app/web", "nic-vm", 443)                  # the pod's own address: the NSG
    assert out.verdict == "allowed" and "src" not in out.arrived[0].branch.changed
    back = reach(e, "nic-vm", "app/web", 8080)                # the VNet reaches the pods
    assert back.verdict == "allowed" and back.arrived[0].hops[-2].kind == "k8s-ingress"
    assert reach(e, "nic-vm", "app/web", 8081).verdict == "denied"


def test_kubenet_snat_and_unroutable_pods(tmp_path: Path) -> None:
    e = engine(tmp_path, "kubenet", "10.244.0.0/16")
    (cluster,) = e.estate.of(KubeCluster)
    assert (cluster.pod_addressing, str(cluster.address_pool[0])) == ("pod-cidr", "10.244.0.0/16")
    assert str(next(w for w in e.estate.of(Workload) if w.name == "web").addresses[0]) == "10.244.0.2-10.244.0.3"
    out = reach(e, "app/web", "nic-vm", 443)
    assert out.verdict == "allowed"                          # judged with the sender's address ...
    path = out.arrived[0]
    assert [h.kind for h in path.hops][:2] == ["k8s-egress", "k8s-snat"]
    assert "src" in path.branch.changed                      # ... but it arrives from a node
    src = path.branch.packets.witness()
    assert src is not None and 0x0A320100 <= src.src <= 0x0A3201FF
    assert reach(e, "nic-vm", "app/web", 8080).verdict == "denied"     # pod CIDR: no route
    inside = reach(e, "app/job", "app/web", 8080)
    assert inside.verdict == "allowed" and [h.kind for h in inside.arrived[0].hops] == [
        "k8s-egress", "k8s-network", "k8s-ingress", "deliver"]


def test_subnet_endpoints_still_count_pods(tmp_path: Path) -> None:
    e = engine(tmp_path, "azure")
    # arriving at a pod address of the node subnet is arriving in that subnet (after the
    # pod's ingress policy)
    assert reach(e, "nic-vm", "nodes", 8080).verdict == "allowed"
    refused = reach(e, "nic-vm", "nodes", 8081)               # web's pods admit only 8080
    assert refused.verdict == "partial"
    web = e.addresses_of(e.endpoint("app/web"), "dst")
    assert not refused.allowed & web and refused.allowed & e.addresses_of(e.endpoint("app/job"), "dst")
