"""`zhengai backup`: a restorable copy of what cannot be rebuilt from the sources.

The warnings ledger (who was told what, acknowledgements, closures) and the Dagster home (run
history, schedule and sensor cursors) are the state a rebuild cannot bring back; the warehouse
can be rebuilt from the sources (`zhengai sync --full-refresh`). SQLite files are copied with
SQLite's online backup, so the daemon and the webserver may keep running; `.env` is copied too.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass
class BackupReport:
    folder: Path
    files: list[Path] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(path.stat().st_size for path in self.files)


def _is_sqlite(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if _is_sqlite(source):
        # a consistent copy even while a writer holds the file
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as reader, sqlite3.connect(target) as writer:
            reader.backup(writer)
        reader.close()
        writer.close()
    else:
        shutil.copy2(source, target)


def backup(to: Path, ledger: Path, dagster_home: Path | None, env_file: Path | None,
           now: datetime | None = None) -> BackupReport:
    """Copy the ledger, the Dagster home and `.env` into a new folder under `to`."""
    folder = Path(to) / f"zhengai-backup-{(now or datetime.now()):%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True)
    report = BackupReport(folder)
    if not ledger.exists():
        raise FileNotFoundError(f"预警台账 {ledger} 不存在（ZHENGAI_LEDGER）")
    _copy(ledger, folder / ledger.name)
    report.files.append(folder / ledger.name)
    if dagster_home is not None:
        for source in sorted(p for p in dagster_home.rglob("*") if p.is_file() and not p.name.endswith(("-wal", "-shm", "-journal"))):
            target = folder / "dagster_home" / source.relative_to(dagster_home)
            _copy(source, target)
            report.files.append(target)
    if env_file is not None and env_file.is_file():
        shutil.copy2(env_file, folder / ".env")
        report.files.append(folder / ".env")
    return report
