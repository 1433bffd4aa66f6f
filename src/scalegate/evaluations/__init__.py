"""Evaluation and security-scan evidence: promptfoo, JUnit, SARIF and Inspect results."""
