"""The demo teams' security scans: Semgrep and Bandit over each service's repository, as SARIF.

Semgrep writes a `security-severity` on its security rules, so its findings count as critical,
high, medium or low; Bandit's SARIF carries no such score, only a level (its HIGH issues are
level "error"), so Bandit findings never count as high for `security-tests-passing`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scalegate.evaluations.demo_files import json_file, zulu


@dataclass(frozen=True)
class Finding:
    """One SARIF result: the rule, where, and what the tool said."""

    rule: str
    path: str
    line: int
    snippet: str
    message: str
    suppressed: bool = False  # nosemgrep / # nosec in the source


@dataclass(frozen=True)
class Rule:
    """A rule the scanner describes: level, and security severity where the tool writes one."""

    id: str
    name: str
    level: str
    description: str
    cwe: str
    security_severity: str | None = None
    bandit_severity: str | None = None  # Bandit's issue_severity: LOW, MEDIUM, HIGH


def _semgrep_rule(rule: Rule) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "precision": "very-high",
        "tags": [rule.cwe, "HIGH CONFIDENCE", "security"],
    }
    if rule.security_severity is not None:
        properties["security-severity"] = rule.security_severity
    return {
        "id": rule.id,
        "name": rule.id,
        "shortDescription": {"text": f"Semgrep Finding: {rule.id}"},
        "fullDescription": {"text": rule.description},
        "defaultConfiguration": {"level": rule.level},
        "help": {"text": rule.description, "markdown": rule.description},
        "helpUri": f"https://semgrep.dev/r/{rule.id}",
        "properties": properties,
    }


def _bandit_rule(rule: Rule, version: str) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "helpUri": f"https://bandit.readthedocs.io/en/{version}/plugins/"
        f"{rule.id.lower()}_{rule.name}.html",
        "shortDescription": {"text": rule.name},
        "fullDescription": {"text": f"Bandit check {rule.id}: {rule.name}"},
        "defaultConfiguration": {"level": rule.level},
        "properties": {"tags": ["security", f"external/cwe/{rule.cwe.lower()}"], "cwe": rule.cwe},
    }


def _location(finding: Finding) -> list[dict[str, Any]]:
    return [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": finding.path},
                "region": {
                    "startLine": finding.line,
                    "endLine": finding.line,
                    "startColumn": 5,
                    "snippet": {"text": finding.snippet},
                },
            }
        }
    ]


def sarif_log(
    tool: str,
    version: str,
    rules: Sequence[Rule],
    findings: Sequence[Finding],
    finished: datetime,
) -> bytes:
    """A SARIF 2.1.0 log as `semgrep --sarif` or `bandit -f sarif` writes it."""
    used = [r for r in rules if any(f.rule == r.id for f in findings)]
    index = {rule.id: position for position, rule in enumerate(used)}
    bandit = tool == "Bandit"
    results = []
    for finding in findings:
        rule = used[index[finding.rule]]
        result: dict[str, Any] = {
            "ruleId": rule.id,
            "ruleIndex": index[rule.id],
            "message": {"text": finding.message},
            "locations": _location(finding),
        }
        if bandit:
            result["level"] = rule.level
            result["properties"] = {
                "issue_confidence": "HIGH" if rule.level == "error" else "MEDIUM",
                "issue_severity": rule.bandit_severity or "LOW",
                "original_path": finding.path,
                "tags": ["bandit", rule.id, rule.cwe],
            }
        key = hashlib.sha256(f"{finding.path}:{finding.snippet}".encode()).hexdigest()
        result["partialFingerprints"] = {"primaryLocationLineHash": key}
        if finding.suppressed:
            result["suppressions"] = [{"kind": "inSource"}]
        results.append(result)
    driver: dict[str, Any]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if bandit:
        driver = {"name": "Bandit", "organization": "PyCQA", "semanticVersion": version}
        driver |= {"version": version, "rules": [_bandit_rule(r, version) for r in used]}
        invocation["endTimeUtc"] = zulu(finished, millis=False)
    else:
        driver = {
            "name": tool,
            "semanticVersion": version,
            "rules": [_semgrep_rule(r) for r in used],
        }
        invocation["toolExecutionNotifications"] = []
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "invocations": [invocation], "results": results}],
    }
    return json_file(document)


_S = "python.lang.security.audit."
SEMGREP_RULES = (
    Rule("python.flask.security.injection.tainted-sql-string.tainted-sql-string", "", "error",
         "Detected user input used to manually construct a SQL string.", "CWE-89", "8.8"),
    Rule(f"{_S}formatted-sql-query.formatted-sql-query", "", "warning",
         "Detected possible formatted SQL query. Use parameterized queries instead.", "CWE-89",
         "6.3"),
    Rule("python.requests.security.disabled-cert-validation.disabled-cert-validation", "",
         "error", "Certificate verification has been explicitly disabled.", "CWE-295", "7.5"),
    Rule(f"{_S}subprocess-shell-true.subprocess-shell-true", "", "error",
         "Found 'subprocess' function with 'shell=True'. This is dangerous because this call "
         "will spawn the command using a shell process.", "CWE-78", "7.8"),
    Rule("python.jinja2.security.audit.autoescape-disabled-false.incorrect-autoescape-disabled",
         "", "warning", "Detected a Jinja2 environment with 'autoescape=False'.", "CWE-79", "6.1"),
    Rule("python.lang.security.use-defused-xml.use-defused-xml", "", "warning",
         "The Python documentation recommends using `defusedxml` instead of `xml`.", "CWE-611",
         "5.9"),
    Rule(f"{_S}insecure-transport.requests.request-with-http.request-with-http", "", "warning",
         "Detected a request using 'http://'. This request will be unencrypted.", "CWE-319",
         "5.3"),
    Rule(f"{_S}logging.logger-credential-leak.python-logger-credential-disclosure", "",
         "warning", "Detected a python logger call with a potential credential in it.", "CWE-532",
         "4.7"),
    Rule(f"{_S}non-literal-import.non-literal-import", "", "warning",
         "Untrusted user input in `importlib.import_module()` function allows an attacker to "
         "load arbitrary code.", "CWE-706", "4.4"),
    Rule("python.lang.best-practice.open-never-closed.open-never-closed", "", "note",
         "file object opened without corresponding close", "CWE-772"),
)  # fmt: skip
BANDIT_RULES = (
    Rule("B101", "assert_used", "note", "", "CWE-703", bandit_severity="LOW"),
    Rule("B113", "request_without_timeout", "warning", "", "CWE-400", bandit_severity="MEDIUM"),
    Rule("B311", "blacklist", "note", "", "CWE-330", bandit_severity="LOW"),
    Rule("B314", "blacklist", "warning", "", "CWE-20", bandit_severity="MEDIUM"),
    Rule("B404", "blacklist", "note", "", "CWE-78", bandit_severity="LOW"),
    Rule("B405", "blacklist", "note", "", "CWE-20", bandit_severity="LOW"),
    Rule("B602", "subprocess_popen_with_shell_equals_true", "error", "", "CWE-78",
         bandit_severity="HIGH"),
    Rule("B603", "subprocess_without_shell_equals_true", "note", "", "CWE-78",
         bandit_severity="LOW"),
    Rule("B608", "hardcoded_sql_expressions", "warning", "", "CWE-89", bandit_severity="MEDIUM"),
    Rule("B701", "jinja2_autoescape_false", "error", "", "CWE-94", bandit_severity="HIGH"),
)  # fmt: skip


def _semgrep(short: str) -> str:
    (rule,) = [r.id for r in SEMGREP_RULES if r.id.endswith(f".{short}")]
    return rule


@dataclass(frozen=True)
class Scan:
    """One scanner run over an initiative's repositories: when it finished (days before today,
    UTC hour and minute) and what it found."""

    initiative: str
    tool: str
    version: str
    days_ago: int
    at: tuple[int, int]
    findings: tuple[Finding, ...]

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The tool's rule catalogue."""
        return BANDIT_RULES if self.tool == "Bandit" else SEMGREP_RULES


def _f(rule: str, path: str, line: int, snippet: str, message: str, **kw: bool) -> Finding:
    rule = rule if rule.startswith("B") else _semgrep(rule)
    return Finding(rule, path, line, snippet, message, **kw)


SEMGREP, BANDIT = "Semgrep OSS", "Bandit"
_CONNECTOR = "billing-context-connector/connector"
_TAINTED = _f(
    "tainted-sql-string",
    f"{_CONNECTOR}/search.py",
    38,
    'query = "SELECT id, amount FROM disputes WHERE note LIKE \'%" + q + "%\'"',
    "Detected user input used to manually construct a SQL string.",
)
_REPORT_SQL = _f(
    "formatted-sql-query",
    f"{_CONNECTOR}/reports.py",
    57,
    "cursor.execute(f\"SELECT * FROM invoices WHERE period = '{period}'\")",
    "Detected possible formatted SQL query.",
)
_SANDBOX_TLS = _f(
    "disabled-cert-validation",
    "tests/sandbox/crm_stub.py",
    12,
    "requests.get(CRM_SANDBOX_URL, verify=False)",
    "Certificate verification has been explicitly disabled.",
    suppressed=True,
)
_PDF_SHELL = _f(
    "subprocess-shell-true",
    "proposal-drafting-api/export/pdf.py",
    44,
    'subprocess.run(f"soffice --headless --convert-to pdf {draft_path}", shell=True)',
    "Found 'subprocess' function 'run' with 'shell=True'.",
)
_AUTOESCAPE = _f(
    "incorrect-autoescape-disabled",
    "proposal-drafting-api/render/templates.py",
    19,
    "env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False)",
    "Detected a Jinja2 environment with 'autoescape=False'.",
)
SCANS: tuple[Scan, ...] = (
    # Billing: the tainted SQL string in the CRM connector's search is fixed within a week.
    Scan("billing-dispute-assistant", SEMGREP, "1.119.0", 15, (9, 20),
         (_TAINTED, _REPORT_SQL, _SANDBOX_TLS)),
    Scan("billing-dispute-assistant", BANDIT, "1.8.6", 15, (9, 24), (
        _f("B608", f"{_CONNECTOR}/search.py", 38, _TAINTED.snippet, "Possible SQL injection "
           "vector through string-based query construction."),
        _f("B608", f"{_CONNECTOR}/reports.py", 57, _REPORT_SQL.snippet, "Possible SQL "
           "injection vector through string-based query construction."),
        _f("B113", f"{_CONNECTOR}/crm_client.py", 71, "requests.post(url, json=payload)",
           "Call to requests without timeout"),
    )),
    Scan("billing-dispute-assistant", SEMGREP, "1.119.0", 8, (9, 20),
         (_REPORT_SQL, _SANDBOX_TLS)),
    Scan("billing-dispute-assistant", BANDIT, "1.8.6", 8, (9, 24), (
        _f("B608", f"{_CONNECTOR}/reports.py", 57, _REPORT_SQL.snippet, "Possible SQL "
           "injection vector through string-based query construction."),
        _f("B113", f"{_CONNECTOR}/crm_client.py", 71, "requests.post(url, json=payload)",
           "Call to requests without timeout"),
    )),
    Scan("support-ticket-triage", SEMGREP, "1.119.0", 6, (10, 5), (
        _f("request-with-http", "ticket-triage-classifier/triage/itsm_client.py", 23,
           'requests.get("http://itsm-sandbox.northwind.example/api/queues")',
           "Detected a request using 'http://'."),
        _f("open-never-closed", "ticket-triage-classifier/triage/taxonomy.py", 9,
           'rows = open(TAXONOMY_CSV).readlines()', "file object opened without close"),
    )),
    Scan("support-ticket-triage", BANDIT, "1.8.6", 6, (10, 9), tuple(
        _f("B101", "ticket-triage-classifier/triage/bands.py", line, "assert 0 <= score <= 1",
           "Use of assert detected.") for line in (31, 48, 77)
    )),
    Scan("it-incident-summarisation", SEMGREP, "1.119.0", 3, (6, 45), (
        _f("open-never-closed", "incident-summary-bot/bot/templates.py", 14,
           "TEMPLATE = open(path).read()", "file object opened without close"),
    )),
    Scan("it-incident-summarisation", BANDIT, "1.8.6", 3, (6, 48), (
        _f("B404", "incident-summary-bot/bot/status_page.py", 3, "import subprocess",
           "Consider possible security implications associated with the subprocess module."),
        _f("B603", "incident-summary-bot/bot/status_page.py", 52,
           'subprocess.run(["statusctl", "publish", summary_file], check=True)',
           "subprocess call - check for execution of untrusted input."),
    )),
    Scan("alt-text-metadata-generation", SEMGREP, "1.117.0", 10, (13, 30), (
        _f("use-defused-xml", "media-enrichment-pipeline/enrich/xmp.py", 5,
           "import xml.etree.ElementTree as ET", "Use defusedxml instead of xml."),
        _f("python-logger-credential-disclosure", "media-enrichment-pipeline/enrich/cms.py",
           88, 'log.debug("CMS token %s", token)', "Potential credential in a logger call."),
    )),
    Scan("alt-text-metadata-generation", BANDIT, "1.8.6", 10, (13, 33), (
        _f("B405", "media-enrichment-pipeline/enrich/xmp.py", 5,
           "import xml.etree.ElementTree as ET", "Using xml.etree.ElementTree to parse "
           "untrusted XML data is known to be vulnerable to XML attacks."),
        _f("B314", "media-enrichment-pipeline/enrich/xmp.py", 27, "tree = ET.fromstring(packet)",
           "Using xml.etree.ElementTree.fromstring to parse untrusted XML data."),
        _f("B113", "media-enrichment-pipeline/enrich/cms.py", 61,
           "requests.get(f\"{CMS_URL}/assets/{asset_id}\")", "Call to requests without timeout"),
    )),
    # Proposal drafting: the PDF export passes the draft's file name (from the RFP upload) to
    # a shell — a current high finding that holds the move to adopt.
    Scan("proposal-drafting-assistant", SEMGREP, "1.119.0", 2, (16, 10),
         (_PDF_SHELL, _AUTOESCAPE)),
    Scan("proposal-drafting-assistant", BANDIT, "1.8.3", 2, (16, 14), (
        _f("B602", _PDF_SHELL.path, 44, _PDF_SHELL.snippet, "subprocess call with shell=True "
           "identified, security issue."),
        _f("B701", _AUTOESCAPE.path, 19, _AUTOESCAPE.snippet, "Using jinja2 templates with "
           "autoescape=False is dangerous and can lead to XSS."),
        _f("B113", "content-library-retriever/retriever/client.py", 40,
           "requests.get(search_url, params=query)", "Call to requests without timeout"),
    )),
    Scan("contract-clause-review", SEMGREP, "1.117.0", 5, (11, 50), (
        _f("open-never-closed", "clause-review-api/clauses/playbook.py", 17,
           "PLAYBOOK = yaml.safe_load(open(PLAYBOOK_PATH))", "file object opened without close"),
    )),
    Scan("developer-code-review-assistant", SEMGREP, "1.119.0", 4, (8, 30), (
        _f("non-literal-import", "code-review-bot/bot/checks/__init__.py", 22,
           "module = importlib.import_module(f\"bot.checks.{name}\")",
           "Untrusted user input in `importlib.import_module()`."),
    )),
    Scan("developer-code-review-assistant", BANDIT, "1.8.6", 4, (8, 34), (
        _f("B404", "code-review-bot/bot/git.py", 2, "import subprocess",
           "Consider possible security implications associated with the subprocess module."),
        *(
            _f("B603", "code-review-bot/bot/git.py", line, snippet,
               "subprocess call - check for execution of untrusted input.")
            for line, snippet in ((18, 'subprocess.run(["git", "fetch", remote, ref])'),
                                  (34, 'subprocess.run(["git", "diff", base, head])'))
        ),
    )),
)  # fmt: skip
