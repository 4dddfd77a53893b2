"""``flows analyze``: what the logs show, as a report page.

Summary cards (tuples, allowed, denied, bytes, malformed by reason), the tuples per time
bucket (allowed and denied stacked, an SVG drawn here), top talkers and top denied flows and
internet traffic per destination port (bar charts with their tables), with an intent the
violations and the blocked required flows, with an estate the NICs and subnet pairs, and the
anomalies. Every figure comes from the same ``Analysis.to_json()`` as ``--format json`` (the
whole of it is in the page as a JSON block); only the time series is computed here, with one
SQL query over the store's ``flows`` view.

The charts are server-side SVG with presentation attributes (no inline styles, which the
report's CSP forbids) and every label autoescaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netwarden.report.html.document import Section, render_report

if TYPE_CHECKING:
    import duckdb

    from netwarden.flows.analyze import Analysis

ALLOW_COLOUR, DENY_COLOUR, BAR_COLOUR = "#1a7f37", "#cf222e", "#0969da"
MAX_BUCKETS = 60
# bucket widths in milliseconds, the first that keeps the window within MAX_BUCKETS is used
_WIDTHS = [s * 1000 for s in (1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600,
                              12 * 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400)]

SERIES = """
SELECT CAST(FLOOR((f.ts_ms - {start}) / {width}) AS BIGINT) AS bucket, COUNT(*) AS tuples,
       {allowed} AS allowed, {denied} AS denied
FROM flows f
WHERE f.ts_ms IS NOT NULL
GROUP BY CAST(FLOOR((f.ts_ms - {start}) / {width}) AS BIGINT)
ORDER BY bucket
"""


def bucket_width(first_ms: int, last_ms: int, limit: int = MAX_BUCKETS) -> int:
    span = max(0, last_ms - first_ms)
    for width in _WIDTHS:
        if span // width + 2 <= limit:
            return width
    return _WIDTHS[-1]


def flow_series(con: duckdb.DuckDBPyConnection, limit: int = MAX_BUCKETS) -> dict[str, Any]:
    """Tuples per time bucket over the ``flows`` view (``Store.open_flows``): ``width_ms``,
    and ``buckets`` [{start_ms, tuples, allowed, denied}] without gaps (empty buckets are 0)."""
    from netwarden.flows.queries import ALLOWED, DENIED

    first, last = con.execute("SELECT MIN(f.ts_ms), MAX(f.ts_ms) FROM flows f").fetchall()[0]
    if first is None:
        return {"width_ms": 0, "buckets": []}
    width = bucket_width(first, last, limit)
    start = first // width * width
    found = {b: (t, a or 0, d or 0) for b, t, a, d in con.execute(
        SERIES.format(start=int(start), width=int(width), allowed=ALLOWED, denied=DENIED)).fetchall()}
    count = (last - start) // width + 1
    buckets = []
    for i in range(count):
        tuples, allowed, denied = found.get(i, (0, 0, 0))
        buckets.append({"start_ms": start + i * width, "tuples": tuples, "allowed": allowed,
                        "denied": denied})
    return {"width_ms": width, "buckets": buckets}


def _when(ms: int, with_date: bool) -> str:
    moment = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def _span(width_ms: int) -> str:
    seconds = width_ms // 1000
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _nice(value: float) -> int:
    """The smallest 1/2/5 x 10^n at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def time_chart(series: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stacked column chart of ``flow_series`` as geometry for the template."""
    buckets = series.get("buckets") or []
    if not buckets:
        return None
    width, height, left, right, top, bottom = 900, 240, 56, 12, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice(max(b["allowed"] + b["denied"] for b in buckets))
    step = plot_w / len(buckets)
    bar = max(1.0, step * 0.8)
    first, last = buckets[0]["start_ms"], buckets[-1]["start_ms"]
    with_date = dt.datetime.fromtimestamp(first / 1000, dt.UTC).date() != \
        dt.datetime.fromtimestamp(last / 1000, dt.UTC).date()
    columns = []
    for i, b in enumerate(buckets):
        x = left + i * step + (step - bar) / 2
        ha = plot_h * b["allowed"] / peak
        hd = plot_h * b["denied"] / peak
        base = top + plot_h
        columns.append({
            "x": round(x, 1), "w": round(bar, 1),
            "ya": round(base - ha, 1), "ha": round(ha, 1),
            "yd": round(base - ha - hd, 1), "hd": round(hd, 1),
            "title": f"{_when(b['start_ms'], True)} UTC (+{_span(series['width_ms'])}): "
                     f"{b['tuples']:,} tuples, {b['allowed']:,} allowed, {b['denied']:,} denied",
            "tuples": b["tuples"], "allowed": b["allowed"], "denied": b["denied"]})
    ticks = []
    every = max(1, len(buckets) // 6)
    for i in range(0, len(buckets), every):
        ticks.append({"x": round(left + i * step + step / 2, 1),
                      "text": _when(buckets[i]["start_ms"], with_date)})
    grid = [{"y": round(top + plot_h - plot_h * f, 1), "text": f"{int(peak * f):,}"}
            for f in (0, 0.5, 1) if f == 0 or peak * f == int(peak * f)]
    return {"width": width, "height": height, "left": left, "right": width - right,
            "bottom": top + plot_h, "columns": columns, "ticks": ticks, "grid": grid,
            "label_y": height - 10, "bucket": _span(series["width_ms"]),
            "allow": ALLOW_COLOUR, "deny": DENY_COLOUR}


def bar_chart(rows: Sequence[Mapping[str, Any]], label: str, parts: Sequence[tuple[str, str]],
              unit: str = "tuples") -> dict[str, Any] | None:
    """Horizontal bars, one per row, stacked from the ``parts`` (key, colour); labelled by the
    row's ``label`` key."""
    if not rows:
        return None
    width, row_h, label_w, value_w = 900, 22, 260, 110
    plot_w = width - label_w - value_w
    totals = [sum(int(r.get(k) or 0) for k, _ in parts) for r in rows]
    peak = max(max(totals), 1)
    bars = []
    for i, (r, total) in enumerate(zip(rows, totals, strict=True)):
        y = 4 + i * row_h
        x: float = label_w
        segments = []
        for key, colour in parts:
            w = plot_w * int(r.get(key) or 0) / peak
            if w > 0:
                segments.append({"x": round(x, 1), "w": round(max(w, 1.0), 1), "fill": colour})
            x += w
        text = str(r.get(label) if r.get(label) is not None else "")
        bars.append({"y": y, "h": row_h - 6, "ty": y + row_h / 2 + 1, "label": _clip(text, 40),
                     "full": text, "segments": segments, "value": f"{total:,} {unit}",
                     "vx": round(x + 6, 1)})
    return {"width": width, "height": 8 + len(rows) * row_h, "label_x": label_w - 8, "bars": bars}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n} B"


MACROS = """\
{% macro bars(chart, aria) %}
{% if chart %}
<svg class="flows-chart bar-chart" width="{{ chart.width }}" height="{{ chart.height }}" viewBox="0 0 {{ chart.width }} {{ chart.height }}" role="img" aria-label="{{ aria }}" font-family="system-ui, sans-serif" font-size="12">
{% for b in chart.bars %}
  <g class="bar"><title>{{ b.full }}: {{ b.value }}</title>
    <text x="{{ chart.label_x }}" y="{{ b.ty }}" text-anchor="end" dominant-baseline="middle" fill="#1f2328">{{ b.label }}</text>
    {% for s in b.segments %}<rect x="{{ s.x }}" y="{{ b.y }}" width="{{ s.w }}" height="{{ b.h }}" fill="{{ s.fill }}"></rect>{% endfor %}
    <text x="{{ b.vx }}" y="{{ b.ty }}" dominant-baseline="middle" fill="#656d76">{{ b.value }}</text>
  </g>
{% endfor %}
</svg>
{% endif %}
{% endmacro %}

{% macro legend(items) %}
<div class="legend">{% for colour, label in items %}<span class="legend-item"><svg width="14" height="10" aria-hidden="true"><rect width="14" height="10" fill="{{ colour }}"></rect></svg>{{ label }}</span>{% endfor %}</div>
{% endmacro %}
"""

TRAFFIC = """\
{% import "flows-macros" as m %}
<div class="cards">
{% for card in cards %}
  <div class="card {{ card.cls }}" data-key="{{ card.key }}" data-value="{{ card.raw }}"><div class="card-value">{{ card.value }}</div><div class="card-label">{{ card.label }}</div></div>
{% endfor %}
</div>
{% if notes %}<ul class="notes">{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
<h3>Flows over time <span class="muted">(tuples per {{ chart.bucket if chart else "bucket" }}, UTC)</span></h3>
{% if chart %}
<svg class="flows-chart time-chart" id="flows-over-time" width="{{ chart.width }}" height="{{ chart.height }}" viewBox="0 0 {{ chart.width }} {{ chart.height }}" role="img" aria-label="tuples per time bucket, allowed and denied" font-family="system-ui, sans-serif" font-size="11">
  {% for g in chart.grid %}
  <line x1="{{ chart.left }}" x2="{{ chart.right }}" y1="{{ g.y }}" y2="{{ g.y }}" stroke="#d0d7de" stroke-width="1"></line>
  <text x="{{ chart.left - 6 }}" y="{{ g.y }}" text-anchor="end" dominant-baseline="middle" fill="#656d76">{{ g.text }}</text>
  {% endfor %}
  {% for c in chart.columns %}
  <g class="column" data-tuples="{{ c.tuples }}" data-allowed="{{ c.allowed }}" data-denied="{{ c.denied }}"><title>{{ c.title }}</title>
    {% if c.ha > 0 %}<rect class="allowed" x="{{ c.x }}" y="{{ c.ya }}" width="{{ c.w }}" height="{{ c.ha }}" fill="{{ chart.allow }}"></rect>{% endif %}
    {% if c.hd > 0 %}<rect class="denied" x="{{ c.x }}" y="{{ c.yd }}" width="{{ c.w }}" height="{{ c.hd }}" fill="{{ chart.deny }}"></rect>{% endif %}
  </g>
  {% endfor %}
  <line x1="{{ chart.left }}" x2="{{ chart.right }}" y1="{{ chart.bottom }}" y2="{{ chart.bottom }}" stroke="#8c959f" stroke-width="1"></line>
  {% for t in chart.ticks %}
  <text x="{{ t.x }}" y="{{ chart.bottom + 16 }}" text-anchor="middle" fill="#656d76">{{ t.text }}</text>
  {% endfor %}
</svg>
{{ m.legend([(chart.allow, "allowed"), (chart.deny, "denied")]) }}
{% else %}
<p class="muted">No tuple in the window.</p>
{% endif %}
<h3>Malformed input <span class="muted">({{ malformed.total|num }}, by reason)</span></h3>
{% if malformed.by_reason %}
<table class="grid malformed">
<thead><tr><th>reason</th><th>unit</th><th class="num">count</th><th>first example</th></tr></thead>
<tbody>
{% for r in malformed.by_reason %}
<tr data-reason="{{ r.reason }}"><td>{{ r.reason }}</td><td>{{ r.unit }}</td><td class="num">{{ r.count|num }}</td><td>{% if r.examples %}<code>{{ r.examples[0].file }}</code> {{ r.examples[0].position }}: {{ r.examples[0].detail }}{% endif %}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p class="muted">Nothing malformed.</p>
{% endif %}
{% if rules %}
<h3>Rule hits</h3>
<table class="grid rules">
<thead><tr>{% for k in rule_keys %}<th>{{ k }}</th>{% endfor %}</tr></thead>
<tbody>
{% for r in rules %}<tr>{% for k in rule_keys %}<td>{{ "" if r[k] is none else r[k] }}</td>{% endfor %}</tr>{% endfor %}
</tbody>
</table>
{% endif %}
"""

TALKERS = """\
{% import "flows-macros" as m %}
<h3>Top talkers <span class="muted">(source addresses by bytes; bars: tuples)</span></h3>
{% if talkers %}
{{ m.bars(talkers_chart, "top talkers, tuples allowed and denied") }}
{{ m.legend([(allow, "allowed"), (deny, "denied")]) }}
<table class="grid top-talkers">
<thead><tr><th>source</th><th class="num">tuples</th><th class="num">allowed</th><th class="num">denied</th><th class="num">bytes</th><th class="num">peers</th></tr></thead>
<tbody>
{% for t in talkers %}
<tr><td><code>{{ t.src_ip }}</code></td><td class="num">{{ t.tuples }}</td><td class="num">{{ t.allowed }}</td><td class="num">{{ t.denied }}</td><td class="num">{{ t.bytes }}</td><td class="num">{{ t.peers }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}<p class="muted">No traffic.</p>{% endif %}
<h3>Top denied <span class="muted">(source, destination, protocol, port, rule)</span></h3>
{% if denied %}
{{ m.bars(denied_chart, "top denied flows, tuples") }}
<table class="grid top-denied">
<thead><tr><th>source</th><th>destination</th><th>protocol</th><th class="num">port</th><th>rule</th><th class="num">tuples</th><th>first seen</th><th>last seen</th></tr></thead>
<tbody>
{% for d in denied %}
<tr><td><code>{{ d.src_ip }}</code></td><td><code>{{ d.dst_ip }}</code></td><td>{{ d.protocol }}</td><td class="num">{{ d.dst_port }}</td><td><code>{{ d.rule }}</code></td><td class="num">{{ d.tuples }}</td><td>{{ d.first_seen }}</td><td>{{ d.last_seen }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}<p class="muted">Nothing denied.</p>{% endif %}
"""

INTERNET = """\
{% import "flows-macros" as m %}
<p class="lead">Traffic to or from internet addresses, per direction, protocol and destination port.</p>
{% if ports %}
{{ m.bars(ports_chart, "internet traffic per destination port") }}
{{ m.legend([(allow, "allowed"), (deny, "denied")]) }}
<table class="grid internet-by-port">
<thead><tr><th>way</th><th>protocol</th><th class="num">port</th><th class="num">tuples</th><th class="num">allowed</th><th class="num">denied</th><th class="num">bytes</th><th class="num">internet hosts</th></tr></thead>
<tbody>
{% for p in ports %}
<tr class="{{ 'exposed' if p.way == 'inbound' and p.allowed else '' }}"><td>{{ p.way }}</td><td>{{ p.protocol }}</td><td class="num">{{ p.dst_port }}</td><td class="num">{{ p.tuples }}</td><td class="num">{{ p.allowed }}</td><td class="num">{{ p.denied }}</td><td class="num">{{ p.bytes }}</td><td class="num">{{ p.internet_hosts }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}<p class="muted">No internet traffic.</p>{% endif %}
"""

INTENT = """\
<div class="verdict {{ 'ok' if clean else 'bad' }}">{% if clean %}The traffic kept to the intent.{% else %}{{ violations|length }} allowed crossing(s) the intent does not permit, {{ blocked|length }} required crossing(s) denied.{% endif %}</div>
{% if unsegmented is not none %}<p class="muted">{{ unsegmented|num }} tuple(s) between addresses outside every segment were not judged.</p>{% endif %}
{% for g in groups %}
<h3>{{ g.title }} <span class="muted">({{ g.rows|length }}; {{ g.explain }})</span></h3>
{% if g.rows %}
<table class="grid {{ g.kind }}">
<thead><tr><th>from</th><th>to</th><th>protocol</th><th class="num">port</th><th class="num">tuples</th><th class="num">bytes</th></tr></thead>
<tbody>
{% for v in g.rows %}
<tr class="exposed"><td>{{ v.from }}</td><td>{{ v.to }}</td><td>{{ v.protocol }}</td><td class="num">{{ v.port }}</td><td class="num">{{ v.tuples }}</td><td class="num">{{ v.bytes }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}<p class="muted">None.</p>{% endif %}
{% endfor %}
"""

TABLES = """\
{% if lead %}<p class="lead">{{ lead }}</p>{% endif %}
{% for t in tables %}
<h3>{{ t.title }} <span class="muted">({{ t.rows|length }}{% if t.explain %}; {{ t.explain }}{% endif %})</span></h3>
{% if t.rows %}
<table class="grid {{ t.cls }}">
<thead><tr>{% for label, key in t.columns %}<th>{{ label }}</th>{% endfor %}</tr></thead>
<tbody>
{% for r in t.rows %}<tr class="{{ t.row_cls }}">{% for label, key in t.columns %}<td>{{ "" if r[key] is none else r[key] }}</td>{% endfor %}</tr>{% endfor %}
</tbody>
</table>
{% else %}<p class="muted">{{ t.empty }}</p>{% endif %}
{% endfor %}
"""

FLOWS_TEMPLATES = {"flows-macros": MACROS, "flows-traffic": TRAFFIC, "flows-talkers": TALKERS,
                   "flows-internet": INTERNET, "flows-intent": INTENT, "flows-tables": TABLES}


class TrafficSection(Section):
    id, title, template, component = "traffic", "Traffic", "flows-traffic", ""

    def __init__(self, data: Mapping[str, Any], series: Mapping[str, Any]) -> None:
        self.d, self.series = data, series

    def context(self) -> Mapping[str, Any]:
        s, mal = self.d["summary"], self.d["malformed"]
        cards: list[dict[str, Any]] = [
            {"key": "tuples_in_window", "raw": s["tuples_in_window"], "value": f"{s['tuples_in_window']:,}",
             "label": "tuples", "cls": ""},
            {"key": "flows", "raw": s["flows"], "value": f"{s['flows']:,}", "label": "distinct flows",
             "cls": ""},
            {"key": "allowed", "raw": s["allowed"], "value": f"{s['allowed']:,}", "label": "allowed",
             "cls": "ok"},
            {"key": "denied", "raw": s["denied"], "value": f"{s['denied']:,}", "label": "denied",
             "cls": "bad" if s["denied"] else ""},
            {"key": "bytes", "raw": s["bytes"], "value": _bytes(s["bytes"]),
             "label": f"{s['bytes']:,} bytes", "cls": ""},
            {"key": "packets", "raw": s["packets"], "value": f"{s['packets']:,}", "label": "packets",
             "cls": ""},
            {"key": "malformed", "raw": mal["total"], "value": f"{mal['total']:,}", "label": "malformed",
             "cls": "warn" if mal["total"] else "ok"},
            *[{"key": f"malformed:{r['reason']}", "raw": r["count"], "value": f"{r['count']:,}",
               "label": f"malformed: {r['reason']}", "cls": "warn"} for r in mal["by_reason"]],
        ]
        w = self.d["window"]
        seen = (f"Seen from {s['first_seen'] or '—'} to {s['last_seen'] or '—'}"
                + (f"; window {w['since'] or '…'} to {w['until'] or '…'}" if w["since"] or w["until"]
                   else "") + ".")
        notes = [(f"{s['files']:,} file(s) ({s['files_malformed']:,} malformed, {s['files_reused']:,} "
                  f"from the store), {s['records_total']:,} record(s), {s['tuples_total']:,} tuple(s), "
                  f"{s['tuples_parsed']:,} parsed."), seen]
        rules = self.d["rules"]
        return {"cards": cards, "notes": notes, "chart": time_chart(self.series), "malformed": mal,
                "rules": rules, "rule_keys": list(rules[0]) if rules else []}

    def data(self) -> Any | None:
        return {"analysis": self.d, "series": self.series}


class TalkersSection(Section):
    id, title, template, component = "talkers", "Talkers & denied", "flows-talkers", ""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.d = data

    def badge(self) -> tuple[str, str] | None:
        return (str(len(self.d["top_denied"])), "bad") if self.d["top_denied"] else None

    def context(self) -> Mapping[str, Any]:
        denied = [{**d, "flow": f"{d['src_ip']} → {d['dst_ip']} {d['protocol']}/{d['dst_port']}"}
                  for d in self.d["top_denied"]]
        return {"talkers": self.d["top_talkers"], "denied": self.d["top_denied"],
                "talkers_chart": bar_chart(self.d["top_talkers"], "src_ip",
                                           [("allowed", ALLOW_COLOUR), ("denied", DENY_COLOUR)]),
                "denied_chart": bar_chart(denied, "flow", [("tuples", DENY_COLOUR)]),
                "allow": ALLOW_COLOUR, "deny": DENY_COLOUR}


class InternetSection(Section):
    id, title, template, component = "internet", "Internet", "flows-internet", ""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.d = data

    def context(self) -> Mapping[str, Any]:
        ports = [{**p, "key": f"{p['way']} {p['protocol']}/{p['dst_port']}"}
                 for p in self.d["internet_by_port"]]
        return {"ports": self.d["internet_by_port"],
                "ports_chart": bar_chart(ports, "key", [("allowed", ALLOW_COLOUR), ("denied", DENY_COLOUR)]),
                "allow": ALLOW_COLOUR, "deny": DENY_COLOUR}


class FlowIntentSection(Section):
    id, title, template, component = "intent", "Intent", "flows-intent", ""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.d = data

    def badge(self) -> tuple[str, str] | None:
        n = len(self.d["violations"]) + len(self.d["blocked_required"])
        return (str(n), "bad") if n else ("clean", "ok")

    def context(self) -> Mapping[str, Any]:
        d = self.d
        return {"clean": not (d["violations"] or d["blocked_required"]),
                "violations": d["violations"], "blocked": d["blocked_required"],
                "unsegmented": d["summary"].get("tuples_unsegmented"),
                "groups": [
                    {"kind": "violations", "title": "Violations",
                     "explain": "allowed traffic between segments that no intended flow permits",
                     "rows": d["violations"]},
                    {"kind": "blocked-required", "title": "Blocked required",
                     "explain": "traffic the intent requires that the network denied",
                     "rows": d["blocked_required"]}]}


class TablesSection(Section):
    template, component = "flows-tables", ""

    def __init__(self, id: str, title: str, tables: list[dict[str, Any]], lead: str = "",
                 badge: tuple[str, str] | None = None) -> None:
        self.id, self.title, self.tables, self.lead, self._badge = id, title, tables, lead, badge

    def badge(self) -> tuple[str, str] | None:
        return self._badge

    def context(self) -> Mapping[str, Any]:
        return {"tables": self.tables, "lead": self.lead}


def _table(title: str, rows: list[dict[str, Any]] | None, columns: list[tuple[str, str]], *,
           explain: str = "", cls: str = "", row_cls: str = "", empty: str = "None.") -> dict[str, Any]:
    return {"title": title, "rows": rows or [], "columns": columns, "explain": explain, "cls": cls,
            "row_cls": row_cls, "empty": empty}


def _anomalies(d: Mapping[str, Any]) -> TablesSection:
    a = d["anomalies"]
    tables = []
    if a["new_combinations"] is not None:
        tables.append(_table("New since the baseline", a["new_combinations"],
                             [("from", "src_net"), ("to", "dst_net"), ("protocol", "protocol"),
                              ("port", "dst_port"), ("tuples", "tuples"), ("allowed", "allowed"),
                              ("first seen", "first_seen")],
                             explain=f"combinations the window before {d['window']['baseline_until']} "
                                     "never showed", cls="new-combinations", row_cls="exposed"))
    tables.append(_table("Internet to management ports", a["management_from_internet"],
                         [("source", "src_ip"), ("destination", "dst_ip"), ("port", "dst_port"),
                          ("tuples", "tuples"), ("allowed", "allowed"), ("denied", "denied"),
                          ("first seen", "first_seen"), ("last seen", "last_seen")],
                         explain="22, 3389, 5985, 5986, allowed or not", cls="management",
                         row_cls="exposed"))
    tables.append(_table("Volume outliers", a["volume_outliers"],
                         [("source", "src_ip"), ("bytes", "bytes"), ("z", "z")],
                         explain="talkers far above the mean in bytes", cls="outliers"))
    count = sum(len(t["rows"]) for t in tables)
    lead = "" if a["new_combinations"] is not None else \
        "New combinations are looked for with --baseline-until."
    return TablesSection("anomalies", "Anomalies", tables, lead,
                         badge=(str(count), "sev-medium") if count else ("none", "ok"))


def _mapped(d: Mapping[str, Any]) -> TablesSection:
    m = d["mapped"]
    unmapped = m["unmapped_local"]
    return TablesSection("estate", "Estate", [
        _table("By NIC", m["by_nic"], [("NIC", "nic"), ("subnet", "subnet"), ("VNet", "vnet"),
                                       ("tuples", "tuples"), ("in", "inbound"), ("out", "outbound"),
                                       ("allowed", "allowed"), ("denied", "denied"), ("bytes", "bytes")],
               cls="by-nic"),
        _table("Subnet pairs", m["subnet_pairs"],
               [(k, k) for k in (m["subnet_pairs"][0] if m["subnet_pairs"] else {})], cls="subnet-pairs"),
    ], lead=f"{unmapped['tuples']:,} tuple(s) from {unmapped['addresses']:,} local address(es) map to "
            "no NIC of the estate.")


def _names(sources: Sequence[str | Path]) -> str:
    names = [Path(str(s)).name or str(s) for s in sources]
    return ", ".join(names) if names else "flow logs"


def flows_report(analysis: Analysis | Mapping[str, Any], series: Mapping[str, Any] | None = None, *,
                 sources: Sequence[str | Path] = (), estate: Sequence[str | Path] = (),
                 intent: str | Path | None = None, generated: dt.datetime | None = None) -> str:
    """The report of ``flows analyze``: traffic, talkers and denied, internet, intent (when
    given), estate (when given), anomalies. ``series`` is ``flow_series`` over the same window."""
    data = analysis if isinstance(analysis, Mapping) else analysis.to_json()
    sections: list[Section] = [TrafficSection(data, series or {"width_ms": 0, "buckets": []}),
                               TalkersSection(data), InternetSection(data)]
    if data["intent"]:
        sections.insert(1, FlowIntentSection(data))
    if data["mapped"]:
        sections.append(_mapped(data))
    sections.append(_anomalies(data))
    meta = [f"logs: {_names(sources)}"]
    if estate:
        meta.append(f"estate: {_names(estate)}")
    if intent:
        meta.append(f"intent: {_names([intent])}")
    return render_report(f"netwarden flows — {_names(sources)}", sections, meta=meta,
                         generated=generated, templates=FLOWS_TEMPLATES)
