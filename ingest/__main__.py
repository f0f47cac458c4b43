"""`python -m ingest …`: see ingest/cli.py."""

from ingest.cli import ingest_command

ingest_command(prog_name="python -m ingest")
