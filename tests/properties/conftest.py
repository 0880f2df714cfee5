"""Hypothesis profiles for the property tests.

``properties`` (the default) is derandomized, so CI runs are reproducible, and prints
the reproduction blob of a failure. ``HYPOTHESIS_PROFILE=explore`` runs random,
longer searches locally.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "print_blob": True,
    # tests/conftest.py's autouse AULAC_HOME fixture is function scoped; these tests never touch it.
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
settings.register_profile("properties", derandomize=True, **_COMMON)
settings.register_profile("explore", derandomize=False, max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "properties"))
