"""Platform reliability: OpenSLO objectives, SLI evidence, error budgets and burn-rate alerts."""
