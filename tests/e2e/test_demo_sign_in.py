"""`scalegate demo` prints how to sign in: a demo admin and its token, the first time only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from scalegate.app import create_app
from scalegate.cli import app
from scalegate.demo import DEMO_USER
from scalegate.settings import Settings

runner = CliRunner()
PRINTED = re.compile(r"sign in at http://\S+/login with email (\S+) and token (sg_\S+)")


def test_the_demo_prints_a_token_that_signs_in_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SCALEGATE_DATABASE_URL", str(tmp_path / "demo.db"))
    first = runner.invoke(app, ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    found = PRINTED.search(first.output)
    assert found is not None, first.output
    email, token = found.groups()
    assert email == DEMO_USER
    assert f"Authorization: Bearer {token}" in first.output
    again = runner.invoke(app, ["demo", "--no-serve"])
    assert again.exit_code == 0, again.output
    assert PRINTED.search(again.output) is None  # tokens are shown once
    assert f"scalegate token create {DEMO_USER}" in again.output
    users = runner.invoke(app, ["user", "list", "--json"])
    assert users.exit_code == 0, users.output
    assert DEMO_USER in users.output and "admin" in users.output

    with TestClient(create_app(Settings())) as client:
        form = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None
        signed_in = client.post(
            "/login", data={"csrf_token": csrf.group(1), "email": email, "token": token}
        )
        assert signed_in.status_code == 200
        assert f'<span class="who" title="admin">{DEMO_USER}</span>' in signed_in.text
        api = client.get("/api/v1/risks", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 200
        assert {r["rule"] for r in api.json()} >= {"shadow-ai"}
