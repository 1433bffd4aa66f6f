"""A cache of rendered pages, keyed by the workspace's state.

The portfolio, the dashboard, the initiative pages and the risk register cost from a few
hundred milliseconds to seconds to compute and render at 1,000 initiatives, yet their figures
change only when the workspace does, or as time moves their windows. So a page's HTML is kept,
keyed by:

- the path and query string, and the base URL (links to the stylesheet are absolute);
- the viewer's roles, since forms differ by rights;
- the audit head's seq: every change to the workspace (apply, ingest, sign-off, waiver,
  advance, sweep, users and tokens) appends an audit record, so a new seq means new data;
- a time bucket of `SCALEGATE_PAGE_CACHE_SECONDS` (default 60), since figures depend on "now"
  (SLO burn windows, 28-day usage windows, DORA's 90 days).

The seq is read (one query of the one-row `audit_head` table) before the page is computed, so
a change committed meanwhile can only make the stored page newer than its key, never older.

What differs per session is rendered as a placeholder and filled in per request: the CSRF
token in every form and the signed-in email. A page with a flash message waiting (right after
a form) is rendered afresh and not stored. The placeholders are random per process, so no
data can forge one.

The cache is a small in-process LRU (256 pages). Several workers (or processes behind a load
balancer) each keep their own; they agree on what is current through the audit head. Entries
of an older seq or bucket are dropped as soon as a newer one is stored. Concurrent requests
for the same missing page wait for one computation instead of each computing it.

Responses say `X-Scalegate-Cache: hit`, `miss`, or `bypass` (a flash message was shown);
with the cache off (`SCALEGATE_PAGE_CACHE_SECONDS=0`) there is no such header.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import escape
from sqlalchemy.orm import Session, sessionmaker

from scalegate.access.actor import Actor
from scalegate.audit.service import head_seq
from scalegate.web.auth import read_session
from scalegate.web.render import TEMPLATES, render, shared_context

HEADER = "X-Scalegate-Cache"
DEFAULT_SIZE = 256


@dataclass(frozen=True)
class Page:
    """What a page handler computes: its template, context and status."""

    template: str
    context: dict[str, Any]
    status_code: int = 200


@dataclass(frozen=True)
class Rendered:
    """A stored page: its HTML (UTF-8, with placeholders) and status."""

    body: bytes
    status_code: int


@dataclass
class _Pending:
    done: threading.Event = field(default_factory=threading.Event)
    result: Rendered | None = None


class PageCache:
    """An LRU of rendered pages of the current (audit seq, time bucket) generation."""

    def __init__(
        self,
        seconds: int,
        size: int = DEFAULT_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.seconds = seconds
        self.size = size
        self.clock = clock
        # Random per process: the workspace's data cannot contain them by chance or design.
        self.csrf_mark = "sgcsrf" + secrets.token_hex(16)
        self.name_mark = "sgname" + secrets.token_hex(16)
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._generation: tuple[int, int] = (-1, -1)
        self._pending: dict[Hashable, _Pending] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        """False when SCALEGATE_PAGE_CACHE_SECONDS is 0."""
        return self.seconds > 0

    def bucket(self) -> int:
        """The current time bucket: pages computed in an earlier one are not served."""
        return int(self.clock() // self.seconds)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every page."""
        with self._lock:
            self._entries.clear()

    def get(
        self, generation: tuple[int, int], key: Hashable, build: Callable[[], Rendered]
    ) -> tuple[Rendered, bool]:
        """The stored page of `key` in `generation`, else `build()`'s (stored); and whether it
        was stored. Concurrent callers of one missing key wait for a single build."""
        full = (generation, key)
        with self._lock:
            found = self._entries.get(full)
            if found is not None:
                self._entries.move_to_end(full)
                self.hits += 1
                return found, True
            pending = self._pending.get(full)
            owner = pending is None
            if pending is None:
                pending = self._pending[full] = _Pending()
        if not owner:
            pending.done.wait()
            if pending.result is not None:
                with self._lock:
                    self.hits += 1
                return pending.result, True
            return build(), False  # the first build failed: try on our own
        try:
            result = build()
            pending.result = result
            self._store(generation, full, result)
        finally:
            with self._lock:
                self._pending.pop(full, None)
            pending.done.set()
        return result, False

    def _store(self, generation: tuple[int, int], full: Hashable, result: Rendered) -> None:
        with self._lock:
            self.misses += 1
            if generation < self._generation:
                return  # computed from an older state than pages already stored
            if generation > self._generation:
                self._entries.clear()  # no request will ask for an older state again
                self._generation = generation
            self._entries[full] = result
            self._entries.move_to_end(full)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def cached_render(
    request: Request,
    actor: Actor,
    factory: sessionmaker[Session],
    build: Callable[[Actor], Page],
) -> HTMLResponse:
    """A page through the cache: `build(viewer)` computes it on a miss.

    `viewer` has the actor's roles and a placeholder for a name, so nothing of one user's
    identity is stored; the page must depend on the actor only through its roles."""
    cache: PageCache | None = getattr(request.app.state, "page_cache", None)
    session = read_session(request)
    if cache is None or not cache.enabled:
        page = build(actor)
        return render(request, actor, page.template, page.context, page.status_code)
    if session.flash is not None:
        page = build(actor)
        response = render(request, actor, page.template, page.context, page.status_code)
        response.headers[HEADER] = "bypass"
        return response
    # Read before computing: a change committed after this read shows on the next request.
    generation = (head_seq(factory), cache.bucket())
    key = (
        str(request.base_url),
        request.url.path,
        request.url.query,
        tuple(sorted(actor.roles)),
    )
    viewer = Actor(cache.name_mark, actor.roles)

    def compute() -> Rendered:
        page = build(viewer)
        shared = shared_context(request, viewer, cache.csrf_mark, None)
        response = TEMPLATES.TemplateResponse(
            request, page.template, {**shared, **page.context}, status_code=page.status_code
        )
        return Rendered(bytes(response.body), page.status_code)

    stored, hit = cache.get(generation, key, compute)
    body = stored.body.replace(
        cache.csrf_mark.encode(), str(escape(session.csrf)).encode()
    ).replace(cache.name_mark.encode(), str(escape(actor.name)).encode("utf-8"))
    return HTMLResponse(
        body, status_code=stored.status_code, headers={HEADER: "hit" if hit else "miss"}
    )
