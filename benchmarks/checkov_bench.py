"""netwarden and Checkov side by side on the same Terraform plan: time (whole processes, in
alternation) and verdicts on the checks both have.

Checkov lives in its own virtual environment (``benchmarks/.venv-checkov``, created on
first use with ``python -m venv`` + ``pip install checkov``); without PyPI the comparison
is skipped with a message. Its Azure network checks (IDs as ``checkov --list`` gives them
for Terraform, Checkov 3.3):

| Checkov | what it tests (string match on the resource's attributes) | netwarden |
|---|---|---|
| CKV_AZURE_9 / _10 | an inbound Allow rule for TCP/* whose port (range) covers 3389 / 22 and whose source is one of `*`, `0.0.0.0`, `<nw>/0`, `/0`, `internet`, `any` | EDGE001: RDP / SSH of a VM reached from the internet by any path |
| CKV_AZURE_160 | the same for port 80 | no scan check: `reach` internet → each public-IP NIC, tcp/80 |
| CKV_AZURE_77 | an inbound Allow UDP rule from those sources (the first rule of an NSG only) | no scan check: `reach` internet → each public-IP NIC, udp/* |
| CKV_AZURE_35 | storage `network_rules.default_action` is Deny | PAAS001 / PAAS003 on the account |
| CKV_AZURE_109 | key vault `network_acls.default_action` is Deny | PAAS001 / PAAS003 on the vault |
| CKV_AZURE_122 | WAF policy not disabled (Detection passes) | EDGE004 (Prevention required) |
| CKV_AZURE_12 | flow log enabled with retention ≥ 90 days (or 0) | MON002 |
| CKV_AZURE_135 | WAF managed rule set covers Log4j | none (not compared) |
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-checkov"

CHECKOV_CHECKS = ["CKV_AZURE_9", "CKV_AZURE_10", "CKV_AZURE_160", "CKV_AZURE_77", "CKV_AZURE_35",
                  "CKV_AZURE_109", "CKV_AZURE_122", "CKV_AZURE_135", "CKV_AZURE_12"]
NETWARDEN_CHECKS = ["EDGE001", "EDGE004", "PAAS001", "PAAS003", "MON002"]
# Checkov ID -> (what it stands for, netwarden's counterpart, the unit compared)
PAIRS: dict[str, tuple[str, str, str]] = {
    "CKV_AZURE_9": ("RDP 3389 from the internet", "EDGE001 (RDP 3389)", "NSG"),
    "CKV_AZURE_10": ("SSH 22 from the internet", "EDGE001 (SSH 22)", "NSG"),
    "CKV_AZURE_160": ("HTTP 80 from the internet", "reach internet → public-IP NICs, tcp/80", "NSG"),
    "CKV_AZURE_77": ("UDP from the internet", "reach internet → public-IP NICs, udp/*", "NSG"),
    "CKV_AZURE_35": ("storage default network action", "PAAS001 / PAAS003", "storage account"),
    "CKV_AZURE_109": ("key vault default network action", "PAAS001 / PAAS003", "key vault"),
    "CKV_AZURE_122": ("WAF policy mode", "EDGE004", "WAF policy"),
    "CKV_AZURE_12": ("flow-log retention ≥ 90 days", "MON002", "flow log"),
}
CHECKOV_INTERNET = ("*", "0.0.0.0", "<nw>/0", "/0", "internet", "any")
INTERNET_SRC = "198.51.100.7"      # a documentation address as the internet client


# -- the venv ------------------------------------------------------------------------------------

def ensure_venv(log: Any = sys.stderr, timeout: float = 1200) -> dict[str, Any]:
    """``{"python", "checkov", "matplotlib", "note"}``: the venv's python, its checkov
    executable (None if it could not be installed) and whether matplotlib imports."""
    py = VENV / "bin" / "python"
    checkov = VENV / "bin" / "checkov"
    note = ""
    if not py.exists():
        print(f"[checkov] creating {VENV} (python -m venv) ...", file=log, flush=True)
        r = subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=False, capture_output=True, text=True)
        if r.returncode:
            return {"python": None, "checkov": None, "matplotlib": False,
                    "note": f"python -m venv failed: {r.stderr.strip()[-300:]}"}
    for package, present in (("checkov", checkov.exists()), ("matplotlib", _imports(py, "matplotlib"))):
        if present:
            continue
        print(f"[checkov] pip install {package} into {VENV.name} ...", file=log, flush=True)
        try:
            r = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                                package], check=False, capture_output=True, text=True, timeout=timeout)
            failed = r.returncode != 0
            detail = (r.stderr or r.stdout).strip().splitlines()[-1:] if failed else []
        except subprocess.TimeoutExpired:
            failed, detail = True, [f"timed out after {timeout:.0f} s"]
        if failed:
            note += (f"pip install {package} failed (is PyPI reachable?): "
                     f"{' '.join(detail)[:300]}. ")
    return {"python": str(py), "checkov": str(checkov) if checkov.exists() else None,
            "matplotlib": _imports(py, "matplotlib"), "note": note.strip()}


def _imports(py: Path, module: str) -> bool:
    return py.exists() and subprocess.run([str(py), "-c", f"import {module}"], check=False,
                                          capture_output=True).returncode == 0


def checkov_version(checkov: str) -> str:
    r = subprocess.run([checkov, "--version"], check=False, capture_output=True, text=True)
    return r.stdout.strip()


def checkov_cmd(checkov: str, plan: Path) -> list[str]:
    return [checkov, "-f", str(plan), "--framework", "terraform_plan", "--check",
            ",".join(CHECKOV_CHECKS), "--skip-download", "-o", "json"]


def checkov_env() -> dict[str, str]:
    # no platform calls: no API key, no mapping download (it is a local comparison)
    return {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
            "LOG_LEVEL": "WARNING"}


def netwarden_cmd(netwarden: str, plan: Path, out: Path) -> list[str]:
    cmd = [netwarden, "scan", str(plan), "--input-format", "terraform", "--format", "json", "-o", str(out)]
    for check in NETWARDEN_CHECKS:
        cmd += ["--check", check]
    return cmd


# -- verdicts ------------------------------------------------------------------------------------

_KEY = re.compile(r'\["([^"]+)"\]$')


def _unit(address: str) -> str:
    m = _KEY.search(address)
    return m.group(1) if m else address.rsplit(".", 1)[-1]


def checkov_verdicts(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """check ID -> unit name -> {"result", "rule_index"} from Checkov's JSON report."""
    data = json.loads(path.read_text())
    reports = data if isinstance(data, list) else [data]
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for report in reports:
        for kind in ("failed_checks", "passed_checks"):
            for r in report.get("results", {}).get(kind, ()):
                keys = (r.get("check_result") or {}).get("evaluated_keys") or []
                index = next((int(m.group(1)) for k in keys
                              if (m := re.match(r"security_rule/\[(\d+)\]/", k))), None)
                found.setdefault(r["check_id"], {})[_unit(r["resource"])] = {
                    "result": r["check_result"]["result"], "rule_index": index}
    return found


def _ports(message: str) -> set[int]:
    head = message.split(" of ", 1)[0]
    return {int(x) for x in re.findall(r"\b(\d{1,5})\b", head)}


def compare_worker(plan_path: str, scan_path: str, checkov_path: str) -> dict[str, Any]:
    """Runs in the netwarden environment: loads the plan once more for the NSG-level facts
    (which NICs with public IPs sit behind each NSG, what a concrete internet packet meets)
    and returns one row per unit and check, with an explanation for every disagreement."""
    from netwarden.engine import Engine, Packet, Service
    from netwarden.ingest import load_estate
    from netwarden.model.compute import NetworkInterface, PublicIp, VirtualMachine
    from netwarden.model.security import ApplicationSecurityGroup

    ck = checkov_verdicts(Path(checkov_path))
    scan = json.loads(Path(scan_path).read_text())
    plan = json.loads(Path(plan_path).read_text())
    tf: dict[str, dict[str, Any]] = {}          # name -> values, for NSGs, storage, vaults, flow logs
    for module in [plan["planned_values"]["root_module"], *plan["planned_values"]["root_module"].get("child_modules", ())]:
        for r in module.get("resources", ()):
            tf[f"{r['type']}:{r['values'].get('name')}"] = r["values"]
    estate = load_estate([Path(plan_path)])
    engine = Engine(estate)

    def ip(text: str) -> int:
        a, b, c, d = (int(x) for x in text.split("/")[0].split("."))
        return (a << 24) | (b << 16) | (c << 8) | d

    nsg_name = {n.id.lower(): n.name for n in estate.nsgs}
    subnet_nsg = {s.id.lower(): s.nsg_id for s in estate.subnets}
    nsgs_of_nic: dict[str, list[str]] = {}
    exposed_nics: list[tuple[NetworkInterface, str]] = []      # (NIC, its public IP address)
    behind: dict[str, list[str]] = {}                          # NSG -> NICs behind it
    for nic in estate.nics:
        ids = [i for i in [nic.nsg_id, *(subnet_nsg.get(s.lower()) for s in nic.subnet_ids)] if i]
        names = [nsg_name[i.lower()] for i in ids if i.lower() in nsg_name]
        nsgs_of_nic[nic.name] = names
        for n in names:
            behind.setdefault(n, []).append(nic.name)
        for cfg in nic.ip_configurations:
            pip = estate.get(cfg.public_ip_id, PublicIp) if cfg.public_ip_id else None
            if pip is not None and pip.address is not None:
                exposed_nics.append((nic, str(pip.address).split("/")[0]))
    vm_nics = {vm.name: [estate.get(n, NetworkInterface) for n in vm.nic_ids]
               for vm in estate.of(VirtualMachine)}

    def traced(nic: NetworkInterface, address: str, protocol: int, port: int) -> tuple[str, list[Any]]:
        t = engine.trace(Packet(ip(INTERNET_SRC), ip(address), protocol, 49152, port))
        return t.verdict, list(t.hops)

    # netwarden's verdict per (check, NSG): scan findings for 22/3389, reach for 80 and UDP
    nw: dict[str, dict[str, str]] = {c: {} for c in PAIRS}
    no_nsg: dict[str, list[str]] = {c: [] for c in PAIRS}
    for f in scan["findings"]:
        if f["check"] == "EDGE001":
            ports = _ports(f["message"])
            nics = [n for n in vm_nics.get(f["resource_name"], []) if n is not None]
            for check, port in (("CKV_AZURE_9", 3389), ("CKV_AZURE_10", 22)):
                if port in ports:
                    names = sorted({x for n in nics for x in nsgs_of_nic.get(n.name, [])})
                    for name in names:
                        nw[check][name] = f"{f['resource_name']} reachable on {port}"
                    if not names:
                        no_nsg[check].append(f["resource_name"])
    witness_port: dict[tuple[str, str], int] = {}
    for nic, address in exposed_nics:
        for check, service in (("CKV_AZURE_160", Service(6, (80, 80))), ("CKV_AZURE_77", Service(17))):
            r = engine.reach(engine.endpoint("internet"), engine.endpoint(nic.name), service)
            if r.verdict != "denied":
                w = r.allowed.witness()
                if w is not None:
                    witness_port[(check, nic.name)] = w.dst_port
                for name in nsgs_of_nic.get(nic.name, []):
                    nw[check][name] = f"{nic.name} reachable ({r.verdict})"
                if not nsgs_of_nic.get(nic.name):
                    no_nsg[check].append(nic.name)
    flagged = {(f["check"], f["resource_name"]) for f in scan["findings"]}
    for check, names in (("CKV_AZURE_35", "azurerm_storage_account"), ("CKV_AZURE_109", "azurerm_key_vault")):
        for unit in ck.get(check, {}):
            if (("PAAS001", unit) in flagged) or (("PAAS003", unit) in flagged):
                nw[check][unit] = "open to every network"
    for f in scan["findings"]:
        if f["check"] == "EDGE004":
            nw["CKV_AZURE_122"][f["resource_name"]] = f["message"]
        if f["check"] == "MON002":
            nw["CKV_AZURE_12"][f["resource_name"]] = f["message"]

    ports = {"CKV_AZURE_9": (6, 3389), "CKV_AZURE_10": (6, 22), "CKV_AZURE_160": (6, 80), "CKV_AZURE_77": (17, 161)}

    asg_name = {a.id.lower(): a.name for a in estate.of(ApplicationSecurityGroup)}

    def side(rule: dict[str, Any], which: str) -> str:
        text = rule[f"{which}_address_prefix"] or ", ".join(rule[f"{which}_address_prefixes"])
        asgs = [asg_name.get(i.lower(), i.rsplit("/", 1)[-1])
                for i in rule[f"{which}_application_security_group_ids"]]
        return text or ("ASG " + ", ".join(asgs) if asgs else "?")

    def rule_text(rule: dict[str, Any]) -> str:
        port = rule["destination_port_range"] or ",".join(rule["destination_port_ranges"])
        return (f"{rule['name']} (priority {rule['priority']}, {rule['access']} {rule['protocol']} {port} "
                f"from {side(rule, 'source')} to {side(rule, 'destination')})")

    def explain_nsg(check: str, unit: str, c: dict[str, Any] | None, nw_fails: bool) -> str:
        values = tf.get(f"azurerm_network_security_group:{unit}", {})
        rules = values.get("security_rule", [])
        flagged_rule = rules[c["rule_index"]] if c and c.get("rule_index") is not None and \
            c["rule_index"] < len(rules) else None
        nics = [(n, a) for n, a in exposed_nics if unit in nsgs_of_nic.get(n.name, [])]
        protocol, port = ports[check]
        if check == "CKV_AZURE_77" and flagged_rule:       # trace the port the flagged rule names
            first = (flagged_rule["destination_port_range"] or
                     next(iter(flagged_rule["destination_port_ranges"]), "")).split("-")[0]
            port = int(first) if first.isdigit() else port
        if not nw_fails:
            what = f"Checkov flags {rule_text(flagged_rule)}" if flagged_rule else "Checkov flags a rule"
            if not nics:
                return (f"{what}, but none of the {len(behind.get(unit, []))} NICs behind {unit} has a public "
                        "IP and no gateway forwards this port to them: no internet packet reaches the rule "
                        "(a latent rule, not an exposure)")
            verdict, hops = traced(nics[0][0], nics[0][1], protocol, port)
            decider = next((h for h in hops if h.action in ("deny", "drop")), None)
            where = f"{decider.name} [{decider.rule}]" if decider is not None else "the path"
            rule = next((r for r in rules if decider is not None and decider.name == unit
                         and r["name"] == decider.rule), None)
            if rule and flagged_rule and rule["priority"] < flagged_rule["priority"]:
                return (f"{what}; a higher-priority rule decides first: {rule_text(rule)} — "
                        f"netwarden traces {INTERNET_SRC} → {nics[0][1]}:{port} to that deny")
            if rule and flagged_rule:
                names = ", ".join(f"{n.name} ({a})" for n, a in nics)
                return (f"{what}, whose destination does not include the NICs with a public IP behind "
                        f"{unit} ({names}): the internet packet to port {port} falls through to {where}")
            return f"{what}; the internet packet to {nics[0][0].name} ({nics[0][1]}:{port}) is dropped at {where}"
        # netwarden finds exposure, Checkov passes the NSG
        for nic, address in nics:
            port = witness_port.get((check, nic.name), port)
            verdict, hops = traced(nic, address, protocol, port)
            hop = next((h for h in hops if h.name == unit and h.action == "allow"), None)
            if verdict != "allowed" or hop is None or not hop.rule:
                continue
            names = [x.strip() for x in hop.rule.split(",")]
            rule = next((r for r in rules if r["name"] in names and r["direction"] == "Inbound"), None)
            if rule is None:
                continue
            sources = [rule["source_address_prefix"]] if rule["source_address_prefix"] else rule["source_address_prefixes"]
            odd = [x for x in sources if x.lower() not in CHECKOV_INTERNET]
            first_only = ""
            if check == "CKV_AZURE_77" and rules and rules[0]["name"] != rule["name"]:
                first_only = (f"it is rule #{rules.index(rule) + 1} of {unit}, and CKV_AZURE_77 returns "
                              "after the first rule of an NSG")
            if "virtualnetwork" in (x.lower() for x in sources):
                return (f"{rule_text(rule)} admits {nic.name} ({address}:{port}) from the internet: the "
                        "subnet's route table sends 0.0.0.0/0 to the firewall, and Azure adds UDR prefixes "
                        "to the VirtualNetwork tag, so the tag covers every address; Checkov reads "
                        "'VirtualNetwork' as internal" + (f" (besides, {first_only})" if first_only else ""))
            if odd:
                return (f"{rule_text(rule)} admits {nic.name} ({address}:{port}); its source "
                        f"{' + '.join(odd)} is public address space but not one of Checkov's strings "
                        f"{CHECKOV_INTERNET}" + (f" (besides, {first_only})" if first_only else ""))
            if first_only:
                return f"{rule_text(rule)} admits {nic.name} ({address}:{port}); {first_only}, so it never sees it"
            if check == "CKV_AZURE_77" and not rule["source_address_prefix"]:
                return f"{rule_text(rule)}: CKV_AZURE_77 reads source_address_prefix only, not the list"
            return f"{rule_text(rule)} admits {nic.name} ({address}:{port})"
        return "netwarden finds the port reached through this NSG (see the scan)"

    rows: list[dict[str, Any]] = []
    for check, (_, counterpart, unit_kind) in PAIRS.items():
        units = sorted(set(ck.get(check, {})) | set(nw[check]))
        for unit in units:
            c = ck.get(check, {}).get(unit)
            c_fail = c is not None and c["result"] == "FAILED"
            n_fail = unit in nw[check]
            row = {"check": check, "unit": unit, "checkov": c["result"] if c else "not checked",
                   "netwarden": "FAIL" if n_fail else "pass", "agree": c_fail == n_fail, "why": ""}
            if c_fail != n_fail:
                if unit_kind == "NSG":
                    row["why"] = explain_nsg(check, unit, c, n_fail)
                else:
                    row["why"] = explain_other(check, unit, tf, c, n_fail, nw[check].get(unit, ""))
            rows.append(row)
        for vm in no_nsg[check]:
            rows.append({"check": check, "unit": f"{vm} (no NSG)", "checkov": "nothing to check",
                         "netwarden": "FAIL", "agree": False,
                         "why": (f"{vm} sits in a subnet without an NSG behind a Basic public IP, which is "
                                 "open unless an NSG denies: every port is reachable, but there is no NSG "
                                 "rule for Checkov's NSG checks to match")})
    return {"rows": rows, "checkov_135": ck.get("CKV_AZURE_135", {})}


def explain_other(check: str, unit: str, tf: dict[str, dict[str, Any]], c: dict[str, Any] | None,
                  nw_fails: bool, nw_reason: str) -> str:
    if check in ("CKV_AZURE_35", "CKV_AZURE_109"):
        kind = "azurerm_storage_account" if check == "CKV_AZURE_35" else "azurerm_key_vault"
        v = tf.get(f"{kind}:{unit}", {})
        acl = (v.get("network_rules") or v.get("network_acls") or [{}])
        acl = acl[0] if acl else {}
        if not v.get("public_network_access_enabled", True) and not nw_fails:
            return (f"public network access is disabled, so the ACL's default action "
                    f"({acl.get('default_action', 'unset')}) admits nobody; Checkov reads only default_action")
        if nw_fails and acl.get("default_action") == "Deny":
            return (f"default action Deny, but ip_rules {acl.get('ip_rules')} admit every public address "
                    f"({nw_reason})")
        if nw_fails and c is None:
            return f"Checkov reports nothing for it (network rules declared elsewhere?); netwarden: {nw_reason}"
        return f"Checkov {c['result'] if c else 'nothing'}; netwarden: {nw_reason or 'not open'}"
    if check == "CKV_AZURE_122":
        v = tf.get(f"azurerm_web_application_firewall_policy:{unit}", {})
        mode = (v.get("policy_settings") or [{}])[0].get("mode")
        return (f"the policy is enabled in {mode} mode: Checkov accepts Detection; netwarden requires "
                "Prevention (Detection logs attacks and blocks none) on a gateway with a public frontend")
    if check == "CKV_AZURE_12":
        v = tf.get(f"azurerm_network_watcher_flow_log:{unit}", {})
        if v.get("enabled") is False:
            return ("the flow log is disabled: Checkov fails its retention; netwarden does not judge the "
                    "retention of a log that records nothing and reports the NSG under MON001 instead")
        return f"retention {v.get('retention_policy')}: Checkov {c['result'] if c else '—'}; netwarden {nw_reason or 'pass'}"
    return nw_reason
