"""Checks: the control-point registry and the Great Expectations built from it."""
