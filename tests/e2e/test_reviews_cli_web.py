"""`scalegate review` and the /reviews downloads on the demo workspace."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from typer.testing import CliRunner

from scalegate.app import create_app
from scalegate.cli import app
from scalegate.settings import Settings
from tests.integration.test_reviews import assert_self_contained

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """`scalegate demo --no-serve` once for the module (it takes a while)."""
    path = tmp_path_factory.mktemp("reviews") / "demo.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCALEGATE_DATABASE_URL", str(path))
        result = runner.invoke(app, ["demo", "--no-serve"])
        assert result.exit_code == 0, result.output
        yield Settings()


@pytest.fixture
def cli(demo_workspace: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SCALEGATE_DATABASE_URL", demo_workspace.database_url)
    return demo_workspace


def test_review_writes_a_self_contained_html_pack(cli: Settings, tmp_path: Path) -> None:
    out = tmp_path / "packs" / "weekly.html"
    result = runner.invoke(app, ["review", "weekly", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "In the 7 days to" in result.output
    assert f"wrote weekly operational review to {out}\n" in result.output
    html = out.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert "<h1>Weekly operational review</h1>" in html
    assert "clause-review-availability" in html
    assert [p.name for p in out.parent.iterdir()] == ["weekly.html"]  # no temporary left


def test_review_writes_a_pdf_and_prints_the_pack_as_json(cli: Settings, tmp_path: Path) -> None:
    out = tmp_path / "quarterly.PDF"
    result = runner.invoke(app, ["review", "quarterly", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    pack = json.loads(result.output)
    assert pack["out"] == str(out)
    assert (pack["conversion"]["entered"], pack["conversion"]["converted"]) == (11, 5)
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    assert 5 <= len(reader.pages) <= 20
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "Quarterly executive review" in text and "5 of 11" in text


def test_review_as_of_a_date_ends_the_period_at_its_midnight(cli: Settings) -> None:
    result = runner.invoke(app, ["review", "monthly", "--as-of", "2026-10-01", "--json"])
    assert result.exit_code == 0, result.output
    pack = json.loads(result.output)
    assert pack["as_of"] == "2026-10-01T00:00:00+00:00"
    assert pack["period"]["start"] == "2026-09-01T00:00:00+00:00"
    assert pack["out"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["review", "weekly", "--out", "pack.txt"], "the file name must end in .html or .pdf"),
        (["review", "daily", "--out", "pack.html"], "no review called 'daily'"),
        (["review", "weekly"], "give --out FILE.html or FILE.pdf"),
    ],
)
def test_review_refuses_bad_arguments_and_writes_nothing(
    cli: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


def _signed_in(client: TestClient, settings: Settings) -> None:
    from scalegate.access import service as access
    from scalegate.workspace import open_workspace
    from tests.conftest import ADMIN

    sessions = open_workspace(settings).sessions
    email = "reviewer@northwind.example"
    access.add_user(sessions, ADMIN, email, ["viewer"])
    token = access.create_token(sessions, ADMIN, email).token
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    signed_in = client.post(
        "/login", data={"csrf_token": csrf.group(1), "email": email, "token": token}
    )
    assert signed_in.status_code == 200


def test_packs_download_from_the_ui_when_signed_in(demo_workspace: Settings) -> None:
    with TestClient(create_app(demo_workspace)) as client:
        anonymous = client.get("/reviews/weekly.html", follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == "/login?next=/reviews/weekly.html"

        _signed_in(client, demo_workspace)
        page = client.get("/reviews")
        assert page.status_code == 200
        for cadence in ("weekly", "monthly", "quarterly"):
            assert f'href="/reviews/{cadence}.html"' in page.text
            assert f'href="/reviews/{cadence}.pdf"' in page.text
        assert '<a href="/reviews" aria-current="page">Reviews</a>' in page.text

        html = client.get("/reviews/monthly.html")
        assert html.status_code == 200
        assert html.headers["content-type"].startswith("text/html")
        assert re.fullmatch(
            r'attachment; filename="scalegate-monthly-review-\d{4}-\d{2}-\d{2}\.html"',
            html.headers["content-disposition"],
        )
        assert_self_contained(html.text)
        assert "<h1>Monthly portfolio review</h1>" in html.text

        pdf = client.get("/reviews/weekly.pdf", params={"as_of": "2026-11-01"})
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert (
            'filename="scalegate-weekly-review-2026-10-31.pdf"'
            in pdf.headers["content-disposition"]
        )
        reader = PdfReader(io.BytesIO(pdf.content))
        assert "Weekly operational review" in reader.pages[0].extract_text()

        assert client.get("/reviews/daily.html").status_code == 404
        assert client.get("/reviews/weekly.txt").status_code == 404
