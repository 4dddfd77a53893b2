"""What every input adapter shares: the located input error, and the raw resource that
adapters hand to the model builder.

Every adapter (Azure resource JSON, Terraform plan, ARM template) turns its format into
*raw resources* in the Azure resource shape (``id``, ``type``, ``name``, ``properties``);
one builder (:mod:`netwarden.ingest.build`) turns those into the model, so the semantics
of a property are implemented once whatever format it came in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from netwarden.model.values import Location


class IngestError(Exception):
    """Invalid input: where it is, and what is wrong. The CLI prints it and exits 2."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


@dataclass(frozen=True, slots=True)
class RawResource:
    """One Azure-shaped resource object, before it is built into the model."""

    id: str
    type: str                 # as written; compare lower-cased
    name: str
    node: Any                 # netwarden.ingest.node.Node of the resource object
    parent_id: str | None = None

    @property
    def type_key(self) -> str:
        return self.type.lower()


@dataclass
class LoadOptions:
    """What the command line tells adapters beyond the files themselves."""

    parameters: Any = None            # ARM: a deployment parameters file (Path)
    warnings: list[Any] = field(default_factory=list)   # adapters append Diagnostics here


class Adapter(Protocol):
    """An input format: ``netwarden.ingest.<name>`` exposes one as ``ADAPTER``."""

    name: str

    def detect(self, document: Any) -> bool:
        """Whether a parsed document is in this format."""

    def resources(self, document: Any, location: Location, options: LoadOptions) -> list[RawResource]:
        """The raw resources (Azure-shaped) of a parsed document. Raises IngestError;
        reports what it could only partly read as located warnings in ``options.warnings``."""
