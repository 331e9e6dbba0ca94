"""The request path runs the ranking definition without its disabled branches (issue #16):
Leaderboard picks one of lb_task_scores' three sources (stored means, stored means with a
recount, rows) and runs lb_model_scores_of / lb_summary_of over it. Whatever the state, the rows
must be those of the general macro lb_summary (the union of the sources, every branch bound),
bit for bit, on every benchmark of the hand-built ranking warehouse (`lb` fixture)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from mteb_lb.rankings import (
    _MODEL_COVERED_SQL,
    _MODEL_DEFAULT_SQL,
    _TASK_LISTS_SQL,
    DEFAULTS,
    DEFAULTS_TABLE,
    EXCLUDE_LEVEL,
    MODEL_TASKS,
    MODEL_TASKS_TABLE,
    NULL_LANGUAGES,
    TASK_SCORED,
    TASK_SCORED_TABLE,
    TASK_SETS,
    UNCOVERED,
    Filters,
    TaskPresence,
    _model_scores_sql,
    _summary_sql,
    _task_scores_call,
    _task_scores_source,
)

UNCOVERED_TASKS = ("WITH s AS (FROM lb_task_means_stored($bench, $models, $tasks, $public_only, "
                   "$registry_only)) SELECT count(*) FROM lb_task_uncovered_of('s')")
GENERAL = ("SELECT * FROM lb_summary($bench, $models, $tasks, $langs, $public_only, "
           "$registry_only, $by_subset) ORDER BY position")


def states(lb, name: str) -> dict[str, Filters]:
    bench = lb.benchmark(name)
    models = sorted(r["Model"] for r in lb.summary(name).to_pylist())
    languages = lb.options(name).languages
    out = {"default": Filters(), "all models": Filters(all_models=True),
           "tasks": Filters(tasks=tuple(bench.task_names[:2])),
           "excluded warnings": Filters(exclude_flags="warning"),
           "excluded errors, models": Filters(exclude_flags="error",
                                              models=tuple(models[:2]) or None)}
    if models:
        out["models"] = Filters(models=tuple(models[1:]) or tuple(models))
        out["models, tasks, all"] = Filters(models=tuple(models[:2]), all_models=True,
                                            tasks=tuple(bench.task_names[-2:]))
    # the models covering some task incompletely (scored pairs, not all): alone, a task no
    # selected model covers completely has its pairs recounted
    partial = [r[0] for r in lb._query(
        "SELECT DISTINCT m.model_name FROM benchmark_task_means AS m JOIN "
        "benchmark_task_required AS r USING (benchmark, task_name) WHERE m.benchmark = $bench "
        "AND m.have_pairs > 0 AND m.have_pairs < r.required_all ORDER BY 1",
        {"bench": name}).to_pylist() for r in [tuple(r.values())]]
    if partial:
        out["incomplete models, all"] = Filters(models=tuple(partial), all_models=True)
        out["incomplete models"] = Filters(models=tuple(partial))
    if len(languages) > 1:
        out["language"] = Filters(languages=(languages[0],))
        out["language, models"] = Filters(languages=(languages[-1],),
                                          models=tuple(models[:3]) or None)
    return out


def full_params(lb, name: str, filters: Filters) -> dict | None:
    bench = lb.benchmark(name)
    params = lb._params(name, filters)
    if params is None:
        return None
    return {**params, "public_only": bench.public_only,
            "by_subset": "mean_subset" in bench.aggregations}


def test_request_path_equals_the_general_macro(lb):
    sources, compared, recounted = set(), 0, 0
    for name in lb.benchmarks():
        for label, filters in states(lb, name).items():
            params = full_params(lb, name, filters)
            if params is None:
                continue
            general = lb._query(GENERAL, params)
            # today's build (benchmark_task_uncovered, benchmark_null_languages) and one without
            # the tables (a past date)
            for variant in (params, {k: v for k, v in params.items()
                                     if k not in (UNCOVERED, NULL_LANGUAGES, TASK_SETS)}):
                fast = lb._query(_summary_sql(variant), variant)
                assert fast.equals(general), (name, label)
                assert fast.schema.names == general.schema.names
                if not params["by_subset"]:
                    sources.add(_task_scores_source(variant))
            if params["models"] is not None and params["langs"] is None:
                recounted += lb._query(UNCOVERED_TASKS, params).column(0)[0].as_py() > 0
            compared += 1
    # every source ran on some state (else the comparison proves nothing about it), and the
    # recount on a task that no selected model covers completely
    assert recounted >= 1
    assert sources == {"lb_task_scores_stored", "lb_task_scores_recount",
                       "lb_task_scores_recount_stored", "lb_task_scores_rows",
                       "lb_task_scores_language"}
    assert compared >= 30


@pytest.mark.parametrize("params, source", [
    ({"models": None, "langs": None, EXCLUDE_LEVEL: None}, "lb_task_scores_stored"),
    ({"models": ["m"], "langs": None, EXCLUDE_LEVEL: None}, "lb_task_scores_recount"),
    ({"models": ["m"], "langs": None, EXCLUDE_LEVEL: None, UNCOVERED: "t"},
     "lb_task_scores_recount_stored"),
    ({"models": None, "langs": None, EXCLUDE_LEVEL: None, UNCOVERED: "t"},
     "lb_task_scores_stored"),
    ({"models": ["m"], "langs": ["eng"], EXCLUDE_LEVEL: None, UNCOVERED: "t"},
     "lb_task_scores_rows"),
    ({"models": None, "langs": ["eng"], EXCLUDE_LEVEL: None, NULL_LANGUAGES: "t"},
     "lb_task_scores_language"),
    # a build without benchmark_null_languages (a past date) reads the rows
    ({"models": None, "langs": ["eng"], EXCLUDE_LEVEL: None}, "lb_task_scores_rows"),
    ({"models": ["m"], "langs": ["eng"], EXCLUDE_LEVEL: None}, "lb_task_scores_rows"),
    ({"models": None, "langs": ["eng"], EXCLUDE_LEVEL: 1}, "lb_task_scores_rows"),
    ({"models": ["m"], "langs": None, EXCLUDE_LEVEL: 2}, "lb_task_scores_rows"),
    ({"models": None, "langs": None}, "lb_task_scores_stored"),
])
def test_source_follows_the_state_structure(params, source):
    assert _task_scores_source(params) == source


def test_by_subset_runs_the_general_macros():
    params = {"models": None, "langs": None, "by_subset": True}
    assert "lb_model_scores($bench" in _model_scores_sql(params)
    assert "FROM lb_summary($bench" in _summary_sql(params)


def test_missing_modes_use_the_request_path(lb):
    """The "complete" and "common" modes read lb_model_scores' task scores through the same
    sources: the tables equal those of the general macro's rows, recomputed here."""
    name = "Complete(v1)"
    params = full_params(lb, name, Filters())
    rows = lb._query("SELECT model_name, task_score_map FROM lb_model_scores($bench, $models, "
                     "$tasks, $langs, $public_only, $registry_only, $by_subset)",
                     params).to_pylist()
    scores = {r["model_name"]: dict(r["task_score_map"] or []) for r in rows}
    complete = sorted(m for m, s in scores.items()
                      if s and all(v is not None for v in s.values())
                      and len(s) == len({t for x in scores.values() for t in x}))
    assert complete, "the fixture has complete models"
    got = sorted(r["Model"] for r in lb.summary(name, Filters(missing="complete")).to_pylist())
    assert got == complete


def test_per_task_request_path_equals_lb_per_task(lb):
    """The per-task table's own query (all models, public-only or by-subset benchmarks) runs
    lb_per_task_of over one source: its rows equal the general lb_per_task's."""
    compared = 0
    for name in lb.benchmarks():
        for label, filters in states(lb, name).items():
            params = lb._params(name, filters)
            if params is None:
                continue
            general = lb._query("SELECT * FROM lb_per_task($bench, $models, $tasks, $langs, "
                                "$registry_only) ORDER BY ALL", params)
            for variant in (params, {k: v for k, v in params.items()
                                     if k not in (UNCOVERED, NULL_LANGUAGES, TASK_SETS)}):
                fast = lb._query(
                    "WITH lb_q_task_scores AS (FROM " + _task_scores_call(variant, "false")
                    + ") SELECT * FROM lb_per_task_of('lb_q_task_scores') ORDER BY ALL",
                    variant)
                assert fast.equals(general), (name, label)
            compared += 1
    assert compared >= 30


def model_filter_states(lb, name: str) -> dict[str, Filters]:
    """The model filters alone of `states`, every model alone and every model but one."""
    models = sorted(r["Model"] for r in lb.summary(name).to_pylist())
    out = {label: f for label, f in states(lb, name).items()
           if f.models is not None and f == Filters(models=f.models)}
    for model in models:
        out["only " + model] = Filters(models=(model,))
        out["all but " + model] = Filters(models=tuple(m for m in models if m != model) or None)
    return out


def assert_served_without(lb, path: str, name: str, filters: Filters, label: str) -> None:
    """The served summary of `filters` equals the one served with the optional `path` switched
    off (as on a build without its tables or macro), neither from a cached result or frame."""
    lb._cache.clear()
    lb._frames.clear()
    served = lb.summary(name, filters)
    lb._cache.clear()
    lb._frames.clear()
    lb._no_path = {path: lb.cache_key()}
    try:
        assert served.equals(lb.summary(name, filters)), (name, label)
    finally:
        lb._no_path = {}
        lb._cache.clear()
        lb._frames.clear()


def test_model_filter_from_the_default_rows(lb):
    """A model filter alone reads the default state's stored rows (lb_model_scores_default)
    when the selection keeps the default's task scores: the rows of the general macro, bit for
    bit. A selection that changes a score (a model alone completes a task no selected model
    covers once its pairs are recounted) or drops a task gets no rows: the request path then
    runs the state's source, and the served summary is the general macro's either way."""
    taken = refused = changed = 0
    for name in lb.benchmarks():
        for label, filters in model_filter_states(lb, name).items():
            params = full_params(lb, name, filters)
            if params is None or params["by_subset"]:
                continue
            general = lb._query(GENERAL, params)
            fast = lb._query(_MODEL_DEFAULT_SQL, {**params, DEFAULTS: DEFAULTS_TABLE})
            if fast.num_rows:
                assert fast.equals(general), (name, label)
                taken += 1
            else:
                refused += 1
                # the default rows of the same models: a score differs (else nothing to refuse)
                stored = lb._query(
                    "SELECT model_name, task_score_map FROM default_summaries "
                    "WHERE benchmark = $bench AND model_name IN (SELECT unnest($models)) "
                    "ORDER BY model_name", params)
                ours = general.select(["model_name", "task_score_map"]).sort_by("model_name")
                changed += not stored.equals(ours)
            # the request path takes it whenever it has rows
            assert (lb._model_filter_frame(name, params) is not None) == (fast.num_rows > 0)
            assert_served_without(lb, "model_default", name, filters, label)
    assert taken >= 10
    assert changed >= 1


def test_model_filter_covering_every_task(lb, monkeypatch):
    """A model filter whose selection has a model with a score on every task of the default
    board (found here from the general macro's default rows) reads lb_model_scores_covered,
    without lb_model_scores_default's recount check: the general macro's rows bit for bit. The
    request path takes it exactly for those selections; the others take lb_model_scores_default
    or the state's source, and the served summary is the general macro's either way."""
    covered = other = 0
    for name in lb.benchmarks():
        default = full_params(lb, name, Filters())
        if default is None or default["by_subset"]:
            continue
        scorers: dict[str, set[str]] = {}
        for row in lb._query(GENERAL, default).to_pylist():
            for task, score in row["task_score_map"]:
                scorers.setdefault(task, set())
                if score is not None:
                    scorers[task].add(row["model_name"])
        for label, filters in model_filter_states(lb, name).items():
            params = full_params(lb, name, filters)
            chosen = set(filters.models)
            covers = bool(scorers) and all(chosen & s for s in scorers.values())
            assert lb._covers_every_task(name, filters.models) == covers, (name, label)
            ran = []
            query = type(lb)._query
            monkeypatch.setattr(type(lb), "_query", lambda self, sql, values=None: (
                ran.append(sql), query(self, sql, values))[1])
            frame = lb._model_filter_frame(name, params)
            monkeypatch.setattr(type(lb), "_query", query)
            assert (_MODEL_COVERED_SQL in ran) == covers, (name, label)
            general = lb._query(GENERAL, params)
            if covers:
                covered += 1
                fast = lb._query(_MODEL_COVERED_SQL, {**params, DEFAULTS: DEFAULTS_TABLE})
                assert fast.equals(general), (name, label)
                assert frame is not None and frame.equals(general), (name, label)
            else:
                other += 1
            assert_served_without(lb, "model_covered", name, filters, label)
    assert covered >= 10 and other >= 5


def selections_against(per_task: dict[str, set[str]]) -> list[list[str]]:
    """Model selections that probe an every-task check against per-task model sets: each
    model alone, all of them, one model per task, and all but the models of one task."""
    everyone = sorted(set().union(*per_task.values()))
    one_each = sorted({min(m) for m in per_task.values() if m})
    picks = [[m] for m in everyone] + [everyone, one_each]
    picks += [[m for m in everyone if m not in ms] for ms in list(per_task.values())[:20]]
    return picks


def test_task_presence_of_the_stored_rows_equals_the_tables(lb):
    """_rows_every_task and _covers_every_task read which models have a row, and a score, on
    each task from the default board's stored rows (the build's file: TaskPresence, the
    task_score_map entries and the left-out models' raw means). On every benchmark ranked by
    task, for many selections, they decide as the tables do: a row is one of the stored
    per-task means (lb_task_means_stored, registered models, the benchmark's public_only), a
    score a non-NULL value of the default_summaries table's maps. Without the file (older
    code, damaged) the table's rows give the same answers."""
    compared = outside = decided = 0
    for name in lb.benchmarks():
        stored = lb._stored_default(name)
        bench = lb.benchmark(name)
        if stored is None or "mean_subset" in bench.aggregations:
            continue
        with_rows: dict[str, set[str]] = {}
        for r in lb._query("SELECT task_name, model_name FROM lb_task_means_stored($b, NULL, "
                           "NULL, $p, true)", {"b": name, "p": bench.public_only}).to_pylist():
            with_rows.setdefault(r["task_name"], set()).add(r["model_name"])
        with_scores: dict[str, set[str]] = {}
        for r in lb._query("SELECT model_name, unnest(map_keys(task_score_map)) AS task_name, "
                           "unnest(map_values(task_score_map)) AS score FROM "
                           "default_summaries WHERE benchmark = $b", {"b": name}).to_pylist():
            with_scores.setdefault(r["task_name"], set())
            if r["score"] is not None:
                with_scores[r["task_name"]].add(r["model_name"])
        queried = type(lb)(lb.handle)
        queried._stored = (queried.cache_key(), None)   # the file switched off: the table
        for picked in selections_against(with_rows) + selections_against(with_scores):
            rowed = all(set(picked) & m for m in with_rows.values())
            covers = bool(with_scores) and all(set(picked) & m for m in with_scores.values())
            assert lb._rows_every_task(name, picked) == rowed, (name, picked)
            assert lb._covers_every_task(name, picked) == covers, (name, picked)
            assert queried._covers_every_task(name, picked) == covers, (name, picked)
            assert queried._rows_every_task(name, picked) == rowed, (name, picked)
            decided += rowed + covers
        compared += 1
        outside += any(stored[0].column("outside_raw_means").to_pylist())
    assert compared >= 5 and outside >= 1 and decided >= 10


def test_stored_default_boards_equal_the_general_macro(lb):
    """The build's default boards (etl/default_summaries.py: the per-model task lists for a
    benchmark ranked by task, lb_summary for one ranked by subset) are the general macro's rows
    of the default state bit for bit, as the table and as the file a request reads, on every
    benchmark of the fixture."""
    compared = 0
    for name in lb.benchmarks():
        stored = lb._stored_default(name)
        if stored is None:
            continue
        params = full_params(lb, name, Filters())
        general = lb._query(GENERAL, params)
        table = lb._query("SELECT * EXCLUDE (benchmark) FROM default_summaries "
                          "WHERE benchmark = $b ORDER BY position", {"b": name})
        assert table.equals(general), name
        assert stored[0].equals(general), name
        compared += 1
    assert compared >= 5


def test_task_presence_by_hand():
    """A model has a row on a task its map names (scored or not) or, left out of the table,
    on a task its raw means name; a task every model lacks a score on is never covered."""
    kind = pa.map_(pa.string(), pa.float64())
    outside = pa.array([None, [{"model_name": "e", "raw_means": [("T4", 0.1)]}], None, None],
                       pa.list_(pa.struct([("model_name", pa.string()),
                                           ("raw_means", kind)])))
    entries = pa.array([[("T1", 0.5), ("T2", None)], [("T1", None)], None,
                        [("T1", 0.25), ("T3", 0.0)]], kind)
    frame = pa.table({"model_name": ["a", "b", "c", "d"], "task_score_map": entries,
                      "outside_raw_means": outside})
    presence = TaskPresence.of(frame)
    # rows: T1 {a, b, d}, T2 {a}, T3 {d}, T4 {e}; scores: T1 {a, d}, T2 none, T3 {d}
    assert presence.every_task(["a", "d", "e"], scored=False)
    assert not presence.every_task(["a", "d"], scored=False)        # T4: e's only
    assert not presence.every_task(["b", "d", "e"], scored=False)   # T2: a's only
    assert not presence.every_task(["a", "b", "c", "d", "e"], scored=True)   # T2 unscored
    scored = pa.array([[("T1", 0.5), ("T2", 0.1)], [("T1", None)], None, [("T3", 0.0)]], kind)
    presence = TaskPresence.of(frame.set_column(1, "task_score_map", scored))
    assert presence.every_task(["a", "d"], scored=True)
    assert not presence.every_task(["a", "b"], scored=True)   # T3: d's only
    assert not presence.every_task([], scored=True)
    assert not presence.every_task(["nobody"], scored=False)


def task_filter_states(lb, name: str) -> dict[str, Filters]:
    """Task selections alone: every task alone, every task but one, the first and second half,
    each task type alone, all models (not this path), and no filter at all."""
    bench = lb.benchmark(name)
    tasks = bench.task_names
    half = max(1, len(tasks) // 2)
    out = {"every task": Filters(), "first half": Filters(tasks=tuple(tasks[:half])),
           "second half": Filters(tasks=tuple(tasks[half:]) or None),
           "all models, first half": Filters(tasks=tuple(tasks[:half]), all_models=True)}
    for task in tasks:
        out["only " + task] = Filters(tasks=(task,))
        out["all but " + task] = Filters(tasks=tuple(t for t in tasks if t != task) or None)
    meta = lb._task_meta
    for kind in sorted({meta[t]["type"] for t in tasks if meta.get(t, {}).get("type")}):
        out["type " + kind] = Filters(task_types=(kind,))
    return out


def test_task_filter_from_the_model_lists(lb):
    """A task filter alone reads the build's per-model task lists (lb_model_scores_lists): the
    rows of the general macro bit for bit, with the benchmark's public_only and the other one,
    on every benchmark ranked by task; the request path takes it for exactly those states, and
    the served summary equals the one without the tables (an older build, a past date)."""
    taken = 0
    for name in lb.benchmarks():
        for label, filters in task_filter_states(lb, name).items():
            params = full_params(lb, name, filters)
            if params is None or params["by_subset"]:
                continue
            for public_only in (params["public_only"], not params["public_only"]):
                if not params["registry_only"]:   # the lists hold registered models only
                    break
                variant = {**params, "public_only": public_only}
                general = lb._query(GENERAL, variant)
                fast = lb._query(_TASK_LISTS_SQL, {
                    "bench": name, "tasks": params["tasks"], "public_only": public_only,
                    MODEL_TASKS: MODEL_TASKS_TABLE, TASK_SCORED: TASK_SCORED_TABLE})
                assert fast.equals(general), (name, label, public_only)
            path = lb._task_filter_frame(params)
            assert (path is not None) == params["registry_only"], (name, label)
            taken += path is not None
            assert_served_without(lb, "task_lists_summary", name, filters, label)
    assert taken >= 20


def test_model_task_lists_by_hand(lb):
    """benchmark_model_tasks against the same values computed here in Python from the rows it
    folds (benchmark_task_means, benchmark_task_required, model_training, model_registry): per
    registered model its tasks in name order, the score nulled below the required pairs, and
    the rank of its raw mean among the task's registered rows, ties averaged (1-based)."""
    means = lb._query("SELECT m.benchmark, m.model_name, m.task_name, m.task_type, m.is_public, "
                      "m.raw_mean, m.have_pairs, r.required_registry FROM benchmark_task_means "
                      "AS m LEFT JOIN benchmark_task_required AS r USING (benchmark, task_name) "
                      "WHERE m.in_registry").to_pylist()
    trained = {(r["model_name"], r["task_name"]) for r in lb._query(
        "SELECT model_name, task_name FROM model_training").to_pylist()}
    known = {r["name"] for r in lb._query(
        "SELECT name FROM model_registry WHERE training_datasets_closure IS NOT NULL").to_pylist()}
    by_task: dict = {}
    for r in means:
        by_task.setdefault((r["benchmark"], r["task_name"]), []).append(r["raw_mean"])

    def avg_rank(bench, task, value):
        if value is None:
            return None
        higher = sum(1 for v in by_task[bench, task] if v is not None and v > value)
        ties = sum(1 for v in by_task[bench, task] if v == value)
        return higher + (1 + ties) / 2

    expected: dict = {}
    for r in sorted(means, key=lambda r: (r["benchmark"], r["model_name"], r["task_name"])):
        row = expected.setdefault((r["benchmark"], r["model_name"]), {
            "task_names": [], "scores": [], "avg_ranks": [], "raw_means": []})
        row["task_names"].append(r["task_name"])
        row["raw_means"].append(r["raw_mean"])
        complete = r["have_pairs"] >= (r["required_registry"] or 0)
        row["scores"].append(r["raw_mean"] if complete else None)
        row["avg_ranks"].append(avg_rank(r["benchmark"], r["task_name"], r["raw_mean"]))
    for (bench, model), row in expected.items():
        tasks = {t for (b, t) in by_task if b == bench}
        row["trained"] = sorted(t for t in tasks if (model, t) in trained)
        row["zero_shot_known"] = model in known
    stored = lb._query("SELECT * FROM benchmark_model_tasks").to_pylist()
    assert len(stored) == len(expected) >= 10
    for r in stored:
        want = expected[r["benchmark"], r["model_name"]]
        assert {k: r[k] for k in want} == want, (r["benchmark"], r["model_name"])
    assert any(r is not None and r != int(r) for row in expected.values()
               for r in row["avg_ranks"]), "the fixture has a tie (a half rank)"


def test_trained_tasks_are_the_benchmarks_own(lb):
    """The per-task ⚠ marks of a benchmark: per model, the tasks of that benchmark it was
    trained on (the model_training rows, picked here in Python), never another benchmark's."""
    pairs = lb._query("SELECT model_name, task_name FROM model_training").to_pylist()
    narrower = 0
    for name in lb.benchmarks():
        tasks = set(lb.benchmark(name).task_names)
        want: dict[str, set[str]] = {}
        for p in pairs:
            if p["task_name"] in tasks:
                want.setdefault(p["model_name"], set()).add(p["task_name"])
        got = lb.trained_tasks(name)
        assert got == {m: frozenset(t) for m, t in want.items()}, name
        narrower += any(p["model_name"] in got and p["task_name"] not in tasks for p in pairs)
    assert narrower >= 1   # some model is trained on a task outside some benchmark
