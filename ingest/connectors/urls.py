"""Connection URLs of relational sources: the driver each plain URL means, and the password
kept out of every message.

`postgresql://` and `mysql://` name no driver; SQLAlchemy would pick drivers this project does
not ship (psycopg 3, MySQLdb). They mean the shipped ones (psycopg2, PyMySQL). A URL whose
driver is not installed fails with a Chinese message saying what to write. A password never
appears in a log line, the load audit or an exception text: URLs are shown with it hidden
(SQLAlchemy's render_as_string(hide_password=True)) and redact() removes it from messages a
driver or a scanner wrote.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus

import sqlalchemy as sa

from ingest.contract import ContractError

# a driverless URL → the driver shipped with the project (pyproject.toml)
SHIPPED_DRIVERS = {"postgresql": "postgresql+psycopg2", "postgres": "postgresql+psycopg2",
                   "mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql"}
HOW_TO_WRITE = ("PostgreSQL 写作 postgresql+psycopg2://用户:密码@主机:5432/库名，"
                "MySQL / MariaDB 写作 mysql+pymysql://用户:密码@主机:3306/库名（驱动已随项目安装）；"
                "其他数据库见 ingest/README.md，先安装其驱动")
HIDDEN = "***"
# user:password@ in a URL SQLAlchemy could not parse, or in a message quoting one
PASSWORD_IN_TEXT = re.compile(r"(?P<head>[A-Za-z0-9._%+-]+:)(?P<password>[^@\s/]+)(?=@)", re.ASCII)


class SourceUrlError(ContractError):
    """A source's connection URL cannot be used (unreadable, or its driver is missing)."""


def database_url(name: str, url: str) -> sa.URL:
    """The URL to connect with: a plain postgresql:// or mysql:// given the shipped driver;
    a URL that does not parse or whose driver is missing raises SourceUrlError."""
    try:
        parsed = sa.make_url(url)
    except Exception:
        raise SourceUrlError(f"数据源 {name} 的连接地址无法识别：{shown(url)}。{HOW_TO_WRITE}。") from None
    if parsed.drivername in SHIPPED_DRIVERS:
        parsed = parsed.set(drivername=SHIPPED_DRIVERS[parsed.drivername])
    try:
        parsed.get_dialect().import_dbapi()
    except ImportError as missing:
        raise SourceUrlError(
            f"数据源 {name} 的连接地址 {shown(parsed)} 需要的驱动 {parsed.get_driver_name()}"
            f"（Python 模块 {missing.name or parsed.get_driver_name()}）未安装。{HOW_TO_WRITE}。"
        ) from None
    except Exception:
        raise SourceUrlError(f"数据源 {name} 的连接地址 {shown(parsed)} 不是支持的数据库类型。"
                             f"{HOW_TO_WRITE}。") from None
    return parsed


def shown(url: str | sa.URL) -> str:
    """A URL as it may be shown: its password hidden."""
    if isinstance(url, sa.URL):
        return url.render_as_string(hide_password=True)
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return PASSWORD_IN_TEXT.sub(rf"\g<head>{HIDDEN}", url)


def secrets_of(url: str) -> list[str]:
    """The password of a URL in the spellings a message may carry it (as is, URL-encoded)."""
    try:
        password = sa.make_url(url).password
    except Exception:
        found = PASSWORD_IN_TEXT.search(url)
        password = found.group("password") if found else None
    if not password:
        return []
    password = str(password)
    spellings = {password, quote(password, safe=""), quote_plus(password)}
    return sorted((s for s in spellings if s), key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, HIDDEN)
    return PASSWORD_IN_TEXT.sub(rf"\g<head>{HIDDEN}", text)
