"""Shared figures for the generator tests."""

# Small enough to be quick, large enough to plant every finding (the minimum is ~200).
SMALL = 300
