"""Leaderboard history: a compact, delta-encoded snapshot of every leaderboard, kept across builds.

Every published build stores what its leaderboards look like (per benchmark of the menu: each
model's rank and means, and its per-task scores, all as the official tables compute them with
their default filters) in the table `leaderboard_history`. Only rows that differ from the state
left by the previous builds are added, plus a `removed` row for each (benchmark, model, key) that
disappeared; the rows of the previous build are carried forward (its Parquet files are hard-linked
into the new build, never rewritten). So the table holds the whole history and stays small: a
build where nothing on the leaderboards moved adds no rows.

    parquet/leaderboard_history/<seq>-<build id>.parquet    the rows one build added (its delta)
    parquet/leaderboard_history_builds/...parquet            one row per build of the history

The state of the leaderboards after build N is, per (benchmark, model_name, key), the newest row
with build_seq <= N, unless that row is a removal (queries/leaderboard_as_of.macro.sql does it).

Hooked into the publish step of etl/build.py: `prepare(final)` before the queries/ views are
created (they read these tables), `record(final, manifest, warehouse_dir)` after (the snapshot is
computed with the ranking macros, in SQL, in the new build's database). `record` also brings the
build's stored default boards up to date (etl/default_summaries.py) and reads the snapshot's
ranks and means from them: a build computes its default boards once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from etl import default_summaries
from etl.segments import write_parquet
from mteb_lb import db, warehouse

TABLE = "leaderboard_history"
BUILDS_TABLE = "leaderboard_history_builds"
# per build: the result files that changed since the previous build (the causes of what moved),
# the Parquet files only (parquet/<PATHS>/<seq>-<build id>.parquet, carried forward as the
# history): the same columns as the backfill's paths/ (etl/backfill.py PATHS_SCHEMA)
PATHS = "leaderboard_history_paths"
# Relations whose content depends on the builds published before (not only on the source data):
# an incremental build and a full rebuild of the same data differ here, by design.
HISTORY_RELATIONS = (TABLE, BUILDS_TABLE, "changes_since_previous",
                     "quality_previous_flags", "quality_new_flags")  # etl/flag_changes.py

MODEL_KEY = ""


def _f(name: str, type_: pa.DataType, doc: str) -> pa.Field:
    return pa.field(name, type_, metadata={"doc": doc})


SCHEMA = pa.schema([
    _f("build_seq", pa.int32(), "Position of the build in the history (1, 2, ...); orders builds."),
    _f("build_id", pa.string(), "The build that added this row."),
    _f("built_at", pa.timestamp("us"), "When that build was made (UTC)."),
    _f("benchmark", pa.string(), "Benchmark name (a benchmark of the leaderboard menu)."),
    _f("model_name", pa.string(), "Model name."),
    _f("key", pa.string(), "'' for the model's summary row, else the task name of a per-task "
                           "score."),
    _f("rank", pa.int32(), "Summary row: the rank the leaderboard shows (its rank column: Borda "
                           "rank, or the position by the benchmark's sort columns). NULL on "
                           "task rows."),
    _f("score", pa.float64(), "Task row: the task score; summary row: Mean (Task). 0-100 scale, "
                              "unrounded; NULL when incomplete."),
    _f("mean_task_type", pa.float64(), "Summary row: Mean (TaskType) (0-100)."),
    _f("mean_public", pa.float64(), "Summary row: Mean (Public) (0-100)."),
    _f("mean_private", pa.float64(), "Summary row: Mean (Private) (0-100)."),
    _f("mean_subset", pa.float64(), "Summary row: Mean (Subset) (0-100)."),
    _f("removed", pa.bool_(), "True: the row (model or task score) left the leaderboard in this "
                              "build; its values are NULL."),
], metadata={"doc": "Delta-encoded history of the leaderboards: a row per (benchmark, model, key) "
                    "whose values changed in a build, or that was removed; the state after a "
                    "build is the newest row per key (see leaderboard_as_of)."})

BUILDS_SCHEMA = pa.schema([
    _f("build_seq", pa.int32(), "Position of the build in the history."),
    _f("build_id", pa.string(), "Build id."),
    _f("built_at", pa.timestamp("us"), "When the build was made (UTC)."),
    _f("source_commit", pa.string(), "Commit of the results repository the build reflects."),
    _f("previous_build_id", pa.string(), "The build that was current before it (NULL: first)."),
    _f("rows_added", pa.int64(), "Rows the build added to leaderboard_history (its delta)."),
], metadata={"doc": "Every build of the leaderboard history, in order."})

VALUE_COLUMNS = ("rank", "score", "mean_task_type", "mean_public", "mean_private", "mean_subset")
# Bump when the snapshot's rules change: every benchmark is then computed again.
SNAPSHOT_VERSION = "1"
# the catalog tables the boards read; `models` (queries/marts/models.sql), a table of the build
# made from model_registry and model_meta, is hashed too because lb_summary_of reads it
CATALOG_INPUTS = ("benchmarks", "benchmark_tasks", "tasks", "model_registry", "model_training",
                  "model_meta", "models")
# the tables, per benchmark, its default board and snapshot read (input_hashes); a benchmark
# ranked by subset (HUME) reads its benchmark_results rows and the whole language_sets as well
BOARD_INPUTS = ("benchmark_task_means", "benchmark_task_required")
SUBSET_INPUTS = ("benchmark_results", "language_sets")


def _ddl_type(t: pa.DataType) -> str:
    return {pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.string(): "VARCHAR",
            pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN", pa.timestamp("us"): "TIMESTAMP"}[t]


def _create_table(con, name: str, schema: pa.Schema) -> None:
    cols = ", ".join(f'"{f.name}" {_ddl_type(f.type)}' for f in schema)
    con.execute(f'CREATE TABLE IF NOT EXISTS "{name}" ({cols})')
    doc = (schema.metadata or {}).get(b"doc", b"").decode()
    if doc:
        con.execute(f"COMMENT ON TABLE \"{name}\" IS {_quote(doc)}")
    for f in schema:
        text = (f.metadata or {}).get(b"doc", b"").decode()
        if text:
            con.execute(f'COMMENT ON COLUMN "{name}"."{f.name}" IS {_quote(text)}')


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def prepare(final: Path) -> None:
    """Create the (empty) history tables in the build's database, so the views over them bind."""
    con = duckdb.connect(str(final / warehouse.DB_FILE))
    try:
        _create_table(con, TABLE, SCHEMA)
        _create_table(con, BUILDS_TABLE, BUILDS_SCHEMA)
    finally:
        con.close()


def menu_benchmarks(menu: dict) -> list[str]:
    """Benchmark names of the leaderboard menu, in menu order, without repeats."""
    names: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "benchmark" and isinstance(node.get("name"), str):
                names.append(node["name"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(menu)
    return list(dict.fromkeys(names))


# (the build being published, the current build) -> _previous_build's answer: asked 4 times
# per publish (the history, the default boards, the rank intervals, the flag changes), each
# check_build a stat of every Parquet file; one entry, for the publish under way
_PREVIOUS: dict[tuple[Path, Path], Path | None] = {}


def _previous_build(final: Path, warehouse_dir: Path | None) -> Path | None:
    """The current build, whose history is carried forward; when it is damaged, the newest
    whole build."""
    try:
        prev = warehouse.current_build(warehouse_dir)
    except warehouse.WarehouseError:
        return None
    key = (final.resolve(), prev.resolve())
    if key[0] == key[1]:
        return None
    if key in _PREVIOUS:
        return _PREVIOUS[key]
    found = prev if warehouse.check_build(prev) is None else next(
        (b for b in reversed(warehouse.list_builds(warehouse_dir))
         if b.resolve() != key[0] and warehouse.check_build(b) is None), None)
    _PREVIOUS.clear()
    _PREVIOUS[key] = found
    return found


def stale_benchmarks(con, final: Path, warehouse_dir: Path | None, table: str,
                     input_hashes: dict[str, str] | None, version: str
                     ) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """For a per-benchmark table a build derives from its menu benchmarks (rank_intervals,
    default_summaries): (the menu benchmarks to compute, each one's key, the previous build's
    keys). A key is the benchmark's input fingerprint (`input_hashes`, None: compute all) with
    `version`; a benchmark whose key the previous build recorded in its manifest under `table`
    (and whose table exists in this database) is carried over, not computed again."""
    menu = json.loads(con.execute("SELECT menu_json FROM catalog_info").fetchall()[0][0])
    names = menu_benchmarks(menu)
    keys = {n: f"{(input_hashes or {}).get(n)}|{version}" for n in names}
    prev_keys: dict[str, str] = {}
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                         [table]).fetchall()[0][0]
    prev = _previous_build(final, warehouse_dir)
    if exists and input_hashes and prev is not None:
        try:
            prev_keys = (warehouse.read_manifest(prev).get(table) or {}).get("keys") or {}
        except (OSError, ValueError):
            prev_keys = {}
    todo = [n for n in names if not input_hashes or prev_keys.get(n) != keys[n]]
    return todo, keys, prev_keys


def _carry_forward(prev: Path | None, final: Path) -> tuple[list[Path], pa.Table | None]:
    """Hard-link the previous build's history files into the new build (copy across devices)."""
    target = final / "parquet" / TABLE
    target.mkdir(parents=True, exist_ok=True)
    (final / "parquet" / BUILDS_TABLE).mkdir(parents=True, exist_ok=True)
    if prev is None:
        return [], None
    builds_file = prev / "parquet" / BUILDS_TABLE / f"{BUILDS_TABLE}.parquet"
    if not builds_file.is_file():  # the previous build predates the history
        return [], None
    files = []
    for source in sorted((prev / "parquet" / TABLE).glob("*.parquet")):
        dest = target / source.name
        _link(source, dest)
        files.append(dest)
    if (prev / "parquet" / PATHS).is_dir():
        (final / "parquet" / PATHS).mkdir(parents=True, exist_ok=True)
        for source in sorted((prev / "parquet" / PATHS).glob("*.parquet")):
            _link(source, final / "parquet" / PATHS / source.name)
    return files, pq.read_table(builds_file)


def _link(source: Path, dest: Path) -> None:
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)


def changed_paths(con, prev: Path | None, candidates: pa.Table | None = None) -> pa.Table:
    """The result files that differ between the previous build (`prev`) and this one (`con`'s
    database), from their `files` tables: A added, D deleted (a rename is D + A), M modified
    (another content hash), Q quarantined now (with the reason). Empty without a previous
    build. `candidates` (a `path` column): the only paths whose rows can differ, the others'
    being the previous build's rows as they were (an incremental build's: its rows made now
    and the paths gone, etl/build.py); only their rows are compared (the two tables of 104,747
    paths joined cost ~0.1 s of CPU)."""
    if prev is None:
        return pa.table({"status": pa.array([], pa.string()), "path": pa.array([], pa.string()),
                         "old_path": pa.array([], pa.string()),
                         "reason": pa.array([], pa.string())})
    con.execute(f"ATTACH {_quote(str(prev / warehouse.DB_FILE))} AS prev_build (READ_ONLY)")
    new, old = "files", "prev_build.files"
    if candidates is not None:
        con.register("history_candidates", candidates.select(["path"]))
        new, old = (f"(SELECT * FROM {t} WHERE path IN (SELECT path FROM history_candidates))"
                    for t in (new, old))
    try:
        return con.sql(f"""
            SELECT CASE WHEN o.path IS NULL THEN 'A' WHEN n.path IS NULL THEN 'D' ELSE 'M' END
                       AS status,
                   coalesce(n.path, o.path) AS path, NULL::VARCHAR AS old_path,
                   NULL::VARCHAR AS reason
            FROM {new} AS n FULL OUTER JOIN {old} AS o USING (path)
            WHERE o.path IS NULL OR n.path IS NULL
               OR n.content_hash IS DISTINCT FROM o.content_hash
            UNION ALL
            SELECT 'Q', n.path, NULL, n.reason
            FROM {new} AS n LEFT JOIN {old} AS o USING (path)
            WHERE n.status = 'quarantined'
              AND (o.path IS NULL OR o.status IS DISTINCT FROM 'quarantined'
                   OR n.content_hash IS DISTINCT FROM o.content_hash)
            ORDER BY path, status""").to_arrow_table()
    finally:
        if candidates is not None:
            con.unregister("history_candidates")
        con.execute("DETACH prev_build")


def _parse_time(text) -> dt.datetime:
    if isinstance(text, dt.datetime):
        return text.replace(tzinfo=None)
    if text:
        for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
            try:
                return dt.datetime.strptime(str(text), fmt)
            except ValueError:
                pass
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def snapshot(con, benchmarks: list[str] | None = None, frames: str | None = None) -> None:
    """Fill a temp table `lb_snapshot` with the leaderboards of `benchmarks` (default: the menu's),
    as the official tables compute them with default filters (registered models only): per model
    lb_summary(bench, NULL, NULL, NULL, public_only, true, by_subset) (rank, means) and its
    per-task scores lb_task_scores(bench, NULL, NULL, NULL, false, true), as mteb_lb/rankings.py
    calls them for the summary and the per-task table.

    `frames`: a table holding these lb_summary rows already (the build's default_summaries,
    etl/default_summaries.py: the default boards are computed once per build); without it they
    are computed here by the same function (default_summaries.default_frames: every benchmark
    in one LATERAL query, 3-5x faster than a query per benchmark, tests/test_history.py
    compares)."""
    if benchmarks is None:
        menu = json.loads(con.execute("SELECT menu_json FROM catalog_info").fetchall()[0][0])
        benchmarks = menu_benchmarks(menu)
    rows = {r["name"]: r for r in con.sql(
        "SELECT name, summary_sort_column FROM benchmarks").to_arrow_table().to_pylist()}
    con.execute("""CREATE OR REPLACE TEMP TABLE lb_snapshot (
        benchmark VARCHAR, model_name VARCHAR, key VARCHAR, rank INTEGER, score DOUBLE,
        mean_task_type DOUBLE, mean_public DOUBLE, mean_private DOUBLE, mean_subset DOUBLE)""")
    if frames is None:
        flags = default_summaries.default_frames(con, benchmarks, "snap_summary")
    else:
        flags = default_summaries.default_flags(con, benchmarks)
        # a view: the frames' rows are read where they are (copying them with their task
        # score maps cost ~0.06-0.09 s of CPU per rerun)
        con.execute("CREATE OR REPLACE TEMP TABLE snap_names AS "
                    "SELECT unnest($names::VARCHAR[]) AS benchmark", {"names": list(flags)})
        con.execute(f'CREATE OR REPLACE TEMP VIEW snap_summary AS SELECT * FROM "{frames}" '
                    "WHERE benchmark IN (SELECT benchmark FROM temp.snap_names)")
    if not flags:
        _drop_snap(con, frames)
        return
    # the rank the table shows: lb_summary's position where the benchmark ranks by its own sort
    # columns (MIEB, ViDoRe), the Borda rank elsewhere
    positional = [n for n in flags if rows[n].get("summary_sort_column") is not None]
    con.execute("""
        INSERT INTO lb_snapshot
        SELECT benchmark, model_name, '',
               CASE WHEN list_contains($positional::VARCHAR[], benchmark) THEN position
                    ELSE borda_rank END,
               mean_task * 100, mean_task_type * 100, mean_public * 100, mean_private * 100,
               mean_subset * 100
        FROM snap_summary""", {"positional": positional})
    # per-task rows: the summary's own task scores, unless it counts public tasks only
    con.execute("""
        INSERT INTO lb_snapshot (benchmark, model_name, key, score)
        SELECT benchmark, model_name, unnest(map_keys(task_score_map)),
               unnest(map_values(task_score_map)) * 100
        FROM snap_summary
        WHERE list_contains($names::VARCHAR[], benchmark)""",
                {"names": [n for n, (po, _bs) in flags.items() if not po]})
    public_only = [n for n, (po, _bs) in flags.items() if po]
    if public_only:
        con.execute("""
            INSERT INTO lb_snapshot (benchmark, model_name, key, score)
            SELECT b.benchmark, t.model_name, t.task_name, t.score * 100
            FROM (SELECT unnest($names::VARCHAR[]) AS benchmark) AS b,
                 LATERAL lb_task_scores(b.benchmark, NULL, NULL, NULL, false, true) AS t
            WHERE t.in_pivot""", {"names": public_only})
    _drop_snap(con, frames)


def _drop_snap(con, frames: str | None) -> None:
    """Drop `snapshot`'s temp relations (a table of the frames computed, or a view of `frames`)."""
    if frames is None:
        con.execute("DROP TABLE snap_summary")
    else:
        con.execute("DROP VIEW snap_summary")
        con.execute("DROP TABLE snap_names")


def _sums(con, table: str, benchmarks: list[str] | None = None):
    """count(*) and the sum of the row hashes of `table` (per benchmark of `benchmarks`)."""
    if benchmarks is None:
        return con.execute(f'SELECT count(*), sum(hash(r)::HUGEINT) FROM "{table}" AS r'
                           ).fetchall()[0]
    return {b: (n, h) for b, n, h in con.execute(
        f'SELECT benchmark, count(*), sum(hash(r)::HUGEINT) FROM "{table}" AS r '
        "WHERE list_contains($names::VARCHAR[], benchmark) GROUP BY benchmark",
        {"names": benchmarks}).fetchall()}


def input_hashes(con, benchmarks: list[str]) -> dict[str, str]:
    """A fingerprint of everything a benchmark's leaderboard is computed from: its rows of
    BOARD_INPUTS (and of SUBSET_INPUTS for a benchmark ranked by subset) and the catalog tables.
    Equal fingerprints, equal leaderboards: the snapshot, default board and rank intervals of
    such a benchmark are not computed again (a refresh usually touches few). These are the
    tables the ranking macros read in the default state (tests/test_history.py checks their
    plans): the per-task means (~190 k rows), not the 5 M rows of benchmark_results."""
    catalog = "|".join([SNAPSHOT_VERSION] + [str(_sums(con, t)) for t in CATALOG_INPUTS])
    by_subset = [n for n, (_po, subset) in default_summaries.default_flags(con, benchmarks).items()
                 if subset]
    per_bench = {b: [] for b in benchmarks}
    for table in BOARD_INPUTS:
        sums = _sums(con, table, benchmarks)
        for b in benchmarks:
            per_bench[b].append(sums.get(b))
    if by_subset:
        sums = _sums(con, SUBSET_INPUTS[0], by_subset)
        languages = _sums(con, SUBSET_INPUTS[1])
        for b in by_subset:
            per_bench[b] += [sums.get(b), languages]
    return {b: hashlib.blake2b(f"{catalog}|{b}|{per_bench[b]}".encode(),
                               digest_size=16).hexdigest() for b in benchmarks}


def _holds(con, carried: list[Path]) -> bool:
    """Whether the table holds exactly the rows of the carried files already (the database of
    an incremental build is a copy of the previous build's, whose table was filled from these
    files): the same (build_seq, build_id) per file (its name) and the same number of rows.
    The files are never rewritten (hard links), so then the rows are theirs."""
    want = sorted(tuple(p.stem.split("-", 1)) for p in carried)
    have = con.execute(f'SELECT DISTINCT lpad(build_seq::VARCHAR, 6, \'0\'), build_id '
                       f'FROM "{TABLE}" ORDER BY ALL').fetchall()
    if [tuple(r) for r in have] != want:
        return False
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in carried)
    return con.execute(f'SELECT count(*) FROM "{TABLE}"').fetchall()[0][0] == rows


def _delta(con, carried: bool) -> None:
    """The temp table `lb_delta`: the rows of `lb_snapshot` that differ from the history's state
    (per (benchmark, model_name, key) of the benchmarks in `lb_scope`: its newest row), and a
    `removed` row for each key of that state the snapshot no longer has. One full outer join of
    the snapshot with the state (a left join and an anti-join read the state twice). Nothing
    `carried` (a first build): the history is empty, every snapshot row is new."""
    if not carried:
        con.execute("CREATE TEMP TABLE lb_delta AS SELECT *, false AS removed FROM lb_snapshot")
        return
    changed = " OR ".join(f"s.{c} IS DISTINCT FROM p.{c}" for c in VALUE_COLUMNS)
    values = ", ".join(f"s.{c}" for c in VALUE_COLUMNS)
    con.execute(f"""
        CREATE TEMP TABLE lb_delta AS
        WITH prev_state AS (
            SELECT * FROM "{TABLE}"
            WHERE benchmark IN (SELECT benchmark FROM lb_scope)
            QUALIFY row_number() OVER (PARTITION BY benchmark, model_name, key
                                       ORDER BY build_seq DESC) = 1
        )
        SELECT coalesce(s.benchmark, p.benchmark) AS benchmark,
               coalesce(s.model_name, p.model_name) AS model_name,
               coalesce(s.key, p.key) AS key, {values}, s.benchmark IS NULL AS removed
        FROM lb_snapshot AS s
        FULL OUTER JOIN prev_state AS p
          ON s.benchmark = p.benchmark AND s.model_name = p.model_name AND s.key = p.key
        WHERE CASE WHEN s.benchmark IS NULL THEN NOT p.removed
                   ELSE p.benchmark IS NULL OR p.removed OR {changed} END""")


def record(final: Path, manifest: dict, warehouse_dir: Path | None = None,
           boards_ready=None, changed: tuple[Path, pa.Table] | None = None) -> dict:
    """Compute the build's leaderboard snapshot, store its delta against the history carried
    forward from the previous build, and fill the history tables. Returns manifest fields
    (`history.files`: the result files added, changed and removed since the previous build,
    which `mteb-lb refresh` records). `boards_ready(con, input_hashes)`, when given, is called
    once the default boards are stored (etl/build.py starts the rank intervals there, in a
    thread of their own). `changed`: (the build this one was made from, the only paths whose
    `files` rows can differ from its: `changed_paths`' candidates), used when that build is the
    one the history compares with."""
    started = time.monotonic()
    prev = _previous_build(final, warehouse_dir)
    carried, builds = _carry_forward(prev, final)
    builds_rows = builds.to_pylist() if builds is not None else []
    seq = max((r["build_seq"] for r in builds_rows), default=0) + 1
    build_id = manifest.get("build_id") or final.name
    built_at = _parse_time(manifest.get("built_at"))
    prev_hashes = {}
    if carried:
        try:
            prev_hashes = (warehouse.read_manifest(prev).get("history") or {}).get(
                "input_hashes") or {}
        except (OSError, ValueError):
            prev_hashes = {}
    con = duckdb.connect(str(final / warehouse.DB_FILE))
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        if not _holds(con, carried):   # an incremental build's copy holds them already
            con.execute(f'DELETE FROM "{TABLE}"')
            if carried:
                con.execute(f'INSERT INTO "{TABLE}" SELECT * FROM read_parquet(?)',
                            [[str(p) for p in carried]])
        menu = json.loads(con.execute("SELECT menu_json FROM catalog_info").fetchall()[0][0])
        benchmarks = menu_benchmarks(menu)
        hashes = input_hashes(con, benchmarks)
        todo = [b for b in benchmarks if prev_hashes.get(b) != hashes[b]]
        gone = [r[0] for r in con.execute(f'SELECT DISTINCT benchmark FROM "{TABLE}"').fetchall()
                if r[0] not in hashes]
        # the default boards, computed once: stored (default_summaries) and read by the snapshot
        boards_todo, keys, prev_keys = stale_benchmarks(
            con, final, warehouse_dir, default_summaries.TABLE, hashes, default_summaries.VERSION)
        boards = default_summaries.store(con, boards_todo, keys, bool(prev_keys))
        boards[default_summaries.TABLE].update(default_summaries.write_file(con, final))
        if boards_ready is not None:
            boards_ready(con, hashes)
        snapshot(con, todo, frames=default_summaries.TABLE)
        # only these benchmarks can have changed; the others keep their rows as they are
        con.execute("CREATE OR REPLACE TEMP TABLE lb_scope AS "
                    "SELECT unnest($b::VARCHAR[]) AS benchmark",
                    {"b": todo + gone})
        _delta(con, bool(carried))
        delta = db.query_arrow(
            con, "SELECT $seq::INTEGER AS build_seq, $id AS build_id, $at::TIMESTAMP AS built_at, "
            "* FROM lb_delta ORDER BY benchmark, model_name, key",
            {"seq": seq, "id": build_id, "at": built_at}).cast(SCHEMA)
        if delta.num_rows:
            write_parquet(delta, final / "parquet" / TABLE / f"{seq:06d}-{build_id}.parquet")
            con.execute(f'INSERT INTO "{TABLE}" SELECT * FROM delta')
        try:   # the causes of what moved, if cheap: a diff of the two builds' file lists
            same = changed is not None and prev is not None \
                and changed[0].resolve() == prev.resolve()
            paths = changed_paths(con, prev, changed[1] if same else None)
        except duckdb.Error:   # a previous build without a readable files table
            paths = None
        files = None if paths is None or prev is None else {
            f"files_{name}": pc.sum(pc.equal(paths.column("status"), status)).as_py() or 0
            for name, status in (("added", "A"), ("changed", "M"), ("removed", "D"))}
        if paths is not None:
            paths = paths.add_column(0, "seq", pa.array([seq] * paths.num_rows, pa.int32()))
            (final / "parquet" / PATHS).mkdir(parents=True, exist_ok=True)
            write_parquet(paths, final / "parquet" / PATHS / f"{seq:06d}-{build_id}.parquet")
        builds_rows.append({"build_seq": seq, "build_id": build_id, "built_at": built_at,
                            "source_commit": manifest.get("source_commit"),
                            "previous_build_id": prev.name if prev is not None else None,
                            "rows_added": delta.num_rows})
        builds_table = pa.Table.from_pylist(builds_rows, BUILDS_SCHEMA)
        write_parquet(builds_table, final / "parquet" / BUILDS_TABLE / f"{BUILDS_TABLE}.parquet")
        con.execute(f'DELETE FROM "{BUILDS_TABLE}"')
        con.execute(f'INSERT INTO "{BUILDS_TABLE}" SELECT * FROM builds_table')
        total = con.execute(f'SELECT count(*) FROM "{TABLE}"').fetchall()[0][0]
        n_snapshot = con.execute("SELECT count(*) FROM lb_snapshot").fetchall()[0][0]
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {**boards,
            "history": {"build_seq": seq, "rows_added": delta.num_rows, "rows_total": total,
                        "benchmarks_computed": len(todo), "snapshot_rows": n_snapshot,
                        "previous_build": prev.name if prev is not None else None,
                        "files": files,
                        "seconds": round(time.monotonic() - started, 3),
                        "input_hashes": hashes}}
