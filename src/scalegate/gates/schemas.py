"""The GatePolicy spec, as written in YAML."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from scalegate.core.lifecycle import Stage, next_stage
from scalegate.manifests.registry import NAME_PATTERN, StrictModel

Capability = Literal[
    "problem", "data-integration", "governance", "measurement", "operating-model", "enablement"
]


class Transition(StrictModel):
    """The forward move a policy gates: from a stage to the next one."""

    from_: Stage = Field(alias="from")
    to: Stage

    @model_validator(mode="after")
    def _one_step_forward(self) -> Transition:
        if next_stage(str(self.from_)) != str(self.to):
            raise ValueError(
                f"a gate guards one forward step: after {self.from_} comes "
                f"{next_stage(str(self.from_)) or 'no further stage'}"
            )
        return self


class RuleSpec(StrictModel):
    """One CEL rule: it must return true for the initiative to pass."""

    name: str = Field(pattern=NAME_PATTERN.pattern)
    capability: Capability
    severity: Literal["blocking", "advisory"] = "blocking"
    expression: str = Field(min_length=1)
    message: str | None = None
    message_expression: str | None = Field(default=None, alias="messageExpression")


class GatePolicySpec(StrictModel):
    """A versioned set of rules for one stage transition."""

    description: str | None = None
    transition: Transition
    match: str | None = None
    rules: list[RuleSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_rule_names(self) -> GatePolicySpec:
        names = [r.name for r in self.rules]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"rule names must be unique within a policy: {', '.join(repeated)}")
        return self
