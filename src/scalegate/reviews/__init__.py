"""Review packs: the weekly, monthly and quarterly reviews, generated from the workspace."""
