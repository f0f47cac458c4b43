"""The source systems' tables (exactly docs/sources.md) and a fast SQLite writer."""

from __future__ import annotations

import sqlite3
from itertools import islice
from pathlib import Path

I, R, T = "INTEGER", "REAL", "TEXT"

SCHEMAS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "jw": {
        "ZFTAL_XTGL_JGDMB": [("JG_ID", T), ("JGDM", T), ("JGMC", T), ("LX", T), ("LSJG_ID", T)],
        "ZFTAL_XTGL_ZYDMB": [("ZYH_ID", T), ("ZYDM", T), ("ZYMC", T), ("JG_ID", T), ("XZ", I), ("ZT", I)],
        "ZFTAL_XTGL_BJDMB": [("BH_ID", T), ("BJ", T), ("ZYH_ID", T), ("NJDM_ID", I), ("JG_ID", T)],
        "JW_XJGL_XSJBXXB": [("XH_ID", T), ("XH", T), ("XM", T), ("XBM", I), ("CSRQ", T), ("SFZH", T), ("SJHM", T),
                            ("ZYH_ID", T), ("BH_ID", T), ("NJDM_ID", I), ("JG_ID", T), ("XJZTDM", T), ("RXRQ", T),
                            ("GXSJ", T)],
        "JW_JH_KCDMB": [("KCH_ID", T), ("KCH", T), ("KCMC", T), ("XF", R), ("ZXS", R), ("KCXZ", T), ("KKBM_ID", T)],
        "JW_JXRW_JXBXXB": [("JXB_ID", T), ("JXBMC", T), ("KCH_ID", T), ("XNM", I), ("XQM", T), ("JGH_ID", T),
                           ("ZXS", R), ("KKBM_ID", T), ("GXSJ", T)],
        "JW_XK_XSXKB": [("JXB_ID", T), ("XH_ID", T), ("XNM", I), ("XQM", T), ("GXSJ", T)],
        "JW_KQ_SKJLB": [("SKJL_ID", I), ("JXB_ID", T), ("SKRQ", T), ("JC", T), ("XS", I)],
        "JW_KQ_XSKQB": [("KQ_ID", I), ("SKJL_ID", I), ("XH_ID", T), ("KQZT", I), ("CJSJ", T)],
        "JW_CJ_XSCJB": [("CJ_ID", T), ("XH_ID", T), ("JXB_ID", T), ("KCH_ID", T), ("XNM", I), ("XQM", T), ("CJ", T),
                        ("XF", R), ("JD", R), ("KSXZ", T), ("GXSJ", T)],
        "JW_PJ_XSPFB": [("PJ_ID", T), ("JXB_ID", T), ("JGH_ID", T), ("XH_ID", T), ("ZF", R), ("PJSJ", T)],
        "JW_DD_TKJLB": [("TK_ID", T), ("JXB_ID", T), ("JGH_ID", T), ("TKRQ", T), ("PF", R), ("DDR", T)],
        "JW_JXSG_JLB": [("SG_ID", T), ("JGH_ID", T), ("FSRQ", T), ("SGDJ", T), ("MS", T)],
    },
    "hr": {
        "RS_BMXX": [("BMDM", T), ("BMMC", T), ("SJBMDM", T)],
        "RS_JZGJBXX": [("GH", T), ("XM", T), ("XB", T), ("CSRQ", T), ("SFZH", T), ("SJHM", T), ("DZYX", T),
                       ("BMDM", T), ("RYLB", T), ("ZC", T), ("ZCJB", T), ("XL", T), ("XW", T), ("SFSS", T),
                       ("SFGG", T), ("SFZYDTR", T), ("RZRQ", T), ("ZT", T), ("GXSJ", T)],
        "RS_PXJL": [("PX_ID", T), ("GH", T), ("PXMC", T), ("PXLB", T), ("KSRQ", T), ("JSRQ", T), ("XS", R)],
        "RS_QYSJ": [("SJ_ID", T), ("GH", T), ("QYMC", T), ("KSRQ", T), ("JSRQ", T), ("TS", R)],
        "KY_XMXX": [("XM_ID", T), ("GH", T), ("XMMC", T), ("XMLB", T), ("JB", T), ("LXRQ", T), ("DZJF", R),
                    ("GXSJ", T)],
        "KY_CGXX": [("CG_ID", T), ("GH", T), ("CGLX", T), ("MC", T), ("JB", T), ("RQ", T)],
        "RS_JCJL": [("JC_ID", T), ("GH", T), ("LX", T), ("MC", T), ("JB", T), ("RQ", T)],
    },
    "xg": {
        "XG_XSXX": [("XH", T), ("XM", T), ("BJMC", T), ("FDYGH", T), ("SSLH", T), ("SSH", T), ("JJKN", T),
                    ("GXSJ", T)],
        "XG_CQJL": [("JL_ID", I), ("XH", T), ("CQRQ", T), ("ZT", T), ("JLR", T), ("JLSJ", T)],
        "XG_WJCF": [("CF_ID", T), ("XH", T), ("WJRQ", T), ("WJLX", T), ("CFDJ", T), ("CFWH", T), ("CXRQ", T),
                    ("GXSJ", T)],
        "XG_JZXJ": [("JL_ID", T), ("XH", T), ("MC", T), ("LB", T), ("JB", T), ("JE", R), ("RQ", T)],
        "XG_BYQX": [("XH", T), ("BYNF", I), ("QXLX", T), ("DWMC", T), ("SFDK", T), ("YX", R), ("JYSF", T),
                    ("GXSJ", T)],
        "XG_GZDC": [("DC_ID", T), ("XH", T), ("BYNF", I), ("BYSMYD", I), ("DWMYD", I), ("DCRQ", T)],
    },
}

TABLE_SYSTEM = {table: system for system, tables in SCHEMAS.items() for table in tables}
BATCH = 200_000


class SourceWriter:
    """Writes the three school systems' SQLite files. Files are replaced, not appended to.
    Tables carry no key constraints: the sources are vendor exports and may hold duplicates."""

    def __init__(self, out_dir: Path, on_rows=None):
        self.counts: dict[str, int] = {}
        self.connections: dict[str, sqlite3.Connection] = {}
        self.on_rows = on_rows
        for system, tables in SCHEMAS.items():
            path = out_dir / f"{system}.sqlite"
            for stale in (path, path.with_name(path.name + "-journal")):
                stale.unlink(missing_ok=True)
            con = sqlite3.connect(path)
            con.execute("PRAGMA journal_mode=OFF")
            con.execute("PRAGMA synchronous=OFF")
            con.execute("PRAGMA page_size=8192")
            for table, columns in tables.items():
                cols = ", ".join(f"{name} {kind}" for name, kind in columns)
                con.execute(f"CREATE TABLE {table} ({cols})")
                self.counts[table] = 0
            self.connections[system] = con

    def write(self, table: str, rows) -> None:
        """Insert an iterable of tuples (or dicts keyed by column) in large batches."""
        con = self.connections[TABLE_SYSTEM[table]]
        columns = [name for name, _ in SCHEMAS[TABLE_SYSTEM[table]][table]]
        sql = f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})"
        it = iter(rows)
        while batch := list(islice(it, BATCH)):
            if isinstance(batch[0], dict):
                batch = [tuple(r[c] for c in columns) for r in batch]
            con.executemany(sql, batch)
            self.counts[table] += len(batch)
            if self.on_rows:
                self.on_rows(len(batch))

    def close(self) -> None:
        for con in self.connections.values():
            con.commit()
            con.close()
