"""Apply and export: validate every document, diff against the workspace, write in one go."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from scalegate.access.actor import Actor
from scalegate.access.rights import current_rights
from scalegate.audit.service import AuditLog
from scalegate.db import transaction
from scalegate.errors import Conflict, InvalidInput, NotFound, Problem
from scalegate.manifests.kinds import load_kinds
from scalegate.manifests.loader import Document, load_documents
from scalegate.manifests.registry import (
    NAME_PATTERN,
    NAME_RULE,
    SCALEGATE_API_VERSION,
    KindHandler,
    Spec,
    handler_for,
    handlers,
)

CREATED, UPDATED, UNCHANGED, DELETED = "created", "updated", "unchanged", "deleted"
AUDIT_ACTIONS = {CREATED: "apply.create", UPDATED: "apply.update", DELETED: "apply.delete"}
REQUEST_SOURCE = "<request>"


@dataclass(frozen=True)
class Desired:
    """A validated document: the object the files ask for."""

    handler: type[KindHandler]
    name: str
    spec: Spec
    document: Document

    @property
    def key(self) -> tuple[str, str]:
        return (self.handler.kind, self.name)


@dataclass(frozen=True)
class Change:
    """What apply did (or, in a dry run, would do) to one object."""

    kind: str
    name: str
    action: str
    source: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain form for --json and the API."""
        return {"kind": self.kind, "name": self.name, "action": self.action, "source": self.source}


@dataclass
class ApplyResult:
    """Every object's change, plus totals."""

    changes: list[Change] = field(default_factory=list)
    dry_run: bool = False
    warnings: list[Problem] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        """How many objects were created, updated, unchanged and deleted."""
        counts = dict.fromkeys((CREATED, UPDATED, UNCHANGED, DELETED), 0)
        for change in self.changes:
            counts[change.action] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        """Plain form for --json and the API."""
        return {
            "dryRun": self.dry_run,
            "totals": self.totals(),
            "changes": [c.as_dict() for c in self.changes],
            "warnings": [str(w) for w in self.warnings],
        }


def _friendly(error: dict[str, Any]) -> str:
    kind, message = error["type"], str(error["msg"])
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "value_error":
        # pydantic prefixes a validator's own message with "Value error, "; the message is ours.
        message = message.removeprefix("Value error, ")
    return message[0].lower() + message[1:] if message else message


def _location(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _problem(doc: Document, obj: str | None, path: tuple[str | int, ...], message: str) -> Problem:
    return Problem(_location(path), message, doc.source, doc.line_of(path), obj)


def _unknown_kind(kind: str, api_version: str) -> str:
    """Why no handler takes this kind and apiVersion, naming what would be accepted."""
    elsewhere = [h.api_version for h in handlers() if h.kind == kind]
    if elsewhere:
        return f"kind {kind!r} has apiVersion {elsewhere[0]!r}, not {api_version!r}"
    same = [h.kind for h in handlers() if h.api_version == api_version]
    if not same:
        versions = ", ".join(sorted({h.api_version for h in handlers()}))
        return f"unknown apiVersion {api_version!r} (known: {versions})"
    return f"unknown kind {kind!r} for apiVersion {api_version!r} (known: {', '.join(same)})"


def validate_document(doc: Document) -> tuple[Desired | None, list[Problem]]:
    """Check one document's envelope and spec; return the validated object or its problems."""
    body = doc.body
    if not isinstance(body, dict):
        return None, [_problem(doc, None, (), "a document must be a mapping")]
    kind, api_version = body.get("kind"), body.get("apiVersion")
    metadata = body.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    obj = f"{kind}/{name}"
    problems: list[Problem] = []
    if not isinstance(api_version, str):
        problems.append(_problem(doc, obj, ("apiVersion",), "required field is missing"))
    if not isinstance(kind, str):
        return None, [*problems, _problem(doc, obj, ("kind",), "required field is missing")]
    handler = handler_for(api_version, kind) if isinstance(api_version, str) else None
    if handler is None and isinstance(api_version, str):
        problems.append(_problem(doc, obj, ("kind",), _unknown_kind(kind, api_version)))
    if not isinstance(name, str):
        problems.append(_problem(doc, obj, ("metadata", "name"), "required field is missing"))
    elif not (handler.name_pattern if handler else NAME_PATTERN).match(name):
        rule = handler.name_rule if handler else NAME_RULE
        problems.append(_problem(doc, obj, ("metadata", "name"), rule))
    elif handler is not None and (reason := handler.name_problem(name)):
        problems.append(_problem(doc, obj, ("metadata", "name"), reason))
    extra_metadata = (
        {k: v for k, v in metadata.items() if k != "name"} if isinstance(metadata, dict) else {}
    )
    metadata_model = handler.metadata_model if handler else None
    if isinstance(metadata, dict) and metadata_model is None:
        for extra in sorted(extra_metadata):
            problems.append(_problem(doc, obj, ("metadata", extra), "unknown field"))
    for extra in sorted(set(body) - {"apiVersion", "kind", "metadata", "spec"}):
        problems.append(_problem(doc, obj, (extra,), "unknown field"))
    spec = body.get("spec")
    if not isinstance(spec, dict):
        problems.append(_problem(doc, obj, ("spec",), "required field is missing or not a mapping"))
        return None, problems
    if handler is None:
        return None, problems
    if not isinstance(name, str):
        return None, problems
    spec, unread = handler.read_files(spec, doc.source if doc.located else None)
    for path, message in unread:
        problems.append(_problem(doc, obj, ("spec", *path), message))
    try:
        model = handler.spec_model.model_validate(spec)
    except ValidationError as error:
        for e in error.errors():
            problems.append(_problem(doc, obj, ("spec", *e["loc"]), _friendly(dict(e))))
        # Keep the raw spec so duplicate names and dangling references show up in the same run.
        return Desired(handler, name, spec, doc), problems
    canonical = handler.canonical(model)
    if metadata_model is not None:
        try:
            described = handler.canonical(metadata_model.model_validate(extra_metadata))
        except ValidationError as error:
            for e in error.errors():
                problems.append(_problem(doc, obj, ("metadata", *e["loc"]), _friendly(dict(e))))
            return Desired(handler, name, canonical, doc), problems
        if described:
            canonical = {**canonical, "metadata": described}
    for path, message in handler.semantic_problems(canonical):
        located = _problem(doc, obj, ("spec", *path), message)
        problems.append(replace(located, path=""))
    return Desired(handler, name, canonical, doc), problems


def _duplicates(desired: list[Desired]) -> list[Problem]:
    first: dict[tuple[str, str], Desired] = {}
    problems = []
    for item in desired:
        if item.key in first:
            seen = first[item.key].document
            where = f"{seen.source}:{seen.line_of(('metadata', 'name'))}"
            problems.append(
                _problem(
                    item.document,
                    f"{item.handler.kind}/{item.name}",
                    ("metadata", "name"),
                    f"duplicate name: also defined at {where}",
                )
            )
        else:
            first[item.key] = item
    return problems


def _reference_problems(
    desired: list[Desired],
    state: dict[str, dict[str, Spec]],
    deleted: dict[str, set[str]],
    instances: dict[str, KindHandler],
    warnings: list[Problem],
) -> list[Problem]:
    """Every reference must resolve in the state after apply; deletions must orphan nothing.
    What the referenced kind only warns about is added to `warnings`."""
    problems: list[Problem] = []
    for item in desired:
        try:
            refs = instances[item.handler.kind].references(item.spec)
        except (KeyError, TypeError, AttributeError):
            refs = []  # an invalid spec's references may be unreadable; its problems are known
        for ref in refs:
            if not isinstance(ref.name, str):
                continue
            if ref.name not in state.get(ref.kind, {}):
                verb = (
                    "would be deleted by --prune"
                    if ref.name in deleted.get(ref.kind, set())
                    else "does not exist"
                )
                problems.append(
                    _problem(
                        item.document,
                        f"{item.handler.kind}/{item.name}",
                        ref.document_path,
                        f"{ref.kind}/{ref.name} {verb}",
                    )
                )
                continue
            target = instances[ref.kind]
            for level, message in target.reference_problems(ref, state[ref.kind][ref.name]):
                found = _problem(
                    item.document, f"{item.handler.kind}/{item.name}", ref.document_path, message
                )
                (problems if level == "error" else warnings).append(found)
    mentioned = {item.key for item in desired}
    for kind, objects in state.items():
        for name, spec in objects.items():
            if (kind, name) in mentioned:
                continue
            for ref in instances[kind].references(spec):
                if ref.name in deleted.get(ref.kind, set()):
                    problems.append(
                        Problem(
                            _location(ref.document_path),
                            f"{ref.kind}/{ref.name} would be deleted but is still used here",
                            object=f"{kind}/{name} (in the workspace)",
                        )
                    )
    return problems


def plan_and_apply(
    session: Session,
    documents: list[Document],
    actor: Actor,
    *,
    prune: bool = False,
    dry_run: bool = False,
    problems: list[Problem] | None = None,
) -> ApplyResult:
    """Validate, diff and (unless dry_run) write the documents inside the caller's transaction."""
    load_kinds()
    problems = list(problems or [])
    desired: list[Desired] = []
    for doc in documents:
        item, found = validate_document(doc)
        problems += found
        if item is not None:
            desired.append(item)
    problems += _duplicates(desired)
    applied_kinds = {item.handler.kind for item in desired}
    rights = current_rights(session)
    for handler in handlers():
        if handler.kind in applied_kinds:
            actor.require(handler.write_action, rights)

    audit = AuditLog(session)
    if not dry_run:
        # Holding the chain head for the whole apply serialises concurrent applies.
        audit.lock()
    instances = {h.kind: h(session) for h in handlers()}
    existing = {kind: handler.existing() for kind, handler in instances.items()}
    wanted: dict[str, dict[str, Desired]] = {}
    for item in desired:
        wanted.setdefault(item.handler.kind, {}).setdefault(item.name, item)
    deleted: dict[str, set[str]] = {
        kind: set(existing[kind]) - set(wanted.get(kind, {})) if prune else set()
        for kind in applied_kinds
    }
    state = {
        kind: {
            **{n: s for n, s in objects.items() if n not in deleted.get(kind, set())},
            **{n: d.spec for n, d in wanted.get(kind, {}).items()},
        }
        for kind, objects in existing.items()
    }
    warnings: list[Problem] = []
    problems += _reference_problems(desired, state, deleted, instances, warnings)
    plan: list[tuple[Desired, str]] = []
    for handler in handlers():
        for name, item in wanted.get(handler.kind, {}).items():
            before = existing[handler.kind].get(name)
            action = CREATED if before is None else UPDATED if before != item.spec else UNCHANGED
            plan.append((item, action))
            if before is not None and action == UPDATED:
                obj = f"{handler.kind}/{name}"
                for path, message in handler.change_problems(before, item.spec):
                    problems.append(_problem(item.document, obj, ("spec", *path), message))
    if problems:
        problems.sort(key=lambda p: (p.file or "~", p.line or 0))
        raise InvalidInput(f"{len(problems)} problem(s); nothing was applied", problems)

    result = ApplyResult(dry_run=dry_run, warnings=warnings)
    for instance in instances.values():
        instance.actor = actor.name
    for item, action in plan:
        kind, name, doc = item.handler.kind, item.name, item.document
        result.changes.append(Change(kind, name, action, doc.source, doc.line))
        if dry_run or action == UNCHANGED:
            continue
        instance = instances[kind]
        (instance.create if action == CREATED else instance.update)(name, item.spec)
        audit.append(actor.name, AUDIT_ACTIONS[action], f"{kind}/{name}", {"spec": item.spec})
    for handler in reversed(handlers()):
        kind = handler.kind
        for name in sorted(deleted.get(kind, set())):
            result.changes.append(Change(kind, name, DELETED))
            if not dry_run:
                instances[kind].delete(name)
                audit.append(actor.name, AUDIT_ACTIONS[DELETED], f"{kind}/{name}", {})
    if not dry_run:
        session.flush()
    return result


def apply_sources(
    factory: sessionmaker[Session],
    sources: list[tuple[str, str]],
    actor: Actor,
    *,
    prune: bool = False,
    dry_run: bool = False,
) -> ApplyResult:
    """Apply YAML texts as one transaction: everything or, on any problem, nothing."""
    documents, problems = load_documents(sources)
    with transaction(factory) as session:
        return plan_and_apply(
            session, documents, actor, prune=prune, dry_run=dry_run, problems=problems
        )


def export_documents(
    factory: sessionmaker[Session], kinds: list[str] | None = None
) -> list[dict[str, Any]]:
    """Every stored object as an apply-able document, in write order, names sorted."""
    load_kinds()
    documents = []
    with transaction(factory) as session:
        for handler in handlers():
            if kinds and handler.kind not in kinds:
                continue
            for name, spec in sorted(handler(session).existing().items()):
                documents.append(handler.document(name, spec))
    return documents


def _handler_named(kind: str) -> type[KindHandler]:
    load_kinds()
    handler = handler_for(SCALEGATE_API_VERSION, kind)
    if handler is None:
        raise NotFound(f"unknown kind {kind}")
    return handler


def put_object(
    factory: sessionmaker[Session],
    actor: Actor,
    kind: str,
    name: str,
    spec: Any,
    *,
    must_exist: bool,
) -> Change:
    """Create (must_exist=False) or update (True) one object through the same path as apply."""
    handler = _handler_named(kind)
    body = {
        "apiVersion": handler.api_version,
        "kind": kind,
        "metadata": {"name": name},
        "spec": spec,
    }
    document = Document(REQUEST_SOURCE, 1, body, located=False)
    with transaction(factory) as session:
        exists = name in handler(session).existing()
        if must_exist and not exists:
            raise NotFound(f"{kind}/{name} does not exist")
        if not must_exist and exists:
            raise Conflict(f"{kind}/{name} exists already")
        return plan_and_apply(session, [document], actor).changes[0]


def delete_object(factory: sessionmaker[Session], actor: Actor, kind: str, name: str) -> None:
    """Delete one object unless another still refers to it."""
    handler = _handler_named(kind)
    with transaction(factory) as session:
        actor.require(handler.write_action, current_rights(session))
        audit = AuditLog(session)
        audit.lock()
        instances = {h.kind: h(session) for h in handlers()}
        if name not in instances[kind].existing():
            raise NotFound(f"{kind}/{name} does not exist")
        users = [
            f"{other}/{other_name}"
            for other, instance in instances.items()
            for other_name, spec in instance.existing().items()
            if any(r.kind == kind and r.name == name for r in instance.references(spec))
        ]
        if users:
            details = [Problem("", f"still used by {u}", object=u) for u in users]
            raise Conflict(f"{kind}/{name} is still used by {', '.join(users)}", details)
        instances[kind].delete(name)
        audit.append(actor.name, "delete", f"{kind}/{name}", {})
