"""Quiet commands: everything the run prints (Dagster's event log, dbt, warnings of libraries,
child processes) goes to a log file; the terminal gets a few Chinese lines from the command.

The file descriptors themselves are redirected, so output of child processes (dbt) and of C
libraries lands in the log too, not only Python's.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator, TextIO


def default_log_path(folder: Path, command: str) -> Path:
    return folder / f"{command}-{datetime.now():%Y%m%d-%H%M%S}.log"


class Terminal:
    """The terminal the command was started on, while its output goes to the log."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.started = time.monotonic()

    def say(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def stage(self, name: str) -> None:
        """One line per stage of a run, with the time since the command started."""
        elapsed = int(time.monotonic() - self.started)
        self.say(f"  {elapsed // 60:02d}:{elapsed % 60:02d}  {name}")


@contextmanager
def output_to_log(log_path: Path) -> Iterator[Terminal]:
    """Send stdout and stderr (file descriptors 1 and 2) to the end of `log_path`; yield the terminal."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = open(os.dup(1), "w", encoding="utf-8", closefd=True)
    with open(log_path, "a", encoding="utf-8") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield Terminal(terminal)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            terminal.close()
