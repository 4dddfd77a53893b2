"""The report document: a list of sections, rendered into one self-contained HTML file.

A section is a complete result object seen one way (the estate diagram, the findings, a
matrix ...). It names its template and the variables for it, and may hand data to the
page's script as JSON. New analyses (``flows analyze``) plug in by writing a ``Section``
subclass; the document, its styles, its script and its safety rules come for free:

    class FlowsSection(Section):
        id, title, template, component = "flows", "Flows", "flows", "flows"
        def context(self): return {...}              # autoescaped by the template
        def data(self): return {...}                 # JSON for the "flows" component
    html = render_report("netwarden flows", [FlowsSection(result)],
                         templates={"flows": FLOWS_TEMPLATE}, scripts=[FLOWS_JS])

A component script registers ``NW.components.flows = function (root, data) {...}``;
``root`` is the section element, ``data`` the parsed JSON (or null).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from netwarden import __version__
from netwarden.report.html.assets import CSS, SCRIPT
from netwarden.report.html.safe import csp_hash, environment, json_for_script
from netwarden.report.html.templates import TEMPLATES


class Section:
    """One part of a report (one tab)."""

    id: str = ""               # the anchor and the JSON block's id: [a-z0-9-]
    title: str = ""
    template: str = ""         # a name in the template set
    component: str = ""        # the script component that brings it to life ("" for none)

    def badge(self) -> tuple[str, str] | None:
        """A short text next to the tab title and its colour class, e.g. ("25", "sev-critical")."""
        return None

    def context(self) -> Mapping[str, Any]:
        """The template's variables. Values from the input stay plain strings: the template
        escapes them."""
        return {}

    def data(self) -> Any | None:
        """JSON-serialisable data for the component's script, or None."""
        return None


@dataclass
class _Rendered:
    id: str
    title: str
    component: str
    html: Markup
    data: Markup | None
    badge: str
    badge_class: str


def render_report(title: str, sections: Sequence[Section], *, meta: Iterable[str] = (),
                  generated: datetime | None = None, templates: Mapping[str, str] | None = None,
                  scripts: Sequence[str] = ()) -> str:
    """The complete HTML document. ``templates`` and ``scripts`` add to the built-in ones
    (for sections defined outside this package)."""
    env = environment({**TEMPLATES, **(templates or {})})
    ids = [s.id for s in sections]
    if len(set(ids)) != len(ids) or not all(i and i.replace("-", "").isalnum() for i in ids):
        raise ValueError(f"section ids must be unique, [a-z0-9-]: {ids}")
    rendered = []
    for section in sections:
        html = env.get_template(section.template).render(**section.context())
        data = section.data()
        badge = section.badge()
        rendered.append(_Rendered(section.id, section.title, section.component, Markup(html),
                                  None if data is None else json_for_script(data),
                                  badge[0] if badge else "", badge[1] if badge else ""))
    all_scripts = [SCRIPT, *[s for s in scripts if s]]
    for script in all_scripts:
        if "</script" in script.lower() or "<!--" in script:
            raise ValueError("an inline script may not contain '</script' or '<!--'")
    csp = "; ".join([
        "default-src 'none'",
        "script-src " + " ".join(csp_hash(s) for s in all_scripts),
        f"style-src {csp_hash(CSS)}",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
    ])
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    return env.get_template("document").render(
        title=title, meta=[*meta, f"generated {when}", f"netwarden {__version__}"],
        sections=rendered, css=Markup(CSS), scripts=[Markup(s) for s in all_scripts],
        csp=csp, version=__version__)
