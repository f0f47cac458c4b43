"""snapshot_info and publish_info tell the same instant, in school time, on a UTC host."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import duckdb
import psycopg2
import pytest

from serving.publish import publish_to_postgres
from serving.snapshot import publish_snapshot, read_snapshot_info

from tests.expectations.expectations_testkit import BASE_ROWS, create_warehouse, host_clock_in_utc
from tests.serving.serving_testkit import postgres_or_skip, with_database


@pytest.fixture
def snapshot_on_a_utc_host(tmp_path):
    warehouse = create_warehouse(tmp_path / "warehouse.duckdb", BASE_ROWS)
    with host_clock_in_utc():
        before = time.time()
        publish_snapshot(warehouse, tmp_path / "snapshot.duckdb", run_id="utc-night")
        after = time.time()
        yield tmp_path / "snapshot.duckdb", before, after


def test_snapshot_info_is_the_real_instant_in_school_time(snapshot_on_a_utc_host):
    snapshot, before, after = snapshot_on_a_utc_host
    published_at = read_snapshot_info(snapshot)["published_at"]
    assert published_at.utcoffset() == timedelta(hours=8)
    assert before - 1 <= published_at.timestamp() <= after + 1
    with duckdb.connect(str(snapshot), read_only=True) as connection:  # an analyst's SQL client, in UTC
        connection.execute("set TimeZone = 'UTC'")
        epoch, = connection.execute("select epoch(published_at) from main.snapshot_info").fetchone()
    assert before - 1 <= epoch <= after + 1


def test_publish_info_agrees_with_snapshot_info(snapshot_on_a_utc_host):
    snapshot, before, after = snapshot_on_a_utc_host
    admin_url = postgres_or_skip()
    database = f"zhengai_clock_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {database}")
    try:
        url = with_database(admin_url, database)
        report = publish_to_postgres(snapshot, url, schema="zhengai_marts", role=f"zhengai_clock_{database[-10:]}")
        with psycopg2.connect(url) as connection, connection.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
            cur.execute("select extract(epoch from published_at), extract(epoch from snapshot_published_at) "
                        "from zhengai_marts.publish_info")
            published, snapshot_published = (float(value) for value in cur.fetchone())
        assert report.snapshot_published_at == read_snapshot_info(snapshot)["published_at"]
        assert abs(snapshot_published - report.snapshot_published_at.timestamp()) < 1e-3
        assert before - 1 <= snapshot_published <= published <= time.time() + 1
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            cur.execute(f"DROP ROLE IF EXISTS zhengai_clock_{database[-10:]}")
        admin.close()
