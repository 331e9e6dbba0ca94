"""The past results themselves, delta-encoded per backfilled snapshot: what lets a past date
answer every leaderboard state (filters, views, zero-shot and per-type columns) with the same
SQL as today's board (docs/HISTORY.md §Past results).

The leaderboard macros (queries/leaderboard/lb_*) read a handful of per-build tables that depend
on the results (PAST_TABLES: the materialized marts and model_meta); the rest of what they read
is the catalog, today's for every snapshot. After each backfilled commit, every row of these
tables that appeared or disappeared since the previous commit is stored as an event:

    <store>/past/<table>/<seq>-<sha>.parquet   _seq, _k, _removed, then the table's columns

A row's identity is (_h, _k): the hash of the whole row (computed when read, not stored) and
its occurrence among equal rows. A
row is valid from the snapshot of its `_removed = false` event until the next event of the same
identity (a removal), so the table as of snapshot S is the rows added at or before S and not
removed at or before S: queries/history/lb_past_rows.macro.sql, which mteb_lb/asof.py runs to
point the ordinary lb_* macros at the past.

The event files are sorted by the table's key (warehouse.past_key; stably: within a key, the
events' own order) in row groups of ROW_GROUP rows, and say so in their metadata (LAYOUT_KEY):
the first request of a past date reads the events of a few groups only (mteb_lb/asof.py's
overlay): the Parquet scan skips the row groups outside their range and decodes the other
columns of their stretches only.
For a derived table (a stored board: warehouse.PAST_DERIVED) the groups that changed are also
written whole, as of the snapshot, under <store>/past_whole/<table>/<seq>-<sha>.parquet (the
same name as the event file): a past date reads a board changed since its base from the last
snapshot that changed it, not from every version of it among the events.
relayout() brings the files of a store written before to this layout (idempotent, a file at a
time, each replaced atomically: a kill leaves every file whole, in one layout or the other,
both holding the same rows).

The previous commit's rows are kept in <store>/work/past_state.duckdb (with the snapshot they
reflect); when it is missing or reflects another snapshot (a run killed mid-way), it is rebuilt
from the stored events.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import queries
from etl.segments import KEPT_LEVEL, write_parquet
from mteb_lb import db, warehouse

FOLDER = warehouse.PAST_FOLDER
STATE = "past_state.duckdb"
PAST_TABLES = warehouse.PAST_TABLES
# with the derived ones (the stored default boards): a past date's default board is read, not
# computed, when the backfill's catalog and SQL are today's (mteb_lb/asof.py)
RECORDED = warehouse.PAST_TABLES + warehouse.PAST_DERIVED
EVENT_COLUMNS = ("_seq", "_h", "_k", "_removed")
# rows per row group of an event file: a weekly snapshot's file is one group, the first
# snapshot's benchmark_results (4.5M events) ~70, a model's events in one or two of them
ROW_GROUP = 65536
LAYOUT_KEY = b"mteb_lb_past_layout"
# rows per row group of a whole-groups file (warehouse.PAST_WHOLE_FOLDER): a stored board of one
# benchmark (100-450 rows) spans one or two, so that reading one board skips the others' groups
WHOLE_ROW_GROUP = 1024


def files(store: Path, table: str, upto: int | None = None) -> list[str]:
    """The event files of `table` (of the snapshots <= `upto`), oldest first."""
    out = []
    for path in sorted((store / FOLDER / table).glob("*.parquet")):
        if upto is None or int(path.name.split("-", 1)[0]) <= upto:
            out.append(str(path))
    return out


def drop_after(store: Path, seq: int) -> None:
    """Remove the event files of snapshots after `seq` (left by a run killed before it recorded
    its commit): the next run writes them again."""
    for folder in [store / FOLDER / t for t in RECORDED] + [
            store / warehouse.PAST_WHOLE_FOLDER / t for t in warehouse.PAST_DERIVED]:
        for path in folder.glob("*.parquet"):
            if int(path.name.split("-", 1)[0]) > seq:
                path.unlink()


def _lit(path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _group(table: str) -> str:
    """The SQL of a row's group (the hash of its warehouse.past_key columns): only the groups
    whose rows changed are compared."""
    return "hash(" + ", ".join(f'"{c}"' for c in warehouse.past_key(table)) + ")"


def _rebuild_state(con, store: Path, seq: int) -> None:
    """The state tables as of snapshot `seq`, from the stored events (lb_past_rows' rule)."""
    for table in RECORDED:
        found = files(store, table, seq)
        con.execute(f'DROP TABLE IF EXISTS "s_{table}"')
        con.execute(f'DROP TABLE IF EXISTS "h_{table}"')
        if not found:
            continue
        con.execute(f"""
            CREATE TABLE "s_{table}" AS
            SELECT * EXCLUDE (_seq, _removed) FROM (
                {warehouse.past_hashed("read_parquet(?)")}
                QUALIFY row_number() OVER (PARTITION BY _h, _k ORDER BY _seq DESC) = 1)
            WHERE NOT _removed""", [found])
    con.execute("CREATE OR REPLACE TABLE state_seq AS SELECT ?::INTEGER AS seq", [seq])


def record(build_dir: Path, store: Path, seq: int, name: str) -> int:
    """Store the events of snapshot `seq` (the rows of PAST_TABLES in `build_dir`, the scratch
    build of its commit, against the previous snapshot's); returns the number of events.
    Per table, the rows are grouped by a key (a model's rows on a benchmark, mostly:
    warehouse.past_key); a hash per group finds the groups that changed, and only their rows
    are compared."""
    work = store / "work"
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(work / STATE))
    total = 0
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        held = None
        if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'state_seq'"
                       ).fetchall()[0][0]:
            held = con.execute("SELECT seq FROM state_seq").fetchall()[0][0]
        if held != seq - 1:
            _rebuild_state(con, store, seq - 1)
        con.execute(f"ATTACH {_lit(build_dir / warehouse.DB_FILE)} AS b (READ_ONLY)")
        # one transaction: a kill mid-way leaves the state of the previous snapshot, whole
        con.execute("BEGIN TRANSACTION")
        fingerprint = warehouse.read_manifest(build_dir).get("database_fingerprint") or ""
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'b'").fetchall()}
        for table in RECORDED:
            if table not in present:     # a build without the derived table: nothing to record
                continue
            group = _group(table)
            source = f'b."{table}"'
            if table in warehouse.PAST_DERIVED:
                source = f"(SELECT *, {_lit(fingerprint)} AS _fingerprint FROM {source})"
            row = f"(SELECT hash(*COLUMNS(*)) AS _h, * FROM {source})"
            first = not _exists(con, f"s_{table}")
            if first:
                con.execute(f'CREATE TABLE "s_{table}" AS SELECT _h, 0::BIGINT AS _k, '
                            f"* EXCLUDE (_h) FROM {row} LIMIT 0")
            # per group: the sum of the rows' hashes and their number
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE g AS
                SELECT {group} AS _g, sum(_h::HUGEINT) AS _sum, count(*) AS _n
                FROM {row} GROUP BY ALL""")
            if not _exists(con, f"h_{table}"):
                con.execute(f'CREATE TABLE "h_{table}" AS FROM g LIMIT 0')
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE changed AS
                SELECT coalesce(n._g, o._g) AS _g
                FROM g AS n FULL OUTER JOIN "h_{table}" AS o ON n._g = o._g
                WHERE n._sum IS DISTINCT FROM o._sum OR n._n IS DISTINCT FROM o._n""")
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE n AS
                SELECT _h, row_number() OVER (PARTITION BY _h) AS _k, * EXCLUDE (_h)
                FROM {row} WHERE {group} IN (SELECT _g FROM changed)""")
            events = db.query_arrow(con, f"""
                SELECT $seq::INTEGER AS _seq, _k, false AS _removed, * EXCLUDE (_h, _k)
                FROM n ANTI JOIN "s_{table}" USING (_h, _k)
                UNION ALL
                SELECT $seq::INTEGER, _k, true, * EXCLUDE (_h, _k)
                FROM (SELECT * FROM "s_{table}"
                      WHERE {group} IN (SELECT _g FROM changed)) AS o
                ANTI JOIN n USING (_h, _k)
                ORDER BY ALL""", {"seq": seq})
            if events.num_rows or (first and table in warehouse.PAST_LATER):
                # (a table that older stores lack: its first file says it is recorded from here)
                _write(events, store / FOLDER / table / name, table)
                total += events.num_rows
                if table in warehouse.PAST_DERIVED:
                    # the changed groups whole (a stored board: a past date reads it here
                    # rather than from every version of it among the events)
                    _write(db.query_arrow(con, "SELECT $seq::INTEGER AS _seq, "
                                          "* EXCLUDE (_h, _k) FROM n", {"seq": seq}),
                           warehouse.past_whole_file(store / FOLDER / table / name), table,
                           WHOLE_ROW_GROUP)
            con.execute(f'DELETE FROM "s_{table}" '
                        f'WHERE {group} IN (SELECT _g FROM changed)')
            con.execute(f'INSERT INTO "s_{table}" SELECT * FROM n')
            con.execute(f'DELETE FROM "h_{table}"')
            con.execute(f'INSERT INTO "h_{table}" SELECT * FROM g')
        con.execute("CREATE OR REPLACE TABLE state_seq AS SELECT ?::INTEGER AS seq", [seq])
        con.execute("COMMIT")
        con.execute("DETACH b")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return total


def export_state(build_dir: Path, store: Path, seq: int) -> Path | None:
    """Leave snapshot `seq`'s compacted state where mteb_lb/asof.py looks for it (<store>/asof/,
    warehouse.past_state_name), from the state this module keeps (the rows as of the last
    recorded snapshot, without their identity columns): the first as-of request of the newest
    backfilled date then compacts nothing. `build_dir`: the scratch build of that snapshot (the
    schema of a table that never had a row). Its tables are ordered as asof's compacted states
    (warehouse.PAST_STATE_ORDER). None when the kept state is of another snapshot."""
    found = warehouse.past_event_files(store, seq)
    folder = store / warehouse.PAST_STATE_FOLDER
    path = folder / warehouse.past_state_name(seq, found)
    state = store / "work" / STATE
    if path.is_file() or not state.is_file():
        return path if path.is_file() else None
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH {_lit(state)} AS st (READ_ONLY)")
        if con.execute("SELECT seq FROM st.state_seq").fetchall()[0][0] != seq:
            return None
        con.execute(f"ATTACH {_lit(build_dir / warehouse.DB_FILE)} AS b (READ_ONLY)")
        kept = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'st'").fetchall()}
        built = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'b'").fetchall()}
        for table in RECORDED:
            if f"s_{table}" in kept:
                columns = [d[0] for d in con.execute(
                    f'SELECT * FROM st."s_{table}" LIMIT 0').description]
                order = warehouse.past_state_order(columns)
                con.execute(f'CREATE TABLE "{table}" AS '
                            f'SELECT * EXCLUDE (_h, _k) FROM st."s_{table}"' + order)
            elif table in PAST_TABLES and table in built:
                con.execute(f'CREATE TABLE "{table}" AS FROM b."{table}" LIMIT 0')
        con.execute("DETACH st")
        con.execute("DETACH b")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if tmp.is_file() and not path.is_file():
        os.replace(tmp, path)
    tmp.unlink(missing_ok=True)
    return path if path.is_file() else None


def export_ranges(store: Path, seq: int) -> Path | None:
    """Leave the past results of every snapshot up to `seq` where mteb_lb/asof.py serves any
    backfilled date from (<store>/ranges/, named as a compacted state of `seq`:
    warehouse.past_state_name): per recorded table, each row version once with the snapshots
    it is valid in (queries/history/lb_past_ranges), ordered as the compacted states
    (warehouse.past_state_order). A date's tables are then one filtered scan of it
    (lb_past_at), not the overlay of the events between the date and the nearest compacted
    state. The other files of the folder (older snapshots', or another history's) are removed.
    Returns the file when this call wrote it; None when it was there already, or no event was
    stored."""
    found = warehouse.past_event_files(store, seq)
    if not found:
        return None
    folder = store / warehouse.PAST_RANGES_FOLDER
    path = folder / warehouse.past_state_name(seq, found)
    made = not path.is_file()
    if made:
        folder.mkdir(parents=True, exist_ok=True)
        warehouse.write_past_file(path, found, queries.load("lb_past_ranges"),
                                  "FROM lb_past_ranges('events')")
    for other in folder.glob("*"):
        if other.name != path.name:
            other.unlink(missing_ok=True)
    return path if made else None


def _exists(con, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? "
                            "AND NOT temporary", [name]).fetchall()[0][0])


def layout(table: str, row_group: int | None = None) -> bytes:
    """The layout mark of `table`'s event files (their metadata's LAYOUT_KEY), or of files in
    row groups of `row_group` rows."""
    return (f"sorted:{','.join(warehouse.past_key(table))};"
            f"row_group:{row_group or ROW_GROUP}").encode()


def _write(events: pa.Table, path: Path, table: str, row_group: int | None = None) -> None:
    """An event file of `table` (or, `row_group` WHOLE_ROW_GROUP, a whole-groups file), in the
    layout (module docstring), written whole then renamed."""
    row_group = row_group or ROW_GROUP
    keys = [(c, "ascending") for c in warehouse.past_key(table)]
    order = pc.sort_indices(events, sort_keys=keys)
    events = events.take(order).replace_schema_metadata(
        {**(events.schema.metadata or {}), LAYOUT_KEY: layout(table, row_group)})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    write_parquet(events, tmp, row_group_size=row_group, level=KEPT_LEVEL)
    os.replace(tmp, path)


def relayout(store: Path, log=None) -> int:
    """Rewrite the event files of `store` that are not in the layout (written before it), in
    place, then make the whole-groups files it lacks (_whole_files); returns how many files it
    wrote. Idempotent (a file in the layout is only looked at: its footer) and crash-safe (each
    file written to a temporary one, then renamed over the old: the same rows, so a reader sees
    either file whole, and the compacted states, named after the files' names, stay valid)."""
    done = 0
    for table in RECORDED:
        want = layout(table)
        for path in sorted((store / FOLDER / table).glob("*.parquet")):
            if (pq.read_metadata(path).metadata or {}).get(LAYOUT_KEY) == want:
                continue
            _write(pq.read_table(path), path, table)
            done += 1
            if log and done % 50 == 0:
                log(f"{done} event files rewritten")
    return done + _whole_files(store)


def _whole_files(store: Path) -> int:
    """The whole-groups files missing beside the derived tables' event files (a store recorded
    before them), made from the events (lb_past_rows' rule); returns how many."""
    made = 0
    con = None
    try:
        for table in warehouse.PAST_DERIVED:
            events = files(store, table)
            keys = ", ".join(f'"{c}"' for c in warehouse.past_key(table))
            for path in events:
                whole = warehouse.past_whole_file(path)
                if whole.is_file():
                    continue
                if con is None:
                    con = duckdb.connect()
                    con.execute("SET enable_progress_bar = false")
                    con.execute(queries.load("lb_past_rows"))
                seq = warehouse.past_file_seq(path)
                # the events up to this snapshot of the groups it changed
                con.execute(
                    "CREATE OR REPLACE TEMP TABLE events AS " + warehouse.past_hashed(
                        "(FROM read_parquet($up) SEMI JOIN "
                        f"(SELECT DISTINCT {keys} FROM read_parquet($f)) USING ({keys}))"),
                    {"up": files(store, table, seq), "f": path})
                _write(db.query_arrow(con, "SELECT $seq::INTEGER AS _seq, * FROM "
                                      "lb_past_rows('events', $seq)", {"seq": seq}),
                       whole, table, WHOLE_ROW_GROUP)
                made += 1
    finally:
        if con is not None:
            con.close()
    return made
