"""The report's one stylesheet and one script, inlined into every report (allowed by the
document's Content Security Policy through their hashes; nothing is loaded from anywhere).

The script only ever puts text on the page with ``textContent``; data comes from
``<script type="application/json">`` blocks read with ``JSON.parse``.
"""

from __future__ import annotations

CSS = r"""
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#fff;--panel:#f6f8fa;
--critical:#a40e26;--high:#d1451b;--medium:#bf8700;--low:#0969da;--info:#6e7781;
--ok:#1a7f37;--bad:#cf222e;--via:#0969da;--warn:#9a6700;--exposed:#cf222e;
--font:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
[hidden]{display:none!important}
html,body{margin:0;padding:0;background:var(--bg);color:var(--fg);font:14px/1.45 var(--font)}
code,.mono{font-family:var(--mono);font-size:12.5px}
.top{position:sticky;top:0;z-index:10;background:#0d1117;color:#e6edf3;padding:10px 20px 0}
.top-line{display:flex;align-items:baseline;gap:14px}
.brand{font-weight:700;letter-spacing:.04em;color:#7ee787}
.top h1{font-size:18px;margin:0;font-weight:600;overflow-wrap:anywhere}
.meta{color:#9da7b3;font-size:12px;margin:2px 0 6px;display:flex;flex-wrap:wrap;gap:4px 14px}
.tabs{display:flex;gap:2px;flex-wrap:wrap}
.tab{color:#c9d1d9;text-decoration:none;padding:7px 14px;border-radius:6px 6px 0 0;font-weight:500}
.tab:hover{background:#161b22;color:#fff}
.tab.active{background:var(--bg);color:var(--fg)}
.tab-badge{display:inline-block;min-width:20px;padding:0 6px;border-radius:10px;font-size:11px;
background:#30363d;color:#fff;text-align:center}
.tab-badge.sev-critical{background:var(--critical)}.tab-badge.sev-high{background:var(--high)}
.tab-badge.sev-medium{background:var(--medium)}.tab-badge.sev-low{background:var(--low)}
.tab-badge.ok{background:var(--ok)}.tab-badge.bad{background:var(--bad)}
main{padding:8px 20px 30px}
.section{padding-top:4px;scroll-margin-top:120px}
.js .section{display:none}.js .section.active{display:block}
.js .section-title{display:none}
.section-title{font-size:17px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.muted{color:var(--muted)}
.lead{margin:8px 0}
.foot{color:var(--muted);font-size:12px;padding:10px 20px 20px;border-top:1px solid var(--line)}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:110px;background:var(--panel)}
.card-value{font-size:22px;font-weight:700}
.card-label{font-size:12px;color:var(--muted)}
.card.sev-critical .card-value{color:var(--critical)}.card.sev-high .card-value{color:var(--high)}
.card.sev-medium .card-value{color:var(--medium)}.card.sev-low .card-value{color:var(--low)}
.card.bad .card-value{color:var(--bad)}.card.ok .card-value{color:var(--ok)}
.card.warn .card-value{color:var(--warn)}
.notes{color:var(--muted);font-size:13px;margin:4px 0 10px;padding-left:18px}
table.grid{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
table.grid th,table.grid td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
table.grid thead th{background:var(--panel)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.zero{color:#bbb;text-align:right}
.summary-grid td.sev-critical{color:var(--critical);font-weight:700}
.summary-grid td.sev-high{color:var(--high);font-weight:700}
.summary-grid td.sev-medium{color:var(--medium);font-weight:700}
.summary-grid td.sev-low{color:var(--low);font-weight:700}
.summary-grid tr.total td,.summary-grid tr.total th{font-weight:700;background:var(--panel)}
tr.exposed td:first-child{border-left:4px solid var(--exposed)}
.rid{font-family:var(--mono);font-size:11px;color:var(--muted);overflow-wrap:anywhere}
.sign{font-weight:700;text-align:center}
tr.res-added .sign{color:var(--ok)}tr.res-removed .sign{color:var(--bad)}tr.res-changed .sign{color:var(--warn)}
/* filters */
.filters{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;padding:8px 10px;margin:10px 0;
background:var(--panel);border:1px solid var(--line);border-radius:8px}
.filters fieldset{border:0;margin:0;padding:0;display:flex;gap:8px;align-items:center}
.filters legend{float:left;margin-right:6px;color:var(--muted)}
.filters label{white-space:nowrap}
.filters .grow{flex:1;min-width:220px;display:flex;gap:6px;align-items:center}
.filters .grow input{flex:1;padding:4px 6px}
.filters select{max-width:260px}
.count{margin-left:auto;white-space:nowrap}
.focus-chip{background:#ddf4ff;border:1px solid #54aeff;border-radius:12px;padding:1px 4px 1px 10px;white-space:nowrap}
.focus-chip button{border:0;background:none;cursor:pointer;font-size:14px}
label.sev-critical{color:var(--critical)}label.sev-high{color:var(--high)}
label.sev-medium{color:var(--medium)}label.sev-low{color:var(--low)}label.sev-info{color:var(--info)}
/* findings and other items */
.group-head{margin:16px 0 6px;font-size:14px;border-bottom:2px solid var(--line);padding-bottom:2px}
.group-head.sev-critical{border-color:var(--critical)}.group-head.sev-high{border-color:var(--high)}
.group-head.sev-medium{border-color:var(--medium)}.group-head.sev-low{border-color:var(--low)}
.finding,.item{border:1px solid var(--line);border-left:5px solid var(--info);border-radius:6px;
padding:8px 12px;margin:8px 0;background:#fff}
.finding.sev-critical{border-left-color:var(--critical)}.finding.sev-high{border-left-color:var(--high)}
.finding.sev-medium{border-left-color:var(--medium)}.finding.sev-low{border-left-color:var(--low)}
.item.kind-excess,.item.kind-newly-allowed{border-left-color:var(--bad)}
.item.kind-missing,.item.kind-newly-denied{border-left-color:var(--warn)}
.item.kind-bypass{border-left-color:#8250df}
.item.internet{background:#fff5f5}
.finding header,.item header{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 10px}
.pill{display:inline-block;padding:0 8px;border-radius:10px;font-size:11.5px;font-weight:600;color:#fff;background:var(--info);text-transform:uppercase;letter-spacing:.03em}
.pill.sev-critical{background:var(--critical)}.pill.sev-high{background:var(--high)}
.pill.sev-medium{background:var(--medium)}.pill.sev-low{background:var(--low)}
.pill.kind-excess,.pill.kind-newly-allowed,.pill.internet{background:var(--bad)}
.pill.kind-missing,.pill.kind-newly-denied{background:var(--warn)}.pill.kind-bypass{background:#8250df}
.check{font-weight:700}
.fname{color:var(--muted)}
.res{font-weight:600;overflow-wrap:anywhere}
.rtype{color:var(--muted);font-size:12px}
.msg{margin:4px 0}
.lbl{display:inline-block;min-width:84px;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em}
.witness,.packets,.cause,.path,.remed,.facts{margin:4px 0}
.path{display:flex;align-items:flex-start;gap:4px}
.packets code{display:inline-block;margin-right:6px;overflow-wrap:anywhere}
.remed{font-size:13px}
.facts{padding-left:18px;font-size:13px}
.note{margin:4px 0;color:var(--warn)}
details.more{font-size:12.5px;margin-top:4px}details.more summary{cursor:pointer;color:var(--muted)}
/* chains of hops */
ol.chain{list-style:none;display:flex;flex-wrap:wrap;align-items:stretch;gap:4px 0;margin:0;padding:0}
.hop{display:inline-flex;flex-direction:column;border:1px solid var(--line);border-top:3px solid var(--via);
border-radius:5px;padding:2px 8px;background:#fff;font-size:12px;line-height:1.3;max-width:260px}
.hop+.hop{margin-left:18px;position:relative}
.hop+.hop::before{content:"\2192";position:absolute;left:-15px;top:50%;transform:translateY(-50%);color:var(--muted)}
.hop.ok{border-top-color:var(--ok)}.hop.bad{border-top-color:var(--bad)}.hop.warn{border-top-color:var(--warn)}
.hop.changed{box-shadow:0 0 0 2px #bf8700}
.hop-kind{font-size:10.5px;color:var(--muted);text-transform:uppercase}
.hop-name{font-weight:600;overflow-wrap:anywhere}
.hop-rule{font-family:var(--mono);font-size:11.5px;overflow-wrap:anywhere}
.hop-action{font-size:11px;font-weight:600}
.hop.ok .hop-action{color:var(--ok)}.hop.bad .hop-action{color:var(--bad)}
.hop.via .hop-action{color:var(--via)}.hop.warn .hop-action{color:var(--warn)}
.hop-ref{font-weight:600;border-bottom:2px solid var(--warn)}
.pager{display:flex;gap:10px;align-items:center;margin:8px 0}
.pager button,.diagram-tools button{border:1px solid var(--line);background:var(--panel);border-radius:5px;padding:3px 10px;cursor:pointer}
.pager button:disabled{opacity:.4;cursor:default}
.verdict{font-weight:700;font-size:15px;padding:8px 12px;border-radius:6px}
.verdict.ok{background:#dafbe1;color:var(--ok)}.verdict.bad{background:#ffebe9;color:var(--bad)}
/* diagram */
.diagram-wrap{border:1px solid var(--line);border-radius:8px;background:#fbfcfd;padding:6px}
.diagram-tools{display:flex;gap:6px;align-items:center;margin-bottom:4px}
.hint{color:var(--muted);font-size:12px;margin-left:8px}
svg.diagram{width:100%;height:72vh;min-height:420px;display:block;cursor:grab;user-select:none;background:#fff}
svg.diagram.dragging{cursor:grabbing}
svg.diagram text{font-family:var(--font);font-size:11px;fill:var(--fg);pointer-events:none}
svg.diagram .t-title{font-size:13px;font-weight:700}
svg.diagram .t-head{font-size:12px;font-weight:600}
svg.diagram .t-sub{font-size:10px;fill:var(--muted)}
svg.diagram .t-kind{font-size:9px;font-weight:700;fill:#fff}
svg.diagram .t-pip{font-size:10px;fill:var(--muted)}
svg.diagram .t-pip-exposed{font-size:10px;fill:var(--exposed);font-weight:600}
svg.diagram .t-num{font-size:10px;fill:var(--muted);font-variant-numeric:tabular-nums}
.node rect{stroke-width:1}
.vnet>rect.frame{fill:#f3f6fa;stroke:#8c959f;stroke-width:1.5}
.vnet.hub>rect.frame{fill:#eef4ff;stroke:#0969da}
.vnet.external>rect.frame{stroke-dasharray:5 4}
.subnet>rect.frame{fill:#fff;stroke:#afb8c1}
.subnet.exposed>rect.frame{stroke:var(--exposed);stroke-width:2}
.subrow>rect.frame{fill:#fff;stroke:#d8dee4}
.subrow.exposed>rect.frame{fill:#fff0ee;stroke:var(--exposed)}
.chip>rect.frame{fill:#fff;stroke:#8c959f}
.chip.exposed>rect.frame{stroke:var(--exposed);stroke-width:2;fill:#fff5f5}
.chip.fronted>rect.frame{stroke:#bf8700;stroke-width:2;fill:#fff8e5}
.chip.entry>rect.frame{stroke:#bc4c00;stroke-width:1.6}
.chip .kind-box{stroke:none}
.k-vm .kind-box,.k-nic .kind-box{fill:#57606a}.k-fw .kind-box{fill:#bc4c00}
.k-vgw .kind-box,.k-er .kind-box{fill:#8250df}.k-bas .kind-box{fill:#1a7f37}
.k-agw .kind-box{fill:#0969da}.k-lb .kind-box{fill:#0550ae}.k-pe .kind-box{fill:#1b7c83}
.k-nva .kind-box{fill:#953800}.k-aks .kind-box{fill:#326ce5}.k-paas .kind-box{fill:#6639ba}
.k-pip .kind-box{fill:#cf222e}
.internet>rect.frame{fill:#fff1e5;stroke:#bc4c00;stroke-width:1.5}
.onprem>rect.frame{fill:#f5f0ff;stroke:#8250df;stroke-width:1.5}
.panel>rect.frame{fill:#faf7ff;stroke:#c297ff;stroke-dasharray:4 3}
.line{fill:none;stroke:#8c959f;stroke-width:1.5}
.line.peering{stroke:#0969da;stroke-width:2.5;opacity:.75}
.line.peering.oneway{stroke-dasharray:8 5}
.line.peering.blocked{stroke:var(--bad);stroke-dasharray:3 4}
.line.public{stroke:#d0a070;stroke-dasharray:4 4}
.line.exposed{stroke:var(--exposed);stroke-width:2.2}
.line.entry{stroke:#bc4c00;stroke-width:1.6;opacity:.8}
.line.private-link{stroke:#1b7c83;stroke-dasharray:2 3}
.line.onprem-link{stroke:#8250df;stroke-width:2}
.badge circle{fill:var(--info);stroke:#fff;stroke-width:1.5}
.badge text{fill:#fff;font-size:10px;font-weight:700}
.badge.sev-critical circle{fill:var(--critical)}.badge.sev-high circle{fill:var(--high)}
.badge.sev-medium circle{fill:var(--medium)}.badge.sev-low circle{fill:var(--low)}
.badge.added circle{fill:var(--ok)}.badge.changed circle{fill:var(--warn)}
.badge.removed circle{fill:var(--bad)}.badge.exposed circle{fill:var(--exposed)}
[data-focus]{cursor:pointer}
svg.focusing .line{opacity:.15}
svg.focusing .line.hl{opacity:1;stroke-width:3.5}
svg.focusing .node.hl>rect.frame{stroke:#fb8500;stroke-width:3}
.node:focus{outline:none}.node:focus>rect.frame{stroke:#fb8500;stroke-width:2.5}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;color:var(--muted);margin:6px 2px}
.legend-item{display:inline-flex;align-items:center;gap:5px}
.swatch{display:inline-block;width:14px;height:10px;border-radius:2px;border:1px solid #8c959f}
.swatch.sev-critical{background:var(--critical)}.swatch.sev-high{background:var(--high)}
.swatch.sev-medium{background:var(--medium)}.swatch.sev-low{background:var(--low)}
.swatch.exposed{background:#fff5f5;border:2px solid var(--exposed)}
.swatch.fronted{background:#fff8e5;border:2px solid #bf8700}
.swatch.entry{background:#fff;border:2px solid #bc4c00}
.swatch.peering{background:#0969da;height:3px;border:0}
.swatch.public{background:#d0a070;height:2px;border:0}
.swatch.hub{background:#eef4ff;border-color:#0969da}
.swatch.added{background:var(--ok)}.swatch.changed{background:var(--warn)}.swatch.removed{background:var(--bad)}
.swatch.m-all{background:#b62324}.swatch.m-some{background:#f0883e}.swatch.m-none{background:#f6f8fa}
.swatch.m-intended{background:#4ac26b}.swatch.m-excess{background:#b62324}.swatch.m-missing{background:#e3b341}
.swatch.m-both{background:linear-gradient(135deg,#b62324 50%,#e3b341 50%)}
/* matrix */
.matrix-layout{display:flex;gap:16px;align-items:flex-start}
.matrix-scroll{overflow:auto;max-width:70%;max-height:78vh;border:1px solid var(--line);border-radius:6px}
table.matrix{border-collapse:collapse;font-size:11px}
table.matrix th{background:#fff;font-weight:600;position:sticky;z-index:1}
table.matrix thead th{top:0;vertical-align:bottom;padding:4px 0}
table.matrix th.corner{left:0;z-index:3;text-align:left;padding:4px;color:var(--muted)}
table.matrix th.col span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;
max-height:160px;overflow:hidden;text-overflow:ellipsis;display:inline-block;padding:2px 0}
table.matrix th.row{left:0;text-align:right;padding:0 6px;max-width:200px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
table.matrix td{width:22px;height:22px;min-width:22px;border:1px solid #fff;text-align:center;cursor:pointer;padding:0}
td.self{background:repeating-linear-gradient(45deg,#f6f8fa,#f6f8fa 3px,#fff 3px,#fff 6px);cursor:default}
td.m-none{background:#f6f8fa}td.m-some{background:#f0883e;color:#fff}td.m-all{background:#b62324;color:#fff}
td.m-intended{background:#4ac26b;color:#fff}td.m-excess{background:#b62324;color:#fff}
td.m-missing{background:#e3b341}td.m-both{background:linear-gradient(135deg,#b62324 50%,#e3b341 50%);color:#fff}
td.cell:hover,td.cell.sel{outline:2px solid #fb8500;outline-offset:-2px}
.cell-detail{flex:1;min-width:280px;border:1px solid var(--line);border-radius:6px;padding:8px 12px;background:var(--panel);position:sticky;top:110px}
.cell-detail h4{margin:0 0 6px;overflow-wrap:anywhere}
.cell-detail .chain{margin-top:4px}
@media print{.top{position:static}.js .section{display:block}.filters{position:static}.diagram-tools{display:none}}
"""

SCRIPT = r"""
(function () {
'use strict';
var NW = window.NW = {components: {}};
document.documentElement.classList.add('js');

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
NW.el = el;

NW.data = function (id) {
  var node = document.getElementById('data-' + id);
  return node ? JSON.parse(node.textContent) : null;
};

var ACTION = {allow: 'ok', arrive: 'ok', deny: 'bad', drop: 'bad', conditional: 'warn'};
NW.actionClass = function (action) { return ACTION[String(action).toLowerCase()] || 'via'; };

/* a chain of hops; each hop is [kind, name, rule, action, detail] */
NW.chain = function (hops) {
  var ol = el('ol', 'chain');
  hops.forEach(function (h) {
    var li = el('li', 'hop ' + NW.actionClass(h[3]));
    li.title = h[0] + ': ' + h[3] + (h[4] ? ' (' + h[4] + ')' : '');
    li.appendChild(el('span', 'hop-kind', h[0]));
    li.appendChild(el('span', 'hop-name', h[1]));
    if (h[2]) li.appendChild(el('span', 'hop-rule', h[2]));
    li.appendChild(el('span', 'hop-action', h[3]));
    ol.appendChild(li);
  });
  return ol;
};

NW.labelled = function (cls, label, content) {
  var div = el('div', cls);
  div.appendChild(el('span', 'lbl', label));
  if (typeof content === 'string') div.appendChild(el('code', null, content));
  else div.appendChild(content);
  return div;
};

/* a pager under a list: show(page) renders; returns a setter for the number of pages */
NW.pager = function (node, onPage) {
  if (!node) return function () {};
  var page = 0, pages = 1;
  var prev = node.querySelector('[data-role=prev]'), next = node.querySelector('[data-role=next]');
  var label = node.querySelector('[data-role=page]');
  function sync() {
    node.hidden = pages <= 1;
    label.textContent = 'page ' + (page + 1) + ' of ' + pages;
    prev.disabled = page <= 0; next.disabled = page >= pages - 1;
  }
  prev.addEventListener('click', function () { if (page > 0) { page--; onPage(page); sync(); } });
  next.addEventListener('click', function () { if (page < pages - 1) { page++; onPage(page); sync(); } });
  return function (n, p) { pages = Math.max(1, n); page = Math.min(p || 0, pages - 1); sync(); };
};

/* server-rendered lists and tables with data-paginate="N" */
function paginate(list) {
  var size = parseInt(list.getAttribute('data-paginate'), 10) || 50;
  var body = list.tBodies && list.tBodies.length ? list.tBodies[0] : list;
  var rows = Array.prototype.slice.call(body.children);
  if (rows.length <= size) return;
  var pagerNode = list.nextElementSibling;
  if (!pagerNode || !pagerNode.classList.contains('pager')) return;
  function show(p) {
    rows.forEach(function (r, i) { r.hidden = i < p * size || i >= (p + 1) * size; });
  }
  var set = NW.pager(pagerNode, show);
  show(0); set(Math.ceil(rows.length / size), 0);
}

/* tabs */
var sections = Array.prototype.slice.call(document.querySelectorAll('main > .section'));
var tabs = Array.prototype.slice.call(document.querySelectorAll('.tabs .tab'));
NW.showTab = function (id) {
  if (!sections.some(function (s) { return s.id === id; })) id = sections.length ? sections[0].id : '';
  sections.forEach(function (s) { s.classList.toggle('active', s.id === id); });
  tabs.forEach(function (t) { t.classList.toggle('active', t.getAttribute('data-tab') === id); });
  try { history.replaceState(null, '', '#' + id); } catch (e) { /* some viewers forbid it */ }
  document.dispatchEvent(new CustomEvent('nw:tab', {detail: {id: id}}));
};
tabs.forEach(function (t) {
  t.addEventListener('click', function (ev) { ev.preventDefault(); NW.showTab(t.getAttribute('data-tab')); });
});

/* ---- overview: pan and zoom, highlight on hover, focus on click ---- */
NW.components.overview = function (root) {
  var svg = root.querySelector('svg.diagram');
  if (!svg) return;
  var W = parseFloat(svg.getAttribute('data-width')), H = parseFloat(svg.getAttribute('data-height'));
  var vb = {x: 0, y: 0, w: W, h: H};
  function apply() { svg.setAttribute('viewBox', [vb.x, vb.y, vb.w, vb.h].join(' ')); }
  function toSvg(cx, cy) {
    var r = svg.getBoundingClientRect();
    var s = Math.max(vb.w / r.width, vb.h / r.height);
    var ox = (r.width * s - vb.w) / 2, oy = (r.height * s - vb.h) / 2;
    return {x: vb.x - ox + (cx - r.left) * s, y: vb.y - oy + (cy - r.top) * s, s: s};
  }
  function zoom(f, cx, cy) {
    var nw = Math.min(W * 3, Math.max(W / 60, vb.w * f));
    f = nw / vb.w;
    var r = svg.getBoundingClientRect();
    var p = cx === undefined ? {x: vb.x + vb.w / 2, y: vb.y + vb.h / 2} : toSvg(cx, cy);
    vb = {x: p.x - (p.x - vb.x) * f, y: p.y - (p.y - vb.y) * f, w: vb.w * f, h: vb.h * f};
    apply();
  }
  svg.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    zoom(ev.deltaY < 0 ? 0.8 : 1.25, ev.clientX, ev.clientY);
  }, {passive: false});
  var drag = null;
  svg.addEventListener('pointerdown', function (ev) {
    if (ev.button !== 0) return;
    drag = {x: ev.clientX, y: ev.clientY, vx: vb.x, vy: vb.y, moved: false};
  });
  window.addEventListener('pointermove', function (ev) {
    if (!drag) return;
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true; svg.classList.add('dragging');
    var s = toSvg(0, 0).s;
    vb.x = drag.vx - dx * s; vb.y = drag.vy - dy * s; apply();
  });
  window.addEventListener('pointerup', function () {
    if (drag && drag.moved) { svg.setAttribute('data-dragged', '1'); }
    drag = null; svg.classList.remove('dragging');
  });
  root.querySelector('[data-role=zoom-in]').addEventListener('click', function () { zoom(0.7); });
  root.querySelector('[data-role=zoom-out]').addEventListener('click', function () { zoom(1.4); });
  root.querySelector('[data-role=zoom-reset]').addEventListener('click', function () {
    vb = {x: 0, y: 0, w: W, h: H}; apply();
  });
  /* highlight: lines that end at the node under the pointer, and their other ends */
  var lines = Array.prototype.slice.call(svg.querySelectorAll('.line'));
  var byNode = {};
  lines.forEach(function (l) {
    (l.getAttribute('data-ends') || '').split(' ').forEach(function (id) {
      if (id) (byNode[id] = byNode[id] || []).push(l);
    });
  });
  var lit = [];
  function clear() {
    lit.forEach(function (n) { n.classList.remove('hl'); }); lit = [];
    svg.classList.remove('focusing');
  }
  svg.addEventListener('mouseover', function (ev) {
    var g = ev.target.closest ? ev.target.closest('[data-node]') : null;
    clear();
    if (!g) return;
    var id = g.getAttribute('data-node');
    var mine = byNode[id] || [];
    if (!mine.length) return;
    svg.classList.add('focusing');
    g.classList.add('hl'); lit.push(g);
    mine.forEach(function (l) {
      l.classList.add('hl'); lit.push(l);
      l.getAttribute('data-ends').split(' ').forEach(function (other) {
        var n = svg.querySelector('[data-node="' + other + '"]');
        if (n) { n.classList.add('hl'); lit.push(n); }
      });
    });
  });
  svg.addEventListener('mouseleave', clear);
  function focus(g) {
    document.dispatchEvent(new CustomEvent('nw:focus', {detail: {
      node: g.getAttribute('data-focus'), label: g.getAttribute('data-label') || ''}}));
  }
  svg.addEventListener('click', function (ev) {
    if (svg.getAttribute('data-dragged')) { svg.removeAttribute('data-dragged'); return; }
    var g = ev.target.closest ? ev.target.closest('[data-focus]') : null;
    if (g) focus(g);
  });
  svg.addEventListener('keydown', function (ev) {
    var g = ev.target.closest ? ev.target.closest('[data-focus]') : null;
    if (g && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); focus(g); }
  });
};

/* ---- findings: filter by severity, area, check, text, diagram node; group; paginate ---- */
NW.components.findings = function (root, d) {
  if (!d) return;
  var PAGE = 50;
  var sevOrder = {};
  d.severities.forEach(function (s, i) { sevOrder[s] = i; });
  var areaKeys = Object.keys(d.areas), areaOrder = {};
  areaKeys.forEach(function (a, i) { areaOrder[a] = i; });
  var items = d.items;
  items.forEach(function (f, i) {
    var chk = d.checks[f.c] || {};
    f._i = i; f._a = chk.area || '';
    f._hay = [f.c, chk.name, chk.title, f.r, f.id, f.t, f.m, f.w, (f.k || []).join(' '), (f.f || []).join(' '),
      (f.p || []).map(function (h) { return h.join(' '); }).join(' ')].join('\n').toLowerCase();
  });
  var q = function (role) { return root.querySelector('[data-role=' + role + ']'); };
  var sevBoxes = Array.prototype.slice.call(root.querySelectorAll('[data-role=sev]'));
  var area = q('area'), check = q('check'), group = q('group'), search = q('search');
  var count = q('count'), list = q('list'), focusChip = q('focus'), focusLabel = q('focus-label');
  var state = {node: null, page: 0};
  var shown = [];
  var setPages = NW.pager(root.querySelector('[data-role=pager]'), function (p) { state.page = p; draw(); });

  function groupKey(f) {
    var by = group.value;
    if (by === 'area') return f._a;
    if (by === 'check') return f.c;
    return f.s;
  }
  function groupLabel(key) {
    var by = group.value;
    if (by === 'area') return d.areas[key] || key;
    if (by === 'check') { var c = d.checks[key] || {}; return key + ' ' + (c.name || '') + ' — ' + (c.title || ''); }
    return key;
  }
  function groupRank(f) {
    var by = group.value;
    if (by === 'area') return [areaOrder[f._a], sevOrder[f.s]];
    if (by === 'check') return [f.c, sevOrder[f.s]];
    return [sevOrder[f.s], 0];
  }
  function cmp(a, b) {
    var ra = groupRank(a), rb = groupRank(b);
    for (var i = 0; i < ra.length; i++) { if (ra[i] < rb[i]) return -1; if (ra[i] > rb[i]) return 1; }
    return a._i - b._i;
  }
  function filter() {
    var sev = {};
    sevBoxes.forEach(function (b) { if (b.checked) sev[b.value] = true; });
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    shown = items.filter(function (f) {
      if (!sev[f.s]) return false;
      if (area.value && f._a !== area.value) return false;
      if (check.value && f.c !== check.value) return false;
      if (state.node && (f.n || []).indexOf(state.node) < 0) return false;
      for (var i = 0; i < words.length; i++) if (f._hay.indexOf(words[i]) < 0) return false;
      return true;
    });
    shown.sort(cmp);
    count.textContent = String(shown.length);
    state.page = 0;
    setPages(Math.ceil(shown.length / PAGE), 0);
    draw();
  }
  function render(f) {
    var chk = d.checks[f.c] || {};
    var a = el('article', 'finding sev-' + f.s);
    a.setAttribute('data-check', f.c);
    var h = el('header');
    h.appendChild(el('span', 'pill sev-' + f.s, f.s));
    h.appendChild(el('code', 'check', f.c));
    h.appendChild(el('span', 'fname', chk.name || ''));
    var res = el('span', 'res', f.r); res.title = f.id; h.appendChild(res);
    h.appendChild(el('span', 'rtype', f.t));
    a.appendChild(h);
    a.appendChild(el('p', 'msg', f.m));
    if (f.w) a.appendChild(NW.labelled('witness', 'witness', f.w));
    if (f.p && f.p.length) a.appendChild(NW.labelled('path', 'path', NW.chain(f.p)));
    if (f.f && f.f.length) {
      var ul = el('ul', 'facts');
      f.f.forEach(function (x) { ul.appendChild(el('li', null, x)); });
      a.appendChild(ul);
    }
    var rem = el('p', 'remed');
    rem.appendChild(el('span', 'lbl', 'remediation'));
    rem.appendChild(document.createTextNode(' ' + (f.x || chk.remediation || '')));
    a.appendChild(rem);
    var more = el('details', 'more');
    more.appendChild(el('summary', null, 'packets, resource, source'));
    (f.k || []).forEach(function (p) { more.appendChild(NW.labelled('packets', 'packets', p)); });
    more.appendChild(NW.labelled('packets', 'resource', f.id));
    if (f.l) more.appendChild(NW.labelled('packets', 'defined in', f.l));
    more.appendChild(NW.labelled('packets', 'check', f.c + ' ' + (chk.title || '')));
    a.appendChild(more);
    return a;
  }
  function draw() {
    list.textContent = '';
    var page = shown.slice(state.page * PAGE, (state.page + 1) * PAGE);
    var last = null, frag = document.createDocumentFragment();
    page.forEach(function (f) {
      var key = groupKey(f);
      if (key !== last) {
        var total = shown.filter(function (x) { return groupKey(x) === key; }).length;
        var head = el('h3', 'group-head' + (group.value === 'severity' ? ' sev-' + key : ''),
                      groupLabel(key) + ' (' + total + ')');
        frag.appendChild(head);
        last = key;
      }
      frag.appendChild(render(f));
    });
    if (!page.length) frag.appendChild(el('p', 'muted', 'No findings match the filters.'));
    list.appendChild(frag);
  }
  var timer = null;
  search.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(filter, 120); });
  [area, check, group].concat(sevBoxes).forEach(function (c) { c.addEventListener('change', filter); });
  q('focus-clear').addEventListener('click', function () { state.node = null; focusChip.hidden = true; filter(); });
  document.addEventListener('nw:focus', function (ev) {
    state.node = ev.detail.node;
    focusLabel.textContent = 'in ' + ev.detail.label;
    focusChip.hidden = false;
    filter();
    NW.showTab(root.id);
  });
  filter();
};

/* ---- matrix: details of a cell on hover / click ---- */
NW.components.matrix = function (root, d) {
  if (!d) return;
  var table = root.querySelector('[data-role=matrix]'), detail = root.querySelector('[data-role=detail]');
  if (!table) return;
  var pinned = null;
  var WORDS = {all: 'every packet arrives', some: 'some packets arrive', none: 'nothing arrives'};
  function show(td) {
    var c = d.cells[parseInt(td.getAttribute('data-cell'), 10)];
    if (!c) return;
    detail.textContent = '';
    detail.appendChild(el('h4', null, c.a + ' \u2192 ' + c.b));
    detail.appendChild(el('p', null, WORDS[c.e] || c.e));
    if (c.m && c.m.length) detail.appendChild(NW.labelled('marks', 'intent', c.m.join(', ')));
    detail.appendChild(NW.labelled('ports', 'arrives', c.s));
    if (c.i) detail.appendChild(NW.labelled('ports', 'intended', c.i));
    if (c.w) detail.appendChild(NW.labelled('witness', 'witness', c.w));
    if (c.p && c.p.length) detail.appendChild(NW.labelled('path', 'path', NW.chain(c.p)));
  }
  table.addEventListener('mouseover', function (ev) {
    var td = ev.target.closest('td[data-cell]');
    if (td && !pinned) show(td);
  });
  table.addEventListener('click', function (ev) {
    var td = ev.target.closest('td[data-cell]');
    if (!td) return;
    if (pinned) pinned.classList.remove('sel');
    pinned = pinned === td ? null : td;
    if (pinned) pinned.classList.add('sel');
    show(td);
  });
  table.addEventListener('keydown', function (ev) {
    var td = ev.target.closest('td[data-cell]');
    if (td && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); td.click(); }
  });
};

/* ---- start (after every inline script ran, so plug-in components are registered) ---- */
function start() {
  Array.prototype.slice.call(document.querySelectorAll('[data-paginate]')).forEach(paginate);
  sections.forEach(function (s) {
    var name = s.getAttribute('data-component');
    if (name && NW.components[name]) NW.components[name](s, NW.data(s.id));
  });
  NW.showTab((location.hash || '').slice(1));
  window.scrollTo(0, 0);
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
})();
"""
