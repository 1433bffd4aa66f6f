"""`kind: DecisionRights`: who may take which action, as code."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator, model_validator
from sqlalchemy import delete, select

from scalegate.access.models import DecisionRightsDoc
from scalegate.access.rights import RIGHTS_NAME
from scalegate.core.decision_rights import ACTION_PATTERN, Role
from scalegate.manifests.registry import KindHandler, Spec, StrictModel, register


class DecisionRightsSpec(StrictModel):
    """Actions mapped to the roles that may take them, sign-off items, waiver limit."""

    rights: dict[str, list[Role]] = Field(default_factory=dict)
    signoff_items: list[str] | None = Field(default=None, alias="signoffItems")
    waiver_max_days: int | None = Field(default=None, ge=1, le=3650, alias="waiverMaxDays")

    @field_validator("rights")
    @classmethod
    def _known_actions(cls, rights: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = [a for a in rights if not ACTION_PATTERN.match(a)]
        if unknown:
            raise ValueError(f"unknown action(s) {', '.join(unknown)}")
        return rights

    @model_validator(mode="after")
    def _signoff_actions_name_items(self) -> DecisionRightsSpec:
        if self.signoff_items is not None:
            items = set(self.signoff_items)
            strays = [
                a
                for a in self.rights
                if a.startswith("signoff:") and a.split(":", 1)[1] not in items
            ]
            if strays:
                raise ValueError(f"{', '.join(strays)} name(s) items missing from signoffItems")
        return self


@register
class DecisionRightsKind(KindHandler):
    """The rights document; only `default` is in force."""

    kind: ClassVar[str] = "DecisionRights"
    order: ClassVar[int] = 5
    write_action: ClassVar[str] = "rights.write"
    spec_model = DecisionRightsSpec

    @classmethod
    def name_problem(cls, name: str) -> str | None:
        return None if name == RIGHTS_NAME else f"decision rights must be named {RIGHTS_NAME!r}"

    def existing(self) -> dict[str, Spec]:
        return {r.name: r.spec for r in self.session.scalars(select(DecisionRightsDoc))}

    def create(self, name: str, spec: Spec) -> None:
        self.session.add(DecisionRightsDoc(name=name, spec=spec))

    def update(self, name: str, spec: Spec) -> None:
        row = self.session.scalars(select(DecisionRightsDoc).filter_by(name=name)).one()
        row.spec = spec

    def delete(self, name: str) -> None:
        self.session.execute(delete(DecisionRightsDoc).filter_by(name=name))
