"""The audit hash chain: canonical JSON, SHA-256 links, and verification."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no insignificant white space and UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def timestamp_text(at: datetime) -> str:
    """The one textual form of a record's time that goes into its hash."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class ChainedRecord:
    """An audit record as the chain sees it."""

    seq: int
    at: datetime
    actor: str
    action: str
    object: str
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str


def record_hash(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    obj: str,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 over the canonical JSON of a record's content and its predecessor's hash."""
    body = {
        "seq": seq,
        "at": timestamp_text(at),
        "actor": actor,
        "action": action,
        "object": obj,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verification:
    """Outcome of walking the chain: intact, or the first sequence number that is wrong."""

    ok: bool
    count: int
    first_bad_seq: int | None = None
    reason: str | None = None


def verify_chain(
    records: Iterable[ChainedRecord], head_seq: int | None, head_hash: str | None
) -> Verification:
    """Check sequence, links and hashes in order, then that the chain ends at the stored head."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    count = 0
    for record in records:
        if record.seq != expected_seq:
            return Verification(False, count, expected_seq, f"record {expected_seq} is missing")
        if record.prev_hash != prev_hash:
            return Verification(False, count, record.seq, "link to the previous record is broken")
        recomputed = record_hash(
            record.seq,
            record.at,
            record.actor,
            record.action,
            record.object,
            record.payload,
            record.prev_hash,
        )
        if recomputed != record.hash:
            return Verification(False, count, record.seq, "content does not match its hash")
        prev_hash = record.hash
        expected_seq += 1
        count += 1
    last_seq = expected_seq - 1
    if (head_seq or 0) != last_seq or (head_hash or GENESIS_HASH) != prev_hash:
        # Records were removed from the end: the chain itself cannot show it, the head can.
        return Verification(
            False, count, last_seq + 1, f"chain ends at {last_seq}, head says {head_seq}"
        )
    return Verification(True, count)
