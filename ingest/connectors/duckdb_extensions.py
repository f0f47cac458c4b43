"""DuckDB's database scanners (postgres, mysql, sqlite) loaded from their Python wheels.

The PyPI packages `duckdb-extension-<name>` carry the extension binary built for one DuckDB
version. DuckDB would otherwise download extensions at run time, which fails on the school's
intranet: here automatic install and load are switched off, the file inside the installed
wheel is INSTALLed into a private extension directory and LOADed. Nothing is downloaded.
"""

from __future__ import annotations

import atexit
import importlib.util
from pathlib import Path
import shutil
import tempfile
import threading

import duckdb

from zhengai.sql import quote_literal

# extension name → the wheel's import name
SCANNERS = {
    "postgres": "duckdb_extension_postgres",
    "mysql": "duckdb_extension_mysql",
    "sqlite": "duckdb_extension_sqlite",
}
_extension_directory: Path | None = None
_scanner_database: duckdb.DuckDBPyConnection | None = None
_loaded: set[str] = set()
_lock = threading.Lock()


class ExtensionUnavailable(RuntimeError):
    """The wheel with this extension for this DuckDB version is not installed."""


def extension_file(name: str) -> Path:
    """The .duckdb_extension file shipped by the installed wheel for this DuckDB version."""
    package = SCANNERS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionUnavailable(
            f"DuckDB extension {name}: package {package.replace('_', '-')}=={duckdb.__version__} "
            f"is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.exists():
        shipped = sorted(p.parent.name for p in root.glob("extensions/*/*.duckdb_extension"))
        raise ExtensionUnavailable(
            f"DuckDB extension {name}: the installed wheel is built for DuckDB {shipped}, "
            f"this is DuckDB {duckdb.__version__}")
    return path


def scanner_connection(name: str) -> duckdb.DuckDBPyConnection:
    """A connection to this process's in-memory DuckDB with the `name` scanner loaded.

    Loading a scanner takes a good part of a second, so the extensions are loaded once per
    process into one in-memory database; each caller gets its own cursor (connection) to it.
    Catalogs ATTACHed through a cursor are shared by all: callers use unique aliases.
    """
    global _scanner_database
    path = extension_file(name)
    with _lock:
        if _scanner_database is None:
            _scanner_database = duckdb.connect(config={
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "extension_directory": str(_private_extension_directory()),
            })
        if name not in _loaded:
            _scanner_database.execute(f"INSTALL {quote_literal(str(path))}")
            _scanner_database.execute(f"LOAD {name}")
            _loaded.add(name)
        cursor = _scanner_database.cursor()
    cursor.execute("SET enable_progress_bar = false")  # it would print over the CLI's bars
    return cursor


def _private_extension_directory() -> Path:
    """One directory per process, so concurrent runs never write to a shared cache."""
    global _extension_directory
    if _extension_directory is None:
        _extension_directory = Path(tempfile.mkdtemp(prefix="zhengai-duckdb-extensions-"))
        atexit.register(shutil.rmtree, _extension_directory, ignore_errors=True)
    return _extension_directory


