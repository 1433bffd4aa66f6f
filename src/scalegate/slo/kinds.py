"""OpenSLO v1 documents (`SLO`, `SLI`, `DataSource`) accepted by `scalegate apply` as they are.

Field names follow the specification (https://github.com/OpenSLO/OpenSLO, v1), so they are
camelCase here too.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field
from sqlalchemy import delete, select

from scalegate.core.slo import CALENDAR_MONTHS, fixed_duration, parse_duration, slice_window
from scalegate.manifests.loader import Path_
from scalegate.manifests.registry import KindHandler, Reference, Spec, StrictModel, register
from scalegate.slo.models import OpensloObject

OPENSLO_API_VERSION = "openslo/v1"
INITIATIVE_LABEL = "scalegate.dev/initiative"
CALENDAR_START = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
Description = str


class Metadata(StrictModel):
    """OpenSLO metadata besides the name."""

    displayName: str | None = None
    labels: dict[str, str | list[str]] | None = None
    annotations: dict[str, str] | None = None


class MetricSource(StrictModel):
    """Where a metric is read: a DataSource by name and/or a type, and source-specific fields."""

    metricSourceRef: str | None = None
    type: str | None = None
    spec: dict[str, Any]


class Metric(StrictModel):
    """One query of an indicator."""

    metricSource: MetricSource


class RatioMetric(StrictModel):
    """good/total, bad/total, or a precomputed raw ratio."""

    counter: bool | None = None
    good: Metric | None = None
    bad: Metric | None = None
    total: Metric | None = None
    rawType: Literal["success", "failure"] | None = None
    raw: Metric | None = None


class SliSpec(StrictModel):
    """What an SLI measures: a threshold metric or a ratio metric."""

    description: Description | None = Field(default=None, max_length=1050)
    thresholdMetric: Metric | None = None
    ratioMetric: RatioMetric | None = None


class InlineIndicatorMetadata(StrictModel):
    """The metadata of an indicator written inside its SLO."""

    name: str
    displayName: str | None = None


class InlineIndicator(StrictModel):
    """An SLI written inside its SLO."""

    metadata: InlineIndicatorMetadata
    spec: SliSpec


class Calendar(StrictModel):
    """Where calendar-aligned periods start: local time without zone, and an IANA zone."""

    startTime: str
    timeZone: str


class TimeWindowSpec(StrictModel):
    """A rolling or calendar-aligned window."""

    duration: str
    isRolling: bool | None = None
    calendar: Calendar | None = None


class ObjectiveSpec(StrictModel):
    """One objective of an SLO."""

    displayName: str | None = None
    op: Literal["lte", "gte", "lt", "gt"] | None = None
    value: float | None = None
    target: float | None = Field(default=None, ge=0, lt=1)
    targetPercent: float | None = Field(default=None, ge=0, lt=100)
    timeSliceTarget: float | None = Field(default=None, gt=0, le=1)
    timeSliceWindow: str | float | None = None
    compositeWeight: float | None = Field(default=None, gt=0)


class SloSpec(StrictModel):
    """An OpenSLO SLO."""

    description: Description | None = Field(default=None, max_length=1050)
    service: str = Field(min_length=1)
    indicator: InlineIndicator | None = None
    indicatorRef: str | None = None
    timeWindow: list[TimeWindowSpec] | None = None
    budgetingMethod: Literal["Occurrences", "Timeslices", "RatioTimeslices"]
    objectives: list[ObjectiveSpec] = Field(min_length=1)
    alertPolicies: list[Any] | None = None


class DataSourceSpec(StrictModel):
    """Connection details of a metric source (type Prometheus: `connectionDetails.url`)."""

    description: Description | None = Field(default=None, max_length=1050)
    type: str = Field(min_length=1)
    connectionDetails: dict[str, Any] | None = None


def _duration_problem(text: str) -> str | None:
    try:
        parse_duration(text)
    except ValueError as error:
        return str(error)
    return None


def _window_problems(windows: list[dict[str, Any]]) -> list[tuple[Path_, str]]:
    if len(windows) != 1:
        return [(("timeWindow",), f"must hold exactly one window, not {len(windows)}")]
    window, at = windows[0], ("timeWindow", 0)
    if problem := _duration_problem(window["duration"]):
        return [((*at, "duration"), problem)]
    calendar = window.get("calendar")
    rolling = window.get("isRolling", calendar is None)
    if rolling and calendar is not None:
        return [((*at, "isRolling"), "a calendar window is not rolling")]
    if rolling:
        if parse_duration(window["duration"])[1] in CALENDAR_MONTHS:
            return [((*at, "duration"), "a rolling window needs m, h, d or w (M, Q, Y vary)")]
        return []
    if calendar is None:
        return [((*at, "calendar"), "a window that is not rolling needs a calendar")]
    problems: list[tuple[Path_, str]] = []
    try:
        if not CALENDAR_START.match(calendar["startTime"]):
            raise ValueError(calendar["startTime"])
        datetime.fromisoformat(calendar["startTime"])
    except ValueError:
        problems.append(((*at, "calendar", "startTime"), "must read YYYY-MM-DD HH:MM:SS (no zone)"))
    try:
        ZoneInfo(calendar["timeZone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(((*at, "calendar", "timeZone"), "is not an IANA time zone name"))
    return problems


def _objective_problems(method: str, objective: dict[str, Any], i: int) -> list[tuple[Path_, str]]:
    at: Path_ = ("objectives", i)
    problems: list[tuple[Path_, str]] = []
    if ("target" in objective) == ("targetPercent" in objective):
        problems.append((at, "give exactly one of target and targetPercent"))
    if method != "Occurrences":
        window = slice_window(objective.get("timeSliceWindow"))
        if window is None:
            problems.append(((*at, "timeSliceWindow"), f"is required with {method}"))
        else:
            try:
                fixed_duration(window)
            except ValueError as error:
                problems.append(((*at, "timeSliceWindow"), str(error)))
    if method == "Timeslices" and "timeSliceTarget" not in objective:
        problems.append(((*at, "timeSliceTarget"), "is required with Timeslices"))
    return problems


def _ratio_problems(spec: dict[str, Any], at: Path_) -> list[tuple[Path_, str]]:
    if ("thresholdMetric" in spec) == ("ratioMetric" in spec):
        return [(at, "give exactly one of thresholdMetric and ratioMetric")]
    ratio = spec.get("ratioMetric")
    if ratio is None:
        return []
    at = (*at, "ratioMetric")
    if "raw" in ratio:
        if {"good", "bad", "total"} & set(ratio):
            return [(at, "raw cannot be used with good, bad or total")]
        return [] if "rawType" in ratio else [((*at, "rawType"), "is required with raw")]
    if "total" not in ratio:
        return [(at, "needs total (with good or bad) or raw")]
    if ("good" in ratio) == ("bad" in ratio):
        return [(at, "give exactly one of good and bad with total")]
    return []


def objective_name(slo: str, objective: dict[str, Any], index: int, count: int) -> str:
    """How an objective is named in figures: the SLO's name, qualified when it has several."""
    if count == 1:
        return slo
    return f"{slo}:{objective.get('displayName') or index}"


class OpensloKind(KindHandler):
    """OpenSLO objects of one kind, stored as their canonical document in openslo_object."""

    api_version: ClassVar[str] = OPENSLO_API_VERSION
    write_action: ClassVar[str] = "slo.write"
    metadata_model = Metadata

    def existing(self) -> dict[str, Spec]:
        rows = self.session.scalars(select(OpensloObject).filter_by(kind=self.kind))
        return {row.name: row.spec for row in rows}

    def create(self, name: str, spec: Spec) -> None:
        self.session.add(OpensloObject(kind=self.kind, name=name, spec=spec))
        self._changed(name, spec)

    def update(self, name: str, spec: Spec) -> None:
        row = self.session.scalars(select(OpensloObject).filter_by(kind=self.kind, name=name)).one()
        row.spec = spec
        self._changed(name, spec)

    def delete(self, name: str) -> None:
        self.session.execute(delete(OpensloObject).filter_by(kind=self.kind, name=name))

    def _changed(self, name: str, spec: Spec) -> None:
        """An SLO's slices are tallied anew when its objectives may have changed."""
        if self.kind == "SLO":
            from scalegate.slo.ingest import retally_slo  # ingest imports what imports kinds

            retally_slo(self.session, name, spec)


def _source_refs(metrics: dict[str, Any], at: Path_) -> list[Reference]:
    refs = []
    for key in ("good", "bad", "total", "raw"):
        source = (metrics.get(key) or {}).get("metricSource", {})
        if "metricSourceRef" in source:
            path = (*at, key, "metricSource", "metricSourceRef")
            refs.append(Reference(path, "DataSource", source["metricSourceRef"]))
    return refs


def _indicator_refs(spec: dict[str, Any], at: Path_) -> list[Reference]:
    ratio = spec.get("ratioMetric")
    if ratio is not None:
        return _source_refs(ratio, (*at, "ratioMetric"))
    threshold = spec.get("thresholdMetric", {}).get("metricSource", {})
    if "metricSourceRef" in threshold:
        path = (*at, "thresholdMetric", "metricSource", "metricSourceRef")
        return [Reference(path, "DataSource", threshold["metricSourceRef"])]
    return []


@register
class DataSourceKind(OpensloKind):
    """`kind: DataSource` (openslo/v1)."""

    kind: ClassVar[str] = "DataSource"
    order: ClassVar[int] = 70
    spec_model = DataSourceSpec

    @classmethod
    def semantic_problems(cls, spec: Spec) -> list[tuple[Path_, str]]:
        if spec["type"].lower() != "prometheus":
            return []
        url = (spec.get("connectionDetails") or {}).get("url")
        parsed = urlparse(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
            url_path = ("connectionDetails", "url")
            return _located([(url_path, "a Prometheus source needs an http(s) url")])
        return []


@register
class SliKind(OpensloKind):
    """`kind: SLI` (openslo/v1)."""

    kind: ClassVar[str] = "SLI"
    order: ClassVar[int] = 71
    spec_model = SliSpec

    @classmethod
    def semantic_problems(cls, spec: Spec) -> list[tuple[Path_, str]]:
        return _located(_ratio_problems(spec, ()))

    def references(self, spec: Spec) -> list[Reference]:
        return _indicator_refs(spec, ())


@register
class SloKind(OpensloKind):
    """`kind: SLO` (openslo/v1), linked to initiatives by service or label."""

    kind: ClassVar[str] = "SLO"
    order: ClassVar[int] = 72
    spec_model = SloSpec

    @classmethod
    def semantic_problems(cls, spec: Spec) -> list[tuple[Path_, str]]:
        return _located(_slo_problems(spec))

    def references(self, spec: Spec) -> list[Reference]:
        refs = []
        if "indicatorRef" in spec:
            refs.append(Reference(("indicatorRef",), "SLI", spec["indicatorRef"]))
        if "indicator" in spec:
            refs += _indicator_refs(spec["indicator"].get("spec", {}), ("indicator", "spec"))
        for name in linked_initiatives(spec):
            path = ("metadata", "labels", INITIATIVE_LABEL)
            refs.append(Reference(path, "Initiative", name, absolute=True))
        return refs


def field_path(path: Path_) -> str:
    """spec.objectives[0].target: where a problem is, as apply prints it."""
    text = "spec"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _located(problems: list[tuple[Path_, str]]) -> list[tuple[Path_, str]]:
    # apply prints semantic problems without their path, so the message carries it.
    return [(path, f"{field_path(path)}: {message}") for path, message in problems]


def _slo_problems(spec: Spec) -> list[tuple[Path_, str]]:
    problems: list[tuple[Path_, str]] = []
    if ("indicator" in spec) == ("indicatorRef" in spec):
        problems.append(((), "give exactly one of indicator and indicatorRef"))
    if "indicator" in spec:
        problems += _ratio_problems(spec["indicator"].get("spec", {}), ("indicator", "spec"))
    problems += _window_problems(spec.get("timeWindow", [{"duration": "30d"}]))
    for i, objective in enumerate(spec["objectives"]):
        problems += _objective_problems(spec["budgetingMethod"], objective, i)
    return problems


def linked_initiatives(spec: Spec) -> list[str]:
    """Initiatives an SLO names in its `scalegate.dev/initiative` label."""
    value = (spec.get("metadata", {}).get("labels") or {}).get(INITIATIVE_LABEL)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
