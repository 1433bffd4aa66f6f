"""Typed reads of decoded JSON and of timestamps; every failure is a FormatError naming the path."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from scalegate.core.evaluations import FormatError

TOP = "top level"


def at(base: str, key: str) -> str:
    """The path of `key` under `base` (`results.stats`, or `stats` at the top)."""
    return f"{base}.{key}" if base else key


def shown(value: object) -> str:
    """A value as a message quotes it: JSON for scalars, the kind for objects and arrays."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:36] + '..."'


def load_json(data: bytes) -> Any:
    """The decoded JSON document, or a FormatError saying where it stops being JSON."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise FormatError(f"not JSON: {error.msg}", where) from None
    except UnicodeDecodeError:
        raise FormatError("not JSON: the bytes are not UTF-8, UTF-16 or UTF-32 text") from None
    except RecursionError:
        raise FormatError("not JSON this reader accepts: nested too deeply") from None


def obj(value: object, where: str) -> dict[str, Any]:
    """`value` as a JSON object."""
    if not isinstance(value, dict):
        raise FormatError(f"expected an object, got {shown(value)}", where)
    return value


def arr(value: object, where: str) -> list[Any]:
    """`value` as a JSON array."""
    if not isinstance(value, list):
        raise FormatError(f"expected an array, got {shown(value)}", where)
    return value


def text(value: object, where: str) -> str:
    """`value` as a string."""
    if not isinstance(value, str):
        raise FormatError(f"expected a string, got {shown(value)}", where)
    return value


def optional_text(value: object, where: str) -> str | None:
    """`value` as a string, None when absent, null or empty."""
    if value is None:
        return None
    return text(value, where) or None


def integer(value: object, where: str) -> int:
    """`value` as a whole number (JSON true/false are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormatError(f"expected an integer, got {shown(value)}", where)
    return value


def number(value: object, where: str) -> float:
    """`value` as a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FormatError(f"expected a number, got {shown(value)}", where)
    return float(value)


def boolean(value: object, where: str) -> bool:
    """`value` as true or false."""
    if not isinstance(value, bool):
        raise FormatError(f"expected true or false, got {shown(value)}", where)
    return value


def timestamp(value: object, where: str) -> datetime:
    """An ISO 8601 moment in UTC; a timestamp without an offset is read as UTC."""
    raw = text(value, where)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise FormatError(f"expected an ISO 8601 timestamp, got {shown(raw)}", where) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
