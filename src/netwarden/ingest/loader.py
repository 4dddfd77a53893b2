"""Files and directories in, one merged :class:`~netwarden.model.Estate` out.

Each file's format is detected from its content (overridable); every adapter yields
Azure-shaped raw resources that one builder turns into the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

from netwarden.ingest import jsonc
from netwarden.ingest.azure import AzureJsonAdapter
from netwarden.ingest.build import build_estate
from netwarden.ingest.interface import Adapter, IngestError, RawResource
from netwarden.model.estate import Diagnostic, Estate
from netwarden.model.values import Location

ADAPTERS: dict[str, Adapter] = {"azure": AzureJsonAdapter()}
ESTATE_SUFFIXES = (".json", ".jsonc")
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
                                if p.is_file() and p.suffix.lower() in ESTATE_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            raise IngestError(Location(str(path)), "no such file or directory")
    return files


def read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(Location(str(path)), f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise IngestError(Location(str(path)), f"cannot read: {exc.strerror}") from None
    try:
        document = jsonc.loads(text, str(path))
    except RecursionError:
        document = None
    else:
        if _depth_within(document, MAX_DEPTH):
            return document
    raise IngestError(Location(str(path)), f"JSON nested too deeply (over {MAX_DEPTH} levels)")


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
    if isinstance(document, dict):
        schema = str(document.get("$schema", ""))
        if "deploymentTemplate" in schema:
            return "arm"
        if "planned_values" in document or ("format_version" in document and "values" in document):
            return "terraform"
        if "records" in document or "flowRecords" in document:
            return "flowlog"
    for name, adapter in ADAPTERS.items():
        if adapter.detect(document):
            return name
    return None


def load_estate(paths: Sequence[str | Path], *, input_format: str | None = None) -> Estate:
    """Load and merge every input into one estate. Raises IngestError on invalid input."""
    raws: list[RawResource] = []
    diagnostics: list[Diagnostic] = []
    files = expand(paths)
    explicit = {str(Path(p)) for p in paths if Path(p).is_file()}
    for path in files:
        document = read_json(path)
        location = Location(str(path))
        name = input_format or detect(document)
        adapter = ADAPTERS.get(name or "")
        if adapter is None:
            what = {"arm": "an ARM deployment template", "terraform": "a Terraform plan",
                    "flowlog": "a flow log (use `netwarden flows`)"}.get(name or "", "")
            message = (f"{what} is not an estate format this version reads" if what
                       else "not a recognised estate format (Azure resource JSON expected)")
            if str(path) in explicit:
                raise IngestError(location, message)
            diagnostics.append(Diagnostic("skipped-file", f"skipped: {message}", location))
            continue
        raws.extend(adapter.resources(document, location))
    return build_estate(raws, diagnostics=diagnostics, sources=[str(p) for p in files])
