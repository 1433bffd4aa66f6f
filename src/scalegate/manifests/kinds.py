"""The one place that makes every kind known to the registry."""

from __future__ import annotations


def load_kinds() -> None:
    """Import the modules whose handlers register themselves."""
    import scalegate.access.kinds
    import scalegate.assets.kinds
    import scalegate.gates.kinds
    import scalegate.portfolio.kinds
    import scalegate.slo.kinds
    import scalegate.usage.kinds  # noqa: F401
