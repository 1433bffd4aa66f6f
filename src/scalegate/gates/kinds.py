"""`kind: GatePolicy`: stored by version and content hash, CEL checked at apply time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import func, select, update

from scalegate.core.policy import RuleError, compile_expression, compile_rule, content_hash
from scalegate.gates.models import GatePolicyVersion
from scalegate.gates.schemas import GatePolicySpec
from scalegate.manifests.loader import Path_
from scalegate.manifests.registry import KindHandler, Spec, register


@register
class GatePolicyKind(KindHandler):
    """Each change is a new version; the current version is the one gates use."""

    kind: ClassVar[str] = "GatePolicy"
    order: ClassVar[int] = 60
    write_action: ClassVar[str] = "policy.write"
    spec_model = GatePolicySpec

    @classmethod
    def semantic_problems(cls, spec: Spec) -> list[tuple[Path_, str]]:
        problems: list[tuple[Path_, str]] = []
        if spec.get("match"):
            try:
                compile_expression(spec["match"], "match")
            except ValueError as error:
                problems.append((("match",), str(error)))
        for index, rule in enumerate(spec["rules"]):
            try:
                compile_rule(index, rule)
            except RuleError as error:
                field = (
                    "messageExpression" if "messageExpression" in error.message else "expression"
                )
                problems.append((("rules", index, field), str(error)))
        return problems

    def existing(self) -> dict[str, Spec]:
        rows = self.session.scalars(
            select(GatePolicyVersion).where(GatePolicyVersion.current.is_(True))
        )
        return {r.name: r.spec for r in rows}

    def _add_version(self, name: str, spec: Spec) -> None:
        latest = self.session.scalar(
            select(func.max(GatePolicyVersion.version)).where(GatePolicyVersion.name == name)
        )
        self.session.add(
            GatePolicyVersion(
                name=name,
                version=(latest or 0) + 1,
                content_hash=content_hash(spec),
                from_stage=spec["transition"]["from"],
                to_stage=spec["transition"]["to"],
                spec=spec,
                current=True,
                created_at=datetime.now(UTC),
            )
        )

    def _retire_current(self, name: str) -> None:
        self.session.execute(
            update(GatePolicyVersion)
            .where(GatePolicyVersion.name == name, GatePolicyVersion.current.is_(True))
            .values(current=False)
        )

    def create(self, name: str, spec: Spec) -> None:
        self._add_version(name, spec)

    def update(self, name: str, spec: Spec) -> None:
        self._retire_current(name)
        self._add_version(name, spec)

    def delete(self, name: str) -> None:
        # Old versions stay: past decisions name them.
        self._retire_current(name)
