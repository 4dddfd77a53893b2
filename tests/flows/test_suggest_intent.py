"""``flows suggest --intent``: no suggestion closes a flow the intent requires.

The generated estate (``netwarden.flows.generate``) gives every NSG an RDP rule from an
admin range that no generated flow comes from; a hand-written two-subnet estate covers
the rest (outbound rules, where an NSG applies, sources added to a tighter rule, a
tightening given up). Every claim is checked against the engine as well as the output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from netwarden.engine import Engine
from netwarden.engine.addresses import TagContext
from netwarden.engine.nsg import rule_match
from netwarden.flows.cli import flows_app
from netwarden.flows.generate import HOUR0, Spec, estate_resources, generate
from netwarden.flows.store import Store, Window
from netwarden.flows.suggest import Suggestions, suggest
from netwarden.ingest import load_estate
from netwarden.intent.parse import load_intent
from netwarden.intent.resolve import resolve_segments
from netwarden.intent.verify import flow_space
from netwarden.model.values import Direction

SPEC = Spec(files=9, records_per_file=2, groups_per_record=2, tuples_per_group=30, seed=5)
runner = CliRunner()

RDP_INTENT = """segments:
  admins: {cidrs: [192.168.100.0/24]}
  s0: {subnets: [snet0]}
  s1: {subnets: [snet1]}
flows:
  - {from: s1, to: s0, ports: [tcp/22]}
  - {from: admins, to: s0, ports: [tcp/3389]}
"""
RDP_LINE = 7

SSH_INTENT = """segments:
  s0: {subnets: [snet0]}
  s1: {subnets: [snet1]}
flows:
  - {from: s1, to: s0, ports: [tcp/22-23]}
"""


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["name"]: n for n in data["nsgs"]}


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def run(logs: Path, estate: Path, intent: Path | None, store: Path) -> Suggestions:
    engine = Engine(load_estate([estate]))
    s = Store(store)
    return suggest(s, s.ingest([logs]), Window(), engine,
                   load_intent(intent) if intent is not None else None)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("generated")
    generate(root / "logs", SPEC)
    estate = root / "estate.json"
    estate.write_text(json.dumps(estate_resources(SPEC)))
    # the same estate with SSH open on 22-23: the logs only ever use 22
    wide = estate_resources(SPEC)
    for resource in wide:
        for rule in resource.get("properties", {}).get("securityRules", []):
            if rule["name"] == "allow-ssh-mgmt":
                rule["properties"]["destinationPortRange"] = "22-23"
    wide_estate = root / "estate-ssh-22-23.json"
    wide_estate.write_text(json.dumps(wide))
    return root / "logs", estate, wide_estate


# -- the generated estate ------------------------------------------------------------------------

def test_unused_rule_carrying_an_intended_flow_is_kept(generated: tuple[Path, Path, Path],
                                                       tmp_path: Path) -> None:
    logs, estate, _ = generated
    intent = write(tmp_path / "intent.yaml", RDP_INTENT)
    data = run(logs, estate, intent, tmp_path / "s").to_json()
    assert data["intent"] == {"file": str(intent), "flows": 2}
    nsgs = by_name(data)
    snet0 = nsgs["NSG-SNET0"]
    assert snet0["unused_allow_rules"] == []                  # not proposed for removal
    kept, = snet0["kept_allow_rules"]
    assert (kept["name"], kept["used"], kept["why"]) == ("allow-rdp", False, "unused in the window")
    assert kept["reason"] == f"required by intent flow `admins -> s0 tcp/3389`, line {RDP_LINE}"
    assert [(r["flow"], r["line"]) for r in kept["required_by"]] == [("admins -> s0 tcp/3389", RDP_LINE)]
    assert kept["required_by"][0]["example"].startswith("tcp 192.168.100.")
    assert kept["required_by"][0]["example"].endswith(":3389")
    # the fragment and the Terraform hold the kept rule as it is, with the reason
    fragment = {r["name"]: r["properties"] for r in snet0["nsg_fragment"]["properties"]["securityRules"]}
    assert fragment["allow-rdp"]["sourceAddressPrefix"] == "192.168.100.0/24"
    assert fragment["allow-rdp"]["destinationPortRange"] == "3389"
    block = snet0["terraform"].split('"nsg_snet0_allow_rdp"', 1)[1].split("}", 1)[0]
    assert 'destination_port_range      = "3389"' in block
    assert f"# kept as it is (unused in the window): {kept['reason']}" in block
    # the flow goes to s0 only: NSG-SNET1 and NSG-SNET2 do not apply to it
    for name in ("NSG-SNET1", "NSG-SNET2"):
        assert [r["name"] for r in nsgs[name]["unused_allow_rules"]] == ["allow-rdp"]
        assert nsgs[name]["kept_allow_rules"] == []
        assert "allow_rdp" not in (nsgs[name]["terraform"] or "")


def test_unused_rule_no_intended_flow_needs_is_proposed_for_removal(
        generated: tuple[Path, Path, Path], tmp_path: Path) -> None:
    logs, estate, _ = generated
    intent = write(tmp_path / "intent.yaml", SSH_INTENT.replace("22-23", "22"))
    with_intent = run(logs, estate, intent, tmp_path / "s").to_json()
    without = run(logs, estate, None, tmp_path / "s").to_json()
    assert without["intent"] is None
    for name, nsg in by_name(with_intent).items():
        assert [r["name"] for r in nsg["unused_allow_rules"]] == ["allow-rdp"], name
        assert nsg["kept_allow_rules"] == []
        # the logs' SSH sources already hold s1: the proposals are those without the intent
        plain = by_name(without)[name]
        assert [p["proposed"] for p in nsg["proposals"]] == [p["proposed"] for p in plain["proposals"]]
    ssh = next(p for p in by_name(with_intent)["NSG-SNET0"]["proposals"] if p["rule"] == "allow-ssh-mgmt")
    note, = ssh["evidence"]["intent"]
    assert note["added"] == {} and note["note"] == "already admits intent flow `s1 -> s0 tcp/22`, line 5"


def test_tightening_keeps_a_required_port(generated: tuple[Path, Path, Path], tmp_path: Path) -> None:
    logs, _, wide = generated
    without = by_name(run(logs, wide, None, tmp_path / "s").to_json())
    ssh = next(p for p in without["NSG-SNET0"]["proposals"] if p["rule"] == "allow-ssh-mgmt")
    assert ssh["proposed"]["destinationPortRange"] == "22"      # what the window alone suggests
    intent = write(tmp_path / "intent.yaml", SSH_INTENT)
    result = run(logs, wide, intent, tmp_path / "s")
    nsgs = by_name(result.to_json())
    ssh = next(p for p in nsgs["NSG-SNET0"]["proposals"] if p["rule"] == "allow-ssh-mgmt")
    assert ssh["proposed"]["destinationPortRange"] == "22-23"   # the port stays
    assert ssh["current"]["destinationPortRange"] == "22-23"
    note, = ssh["evidence"]["intent"]
    assert (note["flow"], note["line"], note["added"]) == ("s1 -> s0 tcp/22-23", 5, {"ports": ["23"]})
    assert note["note"] == "for intent flow `s1 -> s0 tcp/22-23`, line 5: ports 23 added"
    assert "# intent: for intent flow `s1 -> s0 tcp/22-23`, line 5: ports 23 added" in nsgs["NSG-SNET0"]["terraform"]
    assert 'destination_port_range      = "22-23"' in nsgs["NSG-SNET0"]["terraform"]
    # s1 -> s0 does not cross NSG-SNET1 inbound: its SSH rule is tightened to 22 as before
    other = next(p for p in nsgs["NSG-SNET1"]["proposals"] if p["rule"] == "allow-ssh-mgmt")
    assert other["proposed"]["destinationPortRange"] == "22" and "intent" not in other["evidence"]
    # exactly: the proposed rule admits every intended packet the current rule decided
    engine = Engine(load_estate([wide]))
    assert_proposals_admit_the_intent(engine, load_intent(intent), result)


def assert_proposals_admit_the_intent(engine: Engine, intent: Any, result: Suggestions) -> None:
    """Each proposal, compiled as a rule, contains the intended packets its current rule
    decides where the NSG applies (its subnets' prefixes)."""
    endpoints = resolve_segments(engine, intent)
    spaces = [flow_space(engine, f, endpoints[f.source], endpoints[f.destination]) for f in intent.flows]
    checked = 0
    for report in result.nsgs:
        for subnet in engine.estate.subnets:
            if (subnet.nsg_id or "").lower() != report.nsg.id.lower():
                continue
            for proposal in report.proposals:
                direction = proposal.rule.direction
                compiled = engine.walker.compiled(report.nsg.id, direction, subnet.id)
                decided = next(d.packets for d in compiled.decisions if d.rule.name == proposal.rule.name)
                side = "dst" if direction is Direction.INBOUND else "src"
                here = engine.addresses.on(side, [(p.first, p.last) for p in subnet.address_prefixes])
                needed = engine.space.union(s & here for s in spaces) & decided
                proposed = rule_from(proposal.rule, proposal.proposed)
                assert needed <= rule_match(proposed, engine.addresses, TagContext(subnet.id)), \
                    (report.nsg.name, proposal.rule.name)
                checked += bool(needed)
    assert checked


def rule_from(rule: Any, props: dict[str, Any]) -> Any:
    from dataclasses import replace

    from netwarden.model.values import ANY_ADDRESS, PortRange, Prefix, Protocol, ServiceTag

    def addresses(side: str) -> tuple[Any, ...]:
        values = props.get(f"{side}AddressPrefixes") or [props[f"{side}AddressPrefix"]]
        out = []
        for v in values:
            try:
                out.append(ANY_ADDRESS if v == "*" else Prefix.parse(v))
            except ValueError:
                out.append(ServiceTag(v))
        return tuple(out)

    ports = props.get("destinationPortRanges") or [props["destinationPortRange"]]
    return replace(rule, protocol=Protocol.parse(props["protocol"]), sources=addresses("source"),
                   destinations=addresses("destination"),
                   destination_ports=tuple(PortRange.parse(p) for p in ports))


# -- a hand-written estate: two subnets, an NSG on each --------------------------------------------

SUB = "00000000-0000-0000-0000-0000000000bb"
BASE = f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Network"
NSG_APP, NSG_SQL = f"{BASE}/networkSecurityGroups/nsg-app", f"{BASE}/networkSecurityGroups/nsg-sql"


def _rule(name: str, priority: int, direction: str, source: str, destination: str, ports: str,
          protocol: str = "Tcp") -> dict[str, Any]:
    return {"name": name, "properties": {
        "protocol": protocol, "sourcePortRange": "*", "destinationPortRange": ports,
        "sourceAddressPrefix": source, "destinationAddressPrefix": destination,
        "access": "Allow", "priority": priority, "direction": direction}}


def two_tier() -> list[dict[str, Any]]:
    vnet = f"{BASE}/virtualNetworks/vnet-app"
    nsgs = {
        "nsg-app": [
            # dst * matches app -> sql packets too, but nsg-app inbound protects only app
            _rule("allow-any-1433", 100, "Inbound", "*", "*", "1433"),
            _rule("allow-sql-out", 100, "Outbound", "*", "10.1.2.0/24", "1433"),
            _rule("allow-smtp-out", 110, "Outbound", "*", "*", "25")],
        "nsg-sql": [
            _rule("allow-app-sql", 100, "Inbound", "10.1.1.0/24", "*", "1433"),
            _rule("allow-legacy-ftp", 110, "Inbound", "10.1.1.0/24", "*", "21"),
            _rule("allow-web", 120, "Inbound", "*", "10.1.2.4", "443", protocol="*")],
    }
    resources: list[dict[str, Any]] = [
        {"id": f"{BASE}/networkSecurityGroups/{name}", "name": name,
         "type": "Microsoft.Network/networkSecurityGroups", "location": "westeurope",
         "properties": {"securityRules": rules}} for name, rules in nsgs.items()]
    resources.append({"id": vnet, "name": "vnet-app", "type": "Microsoft.Network/virtualNetworks",
                      "location": "westeurope", "properties": {
                          "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
                          "subnets": [{"name": name, "id": f"{vnet}/subnets/{name}", "properties": {
                              "addressPrefix": prefix,
                              "networkSecurityGroup": {"id": f"{BASE}/networkSecurityGroups/nsg-{name}"}}}
                              for name, prefix in (("app", "10.1.1.0/24"), ("sql", "10.1.2.0/24"))]}})
    for ip, subnet in (("10.1.1.4", "app"), ("10.1.1.5", "app"), ("10.1.2.4", "sql")):
        name = f"nic-{ip.replace('.', '-')}"
        resources.append({"id": f"{BASE}/networkInterfaces/{name}", "name": name,
                          "type": "Microsoft.Network/networkInterfaces", "location": "westeurope",
                          "properties": {"ipConfigurations": [{
                              "name": "ipconfig1", "id": f"{BASE}/networkInterfaces/{name}/ipConfigurations/ipconfig1",
                              "properties": {"privateIPAddress": ip, "privateIPAllocationMethod": "Static",
                                             "subnet": {"id": f"{vnet}/subnets/{subnet}"}}}]}})
    return resources


def nsg_log(nsg: str, groups: dict[str, list[tuple[str, str, int, str, str]]]) -> dict[str, Any]:
    """One NSG v2 record: rule -> tuples (src, dst, dst port, direction, decision)."""
    return {"time": "2024-01-01T00:00:00.0000000Z", "category": "NetworkSecurityGroupFlowEvent",
            "resourceId": nsg.upper(), "operationName": "NetworkSecurityGroupFlowEvents",
            "properties": {"Version": 2, "flows": [
                {"rule": rule, "flows": [{"mac": "000D3A000001", "flowTuples": [
                    f"{HOUR0 + i},{src},{dst},{40000 + i},{port},T,{way},{decision},B,,,,"
                    for i, (src, dst, port, way, decision) in enumerate(tuples)]}]}
                for rule, tuples in groups.items()]}}


TWO_TIER_INTENT = """segments:
  app: {subnets: [app]}
  sql: {subnets: [sql]}
flows:
  - {from: app, to: sql, ports: [tcp/1433]}
  - {from: internet, to: sql, ports: [tcp/443, udp/443]}
"""


@pytest.fixture()
def two_tier_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    estate = write(tmp_path / "estate.json", json.dumps(two_tier()))
    logs = tmp_path / "PT1H.json"
    logs.write_text(json.dumps({"records": [
        nsg_log(NSG_SQL, {"UserRule_allow-app-sql": [("10.1.1.4", "10.1.2.4", 1433, "I", "A")] * 3,
                          "UserRule_allow-web": [("203.0.113.5", "10.1.2.4", 443, "I", "A")] * 2}),
        nsg_log(NSG_APP, {"DefaultRule_DenyAllInBound": [("198.51.100.7", "10.1.1.4", 22, "I", "D")]}),
    ]}))
    return logs, estate, write(tmp_path / "intent.yaml", TWO_TIER_INTENT)


def test_where_the_nsg_applies_and_outbound_rules(two_tier_files: tuple[Path, Path, Path],
                                                  tmp_path: Path) -> None:
    logs, estate, intent = two_tier_files
    nsgs = by_name(run(logs, estate, intent, tmp_path / "s").to_json())
    app, sql = nsgs["nsg-app"], nsgs["nsg-sql"]
    # outbound: nsg-app protects the source of app -> sql, so its SQL egress rule stays
    kept, = app["kept_allow_rules"]
    assert (kept["name"], kept["direction"]) == ("allow-sql-out", "Outbound")
    assert kept["reason"] == "required by intent flow `app -> sql tcp/1433`, line 5"
    # inbound on nsg-app: its 1433 rule matches app -> sql packets, but they do not arrive at app
    assert {r["name"] for r in app["unused_allow_rules"]} == {"allow-any-1433", "allow-smtp-out"}
    assert [r["name"] for r in sql["unused_allow_rules"]] == ["allow-legacy-ftp"]


def test_an_nsg_on_a_nic_applies_to_that_nic(two_tier_files: tuple[Path, Path, Path],
                                            tmp_path: Path) -> None:
    logs, _, intent = two_tier_files
    resources = two_tier()
    nsg_nic = f"{BASE}/networkSecurityGroups/nsg-nic"
    resources.append({"id": nsg_nic, "name": "nsg-nic", "type": "Microsoft.Network/networkSecurityGroups",
                      "location": "westeurope", "properties": {"securityRules": [
                          _rule("allow-sql-nic", 100, "Outbound", "*", "*", "1433"),
                          _rule("allow-https-nic", 110, "Inbound", "*", "*", "443")]}})
    nic = next(r for r in resources if r["name"] == "nic-10-1-1-5")
    nic["properties"]["networkSecurityGroup"] = {"id": nsg_nic}
    estate = write(tmp_path / "estate-nic.json", json.dumps(resources))
    records = json.loads(logs.read_text())["records"]
    records.append(nsg_log(nsg_nic, {"DefaultRule_AllowVnetOutBound": [("10.1.1.5", "10.1.1.4", 8080, "O", "A")]}))
    (tmp_path / "nic").mkdir()
    nic_logs = write(tmp_path / "nic" / "PT1H.json", json.dumps({"records": records}))
    nsg = by_name(run(nic_logs, estate, intent, tmp_path / "s").to_json())["nsg-nic"]
    # 10.1.1.5 is in app: its NIC's egress rule carries app -> sql; no intended flow arrives at it
    assert [(k["name"], k["reason"]) for k in nsg["kept_allow_rules"]] == [
        ("allow-sql-nic", "required by intent flow `app -> sql tcp/1433`, line 5")]
    assert [r["name"] for r in nsg["unused_allow_rules"]] == ["allow-https-nic"]


def test_tighter_sources_extended_and_a_tightening_given_up(two_tier_files: tuple[Path, Path, Path],
                                                            tmp_path: Path) -> None:
    logs, estate, intent = two_tier_files
    plain = by_name(run(logs, estate, None, tmp_path / "s").to_json())["nsg-sql"]
    assert {p["rule"]: p["proposed"]["sourceAddressPrefix"] for p in plain["proposals"]} == {
        "allow-app-sql": "10.1.1.4", "allow-web": "203.0.113.5"}
    result = run(logs, estate, intent, tmp_path / "s")
    sql = by_name(result.to_json())["nsg-sql"]
    # only 10.1.1.4 talked to SQL; the intent's app segment also holds 10.1.1.5
    app_sql, = sql["proposals"]
    assert app_sql["rule"] == "allow-app-sql"
    assert app_sql["proposed"]["sourceAddressPrefix"] == "10.1.1.4/31"
    assert app_sql["proposed"]["destinationAddressPrefix"] == "10.1.2.4"
    note, = app_sql["evidence"]["intent"]
    assert note["added"] == {"sources": ["10.1.1.5"]} and note["line"] == 5
    # allow-web: the intent needs UDP and the whole internet; narrowing it would close that
    kept = {k["name"]: k for k in sql["kept_allow_rules"]}
    web = kept["allow-web"]
    assert web["used"] and web["why"].startswith("a tighter rule from the window's traffic would close")
    assert web["reason"] == "required by intent flow `internet -> sql tcp/443, udp/443`, line 6"
    assert set(kept) == {"allow-web"}          # allow-app-sql is tightened, not kept
    terraform = sql["terraform"]
    assert terraform.count("resource ") == 2 and '"nsg_sql_allow_web"' in terraform
    assert 'source_address_prefix       = "10.1.1.4/31"' in terraform
    assert_proposals_admit_the_intent(Engine(load_estate([estate])), load_intent(intent), result)


# -- the command ---------------------------------------------------------------------------------

def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(flows_app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_intent_outputs(two_tier_files: tuple[Path, Path, Path], tmp_path: Path) -> None:
    logs, estate, intent = two_tier_files
    common = ("suggest", str(logs), "--estate", str(estate), "--intent", str(intent),
              "--store", str(tmp_path / "s"))
    code, out, _ = invoke(*common, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["intent"]["flows"] == 2
    assert {k["name"] for n in data["nsgs"] for k in n["kept_allow_rules"]} == {"allow-sql-out", "allow-web"}
    code, out, _ = invoke(*common, "--format", "terraform")
    assert code == 0
    for name in ("nsg_app_allow_sql_out", "nsg_sql_allow_web", "nsg_sql_allow_app_sql"):
        assert f'"{name}"' in out
    assert "allow_legacy_ftp" not in out and "allow_smtp_out" not in out
    assert "# kept as it is (unused in the window): required by intent flow `app -> sql tcp/1433`, line 5" in out
    code, out, _ = invoke(*common)
    assert code == 0
    assert ("kept allow rule allow-sql-out (Outbound, priority 100; unused in the window): "
            "required by intent flow `app -> sql tcp/1433`, line 5") in out
    assert "unused allow rule allow-legacy-ftp" in out
    assert "intent: for intent flow `app -> sql tcp/1433`, line 5: sources 10.1.1.5 added" in out


@pytest.mark.parametrize(("text", "located"), [
    ("segments:\n  app: {subnets: [app]}\nflows:\n  - {from: app, to: nowhere}\n", ":4"),
    ("segments:\n  app: {subnets: [no-such-subnet]}\nflows: []\n", ":2"),
    ("segments: [\n", ":2"),
])
def test_cli_bad_intent_exits_2_located(two_tier_files: tuple[Path, Path, Path], tmp_path: Path,
                                        text: str, located: str) -> None:
    logs, estate, _ = two_tier_files
    bad = write(tmp_path / "bad.yaml", text)
    code, out, err = invoke("suggest", str(logs), "--estate", str(estate), "--intent", str(bad),
                            "--store", str(tmp_path / "s"))
    assert code == 2 and out == ""
    assert "error:" in err and f"{bad}{located}" in err
