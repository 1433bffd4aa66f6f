"""What every review pack is made of: sections of figures and tables, and their cells' text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup

from scalegate.web import charts

# ---------------------------------------------------------------------------------------------
# The document model the template renders


@dataclass(frozen=True)
class Table:
    """A captioned table of text cells; `empty` is said instead when it has no rows."""

    caption: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    empty: str = "None."
    wide: bool = False  # many columns: laid out to the page width in print


@dataclass(frozen=True)
class Figure:
    """A chart: title, one-sentence summary, the picture, and its data as a table."""

    view: charts.ChartView
    image: Markup
    table: Table


@dataclass
class Section:
    """One part of a pack: a heading, a sentence, then charts and tables."""

    id: str
    title: str
    intro: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Cells


def pct(value: Any, digits: int = 0) -> str:
    """A share as a percentage, or a dash."""
    return "—" if value is None else f"{float(value) * 100:.{digits}f}%"


def num(value: Any, digits: int = 2) -> str:
    """A number with up to `digits` decimals, or a dash."""
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return f"{float(value):,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:,.0f}"


def day(value: str | None) -> str:
    """The date of an ISO moment."""
    return "—" if not value else value[:10]


def when(value: str | None) -> str:
    """An ISO moment as `YYYY-MM-DD HH:MM`."""
    return "—" if not value else datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")


def names(values: Sequence[str]) -> str:
    """A list of names, or a dash."""
    return ", ".join(values) if values else "—"
