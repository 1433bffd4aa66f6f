"""`scalegate asset list|show|diff|promote|history|reuse`: the asset library from a terminal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from scalegate.assets import service
from scalegate.cli_support import JsonOption, console, print_json, state
from scalegate.core.assets import ASSET_TYPES, LATEST, LIFECYCLES, MOVABLE_LABELS
from scalegate.errors import InvalidInput, Problem

asset_app = typer.Typer(
    help="The reusable asset library: search, versions, labels, reuse.", no_args_is_help=True
)
LABEL_ORDER = (*MOVABLE_LABELS, LATEST)


def _labels(labels: Mapping[str, int]) -> str:
    """`production v2 · latest v3`, in a fixed order so rows line up."""
    return " · ".join(f"{k} v{labels[k]}" for k in LABEL_ORDER if k in labels)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _version(value: int | None) -> str:
    return "—" if value is None else f"v{value}"


def _choice(value: str | None, allowed: tuple[str, ...], option: str) -> str | None:
    if value is not None and value not in allowed:
        raise InvalidInput(
            f"unknown {option} {value!r}", [Problem(option, f"one of {', '.join(allowed)}")]
        )
    return value


@asset_app.command("list")
def list_assets(
    ctx: typer.Context,
    type_: str | None = typer.Option(None, "--type", help=f"One of {', '.join(ASSET_TYPES)}."),
    tag: str | None = typer.Option(None, help="Only assets carrying this tag."),
    q: str | None = typer.Option(None, help="Words to find in name, title, description, tags."),
    lifecycle: str | None = typer.Option(None, help=f"One of {', '.join(LIFECYCLES)}."),
    sort: str = typer.Option("name", help=f"One of {', '.join(service.SORTS)}."),
    limit: int = typer.Option(50, min=1, help="How many assets to show."),
    as_json: bool = JsonOption,
) -> None:
    """Search the library; each asset with its labels and reuse counts."""
    found = service.library(
        state(ctx).workspace().sessions,
        type_=_choice(type_, ASSET_TYPES, "--type"),
        tag=tag,
        q=q,
        lifecycle=_choice(lifecycle, LIFECYCLES, "--lifecycle"),
        sort=sort,
        limit=limit,
    )
    if as_json:
        print_json(found)
        return
    table = Table("name", "type", "lifecycle", "labels", "consumers", "reused by", "title")
    for a in found["assets"]:
        table.add_row(
            a["name"],
            a["type"],
            a["lifecycle"],
            _labels(a["labels"]),
            str(a["reuse"]["consumers"]),
            str(a["reuse"]["reusedBy"]),
            escape(a["title"]),
        )
    console.print(table)
    console.print(f"{len(found['assets'])} of {found['total']} asset(s)")


def _how(consumer: Mapping[str, Any]) -> str:
    return ", ".join(k for k in ("declared", "observed") if consumer[k])


def _pin(consumer: Mapping[str, Any]) -> str:
    """What the consumer asked for and what it resolves to: `v1`, `production → v2`."""
    if consumer["pinnedVersion"] is not None:
        return f"v{consumer['pinnedVersion']}"
    if consumer["pinnedLabel"] is not None:
        return f"{consumer['pinnedLabel']} → {_version(consumer['resolvedVersion'])}"
    seen = consumer["observedVersions"]
    return "called " + ", ".join(f"v{v}" for v in seen) if seen else "called"


def _print_asset(asset: Mapping[str, Any]) -> None:
    console.print(
        f"[bold]{asset['name']}[/bold] — {escape(asset['title'])} "
        f"({asset['type']}, {asset['lifecycle']})"
    )
    for key in ("owner", "origin", "description"):
        if asset[key]:
            console.print(f"{key}: {escape(asset[key])}")
    if asset["tags"]:
        console.print(f"tags: {escape(', '.join(asset['tags']))}")
    console.print(f"labels: {_labels(asset['labels'])}")
    versions = Table("version", "labels", "created", "by", "sha256", "change", "impact")
    for v in asset["versions"]:
        versions.add_row(
            f"v{v['version']}",
            ", ".join(k for k in LABEL_ORDER if k in v["labels"]),
            v["createdAt"][:10],
            escape(v["createdBy"]),
            v["sha256"][:12],
            escape(v["change"] or ""),
            v["impact"],
        )
    console.print(versions)
    consumers = Table("initiative", "theme", "stage", "use", "pinned", "stale", title="consumers")
    for c in asset["consumers"]:
        consumers.add_row(
            c["initiative"], c["theme"], c["stage"], _how(c), _pin(c), "stale" if c["stale"] else ""
        )
    console.print(consumers if asset["consumers"] else "no consumers")
    r = asset["reuse"]
    console.print(
        f"consumers {r['consumers']} (declared {r['declared']}, observed {r['observed']}) · "
        f"reused by {r['reusedBy']} · at scale {r['atScale']} · stale pins {r['stalePins']}"
    )


def _print_version(found: Mapping[str, Any]) -> None:
    # An artifact's size is not known to scalegate (it stores 0): show its digest only.
    size = "" if found["artifact"] else f" · {found['size']} bytes"
    console.print(
        f"{found['name']} v{found['version']} · sha256 {found['sha256']}{size} · "
        f"by {escape(found['createdBy'])} at {found['createdAt']}"
    )
    if found["change"]:
        console.print(f"change: {escape(found['change'])}")
    if found["artifact"]:
        console.print(f"artifact: {escape(found['artifact']['url'])}")
        return
    # Plain echo: the content is shown as written, never read as Rich markup.
    typer.echo("")
    typer.echo(found["content"] or "", nl=not (found["content"] or "").endswith("\n"))


@asset_app.command("show")
def show(
    ctx: typer.Context,
    name: str,
    version: int | None = typer.Option(None, min=1, help="Show this version's content."),
    as_json: bool = JsonOption,
) -> None:
    """An asset: versions, labels, consumers, reuse; or one version's content with --version."""
    factory = state(ctx).workspace().sessions
    found = (
        service.detail(factory, name)
        if version is None
        else service.version_content(factory, name, version)
    )
    if as_json:
        print_json(found)
    elif version is None:
        _print_asset(found)
    else:
        _print_version(found)


@asset_app.command("diff")
def diff(ctx: typer.Context, name: str, a: int, b: int, as_json: bool = JsonOption) -> None:
    """A unified diff of two versions' content."""
    found = service.diff(state(ctx).workspace().sessions, name, a, b)
    if as_json:
        print_json(found)
    elif found["same"]:
        typer.echo(f"{name} v{a} and v{b}: identical content")
    elif found["diff"]:
        typer.echo(found["diff"], nl=not found["diff"].endswith("\n"))
    else:
        # Artifacts have no lines to compare: say what each side is and where it lives.
        sides = "; ".join(
            f"v{n} is artifact {art['sha256'][:12]} at {art['url']}" if art else f"v{n} is empty"
            for n, art in zip((a, b), found["artifacts"], strict=True)
        )
        typer.echo(f"{name}: different content; {sides}")


@asset_app.command("promote")
def promote(
    ctx: typer.Context,
    name: str,
    version: int = typer.Option(..., min=1, help="The version the label moves to."),
    label: str = typer.Option(..., help=f"One of {', '.join(MOVABLE_LABELS)}."),
    rationale: str = typer.Option(..., help="Why; kept in the history and the audit trail."),
    as_json: bool = JsonOption,
) -> None:
    """Move a label to a version if the asset policies allow it; a refusal changes nothing."""
    sg = state(ctx)
    result = service.promote(sg.workspace().sessions, sg.actor(), name, version, label, rationale)
    if as_json:
        print_json(result)
        return
    console.print(f"{name} {label}: {_version(result['from'])} → v{result['to']}")
    rules = result["evaluation"]["rules"]
    if not rules:
        console.print(f"no asset policy decides {label}")
        return
    table = Table("policy", "rule", "severity", "result", "message")
    for r in rules:
        mark = "pass" if r["passed"] else "FAIL"
        table.add_row(r["policy"], r["name"], r["severity"], mark, escape(r["message"]))
    console.print(table)


@asset_app.command("history")
def history(ctx: typer.Context, name: str, as_json: bool = JsonOption) -> None:
    """Every label move of an asset: when, who, which label, from → to, why."""
    moves = service.history(state(ctx).workspace().sessions, name)
    if as_json:
        print_json(moves)
        return
    table = Table("when", "who", "label", "move", "rationale", title=f"{name} label moves")
    for m in moves:
        table.add_row(
            m["at"][:19].replace("T", " "),
            escape(m["by"]),
            m["label"],
            f"{_version(m['from'])} → v{m['to']}",
            escape(m["rationale"]),
        )
    console.print(table if moves else f"{name}: no label has moved yet")


@asset_app.command("reuse")
def reuse(
    ctx: typer.Context,
    as_of: datetime | None = typer.Option(
        None, "--as-of", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z"], help="Default: now."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Portfolio reuse: reuse rate, prompt reuse share, most reused assets, stale pins."""
    when = None if as_of is None else (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC))
    figures = service.portfolio_figures(state(ctx).workspace().sessions, when)
    if as_json:
        print_json(figures)
        return
    rate, prompts = figures["reuseRate"], figures["promptReuse"]
    console.print(
        f"portfolio reuse rate {_pct(rate['rate'])}: {rate['reusing']} of {rate['pastProve']} "
        "initiatives past prove reuse a production asset they did not originate"
    )
    console.print(
        f"prompt reuse share {_pct(prompts['share'])}: {prompts['libraryCalls']} of "
        f"{prompts['knownPromptCalls']} model calls with a known prompt, last 28 days"
    )
    console.print(f"{figures['assets']} asset(s), {figures['production']} with a production label")
    most = Table("asset", "type", "consumers", "reused by", title="most reused")
    for m in figures["mostReused"]:
        most.add_row(m["name"], m["type"], str(m["consumers"]), str(m["reusedBy"]))
    console.print(most if figures["mostReused"] else "no asset is reused yet")
    stale = Table("initiative", "asset", "pinned", "resolves to", "production", title="stale pins")
    for s in figures["stalePins"]:
        pinned = s["label"] if s["label"] else _version(s["version"])
        stale.add_row(
            s["initiative"],
            s["asset"],
            pinned,
            _version(s["resolvedVersion"]),
            _version(s["productionVersion"]),
        )
    console.print(stale if figures["stalePins"] else "no stale pins")
