"""The Jinja templates (autoescaped; kept in Python so an installed package carries them).

``document`` is the page; each section renders its own template into it. ``macros`` holds
what several sections draw the same way: a chain of hops, a severity pill, a pager.
"""

from __future__ import annotations

DOCUMENT = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="netwarden {{ version }}">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<header class="top">
  <div class="top-line">
    <span class="brand">netwarden</span>
    <h1>{{ title }}</h1>
  </div>
  <div class="meta">{% for item in meta %}<span>{{ item }}</span>{% endfor %}</div>
  <nav class="tabs" aria-label="sections">
  {% for s in sections %}
    <a class="tab" href="#{{ s.id }}" data-tab="{{ s.id }}">{{ s.title }}{% if s.badge %} <span class="tab-badge {{ s.badge_class }}">{{ s.badge }}</span>{% endif %}</a>
  {% endfor %}
  </nav>
</header>
<main>
{% for s in sections %}
<section class="section" id="{{ s.id }}" data-component="{{ s.component }}" aria-label="{{ s.title }}">
<h2 class="section-title">{{ s.title }}</h2>
{{ s.html }}
</section>
{% endfor %}
</main>
<footer class="foot">Self-contained report: no scripts, styles or data are loaded from anywhere else.</footer>
{% for s in sections if s.data is not none %}
<script type="application/json" id="data-{{ s.id }}">{{ s.data }}</script>
{% endfor %}
{% for script in scripts %}
<script>{{ script }}</script>
{% endfor %}
</body>
</html>
"""

MACROS = """\
{% macro chain(hops, changed=()) %}
<ol class="chain">
{% for h in hops %}
  <li class="hop {{ h.cls }}{% if h.resource and h.resource.lower() in changed %} changed{% endif %}" title="{{ h.kind }}: {{ h.action }}{% if h.detail %} ({{ h.detail }}){% endif %}{% if h.resource %}&#10;{{ h.resource }}{% endif %}">
    <span class="hop-kind">{{ h.kind }}</span>
    <span class="hop-name">{{ h.name }}</span>
    {% if h.rule %}<span class="hop-rule">{{ h.rule }}</span>{% endif %}
    <span class="hop-action">{{ h.action }}</span>
  </li>
{% endfor %}
</ol>
{% endmacro %}

{% macro pager() %}
<div class="pager" data-role="pager" hidden>
  <button type="button" data-role="prev">&#8592; previous</button>
  <span data-role="page"></span>
  <button type="button" data-role="next">next &#8594;</button>
</div>
{% endmacro %}
"""

OVERVIEW = """\
{% import "macros" as m %}
<div class="cards">
{% for card in cards %}
  <div class="card {{ card.cls }}"><div class="card-value">{{ card.value }}</div><div class="card-label">{{ card.label }}</div></div>
{% endfor %}
</div>
{% if notes %}<ul class="notes">{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
<div class="diagram-wrap">
  <div class="diagram-tools">
    <button type="button" data-role="zoom-in" title="zoom in">+</button>
    <button type="button" data-role="zoom-out" title="zoom out">&#8722;</button>
    <button type="button" data-role="zoom-reset" title="fit">fit</button>
    <span class="hint">drag to pan · wheel to zoom · hover to highlight{% if clickable %} · click a marked resource to see its {{ clickable }}{% endif %}</span>
  </div>
  <svg class="diagram" viewBox="0 0 {{ width }} {{ height }}" data-width="{{ width }}" data-height="{{ height }}" role="img" aria-label="{{ aria }}">
  <g class="viewport">
  {% for b in frames %}
    <g class="node {{ b.cls }}" data-node="{{ b.id }}"{% if b.focus %} data-focus="{{ b.id }}" data-label="{{ b.name }}"{% endif %}>
      <title>{{ b.title }}</title>
      <rect class="frame" x="{{ b.x }}" y="{{ b.y }}" width="{{ b.w }}" height="{{ b.h }}" rx="{{ b.rx }}"></rect>
      {% for t in b.texts %}<text x="{{ t.x }}" y="{{ t.y }}" class="{{ t.cls }}"{% if t.anchor %} text-anchor="{{ t.anchor }}"{% endif %}>{{ t.text }}</text>{% endfor %}
      {% if b.badge %}<g class="badge {{ b.badge.cls }}"><circle cx="{{ b.badge.x }}" cy="{{ b.badge.y }}" r="{{ b.badge.r }}"></circle><text x="{{ b.badge.x }}" y="{{ b.badge.y + 3.5 }}" text-anchor="middle">{{ b.badge.text }}</text></g>{% endif %}
    </g>
  {% endfor %}
  <g class="lines">
  {% for l in lines %}
    <path class="line {{ l.cls }}" d="{{ l.d }}" data-ends="{{ l.ends }}"><title>{{ l.title }}</title></path>
  {% endfor %}
  </g>
  {% for b in chips %}
    <g class="node {{ b.cls }}" data-node="{{ b.id }}"{% if b.focus %} data-focus="{{ b.id }}" data-label="{{ b.name }}"{% endif %} tabindex="0">
      <title>{{ b.title }}</title>
      <rect class="frame" x="{{ b.x }}" y="{{ b.y }}" width="{{ b.w }}" height="{{ b.h }}" rx="{{ b.rx }}"></rect>
      <rect class="kind-box" x="{{ b.tag.x }}" y="{{ b.tag.y }}" width="32" height="{{ b.tag.h }}" rx="{{ b.rx }}"></rect>
      {% for t in b.texts %}<text x="{{ t.x }}" y="{{ t.y }}" class="{{ t.cls }}"{% if t.anchor %} text-anchor="{{ t.anchor }}"{% endif %}>{{ t.text }}</text>{% endfor %}
      {% if b.badge %}<g class="badge {{ b.badge.cls }}"><circle cx="{{ b.badge.x }}" cy="{{ b.badge.y }}" r="{{ b.badge.r }}"></circle><text x="{{ b.badge.x }}" y="{{ b.badge.y + 3.5 }}" text-anchor="middle">{{ b.badge.text }}</text></g>{% endif %}
    </g>
  {% endfor %}
  </g>
  </svg>
  <div class="legend">
  {% for item in legend %}<span class="legend-item"><span class="swatch {{ item.cls }}"></span>{{ item.label }}</span>{% endfor %}
  </div>
</div>
{% if entries %}
<h3>Public entry points <span class="muted">({{ entries|length }}; what arrives from the internet through each public IP)</span></h3>
<table class="grid" data-paginate="25">
<thead><tr><th>public IP</th><th>address</th><th>SKU</th><th>fronts</th><th>arrives (as sent)</th><th>reaches</th></tr></thead>
<tbody>
{% for e in entries %}
<tr class="{{ 'exposed' if e.ports else '' }}"><td>{{ e.name }}</td><td><code>{{ e.address }}</code></td><td>{{ e.sku }}</td><td>{{ e.kind }} {{ e.owner }}</td><td>{% if e.ports %}<code>{{ e.ports }}</code>{% else %}<span class="muted">nothing</span>{% endif %}</td><td>{{ e.reaches }}</td></tr>
{% endfor %}
</tbody>
</table>
{{ m.pager() }}
{% endif %}
"""

FINDINGS = """\
{% import "macros" as m %}
<table class="grid summary-grid">
<thead><tr><th>area \\ severity</th>{% for s in severities %}<th class="sev-{{ s }}">{{ s }}</th>{% endfor %}<th>total</th></tr></thead>
<tbody>
{% for row in area_rows %}
<tr><th>{{ row.label }}</th>{% for c in row.counts %}<td class="{{ 'num sev-' ~ severities[loop.index0] if c else 'num zero' }}">{{ c }}</td>{% endfor %}<td class="num">{{ row.total }}</td></tr>
{% endfor %}
<tr class="total"><th>total</th>{% for c in totals %}<td class="num">{{ c }}</td>{% endfor %}<td class="num">{{ total }}</td></tr>
</tbody>
</table>
{% if suppressed %}<p class="muted">{{ suppressed }} finding(s) suppressed (resource tags or baseline) are not shown.</p>{% endif %}
<div class="filters" data-role="filters">
  <fieldset class="sev-filter"><legend>severity</legend>
  {% for s in severities %}
    <label class="sev-{{ s }}"><input type="checkbox" data-role="sev" value="{{ s }}" checked> {{ s }} <span class="muted">({{ totals[loop.index0] }})</span></label>
  {% endfor %}
  </fieldset>
  <label>area <select data-role="area"><option value="">all areas</option>{% for a in areas %}<option value="{{ a.key }}">{{ a.label }} ({{ a.count }})</option>{% endfor %}</select></label>
  <label>check <select data-role="check"><option value="">all checks</option>{% for c in checks %}<option value="{{ c.id }}">{{ c.id }} {{ c.name }} ({{ c.count }})</option>{% endfor %}</select></label>
  <label>group by <select data-role="group"><option value="severity">severity</option><option value="area">area</option><option value="check">check</option></select></label>
  <label class="grow">search <input type="search" data-role="search" placeholder="resource, rule, message, address…" autocomplete="off"></label>
  <span class="focus-chip" data-role="focus" hidden><span data-role="focus-label"></span> <button type="button" data-role="focus-clear" title="show all">&#215;</button></span>
  <div class="count"><strong data-role="count" data-total="{{ total }}">{{ total }}</strong> of {{ total }} findings</div>
</div>
<div data-role="list" class="findings-list">
<noscript><p>The list of findings needs JavaScript; <code>netwarden scan --format json</code> prints them.</p></noscript>
</div>
{{ m.pager() }}
"""

MATRIX = """\
<p class="lead">{{ lead }}</p>
{% if notes %}<ul class="notes">{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
{% if labels %}
<div class="matrix-layout">
<div class="matrix-scroll">
<table class="matrix" data-role="matrix">
<thead><tr><th class="corner">from \\ to</th>{% for l in labels %}<th class="col"><span title="{{ l.full }}">{{ l.text }}</span></th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}
<tr><th class="row" title="{{ row.full }}">{{ row.label }}</th>{% for c in row.cells %}{% if c is none %}<td class="self"></td>{% else %}<td class="cell {{ c.cls }}" data-cell="{{ c.index }}" tabindex="0" title="{{ c.title }}">{{ c.glyph }}</td>{% endif %}{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
</div>
<aside class="cell-detail" data-role="detail"><p class="muted">Hover or click a cell: what arrives, and one witness packet with its path.</p></aside>
</div>
<div class="legend">
{% for item in legend %}<span class="legend-item"><span class="swatch {{ item.cls }}"></span>{{ item.label }}</span>{% endfor %}
</div>
{% endif %}
"""

VERIFY = """\
{% import "macros" as m %}
{% if clean %}
<p class="verdict ok">CLEAN: the network enforces the intent ({{ pairs }} segment pairs checked).</p>
{% else %}
<p class="verdict bad">The network does not enforce the intent: {{ counts.excess }} excess, {{ counts.missing }} missing, {{ counts.bypass }} bypassing flow(s) ({{ pairs }} segment pairs checked).</p>
{% endif %}
<p class="muted">Intent: {{ intent_source }}</p>
{% for group in groups %}
<h3 class="kind-{{ group.kind }}">{{ group.title }} <span class="muted">({{ group.rows|length }})</span></h3>
<p class="muted">{{ group.explain }}</p>
<div class="items" data-paginate="20">
{% for v in group.rows %}
<article class="item kind-{{ group.kind }}">
  <header><span class="pill kind-{{ group.kind }}">{{ group.kind }}</span> <strong>{{ v.source }}</strong> &#8594; <strong>{{ v.destination }}</strong>{% if v.flow %} <span class="muted">flow</span> <code>{{ v.flow }}</code>{% if v.line %} <span class="muted">(line {{ v.line }})</span>{% endif %}{% endif %}</header>
  {% if v.note %}<p class="note">{{ v.note }}</p>{% endif %}
  {% if v.witness %}<div class="witness"><span class="lbl">witness</span> <code>{{ v.witness }}</code></div>{% endif %}
  {% if v.packets %}<div class="packets"><span class="lbl">packets</span> {% for p in v.packets %}<code>{{ p }}</code> {% endfor %}</div>{% endif %}
  {% if v.path %}<div class="path"><span class="lbl">{{ 'blocked at' if group.kind == 'missing' else 'path' }}</span>{{ m.chain(v.path) }}</div>{% endif %}
</article>
{% endfor %}
</div>
{{ m.pager() }}
{% endfor %}
<h3>Segments</h3>
<table class="grid">
<thead><tr><th>segment</th><th>addresses held</th><th>prefixes</th></tr></thead>
<tbody>
{% for s in segments %}<tr><td>{{ s.name }}</td><td class="num">{{ s.holders }}</td><td>{% for p in s.prefixes %}<code>{{ p }}</code> {% endfor %}{% if s.more %}<span class="muted">+{{ s.more }} more</span>{% endif %}</td></tr>{% endfor %}
</tbody>
</table>
"""

DIFF = """\
{% import "macros" as m %}
<div class="cards">
{% for card in cards %}
  <div class="card {{ card.cls }}"><div class="card-value">{{ card.value }}</div><div class="card-label">{{ card.label }}</div></div>
{% endfor %}
</div>
<p class="muted">{{ pairs_note }}</p>
{% for group in groups %}
<h3 class="kind-{{ group.kind }}">{{ group.title }} <span class="muted">({{ group.total }})</span></h3>
{% if group.explain %}<p class="muted">{{ group.explain }}</p>{% endif %}
{% if not group.rows %}<p class="muted">none</p>{% endif %}
<div class="items" data-paginate="20">
{% for c in group.rows %}
<article class="item kind-{{ group.kind }}{% if c.internet %} internet{% endif %}">
  <header><span class="pill kind-{{ group.kind }}">{{ group.label }}</span>{% if c.internet %} <span class="pill internet">from the internet</span>{% endif %} <strong>{{ c.source }}</strong> &#8594; <strong>{{ c.destination }}</strong></header>
  {% if c.witness %}<div class="witness"><span class="lbl">witness</span> <code>{{ c.witness }}</code></div>{% endif %}
  {% if c.packets %}<div class="packets"><span class="lbl">packets</span> {% for p in c.packets %}<code>{{ p }}</code> {% endfor %}</div>{% endif %}
  {% if c.cause %}<div class="cause"><span class="lbl">changed by</span> {% for h in c.cause %}<span class="hop-ref {{ h.cls }}">{{ h.name }}{% if h.rule %} [{{ h.rule }}]{% endif %}</span> {% endfor %}</div>{% endif %}
  {% if c.path %}<div class="path"><span class="lbl">{{ c.path_label }}</span>{{ m.chain(c.path, c.changed) }}</div>{% endif %}
</article>
{% endfor %}
</div>
{{ m.pager() }}
{% if group.more %}<p class="muted">{{ group.more }} more not shown; <code>netwarden diff --format json</code> lists them all.</p>{% endif %}
{% endfor %}
"""

RESOURCES = """\
{% import "macros" as m %}
{% for group in groups %}
<h3 class="kind-{{ group.kind }}">{{ group.title }} <span class="muted">({{ group.rows|length }})</span></h3>
{% if group.rows %}
<table class="grid" data-paginate="50">
<thead><tr><th></th><th>type</th><th>name</th><th>{{ 'changed fields' if group.kind == 'changed' else 'ID' }}</th></tr></thead>
<tbody>
{% for r in group.rows %}
<tr class="res-{{ group.kind }}"><td class="sign">{{ group.sign }}</td><td>{{ r.type }}</td><td>{{ r.name }}</td><td>{% if group.kind == 'changed' %}{% for f in r.fields %}<code>{{ f }}</code> {% endfor %}{% else %}<span class="rid">{{ r.id }}</span>{% endif %}</td></tr>
{% endfor %}
</tbody>
</table>
{{ m.pager() }}
{% else %}<p class="muted">none</p>{% endif %}
{% endfor %}
"""

TEMPLATES: dict[str, str] = {
    "document": DOCUMENT,
    "macros": MACROS,
    "overview": OVERVIEW,
    "findings": FINDINGS,
    "matrix": MATRIX,
    "verify": VERIFY,
    "diff": DIFF,
    "resources": RESOURCES,
}
