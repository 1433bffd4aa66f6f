"""The initiative page, and its forms for sign-offs, waivers and stage moves."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, get_args

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from scalegate.access.actor import Actor
from scalegate.assets import facts as asset_facts
from scalegate.assets import service as assets
from scalegate.assets.models import Asset
from scalegate.core.lifecycle import OWNER_ROLES, STAGE_ORDER, Stage, next_stage, stage_index
from scalegate.db import transaction
from scalegate.deps import Sessions
from scalegate.errors import InvalidInput, NotFound, Problem, ScalegateError
from scalegate.evidence.metrics import Scope
from scalegate.gates import service as gates
from scalegate.gates.schemas import Capability
from scalegate.outcomes.service import outcomes_for
from scalegate.portfolio import service as portfolio
from scalegate.slo.service import slo_burndown
from scalegate.usage.service import usage_for
from scalegate.web import charts, queries
from scalegate.web.assets_pages import LABEL_ORDER
from scalegate.web.auth import PageActor, csrf_protected, read_session
from scalegate.web.dashboard import dora_window, verdict_of
from scalegate.web.initiative_evaluations import evaluations_section
from scalegate.web.page_cache import Page, cached_render
from scalegate.web.render import may

CAPABILITIES: tuple[str, ...] = get_args(Capability)
router = APIRouter(include_in_schema=False)
forms = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])


def _hypothesis_chart(
    name: str, h: dict[str, Any], series: list[dict[str, Any]], kpi: dict[str, Any]
) -> charts.ChartView:
    unit = kpi.get("unit") or ""
    title = kpi.get("title") or h["kpi"]
    summary = (
        f"{title} is {charts.number(h['current'])} {unit} (baseline "
        f"{charts.number(h['baseline'])}, target {charts.number(h['target'])} by "
        f"{h['target_date'] or 'no date'}): {h['status']}."
        if h.get("current") is not None
        else f"No observations of {title} yet: {h['status']}."
    )
    return charts.chart_view(
        f"{name}-{h['kpi']}",
        f"{title} ({unit})" if unit else title,
        summary,
        charts.observations(series, h["baseline"], h["target"], unit),
        series,
        [("at", "Observed at"), ("value", "Value")],
        {"at": lambda v: str(v)[:16].replace("T", " ")},
        height=180,
    )


def _readiness_chart(name: str, profile: dict[str, Any]) -> charts.ChartView:
    shares = profile["readiness"]
    rows = [
        {
            "capability": cap,
            "slice": 1,
            "full": 1,
            "share": shares.get(cap) or 0.0,
            "label": f"{cap} {charts.percent(shares.get(cap))}",
            "rules": "yes" if shares.get(cap) is not None else "no rules",
        }
        for cap in CAPABILITIES
    ]
    scored = [c for c in CAPABILITIES if shares.get(c) is not None]
    weakest = min(scored, key=lambda c: shares[c], default=None)
    summary = (
        f"{profile['passing']} of {profile['rules']} rules pass through the gate to "
        f"{profile['through'] or profile['stage']}; weakest capability: {weakest} "
        f"({charts.percent(shares[weakest])})."
        if weakest
        else "No gate rules apply yet."
    )
    return charts.chart_view(
        f"{name}-readiness",
        "Readiness by capability",
        summary,
        charts.readiness(rows),
        rows,
        [("capability", "Capability"), ("share", "Rules passing"), ("rules", "Has rules")],
        {"share": charts.percent},
        height=260,
    )


def _usage_charts(name: str, usage: dict[str, Any]) -> list[charts.ChartView]:
    weeks = usage.get("weekly") or []
    users = charts.chart_view(
        f"{name}-active-users",
        "Weekly active users",
        f"{usage['adoption']['active_users_7d']} users active in the last 7 days, "
        f"{charts.percent(usage['adoption']['weekly_active_cohort_share'])} of the target cohort.",
        charts.weekly(weeks, "active_users", "Active users"),
        weeks,
        [("week_start", "Week"), ("active_users", "Active users"), ("assisted", "Assisted tasks")],
        height=160,
    )
    cost = charts.chart_view(
        f"{name}-weekly-cost",
        "Model spend per week",
        f"{usage['economics']['total_cost']:,.2f} spent in the window; "
        f"{usage['economics']['cost_per_transaction'] or 0:,.4f} per transaction.",
        charts.weekly(weeks, "cost", "Spend", mark="line", fmt=",.2f"),
        weeks,
        [("week_start", "Week"), ("cost", "Spend"), ("override_rate", "Override rate")],
        {"cost": lambda v: f"{v:,.4f}", "override_rate": charts.percent},
        height=160,
    )
    return [users, cost]


def _burndown_chart(name: str, slo: dict[str, Any]) -> charts.ChartView:
    points = slo["burndown"]
    drawn = [p for p in points if p["remaining"] is not None]
    last = drawn[-1] if drawn else None
    window = f"{slo['window']} {'rolling' if slo['rolling'] else 'calendar'} window"
    if last is None:
        summary = f"No traffic in the {window} yet, so no budget has been spent."
    else:
        first = drawn[0]
        summary = (
            f"{charts.percent(last['remaining'])} of the error budget is left "
            f"({charts.percent(first['remaining'])} on {first['at'][:10]}); "
            f"target {slo['target'] * 100:g}% over a {window}."
        )
        if not slo["burndown_exact"]:
            summary += (
                f" {slo['budgeting_method']} figures need every raw record; this line "
                "approximates them with good / total of the hourly counts."
            )
    return charts.chart_view(
        f"{name}-burndown-{slo['name']}",
        f"Error budget burn-down: {slo['name']}",
        summary,
        charts.burndown(drawn, slo["window_start"], slo["window_end"]),
        points,
        [("at", "Up to"), ("attainment", "Attainment"), ("remaining", "Budget remaining")],
        {
            "at": lambda v: str(v)[:16].replace("T", " "),
            "attainment": lambda v: "—" if v is None else f"{v * 100:.3f}%",
            "remaining": lambda v: "—" if v is None else f"{v * 100:.1f}%",
        },
        height=180,
    )


def _slos(factory: Any, name: str, as_of: datetime) -> list[dict[str, Any]]:
    with transaction(factory) as session:
        found = slo_burndown(session, name, as_of)
    return [
        {
            **slo,
            "firing": [a for a in slo["alerts"] if a["firing"]],
            "chart": _burndown_chart(name, slo),
        }
        for slo in found
    ]


def _library(factory: Any, name: str, as_of: datetime) -> dict[str, Any]:
    """The assets the initiative reuses and those it published (assets.initiative_library),
    each stale use with the version production points at."""
    with transaction(factory) as session:
        found = assets.initiative_library(session, name, as_of)
        stale = [u["name"] for u in found["uses"] if u["stale"]]
        labelled = asset_facts.asset_facts(session, Asset.name.in_(stale)) if stale else {}
    uses = [
        {**u, "production": labelled[u["name"]].production if u["name"] in labelled else None}
        for u in found["uses"]
    ]
    return {**found, "uses": sorted(uses, key=lambda u: u["name"])}


def _move_targets(actor: Actor, stage: str, rights: Any) -> list[tuple[str, str]]:
    """(stage, label) of every move this actor may ask for from this stage."""
    targets: list[tuple[str, str]] = []
    ahead = next_stage(stage)
    if ahead and rights.may(actor.roles, f"advance:{ahead}"):
        targets.append((ahead, f"advance to {ahead}"))
    if stage != Stage.RETIRED and rights.may(actor.roles, "step-back"):
        targets += [
            (s.value, f"step back to {s.value}")
            for s in STAGE_ORDER
            if stage_index(s.value) < stage_index(stage)
        ]
    if stage != Stage.RETIRED and rights.may(actor.roles, "retire"):
        targets.append((Stage.RETIRED.value, "retire"))
    return targets


@router.get("/initiatives/{name}", response_class=HTMLResponse)
def initiative_page(
    name: str, request: Request, actor: PageActor, factory: Sessions
) -> HTMLResponse:
    """Outcome, owners, hypotheses, gate, readiness, delivery, usage, evaluations and scans,
    reuse and decisions."""
    return cached_render(request, actor, factory, lambda viewer: _page(name, viewer, factory))


def _page(name: str, actor: Actor, factory: Any) -> Page:
    """The page as `actor` sees it (forms by their roles)."""
    as_of = datetime.now(UTC)
    try:
        doc = portfolio.show_initiative(factory, name)
    except NotFound as error:
        return Page("not_found.html", {"reason": error.message}, 404)
    spec = doc["spec"]
    kpis = {k["name"]: k for k in portfolio.list_kpis(factory)}
    outcomes = outcomes_for(factory, name, as_of)
    series = queries.observation_series(factory, name, as_of)
    hypotheses = [
        {
            **h,
            "kpi_title": kpis.get(h["kpi"], {}).get("title", h["kpi"]),
            "verdict": verdict_of(h),
            "chart": _hypothesis_chart(name, h, series.get(h["kpi"], []), kpis.get(h["kpi"], {})),
        }
        for h in outcomes["hypotheses"]
    ]
    check, profile = gates.check_and_readiness(factory, name, as_of)
    dora = dora_window(factory, Scope("initiative", name), as_of)
    usage = usage_for(factory, name, as_of)
    rights = queries.rights(factory)
    allowed = may(actor, rights)
    context = {
        "name": name,
        "spec": spec,
        "status": doc["status"],
        "owner_roles": OWNER_ROLES,
        "hypotheses": hypotheses,
        "time_returned": outcomes["time_returned_hours"],
        "check": check.as_dict() if check else None,
        "readiness": _readiness_chart(name, profile),
        "dora": dora,
        "dora_charts": charts.dora_weekly(dora, name) if dora["deployments"] else [],
        "slos": _slos(factory, name, as_of),
        "library": _library(factory, name, as_of),
        "label_order": LABEL_ORDER,
        "usage": usage if usage["operational"]["events"] else None,
        "usage_charts": _usage_charts(name, usage) if usage["operational"]["events"] else [],
        "evaluations": evaluations_section(factory, name, as_of),
        "gate_status": gates.status(factory, name, as_of),
        "may": allowed,
        "signable": [i for i in rights.signoff_items if allowed(f"signoff:{i}")],
        "waivable": [r["name"] for r in check.as_dict()["rules"]] if check else [],
        "waiver_max_days": rights.waiver_max_days,
        "moves": _move_targets(actor, spec["stage"], rights),
        "today": as_of.date().isoformat(),
    }
    return Page("initiative.html", context)


def _form_text(form: Any, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _form_date(form: Any, key: str) -> date | None:
    text = _form_text(form, key)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise InvalidInput(f"{key} is not a date", [Problem(key, "use YYYY-MM-DD")]) from error


def _done(request: Request, name: str, anchor: str, message: str, ok: bool) -> RedirectResponse:
    read_session(request).say("ok" if ok else "error", message)
    return RedirectResponse(f"/initiatives/{name}#{anchor}", status_code=303)


def _refusal(error: ScalegateError) -> str:
    details = "; ".join(str(p) for p in error.details)
    return f"{error.message}" + (f" ({details})" if details else "")


@forms.post("/initiatives/{name}/signoffs")
async def sign_off(
    name: str, request: Request, actor: PageActor, factory: Sessions
) -> RedirectResponse:
    """Sign a checklist item through the same service as the API's POST .../signoffs."""
    form = await request.form()
    try:
        item = _form_text(form, "item")
        gates.sign_off(
            factory,
            actor,
            name,
            item,
            _form_text(form, "artifact"),
            _form_date(form, "expires"),
            _form_text(form, "note") or None,
        )
    except ScalegateError as error:
        return _done(request, name, "signoffs", f"Not signed: {_refusal(error)}", ok=False)
    return _done(request, name, "signoffs", f"Signed {item}.", ok=True)


@forms.post("/initiatives/{name}/waivers")
async def waive(
    name: str, request: Request, actor: PageActor, factory: Sessions
) -> RedirectResponse:
    """Grant a waiver through the same service as the API."""
    form = await request.form()
    try:
        rules = [r for r in form.getlist("rules") if isinstance(r, str)]
        until = _form_date(form, "until")
        if until is None:
            raise InvalidInput("a waiver needs an end date", [Problem("until", "required")])
        gates.waive(factory, actor, name, rules, until, _form_text(form, "rationale"))
    except ScalegateError as error:
        return _done(request, name, "waivers", f"No waiver: {_refusal(error)}", ok=False)
    return _done(request, name, "waivers", f"Waived {', '.join(rules)} until {until}.", ok=True)


@forms.post("/initiatives/{name}/advance")
async def advance(
    name: str, request: Request, actor: PageActor, factory: Sessions
) -> RedirectResponse:
    """Move the stage through the same service as the API (a blocked move is recorded as hold)."""
    form = await request.form()
    to = _form_text(form, "to")
    try:
        result = gates.advance(factory, actor, name, to, _form_text(form, "rationale") or None)
    except ScalegateError as error:
        return _done(request, name, "decisions", f"Not moved: {_refusal(error)}", ok=False)
    return _done(request, name, "decisions", f"Moved from {result['from']} to {to}.", ok=True)


router.include_router(forms)
