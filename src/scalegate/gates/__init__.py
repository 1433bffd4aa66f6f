"""Lifecycle gates: policies as code, sign-offs, waivers, decisions, readiness and drift."""
