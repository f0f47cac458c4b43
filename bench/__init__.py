"""Benchmarks of the pipeline (not part of the installed product): `python -m bench`."""
