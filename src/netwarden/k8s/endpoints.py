"""Naming pods on the command line and in intents: ``namespace/name`` (a Deployment,
StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or bare Pod; else a Service, standing for
the pods it selects), ``namespace/kind/name``, ``cluster/namespace/name``,
``cluster/namespace/kind/name``, ``namespace/*`` (every pod of a namespace) and the
``k8s://...`` IDs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from netwarden.engine.endpoints import Endpoint, EndpointError
from netwarden.k8s.model import PLURALS, KubeCluster, KubeService, Namespace, Workload
from netwarden.model import ids
from netwarden.model.estate import Estate

_KINDS = {k.lower(): k for k in PLURALS} | {v: k for k, v in PLURALS.items()}


def pods_endpoint(label: str, workloads: Iterable[Workload]) -> Endpoint:
    chosen = tuple(w for w in workloads if w.addresses)
    prefixes = tuple(p for w in chosen for p in w.addresses)
    return Endpoint("pods", label, prefixes=prefixes, workloads=chosen)


def resolve_workloads(text: str, estate: Estate) -> Endpoint:
    """The pods ``text`` names. Raises EndpointError when it names none, or several."""
    workloads = estate.of(Workload)
    if not estate.of(KubeCluster):
        raise EndpointError(f"{text!r} looks like a Kubernetes workload (namespace/name), but "
                            "the input holds no Kubernetes manifests")
    if text.lower().startswith("k8s://"):
        found = estate.get(text)
        if isinstance(found, Workload):
            return _checked(text, [found])
        if isinstance(found, KubeService):
            return _checked(text, _selected(found, workloads))
        if isinstance(found, Namespace):
            return _checked(text, [w for w in workloads if ids.key(w.cluster) == ids.key(found.cluster)
                                   and w.namespace == found.name])
        if isinstance(found, KubeCluster):
            return _checked(text, [w for w in workloads if ids.key(w.cluster) == ids.key(found.id)])
        raise EndpointError(f"no Kubernetes workload with ID {text!r}")
    parts = text.split("/")
    cluster = kind = None
    if len(parts) == 2:
        namespace, name = parts
    elif len(parts) == 3 and parts[1].lower() in _KINDS:
        namespace, kind, name = parts
    elif len(parts) == 3:
        cluster, namespace, name = parts
    elif len(parts) == 4:
        cluster, namespace, kind, name = parts
    else:
        raise EndpointError(f"{text!r}: name pods as namespace/name (or namespace/kind/name, "
                            "cluster/namespace/name)")
    wanted_kind = _KINDS.get(kind.lower()) if kind else None
    if kind and wanted_kind is None:
        raise EndpointError(f"{text!r}: {kind!r} is not a workload kind")
    candidates = [w for w in workloads if w.namespace == namespace
                  and (cluster is None or ids.name_from_id(w.cluster) == cluster)]
    if name == "*" and wanted_kind is None:
        if not candidates:
            raise EndpointError(f"no workload in namespace {namespace!r}")
        return _checked(text, candidates)
    found = [w for w in candidates if w.name == name and (wanted_kind is None or w.kind == wanted_kind)]
    if not found and wanted_kind in (None, "Service"):
        services = [s for s in estate.of(KubeService) if s.namespace == namespace and s.name == name
                    and (cluster is None or ids.name_from_id(s.cluster) == cluster)]
        if len(services) == 1:
            return _checked(text, _selected(services[0], candidates))
    if not found:
        raise EndpointError(f"no workload or service named {text!r} (known in {namespace!r}: "
                            f"{', '.join(sorted({w.name for w in candidates})) or 'none'})")
    if len({(w.cluster, w.kind) for w in found}) > 1:
        listing = "\n  ".join(f"{ids.name_from_id(w.cluster)}/{w.namespace}/{w.kind.lower()}/{w.name}"
                              for w in found)
        raise EndpointError(f"{text!r} is ambiguous; name one of:\n  {listing}")
    return _checked(text, found)


def segment_pods(estate: Estate, segment: str, selector: Mapping[str, object]) -> Endpoint:
    """An intent segment ``k8s: {namespace: shop, labels: {app: web}, cluster: NAME}``: the
    pods of the workloads in that namespace (every namespace when left out) whose pod labels
    include ``labels``. Raises EndpointError when it selects no pod."""
    if not estate.of(KubeCluster):
        raise EndpointError(f"segment {segment!r}: a k8s selector needs Kubernetes manifests "
                            "among the inputs")
    namespace = selector.get("namespace")
    cluster = selector.get("cluster")
    labels = selector.get("labels") or {}
    assert isinstance(labels, Mapping)
    chosen = [w for w in estate.of(Workload)
              if (namespace is None or w.namespace == namespace)
              and (cluster is None or ids.name_from_id(w.cluster) == cluster
                   or ids.key(w.cluster) == ids.key(str(cluster)))
              and all(w.labels.get(str(k)) == str(v) for k, v in labels.items())]
    if not any(w.addresses for w in chosen):
        raise EndpointError(f"segment {segment!r}: the k8s selector {dict(selector)} selects no pod")
    return pods_endpoint(segment, chosen)


def _selected(service: KubeService, workloads: Iterable[Workload]) -> list[Workload]:
    """The workloads a Service's selector picks (none without a selector)."""
    selector: Mapping[str, str] | None = service.selector
    if not selector:
        return []
    return [w for w in workloads if ids.key(w.cluster) == ids.key(service.cluster)
            and w.namespace == service.namespace and all(w.labels.get(k) == v for k, v in selector.items())]


def _checked(text: str, workloads: list[Workload]) -> Endpoint:
    if not any(w.addresses for w in workloads):
        what = ", ".join(f"{w.kind} {w.qualified}" for w in workloads) or "it selects no workload"
        raise EndpointError(f"{text!r} has no pods ({what}: no replicas, or host network)")
    return pods_endpoint(text, workloads)


__all__ = ["pods_endpoint", "resolve_workloads", "segment_pods"]
