"""SARIF 2.1.0 (Semgrep, CodeQL, Trivy, Bandit): one SecurityScan per run.

Shape: the OASIS SARIF 2.1.0 standard (sarifLog `version` "2.1.0" and `runs`; run `tool.driver`
with `name`, `version`/`semanticVersion` and `rules[]`; `invocations[]`; `results[]`).
A log without `version` "2.1.0" or without `runs` is a FormatError.

Per result, in this order (spec §3.27 and the SARIF tutorials' "Displaying results"):
- `baselineState` "absent" (found in the baseline, gone now): left out entirely;
- level: a `kind` other than "fail" means level "none"; else `level`, else the rule's
  `defaultConfiguration.level`, else "warning" (§3.27.10; the rule is found by `ruleIndex`,
  `rule.index` (in `tool.extensions[rule.toolComponent.index]` when given) or the rule id).
  Level "none" is counted nowhere;
- suppressed: `suppressions` non-empty and none of them "underReview" or "rejected" — a
  suppression without `status` counts as accepted (Semgrep writes `{"kind": "inSource"}` for
  nosemgrep). A suppressed result counts in `suppressed` and nowhere else;
- otherwise it counts in `counts` by level (error, warning, note) and, when it has a security
  severity, in `security` by core.evaluations.security_bucket. The score is the result's
  `properties["security-severity"]`, else its rule's (a string such as "8.8", or a number);
  scores outside (0, 10] have no bucket, as GitHub code scanning reads them.

execution_successful = every `invocations[].executionSuccessful` is true. A run without
invocations counts as successful: the spec makes `invocations` optional and requires
`executionSuccessful` only inside an invocation, so a producer that knows it failed says so
there, and a tool that wrote no invocation (Trivy, for one) made no claim of failure.
started_at = the earliest `invocations[].startTimeUtc`, else the earliest `endTimeUtc`
(Bandit writes only the end); tool_version = `driver.version`, else `semanticVersion`.
Rule-level `ruleConfigurationOverrides` in invocations are not read.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from scalegate.core.evaluations import FormatError, SecurityScan, security_bucket
from scalegate.evaluations.formats._values import (
    TOP,
    arr,
    boolean,
    load_json,
    obj,
    optional_text,
    shown,
    text,
    timestamp,
)

LEVELS = ("none", "note", "warning", "error")
KINDS = ("pass", "open", "informational", "notApplicable", "review", "fail")
BASELINE_STATES = ("new", "unchanged", "updated", "absent")
SUPPRESSION_STATUSES = ("accepted", "underReview", "rejected")
SEVERITY_KEY = "security-severity"


def _choice(value: object, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise FormatError(f"expected one of {', '.join(allowed)}, got {shown(value)}", where)
    return str(value)


def _rule_list(component: dict[str, Any], where: str) -> list[dict[str, Any]]:
    rules = arr(component.get("rules") or [], f"{where}.rules")
    return [obj(rule, f"{where}.rules[{i}]") for i, rule in enumerate(rules)]


class _Rules:
    """The reporting descriptors of one run: the driver's and each extension's, by position."""

    def __init__(self, tool: dict[str, Any], where: str) -> None:
        self.driver = _rule_list(obj(tool.get("driver"), f"{where}.driver"), f"{where}.driver")
        self.extensions = [
            _rule_list(obj(extension, f"{where}.extensions[{i}]"), f"{where}.extensions[{i}]")
            for i, extension in enumerate(arr(tool.get("extensions") or [], f"{where}.extensions"))
        ]
        self.by_id: dict[str, dict[str, Any]] = {}
        for rule in [*self.driver, *(rule for rules in self.extensions for rule in rules)]:
            if isinstance(rule.get("id"), str):
                self.by_id.setdefault(rule["id"], rule)

    def find(self, result: dict[str, Any], where: str) -> dict[str, Any] | None:
        """The rule a result names (spec §3.52.3), or None when the run does not describe it."""
        reference = obj(result.get("rule") or {}, f"{where}.rule")
        index = reference.get("index", result.get("ruleIndex", -1))
        rules = self.driver
        if "toolComponent" in reference:
            component = obj(reference["toolComponent"], f"{where}.rule.toolComponent")
            position = component.get("index", -1)
            in_range = isinstance(position, int) and 0 <= position < len(self.extensions)
            rules = self.extensions[position] if in_range else []
        if isinstance(index, int) and index >= 0:
            if index < len(rules):
                return rules[index]
            raise FormatError(f"no rule at index {index} in the tool that reported it", where)
        rule_id = reference.get("id", result.get("ruleId"))
        if not isinstance(rule_id, str):
            return None
        # A hierarchical ruleId ("CA5350/md5") names its rule by its leading components.
        parts = rule_id.split("/")
        for length in range(len(parts), 0, -1):
            rule = self.by_id.get("/".join(parts[:length]))
            if rule is not None:
                return rule
        return None


def _score(raw: object, where: str) -> float:
    problem = FormatError(f"expected a score from 0.0 to 10.0, got {shown(raw)}", where)
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise problem
    try:
        score = float(raw)
    except ValueError:
        raise problem from None
    if not math.isfinite(score):
        raise problem
    return score


def _severity(result: dict[str, Any], rule: dict[str, Any] | None, where: str) -> str | None:
    for holder, path in ((result, where), (rule or {}, f"{where} (its rule)")):
        properties = obj(holder.get("properties") or {}, f"{path}.properties")
        if properties.get(SEVERITY_KEY) is not None:
            score = _score(properties[SEVERITY_KEY], f"{path}.properties.{SEVERITY_KEY}")
            return security_bucket(score) if score <= 10.0 else None
    return None


def _suppressed(result: dict[str, Any], where: str) -> bool:
    suppressions = arr(result.get("suppressions") or [], f"{where}.suppressions")
    statuses = []
    for index, raw in enumerate(suppressions):
        status = obj(raw, f"{where}.suppressions[{index}]").get("status")
        if status is not None:
            status = _choice(status, SUPPRESSION_STATUSES, f"{where}.suppressions[{index}].status")
        statuses.append(status)
    return bool(statuses) and not {"underReview", "rejected"} & set(statuses)


def _level(result: dict[str, Any], rule: dict[str, Any] | None, where: str) -> str:
    kind = _choice(result.get("kind", "fail"), KINDS, f"{where}.kind")
    if kind != "fail":
        return "none"
    if "level" in result:
        return _choice(result["level"], LEVELS, f"{where}.level")
    default_at = f"{where} (its rule).defaultConfiguration"
    configuration = obj((rule or {}).get("defaultConfiguration") or {}, default_at)
    if "level" in configuration:
        return _choice(configuration["level"], LEVELS, f"{default_at}.level")
    return "warning"


def _moments(invocations: list[dict[str, Any]], key: str, where: str) -> list[datetime]:
    return [
        timestamp(invocation[key], f"{where}.invocations[{i}].{key}")
        for i, invocation in enumerate(invocations)
        if invocation.get(key) is not None
    ]


def _scan(run: dict[str, Any], where: str) -> SecurityScan:
    tool = obj(run.get("tool"), f"{where}.tool")
    rules = _Rules(tool, f"{where}.tool")
    driver = obj(tool.get("driver"), f"{where}.tool.driver")
    counts = {"error": 0, "warning": 0, "note": 0}
    security = {"critical": 0, "high": 0, "medium": 0, "low": 0}
    suppressed = 0
    for index, raw in enumerate(arr(run.get("results") or [], f"{where}.results")):
        at = f"{where}.results[{index}]"
        result = obj(raw, at)
        state = result.get("baselineState")
        if state is not None and _choice(state, BASELINE_STATES, f"{at}.baselineState") == "absent":
            continue
        rule = rules.find(result, at)
        level = _level(result, rule, at)
        if level == "none":
            continue
        if _suppressed(result, at):
            suppressed += 1
            continue
        counts[level] += 1
        bucket = _severity(result, rule, at)
        if bucket is not None:
            security[bucket] += 1

    invocations = [
        obj(item, f"{where}.invocations[{i}]")
        for i, item in enumerate(arr(run.get("invocations") or [], f"{where}.invocations"))
    ]
    outcomes = [
        boolean(item.get("executionSuccessful"), f"{where}.invocations[{i}].executionSuccessful")
        for i, item in enumerate(invocations)
    ]
    moments = _moments(invocations, "startTimeUtc", where) or _moments(
        invocations, "endTimeUtc", where
    )
    version = optional_text(driver.get("version"), f"{where}.tool.driver.version")
    return SecurityScan(
        tool=text(driver.get("name"), f"{where}.tool.driver.name"),
        execution_successful=all(outcomes),
        counts=counts,
        security=security,
        suppressed=suppressed,
        tool_version=version
        or optional_text(driver.get("semanticVersion"), f"{where}.tool.driver.semanticVersion"),
        started_at=min(moments) if moments else None,
    )


def parse_sarif(data: bytes) -> list[SecurityScan]:
    """One security scan per run of a SARIF 2.1.0 log."""
    log = obj(load_json(data), TOP)
    if "version" not in log:
        raise FormatError('missing: a SARIF log says "version": "2.1.0"', "version")
    if log["version"] != "2.1.0":
        raise FormatError(f'expected "2.1.0", got {shown(log["version"])}', "version")
    if "runs" not in log:
        raise FormatError("missing: a SARIF log holds its runs in `runs`", "runs")
    runs = arr(log["runs"], "runs")
    return [_scan(obj(run, f"runs[{i}]"), f"runs[{i}]") for i, run in enumerate(runs)]
