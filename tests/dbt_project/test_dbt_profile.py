"""The warehouse profile turns off DuckDB 1.5's top-N window rewrite, which now and then keeps
the wrong copy of a re-sent record when the ordering column holds NULLs and the rows are read in
parallel (about one run in ten on the query below without the setting); with the profile's
settings the latest copy is kept every time."""

from __future__ import annotations

import duckdb
import yaml

from zhengai.settings import DBT_PROJECT_DIR

# The dedupe shape of macros/dedupe.sql on rows read in parallel (a union), one copy without a load time.
LATEST_COPY = """
select status from (
    select *, row_number() over (partition by record_id order by loaded_at desc nulls last) as copy_rank
    from (select 1 as record_id, 'first' as status, timestamp '2025-01-01' as loaded_at
          union all select 1, 'latest', timestamp '2025-01-02'
          union all select 1, 'unstamped', null::timestamp)
) where copy_rank = 1
"""


def test_the_latest_copy_is_kept_every_time_with_the_profile_settings():
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    settings = profile["zhengai"]["outputs"]["dev"]["settings"]
    assert settings["disabled_optimizers"] == "top_n_window_elimination"
    with duckdb.connect() as con:
        con.execute("set threads = 4")
        con.execute(f"set disabled_optimizers = '{settings['disabled_optimizers']}'")
        kept = {con.execute(LATEST_COPY).fetchone()[0] for _ in range(300)}
    assert kept == {"latest"}
