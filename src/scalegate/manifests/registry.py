"""The kinds `scalegate apply` understands, and what each must tell the apply engine."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from scalegate.manifests.loader import Path_

SCALEGATE_API_VERSION = "scalegate.dev/v1"
NAME_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
NAME_RULE = "must be a lowercase slug: a-z, 0-9 and '-', at most 63 characters"

Spec = dict[str, Any]


class StrictModel(BaseModel):
    """A spec schema that rejects unknown fields, so that typos are reported, not ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, use_enum_values=True)


@dataclass(frozen=True)
class Reference:
    """A field of a spec that names another object."""

    path: Path_
    kind: str
    name: str
    # A path from the document's root (e.g. metadata.labels) rather than from spec.
    absolute: bool = False
    # What the reference asks of the object beyond its name (an asset's version or label);
    # the referenced kind checks it in `reference_problems`.
    detail: tuple[tuple[str, Any], ...] = ()

    @property
    def document_path(self) -> Path_:
        """Where the reference sits in its document."""
        return self.path if self.absolute else ("spec", *self.path)


def without_empties(value: Any) -> Any:
    """Drop None, empty lists and empty mappings recursively: absent and empty mean the same."""
    if isinstance(value, dict):
        cleaned = {k: without_empties(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [without_empties(v) for v in value]
    return value


class KindHandler(ABC):
    """Reads, writes and describes the objects of one kind inside one apply's transaction."""

    api_version: ClassVar[str] = SCALEGATE_API_VERSION
    kind: ClassVar[str]
    # Lower orders are written first and deleted last (a Theme before its Initiatives).
    order: ClassVar[int]
    write_action: ClassVar[str]
    spec_model: ClassVar[type[BaseModel]]
    name_pattern: ClassVar[re.Pattern[str]] = NAME_PATTERN
    name_rule: ClassVar[str] = NAME_RULE
    # Metadata fields besides name (OpenSLO has displayName, labels, annotations). They are
    # validated by this model and stored with the spec under the key "metadata".
    metadata_model: ClassVar[type[BaseModel] | None] = None

    def __init__(self, session: Session) -> None:
        self.session = session
        # Who writes: set by apply before create/update (kinds that record authorship use it).
        self.actor = "system"

    @classmethod
    def read_files(cls, spec: Spec, source: str | None) -> tuple[Spec, list[tuple[Path_, str]]]:
        """Resolve files a raw spec names relative to its YAML file (source None: not a file)."""
        return spec, []

    def reference_problems(self, ref: Reference, target: Spec) -> list[tuple[str, str]]:
        """Problems with a reference to one of this kind's objects beyond its existence, as
        (level, message) with level "error" or "warning"; `target` is its spec after apply."""
        return []

    @classmethod
    def canonical(cls, spec: BaseModel) -> Spec:
        """The canonical JSON form of a validated spec: what is stored, compared and exported."""
        dumped: Spec = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
        return without_empties(dumped)  # type: ignore[no-any-return]

    @classmethod
    def name_problem(cls, name: str) -> str | None:
        """A reason the name is not acceptable for this kind, or None."""
        return None

    @classmethod
    def semantic_problems(cls, spec: Spec) -> list[tuple[Path_, str]]:
        """Problems the schema cannot see (e.g. CEL that does not compile): (spec path, message)."""
        return []

    @classmethod
    def change_problems(cls, before: Spec, after: Spec) -> list[tuple[Path_, str]]:
        """Why an update from `before` to `after` may not be made by apply, if it may not."""
        return []

    @classmethod
    def document(cls, name: str, stored: Spec) -> dict[str, Any]:
        """A stored object as an apply-able document."""
        spec = dict(stored)
        extra = spec.pop("metadata", {}) if cls.metadata_model is not None else {}
        return {
            "apiVersion": cls.api_version,
            "kind": cls.kind,
            "metadata": {"name": name, **extra},
            "spec": spec,
        }

    def references(self, spec: Spec) -> list[Reference]:
        """The other objects this spec names."""
        return []

    @abstractmethod
    def existing(self) -> dict[str, Spec]:
        """Every stored object of this kind, by name, in canonical form."""

    @abstractmethod
    def create(self, name: str, spec: Spec) -> None:
        """Store a new object."""

    @abstractmethod
    def update(self, name: str, spec: Spec) -> None:
        """Replace an existing object's spec."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Remove an object."""


_HANDLERS: dict[tuple[str, str], type[KindHandler]] = {}


def register(handler: type[KindHandler]) -> type[KindHandler]:
    """Make a kind known to apply, export and the API (used as a class decorator)."""
    _HANDLERS[(handler.api_version, handler.kind)] = handler
    return handler


def handler_for(api_version: str, kind: str) -> type[KindHandler] | None:
    """The handler of a kind, or None when the kind is unknown."""
    return _HANDLERS.get((api_version, kind))


def handlers() -> list[type[KindHandler]]:
    """Every registered handler in write order."""
    return sorted(_HANDLERS.values(), key=lambda h: (h.order, h.kind))
