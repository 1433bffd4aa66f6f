"""The page cache: keyed by URL, roles, the audit head and a time bucket; per-session parts
filled in per request. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from scalegate.access import service as access
from scalegate.app import create_app
from scalegate.audit.service import head_seq
from scalegate.evidence.service import ingest
from scalegate.manifests.service import apply_sources
from scalegate.settings import Settings
from scalegate.web.page_cache import HEADER, PageCache, Rendered
from scalegate.workspace import Workspace
from tests.conftest import ADMIN

PORTFOLIO = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Operations}
---
apiVersion: scalegate.dev/v1
kind: KPI
metadata: {name: handle-time}
spec: {title: Handle time, unit: minutes, direction: down}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: alpha}
spec:
  title: Alpha
  theme: ops
  stage: prove
  services: [svc-alpha]
  hypotheses:
    - kpi: handle-time
      baseline: {value: 12, at: 2026-05-01}
      target: {value: 9, by: 2027-03-01}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: beta}
spec: {title: Beta, theme: ops, stage: define, services: [svc-beta]}
"""
PAGES = ("/", "/dashboard", "/initiatives/alpha", "/risks", "/?stage=prove")
ADMIN_EMAIL = "admin@example.com"
VIEWER_EMAIL = "viewer@example.com"


class Clock:
    """An injected clock for the cache's time bucket."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def users(workspace: Workspace) -> dict[str, str]:
    """The portfolio applied; an admin, a second admin and a viewer with a token each."""
    apply_sources(workspace.sessions, [("p.yaml", PORTFOLIO)], ADMIN)
    tokens = {}
    for email, role in (
        (ADMIN_EMAIL, "admin"),
        ("admin2@example.com", "admin"),
        (VIEWER_EMAIL, "viewer"),
    ):
        access.add_user(workspace.sessions, ADMIN, email, [role])
        tokens[email] = access.create_token(workspace.sessions, ADMIN, email).token
    return tokens


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _signed_in(client: TestClient, email: str, token: str) -> TestClient:
    response = client.post(
        "/login",
        data={"csrf_token": _csrf(client.get("/login").text), "email": email, "token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client


@pytest.fixture
def clients(
    settings: Settings, users: dict[str, str]
) -> Iterator[tuple[TestClient, dict[str, TestClient], Clock]]:
    """One app (one cache, on an injected clock) and a signed-in client per user."""
    app = create_app(settings.model_copy(update={"secret_key": "test-key"}))
    clock = Clock()
    app.state.page_cache.clock = clock
    signed = {email: TestClient(app) for email in users}
    with signed[ADMIN_EMAIL] as first:
        for email, client in signed.items():
            _signed_in(client, email, users[email])
        yield first, signed, clock
        for email, client in signed.items():
            if email != ADMIN_EMAIL:
                client.close()


def _get(client: TestClient, path: str, expect: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers[HEADER] == expect, (path, response.headers.get(HEADER))
    return response.text


def test_second_request_is_a_hit_with_identical_figures(
    clients: tuple[TestClient, dict[str, TestClient], Clock],
) -> None:
    admin, _, _ = clients
    for path in PAGES:
        first = _get(admin, path, "miss")
        again = _get(admin, path, "hit")
        assert again == first, path
    # Another query string is another page.
    defined = _get(admin, "/?stage=define", "miss")
    assert 'id="initiative-beta"' in defined and 'id="initiative-alpha"' not in defined
    assert 'id="initiative-alpha"' in _get(admin, "/?stage=prove", "hit")
    # An unknown initiative's 404 page is cached too, and keeps its status.
    missing = admin.get("/initiatives/nope")
    assert (missing.status_code, missing.headers[HEADER]) == (404, "miss")
    missing = admin.get("/initiatives/nope")
    assert (missing.status_code, missing.headers[HEADER]) == (404, "hit")


def test_an_ingest_makes_the_next_request_a_miss_with_the_new_data(
    workspace: Workspace, clients: tuple[TestClient, dict[str, TestClient], Clock]
) -> None:
    admin, _, _ = clients
    row = re.compile(r'<tr id="drill-alpha">.*?</tr>', re.S)
    before = _get(admin, "/dashboard", "miss")
    assert "<td>0</td>" in row.findall(before)[0]
    _get(admin, "/dashboard", "hit")
    seq = head_seq(workspace.sessions)
    at = datetime.now(UTC) - timedelta(hours=1)
    event = {
        "type": "deployment",
        "id": "alpha-1",
        "service": "svc-alpha",
        "environment": "production",
        "status": "success",
        "finished_at": at.isoformat(),
    }
    ingest(workspace.sessions, ADMIN, json.dumps(event))
    assert head_seq(workspace.sessions) == seq + 1
    after = _get(admin, "/dashboard", "miss")
    assert "<td>1</td>" in row.findall(after)[0]
    assert _get(admin, "/dashboard", "hit") == after


def test_a_sign_off_through_the_form_shows_at_once(
    clients: tuple[TestClient, dict[str, TestClient], Clock],
) -> None:
    admin, _, _ = clients
    page = _get(admin, "/initiatives/alpha", "miss")
    assert 'id="signoff-sponsor-approval"' not in page
    response = admin.post(
        "/initiatives/alpha/signoffs",
        data={
            "csrf_token": _csrf(page),
            "item": "sponsor-approval",
            "artifact": "https://example.com/approval",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    # The page after the form carries a one-time message: rendered afresh, not stored.
    shown = admin.get("/initiatives/alpha")
    assert shown.headers[HEADER] == "bypass"
    assert "Signed sponsor-approval." in shown.text
    assert 'id="signoff-sponsor-approval"' in shown.text
    # The next view is the new state, without the message.
    fresh = _get(admin, "/initiatives/alpha", "miss")
    assert 'id="signoff-sponsor-approval"' in fresh
    assert "Signed sponsor-approval." not in fresh
    assert _get(admin, "/initiatives/alpha", "hit") == fresh
    # Every other page moves on too: the audit head is part of every key.
    _get(admin, "/dashboard", "miss")


def test_users_never_get_each_others_forms_or_tokens(
    clients: tuple[TestClient, dict[str, TestClient], Clock],
) -> None:
    _, signed, _ = clients
    admin, admin2, viewer = (
        signed[ADMIN_EMAIL],
        signed["admin2@example.com"],
        signed[VIEWER_EMAIL],
    )
    path = "/initiatives/alpha"
    as_admin = _get(admin, path, "miss")
    as_viewer = _get(viewer, path, "miss")  # other roles: another entry
    as_admin2 = _get(admin2, path, "hit")  # same roles: the admin's page, with its own parts
    as_viewer_again = _get(viewer, path, "hit")

    assert 'id="signoff-form"' in as_admin and 'id="signoff-form"' in as_admin2
    assert 'id="signoff-form"' not in as_viewer and "<form" in as_viewer  # sign-out only
    assert as_viewer_again == as_viewer
    tokens = {
        html: set(re.findall(r'name="csrf_token" value="([^"]+)"', html))
        for html in (as_admin, as_admin2, as_viewer)
    }
    assert all(len(found) == 1 for found in tokens.values())
    assert len(set.union(*tokens.values())) == 3  # one token per session, none shared
    assert ADMIN_EMAIL in as_admin and "admin2@example.com" not in as_admin
    assert "admin2@example.com" in as_admin2 and ADMIN_EMAIL not in as_admin2
    assert VIEWER_EMAIL in as_viewer and ADMIN_EMAIL not in as_viewer
    assert "sgcsrf" not in as_admin2 and "sgname" not in as_admin2  # no placeholder left
    # The token in a page served from the cache is the session's own: the form works.
    response = admin2.post(
        "/initiatives/alpha/signoffs",
        data={
            "csrf_token": _csrf(as_admin2),
            "item": "risk-review",
            "artifact": "https://example.com/risk",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "Signed risk-review." in admin2.get(path).text
    # The viewer never sees the admin's flash message.
    assert "Signed risk-review." not in _get(viewer, path, "miss")


def test_the_time_bucket_expires(clients: tuple[TestClient, dict[str, TestClient], Clock]) -> None:
    admin, _, clock = clients
    clock.now = 60 * 20_000.0  # the start of a bucket
    _get(admin, "/dashboard", "miss")
    clock.now += 59
    _get(admin, "/dashboard", "hit")
    clock.now += 1  # the next bucket: figures depend on "now"
    _get(admin, "/dashboard", "miss")
    _get(admin, "/dashboard", "hit")


def test_zero_seconds_turns_the_cache_off(settings: Settings, users: dict[str, str]) -> None:
    app = create_app(settings.model_copy(update={"page_cache_seconds": 0, "secret_key": "k"}))
    with TestClient(app) as client:
        _signed_in(client, ADMIN_EMAIL, users[ADMIN_EMAIL])
        for _ in range(2):
            response = client.get("/dashboard")
            assert response.status_code == 200
            assert HEADER not in response.headers
    assert len(app.state.page_cache) == 0


RELEASE = threading.Event()


def _concurrently(cache: PageCache, generation: tuple[int, int], build: Any) -> list[str]:
    """Five requests for page "k" at once, each build held until all have asked."""
    how: list[str] = []
    threads = [
        threading.Thread(target=lambda: how.append(cache.get(generation, "k", build)[1]))
        for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    RELEASE.set()
    for thread in threads:
        thread.join()
    RELEASE.clear()
    return how


def test_concurrent_misses_build_once_and_old_states_are_dropped() -> None:
    cache = PageCache(60, size=3)
    builds: list[bytes] = []

    def build(body: bytes) -> Any:
        def held() -> Rendered:
            builds.append(body)
            RELEASE.wait(5)
            return Rendered(body, 200)

        return held

    # Nothing stored yet: the four others wait for the one build and share it.
    assert sorted(_concurrently(cache, (1, 10), build(b"v1"))) == ["hit"] * 4 + ["miss"]
    assert builds == [b"v1"]
    # The next time bucket, same data: while one request recomputes, the others get the
    # page of the bucket just before at once.
    how = _concurrently(cache, (1, 11), build(b"v2"))
    assert sorted(how) == ["miss"] + ["stale"] * 4
    assert cache.get((1, 11), "k", build(b"never"))[0].body == b"v2"
    # Two buckets on: too old to serve, so they wait.
    assert sorted(_concurrently(cache, (1, 13), build(b"v3"))) == ["hit"] * 4 + ["miss"]
    # A change to the workspace (new seq): nobody gets the older page.
    assert sorted(_concurrently(cache, (2, 13), build(b"v4"))) == ["hit"] * 4 + ["miss"]
    assert builds == [b"v1", b"v2", b"v3", b"v4"]
    # An LRU of `size` pages; pages of an older seq go when a newer one is stored.
    RELEASE.set()
    for key in ("a", "b", "c"):
        cache.get((2, 13), key, build(key.encode()))
    assert len(cache) == 3
    assert cache.get((2, 13), "k", build(b"k"))[1] == "miss"  # "k" was the oldest
    cache.get((3, 13), "new", build(b"new"))
    assert len(cache) == 1
    cache.get((2, 13), "late", build(b"late"))  # computed from an older state: not stored
    assert len(cache) == 1
    # At most `max_bytes`.
    small = PageCache(60, max_bytes=10)
    for key in ("a", "b", "c"):
        small.get((1, 1), key, build(b"12345"))
    assert (len(small), small.stored_bytes) == (2, 10)
    RELEASE.clear()
