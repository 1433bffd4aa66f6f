"""Business outcomes: KPI observations, hypothesis tracking, statistical benefit verdicts."""
