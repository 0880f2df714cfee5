"""Built-in signal lexicons shared by every sandbox (injection, self-harm, general harm, scope topics).

Domain-specific lexicons live in each sandbox's ``guardrails.yaml``.
"""
