"""Constants and helpers of the HTML report tests (fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from netwarden.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FLAWED = EXAMPLES / "contoso-flawed"
CLEAN = EXAMPLES / "contoso"
INTENT = EXAMPLES / "contoso.intent.yaml"

# resource name -> a name that would run code if a writer put it on the page unescaped
NASTY = {
    "vm-jump01": "<script>alert(1)</script>",
    "nsg-app": '"><img src=x onerror=alert(1)>',
    "snet-web": "vm-ünïcødé-雪",
    "AllowRdpInbound": "it's \"quoted\" & <b>bold</b>",
    "pip-vm-jump01": "</script><script>alert(2)</script><!--",
    "vnet-spoke-prod": "'; alert(3); //\u2028x",
}

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def html_report(tmp: Path, command: str, *args: str, name: str = "report.html") -> Path:
    out = tmp / name
    code, _, err = run(command, *args, "--format", "html", "-o", str(out))
    assert code in (0, 1), err
    assert out.is_file(), err
    return out
