"""Per-sandbox guardrails: input and output rails, decisions, policies."""
