"""The catalogue: every check, in documentation order. A new check is one module and one
line here."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from netwarden.checks.base import Check

AREAS = ("edge", "seg", "paas", "hyb", "mon", "k8s")


@cache
def all_checks() -> list[Check]:
    """One instance of every Check subclass defined in the area packages, sorted by ID."""
    for area in AREAS:
        try:
            package = importlib.import_module(f"netwarden.checks.{area}")
        except ModuleNotFoundError:
            continue
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
    found = {cls.id: cls() for cls in _subclasses(Check) if getattr(cls, "id", None)}
    return [found[k] for k in sorted(found, key=_order)]


def get(check_id: str) -> Check | None:
    return next((c for c in all_checks() if c.id == check_id.upper()), None)


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def _order(check_id: str) -> tuple[int, str]:
    prefix = check_id.rstrip("0123456789").lower()
    return (AREAS.index(prefix) if prefix in AREAS else len(AREAS), check_id)
