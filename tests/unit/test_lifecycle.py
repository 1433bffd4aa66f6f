"""Lifecycle order: define → prove → industrialize → adopt → govern → expand; retired aside."""

from __future__ import annotations

from scalegate.core.lifecycle import forward_transitions, is_forward, next_stage, transitions_passed


def test_next_stage() -> None:
    assert next_stage("define") == "prove"
    assert next_stage("govern") == "expand"
    assert next_stage("expand") is None
    assert next_stage("retired") is None


def test_forward_transitions_cross_every_gate_between() -> None:
    assert forward_transitions("prove", "adopt") == [
        ("prove", "industrialize"),
        ("industrialize", "adopt"),
    ]
    assert forward_transitions("adopt", "prove") == []


def test_direction() -> None:
    assert is_forward("define", "prove")
    assert not is_forward("adopt", "prove")
    assert not is_forward("adopt", "retired")
    assert not is_forward("retired", "prove")


def test_transitions_passed() -> None:
    assert transitions_passed("define") == []
    assert transitions_passed("industrialize") == [("define", "prove"), ("prove", "industrialize")]
    assert transitions_passed("retired") == []
