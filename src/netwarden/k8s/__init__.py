"""Kubernetes inside the estate: manifests in, NetworkPolicy semantics as packet sets out.

Layers, one way like the rest of netwarden:

- :mod:`.model` — clusters, namespaces, workloads, services, NetworkPolicies (no I/O);
- :mod:`.documents`, :mod:`.manifests` — the ingest side: YAML/JSON manifests to the model,
  located errors, cluster assignment, synthetic pod addresses;
- :mod:`.policy` — the semantics of NetworkPolicies as exact packet sets (engine level);
- :mod:`.network` — pods as endpoints of the engine's walk: egress policy, the node
  subnet's NSG and routes, ingress policy; :mod:`.endpoints` names them;
- :mod:`.matrix` — the workload connectivity map.

See ``docs/kubernetes.md``.
"""
