"""Review packs: periods, the opening paragraph, output formats and atomic writes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from scalegate.errors import InvalidInput
from scalegate.reviews.cli import output_format, write_atomically
from scalegate.reviews.render import num, pct
from scalegate.reviews.service import period_for, summary_text

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cadence", "start", "first_day"),
    [
        ("weekly", datetime(2026, 11, 15, 12, tzinfo=UTC), date(2026, 11, 16)),
        ("monthly", datetime(2026, 10, 23, 12, tzinfo=UTC), date(2026, 10, 24)),
        ("quarterly", datetime(2026, 8, 24, 12, tzinfo=UTC), date(2026, 8, 25)),
    ],
)
def test_periods_are_trailing_windows_ending_at_as_of(
    cadence: str, start: datetime, first_day: date
) -> None:
    period = period_for(cadence, NOON)
    assert (period.start, period.end) == (start, NOON)
    # DORA reads whole days: the day of as_of is the last, and there are exactly `days` of them.
    assert period.day_range() == (first_day, date(2026, 11, 22))
    assert (period.day_range()[1] - period.day_range()[0]).days + 1 == period.days


def test_a_midnight_as_of_ends_the_days_the_day_before() -> None:
    """`--as-of 2026-11-22` is midnight: the week is 15 to 21 November, all of it."""
    period = period_for("weekly", MIDNIGHT)
    assert period.day_range() == (date(2026, 11, 15), date(2026, 11, 21))
    assert period.as_dict()["first_day"] == "2026-11-15"
    assert period.as_dict()["last_day"] == "2026-11-21"


def test_an_unknown_cadence_names_the_choices() -> None:
    with pytest.raises(InvalidInput, match="choose weekly, monthly or quarterly"):
        period_for("daily", NOON)


def test_the_summary_says_what_changed_then_what_needs_a_decision() -> None:
    period = period_for("weekly", NOON)
    assert summary_text(period, ["2 incidents opened", "1 platform issue"], ["close 1"]) == (
        "In the 7 days to 2026-11-22 12:00 UTC: 2 incidents opened; 1 platform issue. "
        "Needs a decision: close 1."
    )
    assert summary_text(period, ["0 incidents opened"], []).endswith(
        "0 incidents opened. Nothing needs a decision."
    )


@pytest.mark.parametrize(
    ("name", "fmt"), [("pack.html", "html"), ("PACK.PDF", "pdf"), ("a.b/weekly.pdf", "pdf")]
)
def test_the_suffix_chooses_the_format(name: str, fmt: str) -> None:
    assert output_format(Path(name)) == fmt


@pytest.mark.parametrize("name", ["pack.htm", "pack.txt", "pack", "pack.html.gz"])
def test_other_suffixes_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput, match=r"must end in \.html or \.pdf"):
        output_format(Path(name))


def test_writes_replace_the_file_whole_and_leave_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "out" / "weekly.html"
    write_atomically(target, b"first")
    write_atomically(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["weekly.html"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "weekly.html"
    target.write_bytes(b"old")

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("scalegate.reviews.cli.os.replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["weekly.html"]


def test_cells() -> None:
    assert (pct(5 / 11), pct(0.07912, 1), pct(None)) == ("45%", "7.9%", "—")
    assert (num(113.0), num(1234), num(4.018), num(None), num(2.25, 1)) == (
        "113",
        "1,234",
        "4.02",
        "—",
        "2.2",
    )
