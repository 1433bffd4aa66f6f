"""YAML documents keep the line of every field, so errors can name FILE:LINE."""

from __future__ import annotations

import pytest
import yaml

from scalegate.manifests.loader import load_documents, parse_documents

TEXT = """\
# a comment
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: a}
spec:
  title: A
  hypotheses:
    - kpi: x
      baseline: {value: 1}
    - kpi: y
---
---
kind: Theme
"""


def test_lines_of_nested_fields() -> None:
    """Line numbers counted by hand from TEXT above (1-based)."""
    first, second = list(parse_documents(TEXT, "f.yaml"))
    assert first.line_of(("kind",)) == 3
    assert first.line_of(("spec", "title")) == 6
    assert first.line_of(("spec", "hypotheses", 0, "baseline", "value")) == 9
    assert first.line_of(("spec", "hypotheses", 1)) == 10
    # A field that is absent falls back to its nearest present parent.
    assert first.line_of(("spec", "hypotheses", 1, "target", "value")) == 10
    assert first.line_of(("spec", "owners")) == 5
    assert second.line == 13


def test_empty_documents_are_skipped() -> None:
    assert [d.body for d in parse_documents("---\n---\n", "f.yaml")] == []


def test_malformed_yaml_is_a_located_problem() -> None:
    documents, problems = load_documents([("bad.yaml", "a: [1,\nb: 2\n")])
    assert documents == []
    assert len(problems) == 1
    assert problems[0].file == "bad.yaml"
    assert problems[0].line == 3
    assert "malformed YAML" in problems[0].message


def test_parse_raises_on_tabs() -> None:
    with pytest.raises(yaml.YAMLError):
        list(parse_documents("a:\n\tb: 1\n", "f.yaml"))
