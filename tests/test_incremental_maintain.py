"""etl/maintain.py: a view materialized per (benchmark, model_name) is recomputed for the
(benchmark, model) keys whose rows changed only, and the incremental build still equals a full
rebuild; the scratch database gets only the views the per-pair tables need."""

from __future__ import annotations

import dataclasses

import duckdb
import fixtures as fx
import pytest
import refresh_fixtures as rf

import queries
from etl import maintain
from mteb_lb import warehouse

pytestmark = pytest.mark.usefixtures("max_file_bytes")

MODEL, REVISION, TASK = "org/current-model", "external", "SciFact"


@pytest.fixture
def two_views(tmp_path):
    # two benchmarks with a per-language view: the changed task (SciFact) is in one only
    with_task = fx.make_benchmark("WithSciFact(v1)", ["NFCorpus", "SciFact"], language_view="all")
    without = fx.make_benchmark("NoSciFact(v1)", ["NFCorpus", "DBPedia"], language_view="all")
    return rf.variant_build(tmp_path, [with_task, without])[:3]


def _rows(build_dir, sql):
    con = duckdb.connect(str(build_dir / warehouse.DB_FILE), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_language_means_recomputed_for_the_changed_benchmark_only(two_views, tmp_path):
    repo, wh, cat = two_views
    before = warehouse.current_build(wh)
    untouched = _rows(before, "SELECT * FROM benchmark_language_means "
                              "WHERE benchmark = 'NoSciFact(v1)' ORDER BY ALL")
    assert untouched  # the other benchmark has rows of this model, which must stay
    path = fx.write_result(repo, MODEL, REVISION, TASK,
                           fx.simple_result(TASK, 0.37))
    fx.bump_mtime(path, 37)
    report = rf.run_build(repo, wh, cat)
    assert report.published and report.parsed == 1
    built = report.build
    manifest = warehouse.read_manifest(built)
    assert manifest["database"]["updated"]["affected_pairs"] == 1
    # SciFact (English) has one row per language of the "all" view in WithSciFact only: the
    # recomputed rows are the model's rows of that benchmark, none of NoSciFact
    changed = _rows(built, "SELECT count(*) FROM benchmark_language_means "
                           f"WHERE benchmark = 'WithSciFact(v1)' AND model_name = '{MODEL}'")
    assert manifest["database"]["updated"]["benchmark_language_means"] == changed[0][0] > 0
    # benchmark_language_keyed: the model's key in WithSciFact holds one row per task
    # (NFCorpus, SciFact); its (revision, task) set is the same, so only SciFact's is recomputed
    assert manifest["database"]["updated"]["benchmark_language_keyed"] == 1
    # benchmark_task_required (per (benchmark, task_name)): a changed score leaves the key's
    # scored subsets and splits as they were: no row recomputed (its `@same set`)
    assert manifest["database"]["updated"]["benchmark_task_required"] == 0
    assert _rows(built, "SELECT * FROM benchmark_language_means "
                        "WHERE benchmark = 'NoSciFact(v1)' ORDER BY ALL") == untouched
    # the new score reached that benchmark's means of the model (checked against a full
    # rebuild below), the other benchmark's rows are the previous build's
    assert _rows(built, "SELECT * FROM benchmark_language_means "
                        "WHERE benchmark = 'WithSciFact(v1)' ORDER BY ALL") != _rows(
        before, "SELECT * FROM benchmark_language_means "
                "WHERE benchmark = 'WithSciFact(v1)' ORDER BY ALL")
    twin = rf.run_build(repo, tmp_path / "full", cat, full=True).build
    a, b = rf.tables(built), rf.tables(twin)
    assert sorted(a) == sorted(b)
    for table in a:
        assert a[table] == b[table], f"{table} differs from a full rebuild"


def test_model_task_lists_recomputed_for_the_changed_benchmark_only(two_views, tmp_path):
    """benchmark_model_tasks is kept per benchmark (a task's ranks and required pairs depend on
    every model's rows of it): one changed score of SciFact recomputes every row of the
    benchmark holding SciFact and none of the other one, whose rows stay the previous build's;
    the table equals a full rebuild's. (Recomputed in full, as before, the manifest counts no
    rows for it.)"""
    repo, wh, cat = two_views
    lists = "SELECT * FROM benchmark_model_tasks WHERE benchmark = '{}' ORDER BY ALL"
    before = warehouse.current_build(wh)
    untouched = _rows(before, lists.format("NoSciFact(v1)"))
    assert untouched
    fx.bump_mtime(fx.write_result(repo, MODEL, REVISION, TASK, fx.simple_result(TASK, 0.37)), 37)
    report = rf.run_build(repo, wh, cat)
    assert report.published and report.parsed == 1
    recomputed = _rows(report.build, lists.format("WithSciFact(v1)"))
    assert recomputed != _rows(before, lists.format("WithSciFact(v1)"))   # the new score is in
    updated = warehouse.read_manifest(report.build)["database"]["updated"]
    assert updated["benchmark_model_tasks"] == len(recomputed) > 0
    assert _rows(report.build, lists.format("NoSciFact(v1)")) == untouched
    twin = rf.run_build(repo, tmp_path / "full", cat, full=True).build
    table = "benchmark_model_tasks"
    assert rf.tables(report.build)[table] == rf.tables(twin)[table]


def _refresh_statements(two_views, monkeypatch) -> list[str]:
    """The statements (whitespace folded) maintain.refresh runs for an incremental build after one
    changed score of the two-view fixture."""
    repo, wh, cat = two_views
    statements: list[str] = []

    class Recording:
        def __init__(self, con):
            self._con = con

        def __getattr__(self, name):
            return getattr(self._con, name)

        def execute(self, sql, *args):
            statements.append(" ".join(str(sql).split()))
            return self._con.execute(sql, *args)

    refresh = maintain.refresh
    monkeypatch.setattr(maintain, "refresh", lambda con: refresh(Recording(con)))
    fx.bump_mtime(fx.write_result(repo, MODEL, REVISION, TASK, fx.simple_result(TASK, 0.37)), 37)
    assert rf.run_build(repo, wh, cat).published
    return statements


def test_scratch_catalogs_get_only_the_inputs_their_views_name(two_views, monkeypatch):
    """Each scratch catalog gets views of the build's tables that its views name, no others
    (binding every input there cost ~0.2 s of CPU per 1 % rerun): benchmark_language_means reads
    benchmark_language_keyed only and benchmark_task_required benchmark_results only, so their
    catalogs get that one table each (language_task_lists reads language_score_lists, whose
    column `scores` is also the word of the scores table: its catalog gets a view of both); the
    per-pair tables' catalog gets metric_arrays (benchmark_task_spread reads it) but not the
    history or the other build tables."""
    statements = _refresh_statements(two_views, monkeypatch)

    def inputs(catalog: str) -> list[list[str]]:
        out: list[list[str]] = []
        for sql in statements:
            if sql == f"ATTACH ':memory:' AS {catalog}":
                out.append([])
            elif sql.startswith(f"CREATE VIEW {catalog}.") and " AS SELECT " in sql:
                out[-1].append(sql.split(".", 1)[1].split(" ")[0].strip('"'))
        return out

    # in dependency order: keyed, means, required, task lists, the task columns
    # (benchmark_task_scored), uncovered, the task language sets, the revision flags, the
    # per-model task lists (benchmark_model_tasks: per benchmark), the per-(model, task) score
    # lists (benchmark_task_score_lists, after the task language sets whose places they hold)
    keyed = inputs(maintain.KEYED)
    assert len(keyed) == 10
    assert ["benchmark_language_keyed"] in keyed and ["benchmark_results"] in keyed
    assert ["scores", "language_score_lists"] in keyed
    # its column `scores` names the scores table too
    assert ["scores", "benchmark_pair_repeats", "benchmark_results",
            "benchmark_task_language_sets"] in keyed
    # benchmark_model_tasks reads four inputs, and names a column `scores` as language_task_lists
    # does: its catalog gets a view of the scores table too
    lists = ["model_registry", "model_training", "scores", "benchmark_task_means",
             "benchmark_task_required"]
    assert lists in keyed
    assert all(len(names) <= 4 for names in keyed if names != lists)
    scratch = inputs(maintain.SCRATCH)
    assert len(scratch) == 1
    assert "metric_arrays" in scratch[0] and "tasks" in scratch[0]
    assert not {"leaderboard_history", "superseded_files", "default_summaries"} & set(scratch[0])


def test_scratch_views_created_once_each(two_views, monkeypatch):
    """Every queries/ view a scratch catalog needs is created there once: in dependency order,
    no CREATE fails for a view it reads not being there yet and is tried again (each failed
    CREATE binds: base code, 63 CREATEs for 29 views at 1 %). A per-pair view is created once
    the per-pair tables it reads are tables of the catalog (computed before it): there is one
    CREATE VIEW per view, and the one of benchmark_task_flags comes after quality_entry_flags'
    rows are stored as a table there."""
    statements = _refresh_statements(two_views, monkeypatch)
    names = {v.name for v in queries.all_views() if not v.is_macro}
    created: list[list[str]] = []   # per scratch catalog, the queries/ views created
    for sql in statements:
        if sql.startswith("ATTACH ':memory:' AS "):
            created.append([])
        elif sql.startswith("CREATE OR REPLACE VIEW "):
            name = sql.split('"')[1]
            if name in names:
                created[-1].append(name)
    assert len(created) == 11   # the per-pair tables' catalog and the 10 keyed views' ones
    for views in created:
        assert len(views) == len(set(views)), sorted(v for v in views if views.count(v) > 1)
    flags_view = statements.index(next(s for s in statements if s.startswith(
        'CREATE OR REPLACE VIEW "benchmark_task_flags"')))
    stored = statements.index(f'CREATE TABLE {maintain.SCRATCH}."quality_entry_flags" AS '
                              "SELECT * FROM pair_rows")
    assert stored < flags_view


def test_keyed_view_must_read_a_per_pair_table_holding_its_key():
    views = {v.name: v for v in queries.all_views()}
    by_pair = [v for v in views.values() if v.grain == ("model_name", "task_name")]
    by_key = [v for v in views.values() if v.grain == ("benchmark", "model_name")]
    means = views["benchmark_language_means"]
    # means reads benchmark_language_keyed (same grain), which reads benchmark_language_rows
    assert "benchmark_language_rows" not in queries.uses([means, *by_pair])[means.name]
    assert maintain._key_sources(means, by_pair, {"benchmark_language_rows": {
        "benchmark", "model_name", "task_name"}}, by_key) == ["benchmark_language_rows"]
    # quality_revision_flags reads benchmark_results through flag_mixed_revisions (a view)
    flags, plain = views["quality_revision_flags"], [v for v in views.values()
                                                     if not v.materialize]
    results = {"benchmark_results": {"benchmark", "model_name", "task_name"}}
    assert maintain._key_sources(flags, by_pair, results, by_key, plain) == ["benchmark_results"]
    with pytest.raises(RuntimeError, match="quality_revision_flags is materialized"):
        maintain._key_sources(flags, by_pair, results, by_key)   # the view not followed
    bad = dataclasses.replace(means, name="means_of_scores",
                              sql="SELECT benchmark, model_name FROM scores")
    with pytest.raises(RuntimeError, match=r"means_of_scores is materialized per \(benchmark, "
                                           r"model_name\) but reads no table"):
        maintain._key_sources(bad, by_pair, {"benchmark_language_rows": {
            "benchmark", "model_name", "task_name"}})


def test_scratch_gets_the_closure_of_the_per_pair_views_only():
    def view(name, sql, materialize=False):
        return queries.View(name, sql, "", {}, False, materialize, ())

    a = view("a", "SELECT * FROM b JOIN scores USING (x)")
    b = view("b", "SELECT * FROM c")
    c = view("c", "SELECT 1 AS x")
    unrelated = view("d", "SELECT * FROM a")
    assert [v.name for v in queries.closure([a, b, c, unrelated], [a])] == ["a", "b", "c"]
    # a view read as a table (materialized) is needed, what it reads is not
    assert [v.name for v in queries.closure([a, b, c, unrelated], [a], frozenset({"b"}))] \
        == ["a", "b"]


def test_per_pair_tables_in_dependency_order():
    def view(name, sql):
        return queries.View(name, sql, "", {}, False, True, ("model_name", "task_name"))

    flags = view("flags", "SELECT * FROM rows JOIN entry USING (x)")
    rows = view("rows", "SELECT * FROM scores")
    entry = view("entry", "SELECT * FROM rows")
    # each after what it reads: its new rows are then a table in the scratch database
    assert [v.name for v in queries.dependency_order([flags, rows, entry])] \
        == ["rows", "entry", "flags"]
    # two that read each other (a cycle): the given order
    one, two = view("one", "SELECT * FROM two"), view("two", "SELECT * FROM one")
    assert [v.name for v in queries.dependency_order([two, one])] == ["two", "one"]


def test_a_name_in_a_comment_is_not_a_dependency():
    """A view's header may name the views it stands beside: only its code counts (a string
    literal is code), in the closure, the order and the keyed views' sources alike."""
    def view(name, sql):
        return queries.View(name, sql, "", {}, False, False, ())

    spread = view("spread", "-- the same as request_macro computes\nSELECT * FROM frame")
    frame = view("frame", "SELECT '--' AS dashes, * FROM rows -- not request_macro")
    request_macro = view("request_macro", "SELECT * FROM frame")
    rows = view("rows", "SELECT 1 AS x")
    everything = [spread, frame, request_macro, rows]
    assert queries.uses(everything) == {
        "spread": {"frame"}, "frame": {"rows"}, "request_macro": {"frame"}, "rows": set()}
    assert [v.name for v in queries.closure(everything, [spread])] == ["spread", "frame", "rows"]
    # the build's tables a scratch catalog needs for some views: those their code names
    assert queries.named_by([spread, frame], ["rows", "request_macro", "scores", "frame"]) \
        == {"frame", "rows"}
    assert [v.name for v in queries.dependency_order([spread, request_macro, frame, rows])] \
        == ["rows", "frame", "spread", "request_macro"]


def test_a_name_counts_only_as_a_whole_word():
    """A view names another only as a whole word: not inside a longer identifier (`rows` in
    `rows_x`, `x_rows`, `rows2`), but beside punctuation, a schema, quotes or a string's
    edges; a name that is not an identifier (a dot in it) is found as a word too."""
    def view(name, sql):
        return queries.View(name, sql, "", {}, False, False, ())

    names = ["rows", "rows_x", "frame", "a.b"]
    found = queries.named_by
    assert found([view("v", "SELECT * FROM rows_x JOIN x_rows USING (rows2)")], names) \
        == {"rows_x"}
    assert found([view("v", 'FROM main."rows", lb(\'frame\') -- rows')], names) \
        == {"rows", "frame"}
    assert found([view("v", "FROM rows.frame, a.b, xa.bx")], names) == {"rows", "frame", "a.b"}
    assert found([view("v", "SELECT 1")], []) == set()


def test_keyed_rows_of_a_key_whose_set_changed_are_all_recomputed(two_views, tmp_path):
    """A new (revision, task) of a model shifts the sort key of its other rows in that
    benchmark (benchmark_language_keyed ranks the key's (revision, task) pairs): the whole key
    is recomputed, not only the changed pair's rows, and the build equals a full rebuild."""
    repo, wh, cat = two_views
    key = ("SELECT task_name, sort_key FROM benchmark_language_keyed WHERE benchmark = "
           f"'WithSciFact(v1)' AND model_name = '{MODEL}' ORDER BY ALL")
    # (aaaa..., NFCorpus) ranks 1st, (external, SciFact) 2nd: sort keys 1 and 2 times 2^32
    assert _rows(warehouse.current_build(wh), key) == [("NFCorpus", 2**32), ("SciFact", 2**33)]
    # SciFact's result moves from the revision folder `external` to 000...
    moved = fx.write_result(repo, MODEL, REVISION, TASK, fx.simple_result(TASK, 0.41))
    fx.write_result(repo, MODEL, "0" * 40, TASK, moved.read_bytes())
    moved.unlink()
    report = rf.run_build(repo, wh, cat)
    assert report.published and report.parsed == 1
    # (000..., SciFact) now ranks 1st: NFCorpus's row (a pair that did not change) moves to 2nd
    assert _rows(report.build, key) == [("NFCorpus", 2**33), ("SciFact", 2**32)]
    assert warehouse.read_manifest(report.build)["database"]["updated"][
        "benchmark_language_keyed"] == 2
    twin = rf.run_build(repo, tmp_path / "full", cat, full=True).build
    a, b = rf.tables(report.build), rf.tables(twin)
    assert sorted(a) == sorted(b)
    for table in a:
        assert a[table] == b[table], f"{table} differs from a full rebuild"


def test_uncovered_lists_follow_an_incremental_build(tmp_path):
    """benchmark_task_uncovered (per (benchmark, task_name), read by model filters) is kept by
    the incremental build: a model that covers a task partly gets its list of scored subsets
    and loses it once it covers the task, and the build equals a full rebuild (a build that
    skips the table fails both)."""
    bench = fx.make_benchmark("Xpqa(v1)", ["NFCorpus", "XPQARetrieval"])
    repo, wh, cat = rf.variant_build(tmp_path, [bench])[:3]
    task, pairs = "XPQARetrieval", {"eng-eng": ("eng-Latn", "eng-Latn"),
                                     "fra-fra": ("fra-Latn", "fra-Latn")}

    def result(subsets):
        return fx.current(task, {"test": [fx.entry(s, pairs[s], 0.4) for s in subsets]})

    lists = ("SELECT model_name, subsets, splits FROM benchmark_task_uncovered "
             f"WHERE benchmark = 'Xpqa(v1)' AND task_name = '{task}' ORDER BY ALL")
    fx.write_result(repo, "org/full", "r1", task, result(["eng-eng", "fra-fra"]))
    partial = fx.write_result(repo, "org/partial", "r1", task, result(["eng-eng"]))
    report = rf.run_build(repo, wh, cat)
    assert report.published and report.parsed == 2
    # org/full covers both subsets: no list of its own
    assert _rows(report.build, lists) == [("org/partial", ["eng-eng"], ["test"])]
    fx.write_result(repo, "org/partial", "r1", task, result(["eng-eng", "fra-fra"]))
    fx.bump_mtime(partial, 11)
    report = rf.run_build(repo, wh, cat)
    assert report.published and report.parsed == 1
    assert _rows(report.build, lists) == []
    twin = rf.run_build(repo, tmp_path / "full", cat, full=True).build
    a, b = rf.tables(report.build), rf.tables(twin)
    assert a["benchmark_task_uncovered"] == b["benchmark_task_uncovered"]
    for table in a:
        assert a[table] == b[table], f"{table} differs from a full rebuild"


def test_required_pairs_recomputed_when_the_scored_pairs_change(tmp_path):
    """benchmark_task_required (distinct scored subsets x splits per (benchmark, task)) keeps a
    key's row when the changed results name the same (split, subset, registry, scored) values,
    and recomputes it when they do not; the build equals a full rebuild. Treating every key as
    unchanged fails the last step (the row would stay at 2 pairs)."""
    bench = fx.make_benchmark("Xpqa(v1)", ["NFCorpus", "XPQARetrieval"])
    repo, wh, cat = rf.variant_build(tmp_path, [bench])[:3]
    task = "XPQARetrieval"
    required = ("SELECT required_all FROM benchmark_task_required "
                f"WHERE benchmark = 'Xpqa(v1)' AND task_name = '{task}'")
    # the fixture's legacy XPQA file scores eng-eng and fra-fra (fr renamed) on test
    legacy = list(repo.rglob(f"{task}.json"))
    assert len(legacy) == 1
    assert _rows(warehouse.current_build(wh), required) == [(2,)]   # 2 subsets x 1 split
    path = fx.write_result(repo, "org/a", "r1", task, fx.current(task, {"test": [
        fx.entry("eng-eng", ("eng-Latn", "eng-Latn"), 0.4)]}))
    report = rf.run_build(repo, wh, cat)
    assert report.published and report.parsed == 1
    fx.write_result(repo, "org/a", "r1", task, fx.current(task, {"test": [
        fx.entry("eng-eng", ("eng-Latn", "eng-Latn"), 0.5)]}))   # another score
    fx.bump_mtime(path, 11)
    report = rf.run_build(repo, wh, cat)
    assert report.published and report.parsed == 1
    assert warehouse.read_manifest(report.build)["database"]["updated"][
        "benchmark_task_required"] == 0
    assert _rows(report.build, required) == [(2,)]
    legacy[0].unlink()   # only org/a's eng-eng is left: 1 subset x 1 split
    report = rf.run_build(repo, wh, cat)
    assert report.published
    assert warehouse.read_manifest(report.build)["database"]["updated"][
        "benchmark_task_required"] == 1
    assert _rows(report.build, required) == [(1,)]
    twin = rf.run_build(repo, tmp_path / "full", cat, full=True).build
    a, b = rf.tables(report.build), rf.tables(twin)
    for table in a:
        assert a[table] == b[table], f"{table} differs from a full rebuild"


def test_score_lists_renumber_a_task_that_gains_a_language_set(tmp_path):
    """benchmark_task_score_lists (per (benchmark, task_name), `@stable set` of the rows'
    language sets) holds each model's scores in row order with each row's language set's place
    among the task's: a changed score keeps the task's sets, so only that model's list is
    recomputed; a new language set renumbers the task's places, so every model's list of it is,
    and each place still names the row's set; the build equals a full rebuild. The new set sorts
    first: recomputing only the changed pair would leave the legacy model's places at (1, 2)
    where its sets are now 2nd and 3rd."""
    bench = fx.make_benchmark("Xpqa(v1)", ["NFCorpus", "XPQARetrieval"])
    repo, wh, cat = rf.variant_build(tmp_path, [bench])[:3]
    task = "XPQARetrieval"
    # each list's (score, ISO codes of its row's set) in row order, through the places
    lists = ("SELECT l.model_name = 'org/a' AS mine, list((l.score, ls.iso_codes) "
             "ORDER BY l.i) FROM (SELECT benchmark, model_name, task_name, "
             "unnest(scores) AS score, unnest(set_positions) AS place, "
             "generate_subscripts(scores, 1) AS i FROM benchmark_task_score_lists) AS l "
             "JOIN (SELECT DISTINCT benchmark, task_name, set_position, language_set "
             "FROM benchmark_task_language_sets) AS p ON p.benchmark = l.benchmark "
             "AND p.task_name = l.task_name AND p.set_position = l.place "
             "JOIN language_sets AS ls ON ls.language_set = p.language_set "
             f"WHERE l.task_name = '{task}' GROUP BY ALL ORDER BY ALL")
    eng, fra_deu = ("eng-Latn", "eng-Latn"), ("fra-Latn", "deu-Latn")

    def write(entries):
        return fx.write_result(repo, "org/a", "r1", task, fx.current(task, {"test": [
            fx.entry(subset, languages, score) for subset, languages, score in entries]}))

    # the legacy file scores fr 0.5 and eng-eng 0.6; fr renamed fra-fra (popped and added
    # again, as mteb's conversion does) comes last
    legacy = [(0.6, ["eng"]), (0.5, ["fra"])]
    path = write([("eng-eng", eng, 0.4)])
    report = rf.run_build(repo, wh, cat)
    assert report.published
    assert _rows(report.build, lists) == [(False, legacy), (True, [(0.4, ["eng"])])]
    write([("eng-eng", eng, 0.45)])   # another score, the same sets
    fx.bump_mtime(path, 11)
    report = rf.run_build(repo, wh, cat)
    assert report.published and report.parsed == 1
    assert warehouse.read_manifest(report.build)["database"]["updated"][
        "benchmark_task_score_lists"] == 1
    assert _rows(report.build, lists) == [(False, legacy), (True, [(0.45, ["eng"])])]
    # fra-fra scored with languages of its own: a language set new to the task
    write([("fra-fra", fra_deu, 0.3), ("eng-eng", eng, 0.45)])
    fx.bump_mtime(path, 22)
    report = rf.run_build(repo, wh, cat)
    assert report.published and report.parsed == 1
    assert warehouse.read_manifest(report.build)["database"]["updated"][
        "benchmark_task_score_lists"] == 2
    assert _rows(report.build, lists) == [
        (False, legacy), (True, [(0.3, ["deu", "fra"]), (0.45, ["eng"])])]
    twin = rf.run_build(repo, tmp_path / "full", cat, full=True).build
    a, b = rf.tables(report.build), rf.tables(twin)
    for table in a:
        assert a[table] == b[table], f"{table} differs from a full rebuild"


def test_an_updated_database_keeps_deleted_rows_until_created_afresh(two_views, tmp_path):
    """An incremental build's checkpoints do not vacuum (maintain.no_vacuum): the rows of the
    changed file's previous version stay stored, marked deleted, in every step of the publish
    (the history's and the intervals' connections included); a database created afresh holds
    none. With DuckDB's vacuum the small row groups of this fixture are merged: no row is left."""
    repo, wh, cat = two_views
    before = warehouse.current_build(wh)
    stored = ("SELECT estimated_size, (SELECT count(*) FROM scores) FROM duckdb_tables() "
              "WHERE table_name = 'scores'")
    assert _rows(before, stored)[0][0] == _rows(before, stored)[0][1]
    old_rows = _rows(before, "SELECT count(*) FROM scores "
                             f"WHERE model_name = '{MODEL}' AND task_name = '{TASK}'")[0][0]
    assert old_rows > 0
    path = fx.write_result(repo, MODEL, REVISION, TASK, fx.simple_result(TASK, 0.37))
    fx.bump_mtime(path, 37)
    report = rf.run_build(repo, wh, cat)
    assert report.published and report.parsed == 1
    assert warehouse.read_manifest(report.build)["database"]["updated"]
    total, live = _rows(report.build, stored)[0]
    assert total - live == old_rows
    twin = rf.run_build(repo, tmp_path / "full", cat, full=True).build
    assert _rows(twin, stored)[0] == (live, live)


def test_task_lists_recomputed_for_the_changed_languages_only(tmp_path):
    """language_task_lists is kept per (benchmark, model_name, language): a changed score of an
    English task recomputes the model's English row of the benchmark, not its German one (kept
    per (benchmark, model_name), both were;
    docs/PERFORMANCE.md §Session 22: the 1 % rerun (rerun15)), and the build still equals a
    full rebuild."""
    mixed = fx.make_benchmark("Mixed(v1)", ["SciFact", "GermanSTSBenchmark"], language_view="all")
    repo, wh, cat = rf.variant_build(tmp_path, [mixed])[:3]
    german = fx.simple_result("GermanSTSBenchmark", 0.6, languages=("deu-Latn",))
    fx.bump_mtime(fx.write_result(repo, MODEL, REVISION, "GermanSTSBenchmark", german), 36)
    assert rf.run_build(repo, wh, cat).published
    lists = ("SELECT language, score_lists FROM language_task_lists "
             f"WHERE benchmark = 'Mixed(v1)' AND model_name = '{MODEL}' ORDER BY language")
    before = _rows(warehouse.current_build(wh), lists)
    assert [r[0] for r in before] == ["deu-Latn", "eng-Latn"]
    fx.bump_mtime(fx.write_result(repo, MODEL, REVISION, TASK, fx.simple_result(TASK, 0.37)), 37)
    report = rf.run_build(repo, wh, cat)
    assert report.published and report.parsed == 1
    built = report.build
    assert warehouse.read_manifest(built)["database"]["updated"]["language_task_lists"] == 1
    after = _rows(built, lists)
    assert after[0] == before[0]               # German: as it was
    assert after[1][1] == [[pytest.approx(0.37)]]   # English: SciFact's new score
    twin = rf.run_build(repo, tmp_path / "full", cat, full=True).build
    a, b = rf.tables(built), rf.tables(twin)
    assert sorted(a) == sorted(b)
    for table in a:
        assert a[table] == b[table], f"{table} differs from a full rebuild"
