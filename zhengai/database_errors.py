"""What a failed database connection means, in Chinese, with what to do about it.

Drivers word the same failures differently (psycopg2, pymysql, SQLAlchemy's wrappers); the
three a new installation meets are a wrong user or password, a database not created yet and
a server that cannot be reached.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

WRONG_PASSWORD = ("password authentication failed", "access denied", "authentication failed", "login failed",
                  "role \"")  # PostgreSQL: role "…" does not exist
MISSING_DATABASE = (re.compile(r'database "([^"]+)" does not exist'), re.compile(r"unknown database '([^']+)'", re.I))
UNREACHABLE = ("connection refused", "could not connect", "can't connect", "timeout expired", "timed out",
               "could not translate host name", "name or service not known", "no route to host")


def _where(url: str) -> str:
    parsed = sa.make_url(url)
    return f"{parsed.host or 'localhost'}:{parsed.port or ''}".rstrip(":")


def create_database_command(url: str) -> str:
    """The shell command that creates the database of `url` (PostgreSQL: createdb; MySQL: mysql -e)."""
    parsed = sa.make_url(url)
    options = [f"-h {parsed.host}" if parsed.host else "", f"-p {parsed.port}" if parsed.port else ""]
    if parsed.get_backend_name().startswith("postgres"):
        user = f"-U {parsed.username}" if parsed.username else ""
        return " ".join(part for part in ["createdb", *options, user, parsed.database] if part)
    user = f"-u {parsed.username} -p" if parsed.username else ""
    options[1] = f"-P {parsed.port}" if parsed.port else ""
    return " ".join(part for part in ["mysql", *options, user, "-e", f"'CREATE DATABASE {parsed.database}'"] if part)


def missing_database(error: BaseException) -> str | None:
    """The name of the database the server said does not exist, if that is what it said."""
    for pattern in MISSING_DATABASE:
        found = pattern.search(str(error))
        if found:
            return found.group(1)
    return None


def explain(url: str, error: BaseException) -> str:
    """One Chinese sentence: what is wrong with the connection to `url`, and what to do."""
    text = str(error).lower()
    database = missing_database(error)
    if database:
        return f"数据库 {database} 不存在（服务器 {_where(url)}）。请先创建：{create_database_command(url)}"
    if any(mark in text for mark in WRONG_PASSWORD):
        user = sa.make_url(url).username or "（未给出）"
        return f"用户名或密码错误：服务器 {_where(url)} 拒绝了用户 {user} 的登录，请核对连接地址中的用户与密码。"
    if any(mark in text for mark in UNREACHABLE):
        return f"无法连接服务器 {_where(url)}：服务未启动、地址或端口有误，或被防火墙挡住。"
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"连接失败（服务器 {_where(url)}）：{first_line}"


def create_postgres_database(url: str) -> None:
    """CREATE DATABASE for the database of `url`, through the server's `postgres` database."""
    import psycopg2
    from psycopg2 import sql

    parsed = sa.make_url(url)
    maintenance = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    connection = psycopg2.connect(maintenance, connect_timeout=10)
    try:
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.database)))
    finally:
        connection.close()
