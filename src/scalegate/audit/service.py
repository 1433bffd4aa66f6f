"""Appending to, reading and verifying the audit chain."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.audit.models import AuditHead, AuditRecord
from scalegate.core.audit_chain import (
    GENESIS_HASH,
    ChainedRecord,
    Verification,
    record_hash,
    verify_chain,
)
from scalegate.db import transaction

HEAD_ID = 1


class AuditLog:
    """Appends records within the caller's transaction, holding the chain head's lock."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._head: AuditHead | None = None

    def lock(self) -> AuditHead:
        """Take the chain head's row lock now (it is held until the transaction ends)."""
        if self._head is None:
            head = self.session.scalar(
                select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
            )
            if head is None:
                head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS_HASH)
                self.session.add(head)
            self._head = head
        return self._head

    def append(
        self, actor: str, action: str, obj: str, payload: dict[str, Any], at: datetime | None = None
    ) -> AuditRecord:
        """Add the next record of the chain."""
        head = self.lock()
        when = at or datetime.now(UTC)
        seq = head.seq + 1
        digest = record_hash(seq, when, actor, action, obj, payload, head.hash)
        record = AuditRecord(
            seq=seq,
            at=when,
            actor=actor,
            action=action,
            object=obj,
            payload=payload,
            prev_hash=head.hash,
            hash=digest,
        )
        self.session.add(record)
        head.seq, head.hash = seq, digest
        return record


def _chained(records: Iterator[AuditRecord]) -> Iterator[ChainedRecord]:
    for r in records:
        yield ChainedRecord(
            r.seq, r.at, r.actor, r.action, r.object, r.payload, r.prev_hash, r.hash
        )


def verify(factory: sessionmaker[Session]) -> Verification:
    """Walk the whole chain in sequence order and check every link."""
    with transaction(factory) as session:
        head = session.get(AuditHead, HEAD_ID)
        records = session.scalars(
            select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=1000)
        )
        return verify_chain(
            _chained(iter(records)),
            head.seq if head else None,
            head.hash if head else None,
        )


def head_seq(factory: sessionmaker[Session]) -> int:
    """The seq of the latest record (0 before the first): one read of the one-row head table.

    Every change to the workspace appends a record, so a new seq means new data."""
    with transaction(factory) as session:
        seq = session.scalar(select(AuditHead.seq).where(AuditHead.id == HEAD_ID))
        return seq or 0


def recent(
    factory: sessionmaker[Session], limit: int = 50, obj: str | None = None
) -> list[AuditRecord]:
    """The latest records, newest first, optionally for one object."""
    with transaction(factory) as session:
        query = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit)
        if obj is not None:
            query = query.where(AuditRecord.object == obj)
        return list(session.scalars(query))
