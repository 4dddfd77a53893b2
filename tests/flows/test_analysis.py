"""Analyses of generated logs match the generator's ground truth exactly."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from netwarden.engine import Engine
from netwarden.flows.accounting import Accounting, AccountingError, Reason, Unit
from netwarden.flows.analyze import Analysis, Options, analyze, parse_time
from netwarden.flows.generate import MANAGEMENT, Spec, Truth, estate_resources, generate, nsg_id
from netwarden.flows.segments import StaticIntent
from netwarden.flows.store import Store, Window
from netwarden.flows.suggest import suggest
from netwarden.ingest import load_estate

SPEC = Spec(files=18, records_per_file=3, groups_per_record=2, tuples_per_group=40,
            malformed=0.04, seed=11, ipv6=0.01, gzip=True)
ALL = 10**6


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    out = tmp_path_factory.mktemp("logs")
    truth = generate(out, SPEC)
    return out, truth


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path = tmp_path_factory.mktemp("estate") / "estate.json"
    path.write_text(json.dumps(estate_resources(SPEC)))
    return Engine(load_estate([path]))


def run(logs: Path, store_dir: Path, window: Window | None = None, engine: Engine | None = None,
        **options: object) -> Analysis:
    store = Store(store_dir)
    ingested = store.ingest([logs])
    return analyze(store, ingested, window or Window(), Options(top=ALL, **options),  # type: ignore[arg-type]
                   engine=engine)


def proto(number: int) -> str:
    return {6: "tcp", 17: "udp"}[number]


def test_totals_and_malformed_match_truth(logs: tuple[Path, Truth], tmp_path: Path) -> None:
    out, truth = logs
    result = run(out, tmp_path)
    s = result.summary
    assert truth.tuples_malformed and truth.ipv6
    assert s["files"] == truth.files
    assert s["tuples_total"] == truth.tuples_total
    assert s["tuples_parsed"] == s["tuples_in_window"] == truth.tuples_parsed
    assert s["tuples_malformed"] == sum(truth.tuples_malformed.values())
    assert s["tuples_parsed"] + s["tuples_malformed"] == s["tuples_total"]
    assert (s["allowed"], s["denied"], s["bytes"]) == (truth.allowed, truth.denied, truth.bytes)
    assert s["allowed"] + s["denied"] == s["tuples_in_window"]
    assert s["flows"] == len(truth.flows)
    reasons = {m["reason"]: m["count"] for m in result.malformed["by_reason"]}
    assert reasons == {**truth.files_malformed, **truth.records_malformed, **truth.tuples_malformed}
    for entry in result.malformed["by_reason"]:
        assert entry["examples"] and all(e["file"] for e in entry["examples"])
        if entry["unit"] == "tuple":
            assert all("flowTuples[" in e["position"] for e in entry["examples"])


def test_rankings_match_truth(logs: tuple[Path, Truth], tmp_path: Path) -> None:
    out, truth = logs
    result = run(out, tmp_path)
    assert {t["src_ip"]: t["tuples"] for t in result.top_talkers} == truth.talkers
    assert {t["src_ip"]: t["bytes"] for t in result.top_talkers} == truth.talker_bytes
    bytes_order = [t["bytes"] for t in result.top_talkers]
    assert bytes_order == sorted(bytes_order, reverse=True)
    denied = Counter()
    for d in result.top_denied:
        denied[(d["src_ip"], d["dst_ip"], d["protocol"], d["dst_port"])] += d["tuples"]
    assert denied == {(s, d, proto(p), port): n for (s, d, p, port), n in truth.denied_flows.items()}
    internet = {(i["way"], i["protocol"], i["dst_port"]): i["tuples"] for i in result.internet_by_port}
    assert internet == {(w, proto(p), port): n for (w, p, port), n in truth.internet.items()}
    management = {(m["src_ip"], m["dst_ip"], m["dst_port"]): m["tuples"]
                  for m in result.anomalies["management_from_internet"]}
    assert management == truth.management and all(port in MANAGEMENT for *_, port in management)
    rules = Counter()
    for r in result.rules:
        if r["log_kind"] == "nsg":
            rules[(r["resource_id"], r["rule"])] += r["tuples"]
    assert rules == truth.rule_hits


def test_top_limits_and_orders(logs: tuple[Path, Truth], tmp_path: Path) -> None:
    out, truth = logs
    store = Store(tmp_path)
    result = analyze(store, store.ingest([out]), Window(), Options(top=3))
    assert len(result.top_talkers) == 3
    best = sorted(truth.talker_bytes.items(), key=lambda kv: (-kv[1], -truth.talkers[kv[0]], kv[0]))[:3]
    assert [(t["src_ip"], t["bytes"]) for t in result.top_talkers] == best


def test_window_filters_by_tuple_time(logs: tuple[Path, Truth], tmp_path: Path) -> None:
    out, truth = logs
    since, until = parse_time("2024-01-01T00:30:00Z"), parse_time("2024-01-01T01:00:00Z")
    result = run(out, tmp_path, Window(since, until))
    store = Store(tmp_path)
    con = store.open_flows(store.ingest([out]))
    expected, = con.execute(f"SELECT COUNT(*) FROM all_flows WHERE ts_ms >= {since} AND ts_ms < {until}").fetchall()[0]
    assert 0 < result.summary["tuples_in_window"] == expected < truth.tuples_parsed
    assert result.summary["tuples_total"] == truth.tuples_total     # accounting is not windowed
    assert result.window["since"] == "2024-01-01T00:30:00.000Z"


def test_store_reuses_unchanged_files(logs: tuple[Path, Truth], tmp_path: Path) -> None:
    out, truth = logs
    first = Store(tmp_path).ingest([out])
    second = Store(tmp_path).ingest([out])
    assert (first.read, first.reused) == (truth.files, 0)
    assert (second.read, second.reused) == (0, truth.files)
    assert second.books.to_json() == first.books.to_json()
    # a changed file is read again, and its old rows are not counted twice
    changed = next(p for p in sorted(out.rglob("PT1H.json")) if p.read_bytes()[:2] == b"\x1f\x8b")
    original = changed.read_bytes()
    try:
        changed.write_text('{"records": []}')
        third = Store(tmp_path).ingest([out])
        assert (third.read, third.reused) == (1, truth.files - 1)
        store = Store(tmp_path)
        ingested = store.ingest([out])
        count, = store.open_flows(ingested).execute("SELECT COUNT(*) FROM flows").fetchall()[0]
        assert count == ingested.books.parsed[Unit.TUPLE] < truth.tuples_parsed
    finally:
        changed.write_bytes(original)


def test_estate_maps_addresses_to_nics_and_subnets(logs: tuple[Path, Truth], tmp_path: Path,
                                                   engine: Engine) -> None:
    out, truth = logs
    result = run(out, tmp_path, engine=engine)
    assert result.mapped is not None
    by_nic = {n["nic"]: n for n in result.mapped["by_nic"]}
    assert len(by_nic) == SPEC.subnets * SPEC.hosts_per_subnet
    assert by_nic["nic-10-0-1-5"]["subnet"] == "snet1"
    ipv4 = truth.tuples_parsed - truth.ipv6
    assert sum(n["tuples"] for n in by_nic.values()) == ipv4
    assert result.mapped["unmapped_local"]["tuples"] == truth.ipv6
    by_rule = Counter()
    for entry in result.mapped["by_nic_rule"]:
        by_rule[entry["rule"]] += entry["tuples"]
    assert sum(by_rule.values()) == ipv4 and by_rule["UserRule_allow-https"] > 0
    pairs = {(p["src_net"], p["dst_net"]) for p in result.mapped["subnet_pairs"]}
    assert ("internet", "vnet-flows/snet0") in pairs


def test_new_combinations_against_baseline(logs: tuple[Path, Truth], tmp_path: Path) -> None:
    out, _ = logs
    cut = parse_time("2024-01-01T01:00:00Z")
    store = Store(tmp_path)
    ingested = store.ingest([out])
    result = analyze(store, ingested, Window(), Options(top=ALL, baseline_until=cut))
    con = store.open_flows(ingested)                 # the same connection: addr is registered
    found = {(n["src_net"], n["dst_net"], n["protocol"], n["dst_port"]) for n in
             result.anomalies["new_combinations"]}
    before = set(con.execute(
        "SELECT s.net, d.net, f.protocol, f.dst_port FROM flows f JOIN addr s ON f.src_ip = s.ip "
        f"JOIN addr d ON f.dst_ip = d.ip WHERE f.ts_ms < {cut}").fetchall())
    after = set(con.execute(
        "SELECT s.net, d.net, f.protocol, f.dst_port FROM flows f JOIN addr s ON f.src_ip = s.ip "
        f"JOIN addr d ON f.dst_ip = d.ip WHERE f.ts_ms >= {cut}").fetchall())
    assert found == {(a, b, proto(p), port) for a, b, p, port in after - before}
    assert found and after & before


def test_volume_outliers_are_three_sigma(logs: tuple[Path, Truth], tmp_path: Path) -> None:
    out, truth = logs
    result = run(out, tmp_path)
    values = list(truth.talker_bytes.values())
    mean = sum(values) / len(values)
    sd = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    expected = {ip for ip, b in truth.talker_bytes.items() if b > mean + 3 * sd}
    assert {o["src_ip"] for o in result.anomalies["volume_outliers"]} == expected
    assert expected and all(o["z"] > 3 for o in result.anomalies["volume_outliers"])


def test_intent_violations_and_blocked_required(logs: tuple[Path, Truth], tmp_path: Path) -> None:
    out, truth = logs
    intent = StaticIntent(
        segments={"s0": ["10.0.0.0/24"], "s1": ["10.0.1.0/24"], "s2": ["10.0.2.0/24"]},
        flows=[("internet", "s0", "tcp", 443, 443), ("internet", "s1", "tcp", 443, 443),
               ("internet", "s2", "tcp", 443, 443), ("internet", "s0", "tcp", 22, 22),
               ("s0", "s1", "tcp", 1433, 1433)])
    store = Store(tmp_path)
    result = analyze(store, store.ingest([out]), Window(), Options(top=ALL), intent=intent)
    assert result.intent and result.failed
    keys = {(v["from"], v["to"], v["protocol"], v["port"]) for v in result.violations}
    assert ("s1", "s0", "tcp", 22) in keys                    # SSH between subnets: not in the intent
    assert not any(k[:2] == ("internet", "s0") and k[3] == 443 for k in keys)
    blocked = {(v["from"], v["to"], v["protocol"], v["port"]) for v in result.blocked_required}
    assert blocked and all(b[:2] == ("internet", "s0") and b[3] == 22 for b in blocked)
    for entry in result.violations + result.blocked_required:
        assert set(entry) == {"from", "to", "protocol", "port", "tuples", "bytes"}
    assert sum(v["tuples"] for v in result.blocked_required) == sum(
        n for (src, dst, port), n in truth.management.items() if port == 22 and dst.startswith("10.0.0."))


def test_suggest_finds_unused_and_tightens(logs: tuple[Path, Truth], tmp_path: Path, engine: Engine) -> None:
    out, truth = logs
    store = Store(tmp_path)
    result = suggest(store, store.ingest([out]), Window(), engine).to_json()
    by_name = {n["name"]: n for n in result["nsgs"]}
    assert set(by_name) == {"NSG-SNET0", "NSG-SNET1", "NSG-SNET2"}
    for name, nsg in by_name.items():
        assert nsg["covered"]
        assert [r["name"] for r in nsg["unused_allow_rules"]] == ["allow-rdp"]
        hits = {h["rule"]: h["tuples"] for h in nsg["rules"]}
        nsg_hits = {rule.split("_", 1)[1]: n for (nid, rule), n in truth.rule_hits.items()
                    if nid == nsg_id(name)}
        assert all(hits[rule] >= n for rule, n in nsg_hits.items())   # VNet logs add to them
        ssh = next(p for p in nsg["proposals"] if p["rule"] == "allow-ssh-mgmt")
        ipv4 = [p for p in ssh["proposed"]["sourceAddressPrefixes"] if ":" not in p]
        assert ipv4 == ["10.0.0.4/30", "10.0.1.4/30", "10.0.2.4/30"]
        assert ssh["current"]["sourceAddressPrefix"] == "VirtualNetwork"
        assert ssh["evidence"]["tuples"] == hits["allow-ssh-mgmt"]
        assert nsg["nsg_fragment"]["properties"]["securityRules"]
        assert 'resource "azurerm_network_security_rule"' in nsg["terraform"]
    # only VNet tuples of IPv6 addresses that no NIC of the estate holds stay unattributed
    assert all(u["log_kind"] == "vnet" for u in result["unattributed"])
    assert 0 < sum(u["tuples"] for u in result["unattributed"]) <= truth.ipv6


def test_books_must_balance() -> None:
    books = Accounting()
    books.see(Unit.TUPLE, 3)
    books.ok(Unit.TUPLE, 2)
    with pytest.raises(AccountingError):
        books.check()
    books.bad(Reason.BAD_IP, "f", "p", "d")
    books.check()
    assert Accounting.from_json(books.to_json()).to_json() == books.to_json()


def test_logged_rules_agree_with_the_engine(logs: tuple[Path, Truth], tmp_path: Path,
                                            engine: Engine) -> None:
    out, _ = logs
    check = run(out, tmp_path, engine=engine).mapped["rule_check"]  # type: ignore[index]
    assert check["checked"] > 50 and check["disagree"] == 0 and check["examples"] == []
    assert check["agree"] == check["checked"] and check["nsgs_not_in_estate"] == []


def test_a_rule_missing_from_the_export_shows_as_disagreement(logs: tuple[Path, Truth],
                                                              tmp_path: Path) -> None:
    out, _ = logs
    resources = estate_resources(SPEC)
    for resource in resources:
        if resource["type"].endswith("networkSecurityGroups") and resource["name"] == "NSG-SNET1":
            resource["properties"]["securityRules"] = [
                r for r in resource["properties"]["securityRules"] if r["name"] != "deny-smtp-out"]
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(resources))
    check = run(out, tmp_path / "store", engine=Engine(load_estate([path]))).mapped["rule_check"]  # type: ignore[index]
    assert check["disagree"] > 0
    assert {(e["nsg"], e["logged_rule"], e["engine_rule"], e["dst_port"]) for e in check["examples"]} == {
        ("NSG-SNET1", "UserRule_deny-smtp-out", "AllowInternetOutBound", 25)}


def test_landing_processes_equal_one_process(logs: tuple[Path, Truth], tmp_path: Path) -> None:
    """Many files over a pool of landing processes (tiny batches: a run of files per
    worker) give the same books, rows and analysis as one process."""
    out, truth = logs
    one = Store(tmp_path / "one", workers=1)
    pool = Store(tmp_path / "pool", workers=2, batch_rows=200)
    first, second = one.ingest([out]), pool.ingest([out])
    assert len(second.parts) > 2 and second.read == truth.files
    assert second.books.to_json() == first.books.to_json()
    assert second.books.malformed_in(Unit.TUPLE) == sum(truth.tuples_malformed.values())
    rows = "SELECT * FROM flows ORDER BY ALL"
    assert one.open_flows(first).execute(rows).fetchall() == pool.open_flows(second).execute(rows).fetchall()
    a = analyze(one, first, Window(), Options(top=ALL)).to_json()
    b = analyze(pool, second, Window(), Options(top=ALL)).to_json()
    assert a == b
    # group ids of the runs never collide, and a second ingest reuses every file
    ids, = pool.con.execute("SELECT COUNT(*) - COUNT(DISTINCT group_id) FROM read_parquet("
                            f"'{tmp_path / 'pool' / 'parts'}/groups-*.parquet')").fetchall()[0]
    assert ids == 0
    again = Store(tmp_path / "pool", workers=2, batch_rows=200).ingest([out])
    assert (again.read, again.reused) == (0, truth.files)
    assert again.books.to_json() == first.books.to_json()


def test_rankings_from_flow_sums_equal_rankings_over_the_flows(logs: tuple[Path, Truth],
                                                              tmp_path: Path) -> None:
    """The rankings read the per-(rule, source, destination, port) sums; the same rankings
    straight over every tuple (the SQL they replace) give the same rows."""
    out, _ = logs
    store = Store(tmp_path)
    ingested = store.ingest([out])
    result = analyze(store, ingested, Window(), Options(top=ALL)).to_json()
    con = store.open_flows(ingested)
    direct = {
        "top_talkers": """SELECT f.src_ip, COUNT(*) AS tuples,
            SUM(CASE WHEN f.decision = 'A' THEN 1 ELSE 0 END) AS allowed,
            SUM(CASE WHEN f.decision = 'D' THEN 1 ELSE 0 END) AS denied,
            SUM(COALESCE(f.bytes_sent, 0) + COALESCE(f.bytes_recv, 0)) AS bytes,
            COUNT(DISTINCT f.dst_ip) AS peers
            FROM flows f GROUP BY f.src_ip ORDER BY bytes DESC, tuples DESC, f.src_ip""",
        "top_denied": """SELECT f.src_ip, f.dst_ip, f.protocol, f.dst_port, f.rule, COUNT(*) AS tuples
            FROM flows f WHERE f.decision = 'D' GROUP BY f.src_ip, f.dst_ip, f.protocol, f.dst_port, f.rule
            ORDER BY tuples DESC, f.src_ip, f.dst_ip, f.protocol, f.dst_port, f.rule""",
        "rules": """SELECT f.log_kind, f.resource_id, f.rule, f.direction, f.decision, COUNT(*) AS tuples,
            SUM(COALESCE(f.bytes_sent, 0) + COALESCE(f.bytes_recv, 0)) AS bytes
            FROM flows f GROUP BY f.log_kind, f.resource_id, f.rule, f.direction, f.decision
            ORDER BY tuples DESC, f.log_kind, f.resource_id, f.rule, f.direction, f.decision""",
    }
    for section, sql in direct.items():
        expected = [list(row) for row in con.execute(sql).fetchall()]
        got = [[entry[k] for k in list(entry)[:len(expected[0])]] for entry in result[section]]
        if section == "top_denied":
            got = [[e["src_ip"], e["dst_ip"], e["protocol"], e["dst_port"], e["rule"], e["tuples"]]
                   for e in result[section]]
            expected = [[*row[:2], {6: "tcp", 17: "udp"}.get(row[2], row[2]), *row[3:]] for row in expected]
        assert got == expected, section
    totals = con.execute("SELECT COUNT(*), SUM(COALESCE(f.bytes_sent, 0) + COALESCE(f.bytes_recv, 0)), "
                         "SUM(COALESCE(f.packets_sent, 0) + COALESCE(f.packets_recv, 0)) FROM flows f").fetchall()[0]
    summary = result["summary"]
    assert (summary["tuples_in_window"], summary["bytes"], summary["packets"]) == totals
    # an empty window: zero tuples, no rankings
    empty = analyze(store, ingested, Window(since=parse_time("2099-01-01")), Options(top=ALL))
    assert empty.summary["tuples_in_window"] == 0 and empty.summary["flows"] == 0
    assert empty.top_talkers == [] and empty.summary["first_seen"] is None
