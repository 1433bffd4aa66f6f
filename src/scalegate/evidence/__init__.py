"""Delivery evidence: deployments, incidents and changes, read from events, turned into metrics."""
