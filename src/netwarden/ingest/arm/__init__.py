"""ARM deployment templates (what Bicep compiles to), evaluated offline.

``netwarden.ingest.arm.ADAPTER`` reads a template (with ``--parameters FILE`` for its
parameters) and yields the resources a deployment of it would create, Azure-shaped, for
the shared builder. See :mod:`netwarden.ingest.arm.template` for what is evaluated and
:mod:`netwarden.ingest.arm.functions` for the template functions.
"""

from __future__ import annotations

from typing import Any

from netwarden.ingest.arm.template import load_template
from netwarden.ingest.interface import LoadOptions, RawResource
from netwarden.model.values import Location


class ArmTemplateAdapter:
    name = "arm"

    def detect(self, document: Any) -> bool:
        return isinstance(document, dict) and "deploymenttemplate" in str(
            document.get("$schema", "")).lower()

    def resources(self, document: Any, location: Location,
                  options: LoadOptions | None = None) -> list[RawResource]:
        return load_template(document, location, options if options is not None else LoadOptions())


ADAPTER = ArmTemplateAdapter()

__all__ = ["ADAPTER", "ArmTemplateAdapter"]
