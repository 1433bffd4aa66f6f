"""`kind: GatePolicy`: stored by version and content hash, CEL checked at apply time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import func, select, update

from scalegate.core.policy import RuleError, compile_expression, compile_rule, content_hash
from scalegate.gates.models import GatePolicyVersion
from scalegate.gates.schemas import GatePolicySpec
from scalegate.manifests.loader import Path_
from scalegate.manifests.registry import KindHandler, Spec, register


class VersionedPolicyKind(KindHandler):
    """A policy kind whose every change is a new stored version (old ones stay, for decisions
    that name them); subclasses name the version table and how a rule compiles."""

    version_model: ClassVar[Any]

    @classmethod
    def compile_rule_at(cls, index: int, rule: Spec) -> None:
        """Compile one rule; raise RuleError when it does not."""
        compile_rule(index, rule)

    @classmethod
    def semantic_problems(cls, spec: Spec) -> list[tuple[Path_, str]]:
        problems: list[tuple[Path_, str]] = []
        for index, rule in enumerate(spec["rules"]):
            try:
                cls.compile_rule_at(index, rule)
            except RuleError as error:
                field = (
                    "messageExpression" if "messageExpression" in error.message else "expression"
                )
                problems.append((("rules", index, field), str(error)))
        return problems

    def version_columns(self, spec: Spec) -> dict[str, Any]:
        """Columns of the version row besides name, version, hash, spec, current and time."""
        return {}

    def existing(self) -> dict[str, Spec]:
        model = self.version_model
        return {r.name: r.spec for r in self.session.scalars(select(model).where(model.current))}

    def _add_version(self, name: str, spec: Spec) -> None:
        model = self.version_model
        latest = self.session.scalar(select(func.max(model.version)).where(model.name == name))
        self.session.add(
            model(
                name=name,
                version=(latest or 0) + 1,
                content_hash=content_hash(spec),
                spec=spec,
                current=True,
                created_at=datetime.now(UTC),
                **self.version_columns(spec),
            )
        )

    def _retire_current(self, name: str) -> None:
        model = self.version_model
        self.session.execute(
            update(model).where(model.name == name, model.current).values(current=False)
        )

    def create(self, name: str, spec: Spec) -> None:
        self._add_version(name, spec)

    def update(self, name: str, spec: Spec) -> None:
        self._retire_current(name)
        self._add_version(name, spec)

    def delete(self, name: str) -> None:
        # Old versions stay: past decisions name them.
        self._retire_current(name)


@register
class GatePolicyKind(VersionedPolicyKind):
    """Each change is a new version; the current version is the one gates use."""

    kind: ClassVar[str] = "GatePolicy"
    order: ClassVar[int] = 60
    write_action: ClassVar[str] = "policy.write"
    spec_model = GatePolicySpec
    version_model = GatePolicyVersion

    @classmethod
    def semantic_problems(cls, spec: Spec) -> list[tuple[Path_, str]]:
        problems: list[tuple[Path_, str]] = []
        if spec.get("match"):
            try:
                compile_expression(spec["match"], "match")
            except ValueError as error:
                problems.append((("match",), str(error)))
        return problems + super().semantic_problems(spec)

    def version_columns(self, spec: Spec) -> dict[str, Any]:
        return {"from_stage": spec["transition"]["from"], "to_stage": spec["transition"]["to"]}
