"""The CLI: apply/export/list/show/rank, identity, audit, and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from scalegate.cli import app
from scalegate.workspace import Workspace
from tests.conftest import EXAMPLES
from tests.integration.test_apply import BASE

runner = CliRunner()


def sg(*args: str, input: str | None = None, code: int = 0) -> str:
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.output}\n{result.stderr}"
    return result.output if code == 0 else result.stderr


def test_apply_from_stdin_then_list_show_rank(cli_env: str) -> None:
    assert "3 created, 0 updated, 0 unchanged, 0 deleted" in sg("apply", "-f", "-", input=BASE)
    rows = json.loads(sg("list", "--json"))
    assert [(r["name"], r["theme"], r["stage"], r["priority"], r["rank"]) for r in rows] == [
        ("disputes", "ops", "prove", 4.0, 1)
    ]
    shown = json.loads(sg("show", "disputes", "--json"))
    assert shown["spec"]["hypotheses"][0] == {
        "kpi": "aht",
        "baseline": {"value": 11.5, "at": "2026-03-01"},
        "target": {"value": 9.2, "by": "2026-12-31"},
    }
    assert shown["status"]["rank"] == 1
    assert json.loads(sg("rank", "--json")) == [
        {"rank": 1, "name": "disputes", "priority": 4.0, "missingScores": []}
    ]


def test_bad_file_exits_2_with_one_line_per_problem(cli_env: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        BASE.replace("theme: ops", "theme: nowhere").replace("direction: down", "direction: left")
    )
    err = sg("apply", "-f", str(bad), code=2)
    assert err.splitlines() == [
        "error: 2 problem(s); nothing was applied",
        f"{bad}:9: KPI/aht: spec.direction: input should be 'up' or 'down'",
        f"{bad}:16: Initiative/disputes: spec.theme: Theme/nowhere does not exist",
    ]
    assert json.loads(sg("list", "--json")) == []


def test_missing_file_is_reported(cli_env: str) -> None:
    err = sg("apply", "-f", "no/such.yaml", code=2)
    assert "no/such.yaml: no such file or directory" in err


def test_dry_run_and_prune_summaries(cli_env: str, tmp_path: Path) -> None:
    sg("apply", "-f", str(EXAMPLES))
    only_themes = tmp_path / "themes.yaml"
    only_themes.write_text((EXAMPLES / "themes.yaml").read_text())
    summary = json.loads(sg("apply", "-f", str(only_themes), "--dry-run", "--json"))
    assert summary["dryRun"] is True
    assert summary["totals"]["unchanged"] == summary["totals"]["created"] + len(summary["changes"])


def test_export_to_directory_and_back(cli_env: str, tmp_path: Path) -> None:
    sg("apply", "-f", str(EXAMPLES))
    out = tmp_path / "export"
    sg("export", "-o", str(out))
    assert sorted(p.name for p in out.iterdir()) == [
        "asset.yaml",
        "datasource.yaml",
        "initiative.yaml",
        "kpi.yaml",
        "model.yaml",
        "rubric.yaml",
        "sli.yaml",
        "slo.yaml",
        "theme.yaml",
    ]
    result = json.loads(sg("apply", "-f", str(out), "--prune", "--json"))
    assert result["totals"]["created"] == result["totals"]["updated"] == 0
    assert result["totals"]["deleted"] == 0


def test_users_tokens_and_acting_as(cli_env: str) -> None:
    sg("user", "add", "vera@northwind.example", "--role", "viewer")
    token = json.loads(sg("token", "create", "vera@northwind.example", "--json"))["token"]
    assert token.startswith("sg_")
    users = json.loads(sg("user", "list", "--json"))
    assert users == [{"email": "vera@northwind.example", "roles": ["viewer"], "tokens": 1}]
    err = sg("--as", "vera@northwind.example", "apply", "-f", "-", input=BASE, code=3)
    assert "vera@northwind.example (viewer) may not" in err
    err = sg("--as", "nobody@northwind.example", "list", code=1)
    assert "no user nobody@northwind.example" in err


def test_audit_log_and_verify_exit_codes(cli_env: str, workspace: Workspace) -> None:
    sg("apply", "-f", "-", input=BASE)
    log = json.loads(sg("audit", "log", "--json"))
    assert [r["object"] for r in log] == ["Initiative/disputes", "KPI/aht", "Theme/ops"]
    assert log[0]["actor"].startswith("local:")
    assert "audit chain intact: 3 records" in sg("audit", "verify")
    with workspace.engine.begin() as connection:
        connection.execute(text("UPDATE audit_record SET object = 'Theme/forged' WHERE seq = 2"))
    err = sg("audit", "verify", code=4)
    assert "audit chain broken at seq 2: content does not match its hash" in err


def test_uninitialised_workspace_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SCALEGATE_DATABASE_URL", str(tmp_path / "none.db"))
    err = sg("list", code=1)
    assert "run `scalegate init`" in err
    assert not (tmp_path / "none.db").exists()
