"""`kind: Asset` and `kind: AssetPolicy`: the asset library and its promotion rules, as code.

An apply whose content differs from the latest version adds version n+1; the same content never
makes a new version. Labels are not part of the spec: they move only by `asset promote`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import delete, select

from scalegate.assets.models import Asset, AssetLabel, AssetPolicyVersion, AssetVersion
from scalegate.assets.schemas import MAX_CONTENT_BYTES, AssetMetadata, AssetPolicySpec, AssetSpec
from scalegate.core.asset_policy import compile_asset_rule
from scalegate.core.assets import LATEST, content_digest
from scalegate.gates.kinds import VersionedPolicyKind
from scalegate.manifests.loader import Path_
from scalegate.manifests.registry import KindHandler, Reference, Spec, register, without_empties

CHANGE_ANNOTATION = "scalegate.dev/change"


def spec_digest(spec: Spec) -> str:
    """The digest a spec's content would have as a version."""
    artifact = spec.get("artifact") or {}
    return content_digest(spec.get("content"), artifact.get("sha256"))


def _read_content(file: str, source: str | None) -> tuple[str | None, str | None]:
    """The text of a contentFrom file relative to its YAML file, or why it cannot be read."""
    if source is None or source.startswith("<"):
        return None, "contentFrom needs a YAML file to be relative to; give content inline"
    path = Path(source).parent / file
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, f"cannot read {path}: {error.strerror or error}"
    if len(data) > MAX_CONTENT_BYTES:
        return None, f"{path} is {len(data):,} bytes; contentFrom takes text up to 1 MiB"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, f"{path} is not UTF-8 text; use artifact: {{url, sha256}} for binary content"


def _search_text(name: str, spec: Spec) -> str:
    parts = [name, spec.get("title", ""), spec.get("description", ""), *spec.get("tags", [])]
    return " ".join(p for p in parts if p).lower()


@register
class AssetKind(KindHandler):
    """Assets span the asset, asset_version and asset_label tables."""

    kind: ClassVar[str] = "Asset"
    order: ClassVar[int] = 45  # after models, before the initiatives that use assets
    write_action: ClassVar[str] = "asset.write"
    spec_model = AssetSpec
    metadata_model = AssetMetadata

    @classmethod
    def read_files(cls, spec: Spec, source: str | None) -> tuple[Spec, list[tuple[Path_, str]]]:
        found = spec.get("contentFrom")
        if not isinstance(found, dict) or not isinstance(found.get("file"), str):
            return spec, []
        if "content" in spec or "artifact" in spec:
            return spec, []  # the schema reports the clash
        text, problem = _read_content(found["file"], source)
        if problem is not None:
            return spec, [(("contentFrom", "file"), problem)]
        resolved = {k: v for k, v in spec.items() if k != "contentFrom"}
        resolved["content"] = text
        return resolved, []

    def references(self, spec: Spec) -> list[Reference]:
        origin = spec.get("origin")
        return [Reference(("origin",), "Initiative", origin)] if isinstance(origin, str) else []

    def reference_problems(self, ref: Reference, target: Spec) -> list[tuple[str, str]]:
        wanted = dict(ref.detail)
        name = ref.name
        lifecycle = target.get("lifecycle", "experimental")
        if lifecycle == "retired":
            return [("error", f"Asset/{name} is retired; choose another asset")]
        found: list[tuple[str, str]] = []
        if lifecycle == "deprecated":
            found.append(("warning", f"Asset/{name} is deprecated"))
        row = self.session.scalar(select(Asset).where(Asset.name == name))
        latest = row.latest if row is not None else 0
        if row is None or self._latest_digest(row.id, latest) != spec_digest(target):
            latest += 1  # this apply adds a version
        version, label = wanted.get("version"), wanted.get("label")
        if version is not None and not 1 <= version <= latest:
            found.append(("error", f"Asset/{name} has no version {version} (latest is {latest})"))
        elif label not in (None, LATEST):
            at = None
            if row is not None:
                at = self.session.scalar(
                    select(AssetLabel.version).where(
                        AssetLabel.asset_id == row.id, AssetLabel.label == label
                    )
                )
            if at is None:
                found.append(
                    (
                        "warning",
                        f"Asset/{name} has no {label} label yet; the use resolves once a "
                        f"version is promoted to {label}",
                    )
                )
        return found

    def _latest_digest(self, asset_id: int, version: int) -> str | None:
        return self.session.scalar(
            select(AssetVersion.sha256).where(
                AssetVersion.asset_id == asset_id, AssetVersion.version == version
            )
        )

    def existing(self) -> dict[str, Spec]:
        latest = {
            v.asset_id: v
            for v in self.session.scalars(
                select(AssetVersion).join(
                    Asset,
                    (Asset.id == AssetVersion.asset_id) & (Asset.latest == AssetVersion.version),
                )
            )
        }
        found = {}
        for row in self.session.scalars(select(Asset)):
            version = latest.get(row.id)
            spec: dict[str, Any] = row.described_fields()
            if version is not None and version.artifact_url is not None:
                spec["artifact"] = {"url": version.artifact_url, "sha256": version.sha256}
            elif version is not None:
                spec["content"] = version.content
            spec = without_empties(spec)
            if row.described:
                spec["metadata"] = row.described
            found[row.name] = spec
        return found

    def _fill(self, row: Asset, name: str, spec: Spec) -> None:
        row.type = spec["type"]
        row.title = spec["title"]
        row.description = spec.get("description")
        row.owner = spec.get("owner")
        row.tags = spec.get("tags", [])
        row.origin = spec.get("origin")
        row.lifecycle = spec.get("lifecycle", "experimental")
        row.described = spec.get("metadata", {})
        row.search_text = _search_text(name, spec)
        row.updated_at = datetime.now(UTC)

    def _add_version(self, row: Asset, spec: Spec) -> None:
        digest = spec_digest(spec)
        previous = None
        if row.latest:
            previous = self.session.scalar(
                select(AssetVersion).where(
                    AssetVersion.asset_id == row.id, AssetVersion.version == row.latest
                )
            )
        if previous is not None and previous.sha256 == digest:
            return  # the same content never makes a new version
        artifact = spec.get("artifact")
        content = None if artifact else spec.get("content")
        annotations = spec.get("metadata", {}).get("annotations", {})
        # A change message left over from the previous version does not describe this one.
        change = annotations.get(CHANGE_ANNOTATION)
        row.latest += 1
        self.session.add(
            AssetVersion(
                asset_id=row.id,
                version=row.latest,
                sha256=digest,
                content=content,
                artifact_url=artifact["url"] if artifact else None,
                size=len(content.encode("utf-8")) if content is not None else 0,
                created_by=self.actor,
                created_at=datetime.now(UTC),
                change=change if change != (previous and previous.change) else None,
            )
        )

    def create(self, name: str, spec: Spec) -> None:
        now = datetime.now(UTC)
        row = Asset(name=name, latest=0, created_at=now)
        self._fill(row, name, spec)
        self.session.add(row)
        self.session.flush()
        self._add_version(row, spec)

    def update(self, name: str, spec: Spec) -> None:
        row = self.session.scalars(select(Asset).where(Asset.name == name)).one()
        self._fill(row, name, spec)
        self._add_version(row, spec)

    def delete(self, name: str) -> None:
        self.session.execute(delete(Asset).where(Asset.name == name))


@register
class AssetPolicyKind(VersionedPolicyKind):
    """Each change is a new version; the current versions decide promotions."""

    kind: ClassVar[str] = "AssetPolicy"
    order: ClassVar[int] = 62
    write_action: ClassVar[str] = "policy.write"
    spec_model = AssetPolicySpec
    version_model = AssetPolicyVersion

    @classmethod
    def compile_rule_at(cls, index: int, rule: Spec) -> None:
        compile_asset_rule(index, rule)
