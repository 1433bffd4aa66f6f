"""The audit chain: SHA-256 over canonical JSON, linked by prev_hash."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from scalegate.core.audit_chain import (
    GENESIS_HASH,
    ChainedRecord,
    canonical_json,
    record_hash,
    verify_chain,
)

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _chain(n: int) -> list[ChainedRecord]:
    records, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        at = T0 + timedelta(minutes=seq)
        payload = {"spec": {"title": f"T{seq}"}}
        digest = record_hash(seq, at, "local:ana", "apply.create", f"Theme/t{seq}", payload, prev)
        records.append(
            ChainedRecord(
                seq, at, "local:ana", "apply.create", f"Theme/t{seq}", payload, prev, digest
            )
        )
        prev = digest
    return records


def test_canonical_json_sorts_keys_and_drops_spaces() -> None:
    """Key order and white space must not change the hash."""
    assert (
        canonical_json({"b": 1, "a": {"d": [1, 2], "c": "é"}}) == '{"a":{"c":"é","d":[1,2]},"b":1}'
    )


def test_record_hash_is_sha256_of_the_canonical_record() -> None:
    """The hashed text is written out by hand here; any change to the format breaks old chains."""
    text = (
        '{"action":"apply.create","actor":"local:ana","at":"2026-11-22T10:00:00.000000Z",'
        '"object":"Theme/x","payload":{"spec":{"title":"X"}},"prev_hash":"'
        + "0" * 64
        + '","seq":1}'
    )
    expected = hashlib.sha256(text.encode()).hexdigest()
    got = record_hash(
        1, T0, "local:ana", "apply.create", "Theme/x", {"spec": {"title": "X"}}, GENESIS_HASH
    )
    assert got == expected


def test_intact_chain_verifies_with_its_count() -> None:
    chain = _chain(5)
    result = verify_chain(chain, 5, chain[-1].hash)
    assert (result.ok, result.count, result.first_bad_seq) == (True, 5, None)


def test_altered_payload_is_found_at_its_seq() -> None:
    chain = _chain(5)
    chain[2] = replace(chain[2], payload={"spec": {"title": "forged"}})
    result = verify_chain(chain, 5, chain[-1].hash)
    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_deleted_record_is_found_as_the_gap() -> None:
    chain = _chain(5)
    del chain[1]
    result = verify_chain(chain, 5, chain[-1].hash)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_reordered_records_break_at_the_first_moved_one() -> None:
    """Swapping the contents of records 2 and 3 (keeping their seq numbers) breaks the link at 2."""
    chain = _chain(4)
    two, three = chain[1], chain[2]
    chain[1] = replace(three, seq=2)
    chain[2] = replace(two, seq=3)
    result = verify_chain(chain, 4, chain[-1].hash)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_truncated_tail_is_caught_by_the_head() -> None:
    chain = _chain(5)
    result = verify_chain(chain[:3], 5, chain[-1].hash)
    assert (result.ok, result.first_bad_seq) == (False, 4)


def test_empty_chain_is_intact() -> None:
    assert verify_chain([], 0, GENESIS_HASH).ok
