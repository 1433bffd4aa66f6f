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

The cache is a small in-process LRU (256 pages, at most 64 MB). Several workers (or processes
behind a load balancer) each keep their own; they agree on what is current through the audit
head. Pages of an older seq are dropped as soon as one of a newer seq is stored.

Concurrent requests for the same missing page wait for one computation instead of each
computing it. When only the time bucket has moved on (same seq), they get the page of the
bucket just before while the first request recomputes it, so a busy server does not stall
every client on the dashboard's seconds-long recomputation once a minute; such a page is at
most two buckets old.

Responses say `X-Scalegate-Cache: hit`, `miss`, `stale` (the previous bucket's page, during
a recomputation) or `bypass` (a flash message was shown); with the cache off
(`SCALEGATE_PAGE_CACHE_SECONDS=0`) there is no such header.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter, OrderedDict
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
DEFAULT_BYTES = 64 * 1024 * 1024  # the dashboard is 0.7 MB at 1,000 initiatives


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


Generation = tuple[int, int]  # (audit head seq, time bucket)


class PageCache:
    """An LRU of rendered pages, one version per key, each with its (seq, bucket)."""

    def __init__(
        self,
        seconds: int,
        size: int = DEFAULT_SIZE,
        max_bytes: int = DEFAULT_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.seconds = seconds
        self.size = size
        self.max_bytes = max_bytes
        self.clock = clock
        # Random per process: the workspace's data cannot contain them by chance or design.
        self.csrf_mark = "sgcsrf" + secrets.token_hex(16)
        self.name_mark = "sgname" + secrets.token_hex(16)
        self._entries: OrderedDict[Hashable, tuple[Generation, Rendered]] = OrderedDict()
        self._bytes = 0
        self._seq = -1
        self._pending: dict[tuple[Generation, Hashable], _Pending] = {}
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    @property
    def enabled(self) -> bool:
        """False when SCALEGATE_PAGE_CACHE_SECONDS is 0."""
        return self.seconds > 0

    def bucket(self) -> int:
        """The current time bucket: pages computed in an earlier one are recomputed."""
        return int(self.clock() // self.seconds)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def stored_bytes(self) -> int:
        """The size of every stored page."""
        return self._bytes

    def get(
        self, generation: Generation, key: Hashable, build: Callable[[], Rendered]
    ) -> tuple[Rendered, str]:
        """The page of `key` in `generation` and how it was found: `hit` (stored, or built by
        a concurrent request we waited for), `miss` (built now and stored) or `stale`.

        Concurrent requests for a missing page wait for one build, except when the stored page
        differs only by being of the time bucket just before: they get that one (`stale`, at
        most two buckets old) while the first request computes the new one. After a change to
        the workspace (a new seq) nobody gets an older page."""
        full = (generation, key)
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] == generation:
                self._entries.move_to_end(key)
                self.counts["hit"] += 1
                return found[1], "hit"
            pending = self._pending.get(full)
            if (
                pending is not None
                and found is not None
                and found[0] == (generation[0], generation[1] - 1)
            ):
                self.counts["stale"] += 1
                return found[1], "stale"
            owner = pending is None
            if pending is None:
                pending = self._pending[full] = _Pending()
        if not owner:
            pending.done.wait()
            if pending.result is not None:
                with self._lock:
                    self.counts["hit"] += 1
                return pending.result, "hit"
            return build(), "miss"  # the first build failed: try on our own
        try:
            result = build()
            pending.result = result
            self._store(generation, key, result)
        finally:
            with self._lock:
                self._pending.pop(full, None)
            pending.done.set()
        return result, "miss"

    def _drop(self, key: Hashable) -> None:
        _, page = self._entries.pop(key)
        self._bytes -= len(page.body)

    def _store(self, generation: Generation, key: Hashable, result: Rendered) -> None:
        with self._lock:
            self.counts["miss"] += 1
            seq = generation[0]
            if seq < self._seq:
                return  # computed from an older state than pages already stored
            if seq > self._seq:
                # No request will ask for an older state again.
                for old in [k for k, (g, _) in self._entries.items() if g[0] < seq]:
                    self._drop(old)
                self._seq = seq
            stored = self._entries.get(key)
            if stored is not None:
                if stored[0] > generation:
                    return
                self._drop(key)
            self._entries[key] = (generation, result)
            self._bytes += len(result.body)
            while len(self._entries) > self.size or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))


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

    stored, how = cache.get(generation, key, compute)
    body = stored.body.replace(
        cache.csrf_mark.encode(), str(escape(session.csrf)).encode()
    ).replace(cache.name_mark.encode(), str(escape(actor.name)).encode("utf-8"))
    return HTMLResponse(body, status_code=stored.status_code, headers={HEADER: how})
