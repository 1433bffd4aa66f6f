"""The demo teams' promptfoo suites: prompts, test cases, assertions and how cases fail.

Each suite makes the rows of one run from a seed, so the same run gives the same file.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from scalegate.evaluations.demo_files import PromptfooRun, Row

GPT_4O_MINI = ("openai:gpt-4o-mini", (0.15, 0.6))
CLAUDE_SONNET = ("anthropic:messages:claude-3-5-sonnet-20241022", (3.0, 15.0))


@dataclass(frozen=True)
class Suite:
    """A promptfoo config: what it evaluates, its cases and the ways a case fails."""

    description: str
    template: str
    provider: tuple[str, tuple[float, float]]
    asserts: tuple[Mapping[str, str], ...]
    scenarios: tuple[Mapping[str, str], ...]
    serial: tuple[str, str, int]  # var, prefix, first number: each case's own reference
    output: str  # str.format over the case's vars
    failures: tuple[tuple[int, str], ...]  # (assertion position, reason)
    latency: tuple[int, int]
    tokens: tuple[int, int]
    graded: tuple[float, float] | None = None  # rubric score range of a passing case

    def run(
        self,
        label: str,
        started: datetime,
        cases: int,
        passed: int,
        seed: str,
        graded: tuple[float, float] | None = None,
    ) -> PromptfooRun:
        """A run of `cases` cases on prompt `label`, `passed` of them passing; `graded`, the
        rubric score range of a passing case, where this prompt's differs from the suite's."""
        rng = random.Random(seed)
        graded = graded or self.graded
        failing = set(rng.sample(range(cases), cases - passed))
        var, prefix, first = self.serial
        rows = []
        for index in range(cases):
            values = {
                **self.scenarios[index % len(self.scenarios)],
                var: f"{prefix}{first + index}",
            }
            latency = rng.randint(*self.latency)
            tokens = (self.tokens[0] + rng.randint(0, 180), self.tokens[1] + rng.randint(0, 90))
            if index in failing:
                position, reason = rng.choice(self.failures)
                rows.append(
                    Row(
                        values,
                        self.output.format(**values),
                        latency,
                        tokens,
                        position,
                        reason.format(**values),
                        round(rng.uniform(0.35, 0.6), 2) if graded else None,
                    )
                )
                continue
            score = round(rng.uniform(*graded), 2) if graded else None
            rows.append(Row(values, self.output.format(**values), latency, tokens, score=score))
        return PromptfooRun(
            self.description,
            label,
            self.template,
            self.provider[0],
            self.asserts,
            started,
            tuple(rows),
            self.provider[1],
        )


def _rubric(text: str) -> Mapping[str, str]:
    return {"type": "llm-rubric", "value": text}


BILLING_CASES = (
    {"customer_message": "I was charged twice for my March plan.", "amount": "$49.99",
     "clause": "7.2", "account_tier": "consumer"},
    {"customer_message": "You billed roaming in Spain but I never left home.", "amount": "$86.40",
     "clause": "11.4", "account_tier": "consumer"},
    {"customer_message": "There is a late fee although I paid on the 3rd.", "amount": "$15.00",
     "clause": "9.1", "account_tier": "consumer"},
    {"customer_message": "The agent promised a goodwill credit and it is not on my bill.",
     "amount": "$30.00", "clause": "14.3", "account_tier": "business"},
    {"customer_message": "The outage credit for May is short by half.", "amount": "$22.75",
     "clause": "16.1", "account_tier": "business"},
    {"customer_message": "I cancelled within 14 days and was still charged.", "amount": "$75.00",
     "clause": "5.3", "account_tier": "consumer"},
    {"customer_message": "My device instalment continues after I paid it off.",
     "amount": "$41.60", "clause": "8.6", "account_tier": "consumer"},
    {"customer_message": "Our 40 lines were moved to a dearer bundle without notice.",
     "amount": "$612.00", "clause": "4.2", "account_tier": "enterprise"},
)  # fmt: skip
_BILLING_REPLY = (
    "Thank you for raising this. I have opened dispute {dispute_ref} for the {amount} charge. "
    "Under clause {clause} of your tariff our billing team reviews it within 5 business days; "
    "the amount is on hold until then and we will email you the outcome."
)
_BILLING_ASSERTS = (
    _rubric(
        "Acknowledges the dispute, cites the tariff clause, states the next step and a timeline"
    ),
    {"type": "icontains", "value": "{{dispute_ref}}"},
    {"type": "not-icontains", "value": "guarantee a refund"},
    {"type": "javascript", "value": "output.length < 900"},
)
_BILLING_FAILURES = (
    (0, "The reply does not cite the tariff clause that covers the disputed charge."),
    (0, "The reply promises the goodwill credit before the review instead of the next step."),
    (0, "The reply treats a partial credit as a full refund of {amount}."),
    (2, 'Expected output to not contain "guarantee a refund"'),
    (1, 'Expected output to contain "{dispute_ref}"'),
)
BILLING_TEMPLATE = (
    "You draft replies for Northwind billing agents. Customer tier: {{account_tier}}. "
    "Disputed amount: {{amount}}.\nCustomer message:\n{{customer_message}}\n\nAcknowledge the "
    "dispute, give the reference {{dispute_ref}}, cite the tariff clause and the next step. "
    "Never promise an amount before the review."
)
BILLING = Suite(
    "Billing dispute replies",
    BILLING_TEMPLATE,
    GPT_4O_MINI,
    _BILLING_ASSERTS,
    BILLING_CASES,
    ("dispute_ref", "DSP-", 10_231),
    _BILLING_REPLY,
    _BILLING_FAILURES,
    (900, 2600),
    (240, 110),
)
BILLING_LANGUAGES = Suite(
    "Billing dispute replies, Dutch and German queues",
    BILLING_TEMPLATE + "\nReply in {{language}}.",
    GPT_4O_MINI,
    (
        _rubric("Replies in {{language}}, cites the tariff clause and states the next step"),
        {"type": "icontains", "value": "{{dispute_ref}}"},
        {"type": "not-icontains", "value": "garantie"},
    ),
    tuple({**case, "language": lang} for lang in ("Dutch", "German") for case in BILLING_CASES),
    ("dispute_ref", "DSP-", 20_511),
    _BILLING_REPLY,
    (
        (0, "Part of the reply is in English although the customer wrote in {language}."),
        (0, "The {language} reply uses the informal form of address the tone guide rules out."),
        (0, "The reply cites clause {clause} of the English tariff, not the local one."),
    ),
    (1100, 3100),
    (270, 140),
)
INCIDENT = Suite(
    "Incident stakeholder summaries",
    "Summarise the resolved incident {{incident_ref}} for stakeholders: business impact first, "
    "then the timeline, citing the incident record. Never name hosts or credentials.",
    CLAUDE_SONNET,
    (
        _rubric("Business impact first, a timeline citing the record, no internal jargon"),
        {"type": "icontains", "value": "{{incident_ref}}"},
        {"type": "not-regex", "value": "[a-z0-9-]+\\.(prod|corp)\\.northwind\\.internal"},
    ),
    (
        {"service": "payments gateway", "minutes": "47", "cause": "an expired TLS certificate"},
        {"service": "service-desk portal", "minutes": "18", "cause": "a failed config push"},
        {"service": "VPN", "minutes": "95", "cause": "a saturated internet uplink"},
        {"service": "email", "minutes": "33", "cause": "a mail relay queue backlog"},
        {"service": "HR self-service", "minutes": "62", "cause": "a database failover"},
        {"service": "call recording", "minutes": "124", "cause": "a storage quota"},
    ),
    ("incident_ref", "INC00", 48_211),
    "{service} was unavailable for {minutes} minutes ({incident_ref}). Cause: {cause}; "
    "restored by the on-call team. Timeline and actions follow, citing {incident_ref}.",
    (
        (0, "The summary opens with the technical timeline instead of the business impact."),
        (0, "The summary does not say when {service} was restored."),
        (0, "The stakeholder section repeats on-call jargon the rubric excludes."),
    ),
    (2400, 6100),
    (1400, 320),
    graded=(0.8, 1.0),
)
EXECUTIVE_SUMMARIES = Suite(
    "Executive summaries (generic summary prompt)",
    "Summarise the document below in at most 250 words for an executive reader.\n\n{{document}}",
    CLAUDE_SONNET,
    (
        _rubric("States the client's objective, our offer and the price as in the pricing sheet"),
        {"type": "javascript", "value": "output.split(/\\s+/).length <= 250"},
    ),
    tuple(
        {"client": c, "line": line, "price": p, "document": f"Proposal to {c}: {line}, {p} a year"}
        for c, line, p in (
            ("Harbour Logistics", "fleet liability", "EUR 412,000"),
            ("Meridian Foods", "product recall", "EUR 96,500"),
            ("Alder Health Trust", "clinical negligence", "EUR 1.2m"),
            ("Quarry Lane Builders", "contract works", "EUR 188,000"),
        )
    ),
    ("rfp_ref", "RFP-2026-", 311),
    "{client} ({rfp_ref}) asks for {line} cover from 1 January. We propose a three-year "
    "programme at {price} a year, with the claims service and risk engineering of section 4.",
    (
        (0, "The summary quotes a price that is not in the approved pricing sheet."),
        (0, "The summary leaves out the client's objective."),
        (1, "Custom function returned false\noutput.split(/\\s+/).length <= 250"),
    ),
    (3100, 7900),
    (2600, 300),
)
PROPOSAL_SECTIONS = Suite(
    "Proposal section drafting",
    "Draft the {{section}} section of the proposal to {{client}} from the approved content "
    "library passages below only.",
    CLAUDE_SONNET,
    (
        _rubric("Uses only the approved library passages and answers the RFP question"),
        {"type": "icontains", "value": "{{client}}"},
    ),
    tuple(
        {"client": client, "section": section}
        for client in ("Harbour Logistics", "Meridian Foods", "Alder Health Trust")
        for section in ("claims service", "risk engineering", "account team", "pricing basis")
    ),
    ("rfp_question", "Q", 101),
    "For {client}, our {section} works as follows: a named lead, response within one working "
    "day, and quarterly reviews (answering {rfp_question}).",
    (
        (0, "The {section} section uses wording that is not in the approved content library."),
        (0, "The section does not answer RFP question {rfp_question}."),
        (1, 'Expected output to contain "{client}"'),
    ),
    (4200, 9800),
    (3100, 520),
)
CLAUSES = Suite(
    "Clause deviation check",
    "Compare clause {{clause_ref}} of the {{counterparty}} agreement with the playbook "
    "position on {{clause_type}}. Answer in JSON: deviation, severity, fallback wording.",
    CLAUDE_SONNET,
    (
        _rubric("Flags the deviation from the playbook and proposes the playbook's fallback"),
        {"type": "is-json", "value": ""},
    ),
    (
        {"clause_type": "limitation of liability", "counterparty": "Ashford Brokers"},
        {"clause_type": "indemnity", "counterparty": "Kestrel Cloud"},
        {"clause_type": "data processing", "counterparty": "Brightline Print"},
        {"clause_type": "termination for convenience", "counterparty": "Northgate IT"},
        {"clause_type": "governing law", "counterparty": "Solent Marine Brokers"},
        {"clause_type": "audit rights", "counterparty": "Pillar Payroll"},
    ),
    ("clause_ref", "12.", 1),
    '{{"deviation": "the {clause_type} clause departs from the playbook", "severity": "high", '
    '"fallback": "the playbook fallback for {clause_type}, replacing clause {clause_ref}"}}',
    (
        (0, "Missed that the {clause_type} clause removes the cap the playbook requires."),
        (0, "The fallback wording for {clause_type} is not the playbook's."),
        (1, "Expected output to be valid JSON"),
    ),
    (5200, 12800),
    (3800, 260),
)
