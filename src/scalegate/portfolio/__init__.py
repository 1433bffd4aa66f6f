"""The portfolio: themes, KPIs, initiatives with their hypotheses, and the rubric."""
