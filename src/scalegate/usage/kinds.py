"""`kind: Model`: the model catalog, as code."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field
from sqlalchemy import delete, select

from scalegate.core.lifecycle import DataClass
from scalegate.manifests.registry import KindHandler, Spec, StrictModel, register, without_empties
from scalegate.usage.models import ModelEntry


class ModelSpec(StrictModel):
    """A model: who provides it, what it costs, which data it may see, whether it is approved."""

    provider: str = Field(min_length=1)
    input_price_per_million: float | None = Field(default=None, ge=0, alias="inputPricePerMillion")
    output_price_per_million: float | None = Field(
        default=None, ge=0, alias="outputPricePerMillion"
    )
    allowed_data_classes: list[DataClass] | None = Field(default=None, alias="allowedDataClasses")
    status: Literal["approved", "restricted", "retired"]


@register
class ModelKind(KindHandler):
    """Models map one-to-one onto the model_catalog table (names may contain dots)."""

    kind: ClassVar[str] = "Model"
    order: ClassVar[int] = 40
    write_action: ClassVar[str] = "model.write"
    spec_model = ModelSpec
    # Model names as providers spell them: gpt-4o-mini, claude-3.5-sonnet, meta/llama-3:70b.
    name_pattern = re.compile(r"^[a-z0-9][a-z0-9._:/-]{0,98}[a-z0-9]$")
    name_rule = "must be lowercase letters, digits and . _ : / -, at most 100 characters"

    def existing(self) -> dict[str, Spec]:
        return {
            r.name: without_empties(
                {
                    "provider": r.provider,
                    "inputPricePerMillion": r.input_price,
                    "outputPricePerMillion": r.output_price,
                    "allowedDataClasses": r.allowed_data_classes,
                    "status": r.status,
                }
            )
            for r in self.session.scalars(select(ModelEntry))
        }

    def _fill(self, row: ModelEntry, spec: Spec) -> None:
        row.provider = spec["provider"]
        row.input_price = spec.get("inputPricePerMillion")
        row.output_price = spec.get("outputPricePerMillion")
        row.allowed_data_classes = spec.get("allowedDataClasses", [])
        row.status = spec["status"]

    def create(self, name: str, spec: Spec) -> None:
        row = ModelEntry(name=name)
        self._fill(row, spec)
        self.session.add(row)

    def update(self, name: str, spec: Spec) -> None:
        self._fill(self.session.scalars(select(ModelEntry).filter_by(name=name)).one(), spec)

    def delete(self, name: str) -> None:
        self.session.execute(delete(ModelEntry).filter_by(name=name))
