"""Identity: users, roles, API tokens and the actor behind every change."""
