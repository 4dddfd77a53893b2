"""Terraform plans and states (``terraform show -json``), for the azurerm provider.

Each azurerm resource is translated into an Azure-shaped raw resource (the ARM/REST
property names), so the one builder gives it its meaning; see :mod:`.translate` for the
mapping, :mod:`.refs` for how references unknown in a plan are resolved. Every raw
resource is located at its Terraform address, so findings name it. Other providers'
resources are counted as unknown types.
"""

from __future__ import annotations

from typing import Any

from netwarden.ingest.interface import LoadOptions, RawResource
from netwarden.ingest.terraform.plan import Plan
from netwarden.ingest.terraform.translate import KINDS, translate
from netwarden.model.estate import Diagnostic
from netwarden.model.values import Location


class TerraformAdapter:
    name = "terraform"

    def detect(self, document: Any) -> bool:
        return isinstance(document, dict) and (
            "planned_values" in document or ("format_version" in document and "values" in document))

    def resources(self, document: Any, location: Location,
                  options: LoadOptions | None = None) -> list[RawResource]:
        options = options if options is not None else LoadOptions()
        plan = Plan.read(document, location)
        where = Location(location.file)
        if plan.errored:
            options.warnings.append(Diagnostic(
                "incomplete-plan", "the plan reports errors (\"errored\": true): it may be "
                "incomplete", where))
        if not any(i.type.startswith("azurerm_") and i.mode == "managed" for i in plan.instances):
            options.warnings.append(Diagnostic(
                "no-azure-resources", f"no azurerm resource in this Terraform {plan.kind}: "
                "nothing to analyse", where))
        return translate(plan, options)


ADAPTER = TerraformAdapter()

__all__ = ["ADAPTER", "KINDS", "TerraformAdapter"]
