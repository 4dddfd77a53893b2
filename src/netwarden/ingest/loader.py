"""Files and directories in, one merged :class:`~netwarden.model.Estate` out.

Each file's format is detected from its content (overridable); every adapter yields
Azure-shaped raw resources that one builder turns into the model.
"""

from __future__ import annotations

import functools
import gc
import importlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from netwarden.ingest import jsonc
from netwarden.ingest.build import build_estate
from netwarden.ingest.interface import Adapter, IngestError, LoadOptions, RawResource
from netwarden.k8s.documents import YAML_SUFFIXES, KNode, is_manifest, read_yaml
from netwarden.model import snapshot
from netwarden.model.estate import Diagnostic, Estate
from netwarden.model.values import Location

FORMATS = ("azure", "terraform", "arm")
_DESCRIPTIONS = {"arm": "an ARM deployment template", "terraform": "a Terraform plan",
                 "flowlog": "a flow log (use `netwarden flows`)"}


@functools.cache
def adapter(name: str) -> Adapter | None:
    """The adapter of a format: module ``netwarden.ingest.<name>`` exposes ``ADAPTER``."""
    if name not in FORMATS:
        return None
    try:
        module = importlib.import_module(f"netwarden.ingest.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"netwarden.ingest.{name}":
            return None
        raise
    return module.ADAPTER  # type: ignore[no-any-return]
ESTATE_SUFFIXES = (".json", ".jsonc")
MANIFEST_SUFFIXES = YAML_SUFFIXES      # Kubernetes manifests (netwarden.k8s)
# Far beyond any real export (Azure resources nest a dozen levels); keeps every recursive
# walk of a document (duplicate comparison, adapters) clear of Python's recursion limit.
MAX_DEPTH = 100


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, and every estate file below the directories named (sorted)."""
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and p.suffix.lower() in
                                (*ESTATE_SUFFIXES, *MANIFEST_SUFFIXES)))
        elif path.is_file():
            files.append(path)
        else:
            raise IngestError(Location(str(path)), "no such file or directory")
    return files


def read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(Location(str(path)), f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise IngestError(Location(str(path)), f"cannot read: {exc.strerror}") from None
    try:
        document = jsonc.loads(text, str(path))
    except RecursionError:
        document = None
    else:
        if _surely_shallow(raw, MAX_DEPTH) or _depth_within(document, MAX_DEPTH):
            return document
    raise IngestError(Location(str(path)), f"JSON nested too deeply (over {MAX_DEPTH} levels)")


_BRACKETS_ONLY = bytes(b for b in range(256) if b not in b"[]{}")


def _surely_shallow(raw: bytes, limit: int) -> bool:
    """A fast test (C-speed byte operations): the document's brackets close within
    ``limit`` rounds of removing innermost pairs. Brackets inside strings can fool it only
    in contrived inputs (balanced runs of brackets in strings on either side of the deep
    point); when it fails the exact walk decides, and a RecursionError in the build is
    reported as the same input error."""
    brackets = raw.translate(None, _BRACKETS_ONLY)
    for _ in range(limit):
        if not brackets:
            return True
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if len(shorter) == len(brackets):
            return False
        brackets = shorter
    return not brackets


def _depth_within(document: Any, limit: int) -> bool:
    """Whether no list or object in ``document`` is nested deeper than ``limit`` (iterative)."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            if depth > limit:
                return False
            items = value.values() if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)
    return True


def detect(document: Any) -> str | None:
    """The name of the format of a parsed document, or None."""
    if is_manifest(document):
        return "k8s"
    if isinstance(document, dict):
        schema = str(document.get("$schema", ""))
        if "deploymenttemplate" in schema.lower():   # also subscription/managementGroup/tenant
            return "arm"
        if "planned_values" in document or ("format_version" in document and "values" in document):
            return "terraform"
        if "records" in document or "flowRecords" in document:
            return "flowlog"
    azure = adapter("azure")
    return "azure" if azure is not None and azure.detect(document) else None


def load_estate(paths: Sequence[str | Path], *, input_format: str | None = None,
                options: LoadOptions | None = None, cluster: str | None = None) -> Estate:
    """Load and merge every input into one estate. Raises IngestError on invalid input.
    Kubernetes manifests (YAML, or ``kubectl -o json``) join the estate's cluster named by
    ``cluster`` (an AKS cluster's name or ID; see :mod:`netwarden.k8s.manifests`).

    Loading allocates millions of small objects that all live on; Python's cycle collector
    would scan them again and again (about a third of the time on large estates), so it is
    paused while loading."""
    snapshots = [p for p in paths if Path(p).is_file() and snapshot.is_snapshot(p)]
    enabled = gc.isenabled()
    gc.disable()
    try:
        if snapshots:
            return _restore(paths, snapshots)
        return _load(paths, input_format, options or LoadOptions(), cluster)
    finally:
        if enabled:
            gc.enable()


def _restore(paths: Sequence[str | Path], snapshots: list[str | Path]) -> Estate:
    """An estate saved by ``netwarden snapshot`` (see :mod:`netwarden.model.snapshot`)."""
    path = snapshots[0]
    if len(paths) > 1:
        raise IngestError(Location(str(path)), "a snapshot holds a whole estate: give it as the "
                          "only input (snapshot the other inputs with it instead)")
    try:
        estate, changed = snapshot.read(path)
    except snapshot.SnapshotError as exc:
        raise IngestError(Location(str(path)), str(exc)) from None
    except OSError as exc:
        raise IngestError(Location(str(path)), f"cannot read: {exc.strerror}") from None
    for source in changed:
        estate.diagnostics.append(Diagnostic(
            "stale-snapshot", f"{source} has changed since this snapshot was written: the "
            "analysis is of the estate as it was then (run netwarden snapshot again)",
            Location(str(path))))
    return estate


def _load(paths: Sequence[str | Path], input_format: str | None, options: LoadOptions,
          cluster: str | None = None) -> Estate:
    raws: list[RawResource] = []
    diagnostics: list[Diagnostic] = []
    manifests: list[KNode] = []
    files = expand(paths)
    explicit = {str(Path(p)) for p in paths if Path(p).is_file()}
    for path in files:
        location = Location(str(path))
        if path.suffix.lower() in MANIFEST_SUFFIXES:
            documents = read_yaml(path)
            if documents and any(is_manifest(d.value) for d in documents):
                manifests.extend(documents)
            elif str(path) in explicit:
                raise IngestError(location, "not a Kubernetes manifest (apiVersion and kind expected)")
            else:
                diagnostics.append(Diagnostic("skipped-file", "skipped: YAML that is not a "
                                              "Kubernetes manifest", location))
            continue
        document = read_json(path)
        name = input_format or detect(document)
        if name == "k8s":
            manifests.append(KNode(document, str(path)))
            continue
        reader = adapter(name or "")
        if reader is None:
            what = _DESCRIPTIONS.get(name or "", "")
            message = (f"{what} is not an estate format this version reads" if what
                       else "not a recognised estate format (Azure resource JSON expected)")
            if str(path) in explicit:
                raise IngestError(location, message)
            diagnostics.append(Diagnostic("skipped-file", f"skipped: {message}", location))
            continue
        raws.extend(reader.resources(document, location, options))
    try:
        estate = build_estate(raws, diagnostics=[*diagnostics, *options.warnings],
                              sources=[str(p) for p in files])
    except RecursionError:
        raise IngestError(Location(str(files[-1]) if files else "<input>"),
                          f"JSON nested too deeply (over {MAX_DEPTH} levels)") from None
    if manifests:
        from netwarden.k8s.manifests import attach

        estate = attach(estate, manifests, cluster)
    return estate
