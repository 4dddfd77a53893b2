"""The estate every command reads, and the options that say how: what ``ESTATE...``,
``--input-format``, ``--parameters``, ``--cluster`` and ``--service-tags`` mean is one
thing for ``reach`` and for ``flows analyze --estate`` alike. Loading failures are the
located one-line error (exit 2), with the traceback only under ``--debug``."""

from __future__ import annotations

import gc
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from netwarden.exits import fail
from netwarden.ingest import IngestError, load_estate
from netwarden.model.estate import Estate

if TYPE_CHECKING:
    from netwarden.engine import Engine

# debug: tracebacks instead of one-line errors; process: run as the command (not in-process)
state = {"debug": False, "process": False}


class InputFormat(str, Enum):
    auto = "auto"
    azure = "azure"
    terraform = "terraform"
    arm = "arm"


InputFormatOption = Annotated[InputFormat, typer.Option(
    "--input-format", help="Format of the estate files (default: detected per file).")]
ParametersOption = Annotated[Path | None, typer.Option(
    "--parameters", help="ARM deployment parameters file for ARM template inputs.")]
ClusterOption = Annotated[str | None, typer.Option(
    "--cluster", metavar="NAME_OR_ID",
    help="The AKS cluster (name or ID) that Kubernetes manifests outside clusters/<name>/ belong to.")]
ServiceTagsOption = Annotated[Path | None, typer.Option(
    "--service-tags", help="Azure's ServiceTags JSON file, to resolve regional/service tags.")]


def load(paths: list[Path], input_format: InputFormat = InputFormat.auto,
         parameters: Path | None = None, cluster: str | None = None) -> Estate:
    """Load the estate or fail with the located error (exit 2)."""
    from netwarden.ingest.interface import LoadOptions

    try:
        estate = load_estate(paths, input_format=None if input_format is InputFormat.auto
                             else input_format.value, options=LoadOptions(parameters=parameters),
                             cluster=cluster)
    except IngestError as exc:
        if state["debug"]:
            raise
        fail(str(exc))
    if state["process"]:
        # The estate lives as long as the process: Python's cycle collector need never scan
        # its millions of objects again (on large estates, a third of a query's time).
        gc.freeze()
    return estate


def engine_for(estate: list[Path], service_tags: Path | None,
               input_format: InputFormat = InputFormat.auto, parameters: Path | None = None,
               cluster: str | None = None) -> Engine:
    """The estate loaded, and the engine over it with the service tags given."""
    from netwarden.engine import Engine
    from netwarden.ingest.servicetags import load_service_tags

    loaded = load(estate, input_format, parameters, cluster)
    try:
        tags = load_service_tags(service_tags) if service_tags else None
    except IngestError as exc:
        fail(str(exc))
    return Engine(loaded, tags)
