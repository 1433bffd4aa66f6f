"""How apply reads and writes the portfolio kinds."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import delete, select

from scalegate.manifests.loader import Path_
from scalegate.manifests.registry import KindHandler, Reference, Spec, register, without_empties
from scalegate.portfolio.models import KPI, AssetUse, Hypothesis, Initiative, Rubric, Theme
from scalegate.portfolio.schemas import InitiativeSpec, KPISpec, RubricSpec, ThemeSpec

SCORE_COLUMNS = {
    "value": "score_value",
    "feasibility": "score_feasibility",
    "risk": "score_risk",
    "scalePotential": "score_scale_potential",
}
DEFAULT_RUBRIC = "default"


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


class FlatKind(KindHandler):
    """A kind stored as one row whose columns are exactly its spec's fields."""

    model: ClassVar[type[Theme] | type[KPI]]
    fields: ClassVar[tuple[str, ...]]

    def existing(self) -> dict[str, Spec]:
        rows: list[Theme | KPI] = list(self.session.scalars(select(self.model)))
        return {r.name: without_empties({f: getattr(r, f) for f in self.fields}) for r in rows}

    def create(self, name: str, spec: Spec) -> None:
        self.session.add(self.model(name=name, **{f: spec.get(f) for f in self.fields}))

    def update(self, name: str, spec: Spec) -> None:
        row = self.session.scalars(select(self.model).filter_by(name=name)).one()
        for f in self.fields:
            setattr(row, f, spec.get(f))

    def delete(self, name: str) -> None:
        self.session.execute(delete(self.model).filter_by(name=name))


@register
class ThemeKind(FlatKind):
    """Themes map one-to-one onto the theme table."""

    kind: ClassVar[str] = "Theme"
    order: ClassVar[int] = 10
    write_action: ClassVar[str] = "theme.write"
    spec_model = ThemeSpec
    model = Theme
    fields = ("title", "description", "owner")


@register
class KPIKind(FlatKind):
    """KPIs map one-to-one onto the kpi table."""

    kind: ClassVar[str] = "KPI"
    order: ClassVar[int] = 20
    write_action: ClassVar[str] = "kpi.write"
    spec_model = KPISpec
    model = KPI
    fields = ("title", "unit", "direction", "tier", "layer", "kind", "owner", "description")


@register
class RubricKind(KindHandler):
    """The rubric's weights; only `default` is used for ranking."""

    kind: ClassVar[str] = "Rubric"
    order: ClassVar[int] = 30
    write_action: ClassVar[str] = "rubric.write"
    spec_model = RubricSpec

    @classmethod
    def name_problem(cls, name: str) -> str | None:
        return None if name == DEFAULT_RUBRIC else f"the rubric must be named {DEFAULT_RUBRIC!r}"

    def existing(self) -> dict[str, Spec]:
        return {r.name: {"weights": r.weights} for r in self.session.scalars(select(Rubric))}

    def create(self, name: str, spec: Spec) -> None:
        self.session.add(Rubric(name=name, weights=spec["weights"]))

    def update(self, name: str, spec: Spec) -> None:
        self.session.scalars(select(Rubric).where(Rubric.name == name)).one().weights = spec[
            "weights"
        ]

    def delete(self, name: str) -> None:
        self.session.execute(delete(Rubric).where(Rubric.name == name))


def initiative_spec(row: Initiative) -> Spec:
    """The canonical spec of a stored initiative (what export writes and apply compares)."""
    hypotheses = [
        {
            "kpi": h.kpi.name,
            "baseline": {"value": h.baseline_value, "at": _iso(h.baseline_at)}
            if h.baseline_value is not None
            else None,
            "target": {"value": h.target_value, "by": _iso(h.target_by)}
            if h.target_value is not None
            else None,
        }
        for h in row.hypotheses
    ]
    spec = {
        "title": row.title,
        "theme": row.theme.name,
        "stage": row.stage,
        "riskTier": row.risk_tier,
        "outcome": row.outcome,
        "owners": row.owners,
        "scores": {key: getattr(row, column) for key, column in SCORE_COLUMNS.items()},
        "hypotheses": hypotheses,
        "services": row.services,
        "dataClasses": row.data_classes,
        "targetCohortSize": row.target_cohort_size,
        "capacity": row.capacity,
        "timeReturned": row.time_returned,
        "uses": [{"asset": u.asset, "version": u.version, "label": u.label} for u in row.uses],
    }
    return without_empties(spec)  # type: ignore[no-any-return]


@register
class InitiativeKind(KindHandler):
    """Initiatives span the initiative and hypothesis tables."""

    kind: ClassVar[str] = "Initiative"
    order: ClassVar[int] = 50
    write_action: ClassVar[str] = "initiative.write"
    spec_model = InitiativeSpec

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        self._theme_ids: dict[str, int] | None = None
        self._kpi_ids: dict[str, int] | None = None

    @classmethod
    def change_problems(cls, before: Spec, after: Spec) -> list[tuple[Path_, str]]:
        # Stages move through the gates, never by editing a file.
        if before.get("stage") != after.get("stage"):
            return [
                (
                    ("stage",),
                    f"is {before.get('stage')} in the workspace; stage changes go through "
                    f"`scalegate advance` so that the gates apply",
                )
            ]
        return []

    def references(self, spec: Spec) -> list[Reference]:
        refs = [Reference(("theme",), "Theme", spec["theme"])]
        refs += [
            Reference(("hypotheses", i, "kpi"), "KPI", h["kpi"])
            for i, h in enumerate(spec.get("hypotheses", []))
        ]
        refs += [
            Reference(
                ("uses", i, "asset"),
                "Asset",
                u["asset"],
                detail=(("version", u.get("version")), ("label", u.get("label"))),
            )
            for i, u in enumerate(spec.get("uses", []))
            if isinstance(u, dict)
        ]
        if "fromKpi" in spec.get("timeReturned", {}):
            refs.append(
                Reference(("timeReturned", "fromKpi"), "KPI", spec["timeReturned"]["fromKpi"])
            )
        return refs

    def existing(self) -> dict[str, Spec]:
        return {r.name: initiative_spec(r) for r in self.session.scalars(select(Initiative))}

    def _ids(self) -> tuple[dict[str, int], dict[str, int]]:
        # Themes and KPIs of this apply are flushed before initiatives are written.
        if self._theme_ids is None or self._kpi_ids is None:
            self.session.flush()
            self._theme_ids = dict(self.session.execute(select(Theme.name, Theme.id)).all())
            self._kpi_ids = dict(self.session.execute(select(KPI.name, KPI.id)).all())
        return self._theme_ids, self._kpi_ids

    def _fill(self, row: Initiative, spec: Spec) -> None:
        theme_ids, kpi_ids = self._ids()
        scores = spec.get("scores", {})
        row.title = spec["title"]
        row.theme_id = theme_ids[spec["theme"]]
        row.stage = spec["stage"]
        row.risk_tier = spec.get("riskTier")
        row.outcome = spec.get("outcome")
        row.owners = spec.get("owners")
        for key, column in SCORE_COLUMNS.items():
            setattr(row, column, scores.get(key))
        row.services = spec.get("services")
        row.data_classes = spec.get("dataClasses")
        row.target_cohort_size = spec.get("targetCohortSize")
        row.capacity = spec.get("capacity")
        row.time_returned = spec.get("timeReturned")
        row.updated_at = datetime.now(UTC)
        row.hypotheses = [
            Hypothesis(
                position=i,
                kpi_id=kpi_ids[h["kpi"]],
                baseline_value=h.get("baseline", {}).get("value"),
                baseline_at=_date(h.get("baseline", {}).get("at")),
                target_value=h.get("target", {}).get("value"),
                target_by=_date(h.get("target", {}).get("by")),
            )
            for i, h in enumerate(spec.get("hypotheses", []))
        ]
        row.uses = [
            AssetUse(position=i, asset=u["asset"], version=u.get("version"), label=u.get("label"))
            for i, u in enumerate(spec.get("uses", []))
        ]

    def create(self, name: str, spec: Spec) -> None:
        row = Initiative(name=name, created_at=datetime.now(UTC))
        self._fill(row, spec)
        self.session.add(row)

    def update(self, name: str, spec: Spec) -> None:
        row = self.session.scalars(select(Initiative).where(Initiative.name == name)).one()
        self._fill(row, spec)

    def delete(self, name: str) -> None:
        row = self.session.scalars(select(Initiative).where(Initiative.name == name)).one()
        self.session.delete(row)
