"""A configuration `zhengai doctor` accepts, made by hand: SQLite sources holding every table
of the contract, the workbook folders, a Dagster home; and an SMTP server that asks for a login."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from openpyxl import Workbook

from ingest.config import load_config
from zhengai.settings import REPO_ROOT

from tests.expectations.expectations_testkit import free_port

SMTP_USER, SMTP_PASSWORD = "zhengai@school.edu.cn", "right-password"


def good_configuration(root: Path) -> dict[str, str]:
    """ZHENGAI_* variables (and DAGSTER_HOME) of a complete configuration under `root`."""
    env = {"ZHENGAI_DATA_DIR": str(root), "ZHENGAI_SMTP_URL": "", "ZHENGAI_PUBLISH_URL": ""}
    for name, spec in load_config().sources.items():
        if spec.kind in ("xlsx", "plan"):
            continue
        database = root / "sources" / f"{name}.sqlite"
        database.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(database) as connection:
            for table in spec.tables:
                connection.execute(f'create table "{table.name}" (id integer)')
        env[f"ZHENGAI_{name.upper()}_URL"] = f"sqlite:///{database}"
    state = root / "sources" / "state"
    state.mkdir(parents=True)
    Workbook().save(state / "2025.xlsx")
    (root / "sources" / "plan").mkdir()
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO_ROOT / "orchestration" / "dagster.yaml").read_text(encoding="utf-8"))
    env["DAGSTER_HOME"] = str(home)
    return env


class _Authenticator:
    def __call__(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
        password = auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
        return AuthResult(success=(login, password) == (SMTP_USER, SMTP_PASSWORD), handled=False)


class _Refuse:
    async def handle_DATA(self, server, session, envelope):  # doctor must never send
        raise AssertionError("zhengai doctor sent a message")


@contextmanager
def smtp_server_with_login() -> Iterator[tuple[str, int]]:
    """(host, port) of a local SMTP server that accepts only SMTP_USER / SMTP_PASSWORD."""
    port = free_port()
    controller = Controller(_Refuse(), hostname="127.0.0.1", port=port, authenticator=_Authenticator(),
                            auth_require_tls=False)
    controller.start()
    try:
        yield "127.0.0.1", port
    finally:
        controller.stop()
