"""Serving the data center to analysts: the read-only snapshot and the BI database."""
