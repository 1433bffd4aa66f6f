"""Gate policies: CEL rules compiled once per policy version, evaluated over plain context."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import cel

from scalegate.core.audit_chain import canonical_json

CAPABILITIES: tuple[str, ...] = (
    "problem",
    "data-integration",
    "governance",
    "measurement",
    "operating-model",
    "enablement",
)
SEVERITIES: tuple[str, ...] = ("blocking", "advisory")
CONTEXT_VARIABLES = frozenset({"initiative", "evidence", "now"})
# Evidence keys that capabilities add; named in messages when a rule reads one that is absent.
EVIDENCE_KEYS: tuple[str, ...] = (
    "signoffs",
    "dora",
    "slos",
    "outcomes",
    "usage",
    "evaluations",
    "security",
    "assets",
    "gates",
)
# The CEL standard functions the runtime provides (cel-rust), for the apply-time check.
CEL_FUNCTIONS = frozenset(
    {
        "size",
        "string",
        "int",
        "uint",
        "double",
        "bytes",
        "bool",
        "timestamp",
        "duration",
        "dyn",
        "type",
        "matches",
        "contains",
        "startsWith",
        "endsWith",
        "has",
        "exists",
        "all",
        "exists_one",
        "map",
        "filter",
        "max",
        "min",
        "getFullYear",
        "getMonth",
        "getDayOfYear",
        "getDayOfMonth",
        "getDate",
        "getDayOfWeek",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
    }
)
_COMPREHENSION = re.compile(r"\.(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_]\w*)\s*,")
_MISSING_KEY = re.compile(r"""^['"]?([A-Za-z_][\w-]*)['"]?$""")


class RuleError(Exception):
    """A rule's CEL does not compile or does not type-check."""

    def __init__(self, index: int, name: str, message: str) -> None:
        super().__init__(f"rules[{index}] {name}: {message}")
        self.index = index
        self.name = name
        self.message = message


@dataclass(frozen=True)
class Rule:
    """One compiled rule of a policy."""

    name: str
    capability: str
    severity: str
    expression: str
    message: str
    program: cel.Program
    message_program: cel.Program | None


@dataclass(frozen=True)
class Policy:
    """A compiled policy version for one transition."""

    name: str
    version: int
    content_hash: str
    from_stage: str
    to_stage: str
    match: cel.Program | None
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class RuleResult:
    """How one rule came out for one initiative."""

    policy: str
    name: str
    capability: str
    severity: str
    passed: bool
    waived: bool
    message: str

    @property
    def blocks(self) -> bool:
        """A failing blocking rule that no waiver covers stops the transition."""
        return self.severity == "blocking" and not self.passed and not self.waived

    def as_dict(self) -> dict[str, Any]:
        """Plain form for JSON."""
        return {
            "policy": self.policy,
            "name": self.name,
            "capability": self.capability,
            "severity": self.severity,
            "passed": self.passed,
            "waived": self.waived,
            "message": self.message,
        }


def content_hash(spec: Mapping[str, Any]) -> str:
    """SHA-256 of a policy spec's canonical JSON: a changed policy is a new version."""
    return hashlib.sha256(canonical_json(spec).encode("utf-8")).hexdigest()


def _free_variables(program: cel.Program, source: str) -> set[str]:
    bound = set(_COMPREHENSION.findall(source))
    return {v for v in program.variables() if v not in bound}


def compile_expression(
    source: str, kind: str = "expression", variables: frozenset[str] = CONTEXT_VARIABLES
) -> cel.Program:
    """Parse a CEL expression and check it reads only the context's variables (by default
    initiative, evidence and now)."""
    try:
        program = cel.compile(source)
    except ValueError as error:
        # The library reports `ERROR: <input>:LINE:COLUMN: message` followed by a caret picture.
        text = str(error)
        located = re.search(r"<input>:(\d+):(\d+): ([^\n|]+)", text)
        if located:
            line, column, message = located.groups()
            raise ValueError(f"{kind} line {line} column {column}: {message.strip()}") from error
        raise ValueError(f"{kind}: {text.splitlines()[0]}") from error
    unknown = sorted(_free_variables(program, source) - variables)
    if unknown:
        names = sorted(variables)
        raise ValueError(
            f"{kind} reads undeclared variable(s) {', '.join(unknown)}; "
            f"the context has {', '.join(names[:-1])} and {names[-1]}"
        )
    return program


def probe_context() -> dict[str, Any]:
    """A context with every initiative field at its empty value and no evidence."""
    now = datetime(2000, 1, 1, tzinfo=UTC)
    return {"initiative": empty_initiative(), "evidence": {}, "now": now}


def _probe(
    program: cel.Program, expect: type, kind: str, context: Mapping[str, Any] | None = None
) -> None:
    # A type check by trial: with empty values the rule must yield the right type or fail only
    # for want of evidence; a wrong operand type or result type is the author's mistake.
    try:
        value = program.execute(prepare(context if context is not None else probe_context()))
    except TypeError as error:
        raise ValueError(f"{kind}: {str(error).split('. ')[0]}") from error
    except RuntimeError as error:
        # Undeclared variables were refused already; an unknown name here is a function that
        # CEL does not have, unless it is a built-in the probe's empty values could not feed.
        unknown = re.search(r"Undefined variable or function: '([^']+)'", str(error))
        if unknown and unknown.group(1) not in CEL_FUNCTIONS:
            raise ValueError(f"{kind}: {str(error).split('. ')[0]}") from error
        return
    except (KeyError, ValueError):
        return
    if not isinstance(value, expect):
        name = "bool" if expect is bool else "string"
        raise ValueError(f"{kind} must return {name}, got {type(value).__name__}")


def compile_rule(
    index: int,
    rule: Mapping[str, Any],
    variables: frozenset[str] = CONTEXT_VARIABLES,
    probe: Mapping[str, Any] | None = None,
) -> Rule:
    """Compile one rule of a policy spec, naming the rule in any error (variables and probe
    context default to the gate context's)."""
    name = str(rule.get("name", "?"))
    try:
        program = compile_expression(rule["expression"], "expression", variables)
        _probe(program, bool, "expression", probe)
        message_program = None
        if rule.get("messageExpression"):
            message_program = compile_expression(
                rule["messageExpression"], "messageExpression", variables
            )
            _probe(message_program, str, "messageExpression", probe)
    except ValueError as error:
        raise RuleError(index, name, str(error)) from error
    return Rule(
        name,
        rule.get("capability", "governance"),
        rule.get("severity", "blocking"),
        rule["expression"],
        rule.get("message") or f"rule {name} failed",
        program,
        message_program,
    )


_CACHE: dict[tuple[str, int, str], Policy] = {}


def compile_policy(name: str, version: int, spec: Mapping[str, Any]) -> Policy:
    """Compile a policy version, once: later calls with the same version reuse it."""
    key = (name, version, content_hash(spec))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    match = compile_expression(spec["match"], "match") if spec.get("match") else None
    rules = tuple(compile_rule(i, rule) for i, rule in enumerate(spec.get("rules", [])))
    transition = spec["transition"]
    policy = Policy(name, version, key[2], transition["from"], transition["to"], match, rules)
    _CACHE[key] = policy
    return policy


def _missing_evidence(error: Exception) -> str:
    detail = str(error.args[0]) if error.args else str(error)
    found = _MISSING_KEY.match(detail)
    if found and found.group(1) in EVIDENCE_KEYS:
        return f"no {found.group(1)} evidence"
    if found:
        return f"no value for {found.group(1)!r} in the evidence"
    return f"could not be evaluated: {detail.split('. ')[0]}"


Prepared = cel.Context


def prepare(context: Mapping[str, Any]) -> Prepared:
    """Convert a context to CEL values once, so that every rule of a gate reuses it."""
    # Converting the Python values costs ~100x a rule's own evaluation; doing it per rule
    # would make the compile cache nearly worthless (see bench/gate_rules.py).
    return cel.Context(variables=dict(context))


def evaluate_rule(rule: Rule, context: Prepared) -> tuple[bool, str]:
    """Run a rule; an error (evidence not yet present, wrong types) is a failure with a reason."""
    try:
        value = rule.program.execute(context)
    except (KeyError, RuntimeError, TypeError, ValueError) as error:
        return False, f"{rule.message} ({_missing_evidence(error)})"
    if not isinstance(value, bool):
        return False, f"{rule.message} (rule returned {type(value).__name__}, not bool)"
    message = rule.message
    # As in Kubernetes, messageExpression explains a failure; a pass reports the requirement.
    if not value and rule.message_program is not None:
        try:
            custom = rule.message_program.execute(context)
            message = custom if isinstance(custom, str) else message
        except (KeyError, RuntimeError, TypeError, ValueError):
            pass  # fall back to the static message
    return value, message


def applies(policy: Policy, context: Prepared) -> bool:
    """Whether the policy's match pre-filter selects this initiative (no filter: always)."""
    if policy.match is None:
        return True
    try:
        return policy.match.execute(context) is True
    except (KeyError, RuntimeError, TypeError, ValueError):
        return False


def evaluate_policies(
    policies: Iterable[Policy], context: Mapping[str, Any], waived: Iterable[str] = ()
) -> list[RuleResult]:
    """Every rule of every matching policy; failing rules named in `waived` are marked waived."""
    covered = set(waived)
    prepared = prepare(context)
    results = []
    for policy in policies:
        if not applies(policy, prepared):
            continue
        for rule in policy.rules:
            passed, message = evaluate_rule(rule, prepared)
            results.append(
                RuleResult(
                    policy.name,
                    rule.name,
                    rule.capability,
                    rule.severity,
                    passed,
                    not passed and rule.name in covered,
                    message,
                )
            )
    return results


def gate_passed(results: Iterable[RuleResult]) -> bool:
    """A gate passes when no blocking rule fails without a waiver."""
    return not any(r.blocks for r in results)


def readiness(results: Iterable[RuleResult]) -> dict[str, float | None]:
    """Share of passing rules per capability (None where no rule exercises it)."""
    totals = dict.fromkeys(CAPABILITIES, 0)
    passing = dict.fromkeys(CAPABILITIES, 0)
    for result in results:
        totals[result.capability] = totals.get(result.capability, 0) + 1
        passing[result.capability] = passing.get(result.capability, 0) + int(result.passed)
    return {c: (passing[c] / totals[c] if totals[c] else None) for c in totals}


def input_hash(context: Mapping[str, Any]) -> str:
    """SHA-256 of the evaluation input, so a decision can be tied to exactly what was seen."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, Mapping):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return hashlib.sha256(canonical_json(plain(context)).encode("utf-8")).hexdigest()


OUTCOME_FIELDS = ("user", "task", "result", "constraints")
OWNER_FIELDS = ("sponsor", "outcome", "platform", "risk", "measurement", "service")
SCORE_FIELDS = ("value", "feasibility", "risk", "scalePotential")


def empty_initiative() -> dict[str, Any]:
    """An initiative context with every field present and empty."""
    return initiative_context("", {})


def initiative_context(name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The `initiative` variable: the spec with every field present, so rules never miss a key.

    Missing text is '', missing lists are [], missing numbers are null.
    """
    outcome = spec.get("outcome", {})
    owners = spec.get("owners", {})
    scores = spec.get("scores", {})
    hypotheses = [
        {
            "kpi": h.get("kpi", ""),
            "baseline": {
                "value": h.get("baseline", {}).get("value"),
                "at": h.get("baseline", {}).get("at"),
            },
            "target": {
                "value": h.get("target", {}).get("value"),
                "by": h.get("target", {}).get("by"),
            },
        }
        for h in spec.get("hypotheses", [])
    ]
    return {
        "name": name,
        "title": spec.get("title", ""),
        "theme": spec.get("theme", ""),
        "stage": spec.get("stage", ""),
        "riskTier": spec.get("riskTier", ""),
        "outcome": {f: outcome.get(f, "") for f in OUTCOME_FIELDS},
        "owners": {f: owners.get(f, "") for f in OWNER_FIELDS},
        "scores": {f: scores.get(f) for f in SCORE_FIELDS},
        "hypotheses": hypotheses,
        "services": list(spec.get("services", [])),
        "dataClasses": list(spec.get("dataClasses", [])),
        "targetCohortSize": spec.get("targetCohortSize"),
        "capacity": spec.get("capacity"),
    }
