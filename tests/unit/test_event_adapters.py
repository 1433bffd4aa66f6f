"""Event schemas and the CDEvents / GitHub adapters: pure parsing, no database."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import scalegate.outcomes.schemas
import scalegate.usage.schemas  # noqa: F401  (registers usage)
from scalegate.errors import InvalidInput, Problem
from scalegate.evidence.adapters import (
    Skip,
    Skipped,
    cdevent_to_event,
    detect,
    github_to_event,
    parse_batch,
    read_batch,
    verify_github_signature,
)
from scalegate.evidence.schemas import (
    BaseEvent,
    ChangeEvent,
    DeploymentEvent,
    EventError,
    IncidentEvent,
    IncidentResolvedEvent,
    event_problems,
    event_types,
    format_line_problem,
    parse_event,
    register_event_type,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture(name: str) -> Any:
    return json.loads(fixture_text(name))


def lines_of(problems: list[Problem]) -> list[str]:
    return [format_line_problem(p) for p in problems]


def deployment(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "deployment",
        "id": "checkout-0412",
        "service": "checkout",
        "environment": "production",
        "status": "success",
        "finished_at": "2026-03-10T14:22:31Z",
    }
    event.update(overrides)
    return event


def incident(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "incident",
        "id": "INC-4711",
        "service": "checkout",
        "opened_at": "2026-03-10T14:41:02Z",
    }
    event.update(overrides)
    return event


# --- own format ---------------------------------------------------------------------------


def test_a_deployment_is_validated_and_normalised_to_utc() -> None:
    event = parse_event(
        deployment(
            finished_at="2026-03-10T15:22:31+01:00",
            commits=[{"sha": "9f2c4e1", "committed_at": "2026-03-10T13:05:47+01:00"}],
        )
    )
    assert isinstance(event, DeploymentEvent)
    assert event.finished_at == datetime(2026, 3, 10, 14, 22, 31, tzinfo=UTC)
    assert event.finished_at.tzinfo is UTC
    assert event.commits[0].committed_at == datetime(2026, 3, 10, 12, 5, 47, tzinfo=UTC)
    assert event.rollback_of is None
    assert event.remediates == []
    assert event.initiative is None


def test_defaults_and_optional_fields() -> None:
    event = parse_event(deployment())
    assert isinstance(event, DeploymentEvent)
    assert event.commits == []
    assert event.remediates == []
    opened = parse_event(incident())
    assert isinstance(opened, IncidentEvent)
    assert opened.resolved_at is None
    assert opened.caused_by is None


def test_every_type_of_the_jsonl_fixture_parses() -> None:
    batch = parse_batch(fixture_text("scalegate_events.jsonl"), "jsonl")
    assert batch.problems == []
    assert batch.ok
    assert [(n, type(e)) for n, e in batch.events] == [
        (1, ChangeEvent),
        (2, DeploymentEvent),
        (4, IncidentEvent),
        (5, DeploymentEvent),
    ]
    change = batch.events[0][1]
    assert isinstance(change, ChangeEvent)
    assert change.initiative == "checkout-assistant"
    rollback = batch.events[3][1]
    assert isinstance(rollback, DeploymentEvent)
    assert rollback.rollback_of == "checkout-0412"
    assert rollback.remediates == ["INC-4711"]


def test_a_naive_timestamp_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_event(deployment(finished_at="2026-03-10T14:22:31"))
    assert lines_of(event_problems(3, caught.value)) == [
        "3: finished_at: timestamp needs a timezone (e.g. Z)"
    ]


def test_a_naive_commit_timestamp_names_its_path() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_event(deployment(commits=[{"sha": "abc", "committed_at": "2026-03-10"}]))
    assert lines_of(event_problems(1, caught.value)) == [
        "1: commits[0].committed_at: timestamp needs a timezone (e.g. Z)"
    ]


def test_a_number_is_not_a_timestamp() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_event(deployment(finished_at=1773152551))
    [problem] = event_problems(1, caught.value)
    assert problem.path == "finished_at"
    assert problem.message.startswith("timestamp must be an ISO 8601 string")


def test_resolved_before_opened_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_event(incident(resolved_at="2026-03-10T14:00:00Z"))
    [problem] = event_problems(7, caught.value)
    assert problem.path == "resolved_at"
    assert problem.line == 7
    assert problem.message.startswith("must not be before opened_at")


def test_resolved_when_opened_is_accepted() -> None:
    event = parse_event(incident(resolved_at="2026-03-10T15:41:02+01:00"))
    assert isinstance(event, IncidentEvent)
    assert event.resolved_at == event.opened_at


def test_an_extra_field_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_event(deployment(owner="team-a"))
    assert lines_of(event_problems(2, caught.value)) == ["2: owner: unknown field"]


def test_missing_fields_bad_status_and_long_ids_are_reported_together() -> None:
    raw = deployment(status="rolled-back", id="x" * 201)
    del raw["service"]
    with pytest.raises(ValidationError) as caught:
        parse_event(raw)
    problems = {p.path: p.message for p in event_problems(1, caught.value)}
    assert problems["service"] == "field required"
    assert problems["status"] == "input should be 'success' or 'failure'"
    assert problems["id"] == "string should have at most 200 characters"


def test_empty_ids_and_non_string_ids_are_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_event(deployment(id="  ", service=42))
    paths = sorted(p.path for p in event_problems(1, caught.value))
    assert paths == ["id", "service"]


def test_an_initiative_must_be_a_slug() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_event(deployment(initiative="Checkout Assistant"))
    [problem] = event_problems(1, caught.value)
    assert problem.path == "initiative"
    assert "lowercase slug" in problem.message


def test_an_unknown_type_lists_the_known_ones() -> None:
    from scalegate.evidence.service import _load_event_types

    _load_event_types()  # every capability's types, whichever tests ran before
    with pytest.raises(ValueError) as caught:
        parse_event({"type": "slx", "id": "x"})
    known = "change, deployment, incident, incident_resolved, kpi, kpi_summary, sli, usage"
    assert str(caught.value) == f"unknown event type 'slx' (known: {known})"
    assert lines_of(event_problems(4, caught.value)) == [
        f"4: type: unknown event type 'slx' (known: {known})"
    ]


def test_a_missing_type_and_a_non_object_are_errors() -> None:
    with pytest.raises(EventError) as missing:
        parse_event({"id": "x"})
    assert missing.value.path == "type"
    with pytest.raises(EventError, match="not an array"):
        parse_event([1, 2])


def test_incident_resolution_is_an_event_of_its_own() -> None:
    event = parse_event(
        {"type": "incident_resolved", "id": "INC-4711", "resolved_at": "2026-03-10T15:10:45Z"}
    )
    assert isinstance(event, IncidentResolvedEvent)
    assert event.service is None


def test_event_types_can_be_registered() -> None:
    class UsageEvent(BaseEvent):
        """A test-only type."""

        type: str = "usage-test"
        count: int

    register_event_type("usage-test", UsageEvent)
    try:
        event = parse_event({"type": "usage-test", "id": "u1", "count": 3})
        assert isinstance(event, UsageEvent)
        assert "usage-test" in event_types()
    finally:
        from scalegate.evidence import schemas

        schemas._EVENT_TYPES.pop("usage-test")


def test_format_line_problem() -> None:
    assert format_line_problem(Problem("finished_at", "bad", line=3)) == "3: finished_at: bad"
    assert format_line_problem(Problem("", "malformed JSON: x", line=2)) == "2: malformed JSON: x"


# --- reading batches ----------------------------------------------------------------------


def test_a_malformed_line_is_reported_and_the_others_still_parse() -> None:
    text = "\n".join(
        [
            json.dumps(deployment(id="d1")),
            '{"type": "deployment", "id": "d2",',
            "",
            json.dumps(incident()),
        ]
    )
    for format in ("jsonl", "auto"):
        batch = parse_batch(text, format)
        assert [n for n, _ in batch.events] == [1, 4]
        assert len(batch.problems) == 1
        assert batch.problems[0].line == 2
        assert format_line_problem(batch.problems[0]).startswith("2: malformed JSON: ")
        assert not batch.ok


def test_problems_of_a_batch_come_in_line_order() -> None:
    text = "\n".join(
        [
            json.dumps(deployment(finished_at="2026-03-10T14:22:31")),
            "not json",
            json.dumps({"type": "warp"}),
        ]
    )
    batch = parse_batch(text, "jsonl")
    assert [p.line for p in batch.problems] == [1, 2, 3]
    assert batch.events == []


def test_a_json_array_is_numbered_by_position() -> None:
    text = json.dumps([deployment(id="d1"), deployment(id="d2", status="unknown")], indent=2)
    for format in ("json", "auto"):
        batch = parse_batch(text, format)
        assert [n for n, _ in batch.events] == [1]
        assert [(p.line, p.path) for p in batch.problems] == [(2, "status")]


def test_a_malformed_array_is_one_problem_at_its_line() -> None:
    batch = read_batch('[\n  {"type": "deployment"},\n  {"type": \n]', "auto")
    assert batch.items == []
    assert [p.line for p in batch.problems] == [4]


def test_a_pretty_printed_object_is_one_document() -> None:
    batch = read_batch("\n\n" + json.dumps(deployment(), indent=2), "auto")
    assert batch.problems == []
    assert [n for n, _ in batch.items] == [3]


def test_a_malformed_pretty_printed_object_is_a_single_problem() -> None:
    text = '{\n  "type": "deployment",\n  "id": "d1"\n  "service": "x"\n}'
    batch = read_batch(text, "auto")
    assert batch.items == []
    assert lines_of(batch.problems) == ["4: malformed JSON: expecting ',' delimiter at column 3"]


def test_empty_input_is_an_empty_batch() -> None:
    for format in ("auto", "jsonl", "json", "cdevents", "github"):
        batch = parse_batch("  \n", format)
        assert (batch.events, batch.problems, batch.skipped) == ([], [], [])


def test_an_unknown_format_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="unknown format 'yaml'"):
        read_batch("{}", "yaml")


# --- CDEvents -----------------------------------------------------------------------------


def test_service_deployed() -> None:
    raw = cdevent_to_event(fixture("cdevents_service_deployed.json"))
    assert raw == {
        "type": "deployment",
        "id": "0d5c1a7e-6b8f-4c2a-9e31-5f4b2d8c7a10",
        "service": "checkout",
        "environment": "production",
        "status": "success",
        "finished_at": "2026-03-10T14:22:31.482Z",
        "commits": [
            {
                "sha": "9f2c4e1b7a8d03c56e4f1a2b3c4d5e6f7a8b9c0d",
                "committed_at": "2026-03-10T13:05:47+01:00",
            },
            {
                "sha": "1a2b3c4d5e6f7a8b9c0d9f2c4e1b7a8d03c56e4f",
                "committed_at": "2026-03-09T16:40:00Z",
            },
        ],
        "remediates": ["INC-4711"],
        "initiative": "checkout-assistant",
    }
    event = parse_event(raw)
    assert isinstance(event, DeploymentEvent)
    assert event.commits[0].committed_at == datetime(2026, 3, 10, 12, 5, 47, tzinfo=UTC)


def test_service_upgraded_is_a_deployment_too() -> None:
    cdevent = fixture("cdevents_service_deployed.json")
    cdevent["context"]["type"] = "dev.cdevents.service.upgraded.0.2.0"
    assert cdevent_to_event(cdevent)["type"] == "deployment"


def test_service_rolledback() -> None:
    raw = cdevent_to_event(fixture("cdevents_service_rolledback.json"))
    event = parse_event(raw)
    assert isinstance(event, DeploymentEvent)
    assert event.id == "7b1e9f40-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
    assert event.rollback_of == "0d5c1a7e-6b8f-4c2a-9e31-5f4b2d8c7a10"
    assert event.status == "success"
    assert event.remediates == ["INC-4711"]
    assert event.commits == []


def test_a_rollback_must_name_what_it_rolls_back() -> None:
    cdevent = fixture("cdevents_service_rolledback.json")
    del cdevent["customData"]
    with pytest.raises(EventError) as caught:
        cdevent_to_event(cdevent)
    assert caught.value.path == "customData.rollback_of"


def test_change_merged() -> None:
    raw = cdevent_to_event(fixture("cdevents_change_merged.json"))
    assert raw == {
        "type": "change",
        "id": "c3f8a2d1-9e7b-4a6c-b5d4-e3f2a1b0c9d8",
        "service": "checkout",
        "sha": "9f2c4e1b7a8d03c56e4f1a2b3c4d5e6f7a8b9c0d",
        "merged_at": "2026-03-10T12:07:13Z",
    }
    assert isinstance(parse_event(raw), ChangeEvent)


def test_change_merged_falls_back_to_subject_id_and_honours_a_service_override() -> None:
    cdevent = fixture("cdevents_change_merged.json")
    cdevent["customData"] = {"service": "checkout-api"}
    cdevent["subject"]["id"] = "4e1b7a8d"
    raw = cdevent_to_event(cdevent)
    assert (raw["service"], raw["sha"]) == ("checkout-api", "4e1b7a8d")


def test_incident_detected() -> None:
    raw = cdevent_to_event(fixture("cdevents_incident_detected.json"))
    assert raw == {
        "type": "incident",
        "id": "INC-4711",
        "service": "checkout",
        "opened_at": "2026-03-10T14:41:02Z",
        "caused_by": "0d5c1a7e-6b8f-4c2a-9e31-5f4b2d8c7a10",
    }
    assert isinstance(parse_event(raw), IncidentEvent)


def test_an_incident_without_a_service_is_an_error() -> None:
    cdevent = fixture("cdevents_incident_detected.json")
    del cdevent["subject"]["content"]["service"]
    with pytest.raises(EventError) as caught:
        cdevent_to_event(cdevent)
    assert caught.value.path == "subject.content.service"


def test_incident_resolved() -> None:
    raw = cdevent_to_event(fixture("cdevents_incident_resolved.json"))
    assert raw == {
        "type": "incident_resolved",
        "id": "INC-4711",
        "resolved_at": "2026-03-10T15:10:45Z",
        "service": "checkout",
    }
    event = parse_event(raw)
    assert isinstance(event, IncidentResolvedEvent)
    assert event.resolved_at == datetime(2026, 3, 10, 15, 10, 45, tzinfo=UTC)


def test_a_v0_5_cdevent_with_specversion_maps_the_same_way() -> None:
    raw = cdevent_to_event(fixture("cdevents_service_deployed_v0_5.json"))
    event = parse_event(raw)
    assert isinstance(event, DeploymentEvent)
    assert event.service == "search"
    assert event.finished_at == datetime(2026, 3, 12, 7, 0, tzinfo=UTC)


def test_an_unsupported_cdevent_type_is_an_error() -> None:
    cdevent = fixture("cdevents_service_deployed.json")
    cdevent["context"]["type"] = "dev.cdevents.pipelinerun.finished.0.2.0"
    batch = read_batch(json.dumps(cdevent), "cdevents")
    assert batch.items == []
    [problem] = batch.problems
    assert problem.path == "context.type"
    assert problem.message.startswith(
        "unsupported CDEvent type 'dev.cdevents.pipelinerun.finished.0.2.0'"
    )


def test_the_cdevents_format_refuses_other_objects() -> None:
    batch = read_batch(json.dumps(deployment()), "cdevents")
    assert [p.path for p in batch.problems] == ["context.type"]


def test_a_cdevents_batch_as_an_array_and_as_lines() -> None:
    names = [
        "cdevents_change_merged.json",
        "cdevents_service_deployed.json",
        "cdevents_incident_detected.json",
        "cdevents_service_rolledback.json",
        "cdevents_incident_resolved.json",
    ]
    cdevents = [fixture(name) for name in names]
    as_array = parse_batch(json.dumps(cdevents, indent=2), "cdevents")
    as_lines = parse_batch("\n".join(json.dumps(c) for c in cdevents), "cdevents")
    for batch in (as_array, as_lines):
        assert batch.problems == []
        assert [e.type for _, e in batch.events] == [
            "change",
            "deployment",
            "incident",
            "deployment",
            "incident_resolved",
        ]
        assert [n for n, _ in batch.events] == [1, 2, 3, 4, 5]


def test_a_converted_event_with_a_bad_value_names_the_scalegate_field() -> None:
    cdevent = fixture("cdevents_service_deployed.json")
    cdevent["customData"]["commits"][0]["committed_at"] = "2026-03-10T13:05:47"
    batch = parse_batch(json.dumps(cdevent), "auto")
    assert lines_of(batch.problems) == [
        "1: commits[0].committed_at: timestamp needs a timezone (e.g. Z)"
    ]


# --- GitHub -------------------------------------------------------------------------------


def test_github_deployment_status_success() -> None:
    raw = github_to_event(fixture("github_deployment_status_success.json"))
    assert raw == {
        "type": "deployment",
        "id": "github:3350274195",
        "service": "checkout",
        "environment": "production",
        "status": "success",
        "finished_at": "2026-03-10T14:22:31Z",
        "commits": [
            {
                "sha": "9f2c4e1b7a8d03c56e4f1a2b3c4d5e6f7a8b9c0d",
                "committed_at": "2026-03-10T13:05:47+01:00",
            }
        ],
        "remediates": [],
        "initiative": "checkout-assistant",
    }
    assert isinstance(parse_event(raw), DeploymentEvent)


def test_github_error_state_is_a_failed_deployment_without_commits() -> None:
    raw = github_to_event(fixture("github_deployment_status_error.json"))
    assert not isinstance(raw, Skip)
    assert (raw["status"], raw["environment"], raw["commits"]) == ("failure", "production", [])
    assert raw["id"] == "github:3350279999"


def test_github_payload_service_overrides_the_repository_name() -> None:
    payload = fixture("github_deployment_status_success.json")
    payload["deployment"]["payload"] = json.dumps({"service": "checkout-api"})
    raw = github_to_event(payload)
    assert not isinstance(raw, Skip)
    assert raw["service"] == "checkout-api"
    assert raw["commits"] == []


def test_github_pending_and_in_progress_states_are_skipped() -> None:
    payload = fixture("github_deployment_status_in_progress.json")
    assert github_to_event(payload) == Skip("deployment status 'in_progress' is not final")
    payload["deployment_status"]["state"] = "pending"
    batch = parse_batch(json.dumps(payload), "github")
    assert batch.events == []
    assert batch.problems == []
    assert batch.skipped == [Skipped(1, "deployment status 'pending' is not final")]
    assert batch.ok


def test_github_ping_is_skipped() -> None:
    batch = read_batch(fixture_text("github_ping.json"), "github")
    assert batch.items == []
    assert batch.problems == []
    assert batch.skipped == [Skipped(1, "GitHub ping")]


def test_the_github_format_refuses_other_payloads() -> None:
    batch = read_batch(json.dumps({"ref": "refs/heads/main", "commits": []}), "github")
    [problem] = batch.problems
    assert "not a GitHub deployment_status payload" in problem.message


def test_an_array_of_github_payloads() -> None:
    payloads = [
        fixture("github_deployment_status_in_progress.json"),
        fixture("github_deployment_status_success.json"),
    ]
    batch = parse_batch(json.dumps(payloads), "github")
    assert [n for n, _ in batch.events] == [2]
    assert [s.line for s in batch.skipped] == [1]


# --- auto-detection -----------------------------------------------------------------------


def test_detect() -> None:
    assert detect(fixture("cdevents_incident_detected.json")) == "cdevents"
    assert detect(fixture("github_deployment_status_success.json")) == "github"
    assert detect(deployment()) == "scalegate"
    assert detect({"context": {"type": "com.example.other"}}) == "scalegate"
    assert detect([1]) == "scalegate"


def test_auto_mixes_formats_line_by_line() -> None:
    text = "\n".join(
        [
            json.dumps(fixture("cdevents_service_deployed.json")),
            json.dumps(fixture("github_deployment_status_success.json")),
            json.dumps(fixture("github_deployment_status_in_progress.json")),
            json.dumps(incident()),
        ]
    )
    batch = parse_batch(text)
    assert batch.problems == []
    assert [(n, e.id) for n, e in batch.events] == [
        (1, "0d5c1a7e-6b8f-4c2a-9e31-5f4b2d8c7a10"),
        (2, "github:3350274195"),
        (4, "INC-4711"),
    ]
    assert [s.line for s in batch.skipped] == [3]


def test_auto_reads_a_pretty_printed_webhook_file() -> None:
    batch = parse_batch(fixture_text("github_deployment_status_success.json"))
    assert batch.problems == []
    [(number, event)] = batch.events
    assert number == 1
    assert isinstance(event, DeploymentEvent)


# --- signatures ---------------------------------------------------------------------------


BODY = b'{"action": "created", "deployment_status": {"state": "success"}}'
SECRET = "It's a Secret to Everybody"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_a_valid_signature_is_accepted() -> None:
    assert verify_github_signature(SECRET, BODY, sign(SECRET, BODY))


def test_githubs_documented_example_signature() -> None:
    # The example from GitHub's "Validating webhook deliveries" documentation.
    assert verify_github_signature(
        SECRET,
        b"Hello, World!",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    )


@pytest.mark.parametrize(
    "header",
    [
        sign("another secret", BODY),
        sign(SECRET, BODY + b" "),
        sign(SECRET, BODY).replace("sha256=", "sha1="),
        sign(SECRET, BODY)[:-1],
        "sha256=ünïcode",
        "",
        None,
    ],
)
def test_an_invalid_or_missing_signature_is_refused(header: str | None) -> None:
    assert not verify_github_signature(SECRET, BODY, header)


def test_event_problems_of_a_plain_error() -> None:
    assert event_problems(9, ValueError("Boom")) == [Problem("", "boom", line=9)]


def test_negative_offsets_are_normalised_to_utc() -> None:
    event = parse_event(incident(opened_at="2026-03-10T14:41:02-05:00"))
    assert isinstance(event, IncidentEvent)
    assert event.opened_at == datetime(2026, 3, 10, 19, 41, 2, tzinfo=UTC)


def test_deeply_nested_json_is_a_problem_not_a_crash() -> None:
    batch = parse_batch("[" * 100_000 + "]" * 100_000)
    assert lines_of(batch.problems) == ["1: malformed JSON: nested too deeply"]
