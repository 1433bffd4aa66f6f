"""The Asset and AssetPolicy specs, as written in YAML."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from scalegate.core.assets import AssetType, Lifecycle
from scalegate.manifests.registry import NAME_PATTERN, StrictModel

MovableLabel = Literal["production", "staging"]
PRODUCTION: MovableLabel = "production"
MAX_CONTENT_BYTES = 1024 * 1024
SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


class ContentFrom(StrictModel):
    """Content kept in a file beside the YAML (resolved to `content` when the file is read)."""

    file: str = Field(min_length=1)


class Artifact(StrictModel):
    """Content too large or not text: where it lives and its digest."""

    url: str = Field(min_length=1, max_length=2000, pattern=r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$")
    sha256: str

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, value: str) -> str:
        if not SHA256.match(value):
            raise ValueError("must be 64 hexadecimal digits (a SHA-256 digest)")
        return value.lower()


class AssetSpec(StrictModel):
    """A reusable asset: what it is, who owns it, where it came from, and its content."""

    type: AssetType
    title: str = Field(min_length=1, max_length=200)
    description: str | None = None
    owner: str | None = Field(default=None, max_length=320)
    tags: list[str] | None = None
    origin: str | None = Field(default=None, pattern=NAME_PATTERN.pattern)
    lifecycle: Lifecycle = "experimental"
    content: str | None = None
    content_from: ContentFrom | None = Field(default=None, alias="contentFrom")
    artifact: Artifact | None = None

    @field_validator("content")
    @classmethod
    def _at_most_a_mebibyte(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode("utf-8")) > MAX_CONTENT_BYTES:
            raise ValueError("inline content is limited to 1 MiB; use artifact for more")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> AssetSpec:
        given = [
            n
            for n, v in (
                ("content", self.content),
                ("contentFrom", self.content_from),
                ("artifact", self.artifact),
            )
            if v is not None
        ]
        if len(given) > 1:
            raise ValueError(f"give at most one of content, contentFrom and artifact, not {given}")
        return self


class AssetMetadata(StrictModel):
    """metadata besides the name: annotations (the change message). There is no
    metadata.labels: version labels move only by promote, and a field of that name would
    suggest otherwise."""

    annotations: dict[str, str] | None = None


class AppliesTo(StrictModel):
    """Which label moves a policy decides: labels (default production), types (default all)."""

    labels: list[MovableLabel] = Field(default_factory=lambda: [PRODUCTION], min_length=1)
    types: list[AssetType] | None = None


class AssetRuleSpec(StrictModel):
    """One CEL rule over asset, version, label, evidence and now: true lets the move happen."""

    name: str = Field(pattern=NAME_PATTERN.pattern)
    severity: Literal["blocking", "advisory"] = "blocking"
    expression: str = Field(min_length=1)
    message: str | None = None
    message_expression: str | None = Field(default=None, alias="messageExpression")


class AssetPolicySpec(StrictModel):
    """A versioned set of rules that decide label moves on assets."""

    description: str | None = None
    applies_to: AppliesTo = Field(default_factory=AppliesTo, alias="appliesTo")
    rules: list[AssetRuleSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_rule_names(self) -> AssetPolicySpec:
        names = [r.name for r in self.rules]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"rule names must be unique within a policy: {', '.join(repeated)}")
        return self
