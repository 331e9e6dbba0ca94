"""The leaderboard tables, computed by the SQL in queries/ and shaped as the official ones.

Each public function takes a benchmark name and `Filters` (the ranking part of the one
leaderboard state, `mteb_lb.lbstate`) and returns a pyarrow Table whose
columns are named as the official leaderboard names them. The dashboard and `mteb-lb table` call
these same functions. Scores are on the 0-100 scale the leaderboard shows, unrounded.

All numbers come from SQL (queries/lb_*.macro.sql); Python only resolves the filters into the
lists of models and tasks the macros take, binds them as parameters, and pivots long results into
the wide layout (a pivot's columns depend on the data, which a view cannot express).
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from mteb_lb import arrow_np, db, lbstate, settings, stats, warehouse
from mteb_lb.lbstate import Filters, LeaderboardState

# DuckDB and mteb_lb.asof (which imports it) are imported where a query or a past date needs
# them: a default summary read from the build's file needs neither (Leaderboard._stored_default);
# so are queries (hashlib), frame_store (logging, tempfile) and difflib, which only other states,
# a stale build and a mistyped name need (docs/PERFORMANCE.md, a fresh process's imports)
if TYPE_CHECKING:
    import duckdb

ZERO_SHOT_SETTINGS = lbstate.ZERO_SHOT
META_COLUMNS = ("Zero-shot", "Active Parameters (B)", "Total Parameters (B)",
                "Embedding Dimensions", "Max Tokens")
MEAN_COLUMNS = {"mean_task": "Mean (Task)", "mean_task_type": "Mean (TaskType)",
                "mean_public": "Mean (Public)", "mean_private": "Mean (Private)",
                "mean_subset": "Mean (Subset)"}
VIEWS = lbstate.VIEWS
# exclude_flags -> the mildest severity level the frame drops (quality_rules.level; None: none)
EXCLUDE_LEVELS = {"none": None, "error": 1, "warning": 2}
EXCLUDE_LEVEL = "exclude_level"   # its key in the macros' parameters (bound as a variable)
# the table lb_task_scores_recount_stored reads (today's build only) and its parameter's key
UNCOVERED, UNCOVERED_TABLE = "uncovered", "benchmark_task_uncovered"
# the tasks where a model's scored rows repeat a (subset, split) pair, per benchmark (today's
# build only), and the parameter of the rows' sources that counts distinct only on them
REPEATED, REPEATS_TABLE = "repeated_tasks", "benchmark_pair_repeats"
# the per-(model, language, revision, task) score lists a task filter's per-language table sums
# (today's build only: lb_language_scores_lists takes the table's name, bound)
SCORE_LISTS_TABLE = "language_score_lists"
# the same lists folded per (model, language) with their tasks (today's build only:
# lb_language_scores_task_lists takes the table's name, bound)
TASK_LISTS_TABLE = "language_task_lists"
# the codes of each (model, task)'s NULL-score rows (today's build only) and the parameter of
# lb_task_scores_language that names it (without it a language filter reads every row)
NULL_LANGUAGES, NULL_LANGUAGES_TABLE = "null_languages", "benchmark_null_languages"
# the frame's language sets per task, lb_task_scores_language's whole-task check (both tables:
# a build without this one, older, takes the rows' path)
TASK_SETS, TASK_SETS_TABLE = "task_sets", "benchmark_task_language_sets"
# the per-(model, task) score lists lb_task_scores_language masks for the tasks a language filter
# cuts (today's build only; a build without them, older, takes the rows' path)
TASK_SCORE_LISTS, TASK_SCORE_LISTS_TABLE = "task_score_lists", "benchmark_task_score_lists"
# the default states' stored rows (today's build only) that lb_model_scores_default reads for a
# model filter, and the parameter that names the table
DEFAULTS, DEFAULTS_TABLE = "default_table", "default_summaries"
# the per-(benchmark, model) task lists and per-(benchmark, task) columns that
# lb_model_scores_lists reads for a task filter (today's build only), bound by these names
MODEL_TASKS, MODEL_TASKS_TABLE = "model_tasks", "benchmark_model_tasks"
TASK_SCORED, TASK_SCORED_TABLE = "task_table", "benchmark_task_scored"


class RankingError(ValueError):
    """A benchmark, view or filter value that does not exist; the message lists valid ones."""


@dataclass
class Benchmark:
    name: str
    display_name: str
    kind: str
    aggregations: list[str]
    mean_columns: list[str]
    sort_column: list[str] | None
    rank_column: str
    default_sort: str
    public_only: bool
    show_zero_shot: bool
    language_view: list[str] | str
    description: str
    reference: str | None
    task_names: list[str]
    raw: dict = field(repr=False, default_factory=dict)

    @property
    def has_language_view(self) -> bool:
        return bool(self.language_view)


@dataclass
class Options:
    """What a benchmark's filters can take (for menus, validation and error messages)."""

    task_types: list[str]
    domains: list[str]
    modalities: list[str]
    languages: list[str]
    tasks: list[str]
    model_types: list[str]
    params_range_b: tuple[float | None, float | None]


def _json_or(value, default):
    if value is None:
        return default
    if isinstance(value, str) and value[:1] in "[{\"":
        return json.loads(value)
    return value


class _Flight:
    """One computation in progress: the threads missing the same key wait for its result
    (or its exception) instead of computing it again (Leaderboard._memo)."""

    def __init__(self):
        self.done = threading.Event()
        self.value = None
        self.error: BaseException | None = None
        self.waiters = 0

    def wait(self):
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value


class _ResultCache(OrderedDict):
    """The result cache; clearing it also clears the summary frames kept beside it."""

    def __init__(self):
        super().__init__()
        self.frames: OrderedDict = OrderedDict()

    def clear(self) -> None:
        super().clear()
        self.frames.clear()


def stale_build_error(build, exc: duckdb.Error) -> warehouse.StaleBuildError | None:
    """The clear error for a ranking query that failed because `build` was made by other code
    (an upgrade served before `mteb-lb etl` ran again): DuckDB's error names a view or macro of
    this code's queries/ and the build's recorded SQL digest differs from this code's (or was
    never recorded). None for any other failure (a table an older build lacks on purpose, or a
    real bug: the build has this code's SQL)."""
    import queries  # deferred: see the imports

    names = set(queries.files())
    missing = next((word for word in re.findall(r"\w+", str(exc)) if word in names), None)
    if missing is None or not made_by_other_sql(build):
        return None
    return warehouse.StaleBuildError(build, missing)


OTHER_SQL_WARNING = ("The current build was made by another version of mteb-lb (its SQL differs "
                     "from this version's): states that need a view or macro it lacks fail "
                     "until `mteb-lb etl` rebuilds it.")


# What a query of an optional stored table raises when the build lacks it (a past date, or a build
# made before the table existed, where _query reports the missing view as StaleBuildError):
# callers then compute the answer without it. (A function: DuckDB is imported on first use.)
def missing_in_build() -> tuple[type[Exception], ...]:
    import duckdb  # deferred: a stored default summary needs none

    return (duckdb.CatalogException, warehouse.StaleBuildError)


def made_by_other_sql(build) -> bool:
    """True when `build`'s manifest records another SQL digest than this code's queries/ (or
    none: builds made before it was recorded), i.e. it may lack a view or macro this code calls
    until `mteb-lb etl` rebuilds it."""
    import queries  # deferred: see the imports

    try:
        recorded = warehouse.read_manifest(build).get("sql_digest")
    except (OSError, ValueError, AttributeError):
        recorded = None
    return recorded != queries.sql_digest()


def _benchmark_of(row: dict) -> Benchmark:
    """A benchmark from its row of the catalog table `benchmarks`."""
    sort_column = _json_or(row.get("summary_sort_column"), None)
    if isinstance(sort_column, str):
        sort_column = [sort_column]
    return Benchmark(
        name=row["name"], display_name=row.get("display_name") or row["name"],
        kind=row.get("kind") or "default", aggregations=list(row.get("aggregations") or []),
        mean_columns=list(row.get("summary_mean_columns") or []),
        sort_column=sort_column,
        rank_column=row.get("summary_rank_column_effective") or "Rank (Borda)",
        default_sort=row.get("summary_default_sort") or "Rank (Borda)",
        public_only=bool(row.get("summary_public_only")),
        show_zero_shot=bool(row.get("show_zero_shot", True)),
        language_view=_json_or(row.get("language_view"), []),
        description=row.get("description") or "", reference=row.get("reference"),
        task_names=list(row.get("task_names") or []), raw=row,
    )


DEFAULT_FILTERS_KEY = Filters().key()


class Leaderboard:
    """Rankings over one build; results are cached per (build, benchmark, view, filters)."""

    # entries: the prewarm alone fills ~230 (every benchmark's options and default summary);
    # 1,024 keep them while cold states come and go (~10 KB of Arrow each,
    # docs/PERFORMANCE.md §Memory per worker (`bench/memory_profile.py`))
    CACHE_SIZE = 1024
    FRAME_CACHE_SIZE = 8  # summary frames with task-score maps (~1-2 MB each), see _summary_frame
    ANSWERS_SIZE = 48     # remembered(): 4 per model page, 12 models, <= ~20 MB (largest ~1.7 MB)
    # a task filter's per-language table reads the selected tasks' rows in task order when they
    # declare at most this many (subset, language) entries (<= ~370 rows each on the real
    # data: ~18 k rows at most), see _few_language_rows
    FEW_LANGUAGE_ENTRIES = 48

    def __init__(self, handle: db.CurrentBuild | None = None):
        self._handle = handle
        self._cache = _ResultCache()
        self._frames = self._cache.frames
        self._answers: OrderedDict = OrderedDict()   # remembered()'s large answers
        self._lock = threading.Lock()
        self._flights: dict = {}   # (id of the store, key) -> _Flight of a computation in progress
        self._catalog_build: str | None = None
        self._benchmarks: dict[str, Benchmark] = {}
        self._task_meta_of: tuple[str | None, dict[str, dict]] = (None, {})  # (build, meta)
        self._no_default_table: str | None = None   # a build without default_summaries
        # (build, its stored default boards: {benchmark: record batch number}, the open file's
        # reader, or None for a build without a readable file), _stored_default
        self._stored: tuple[str | None, tuple | None] = (None, None)
        # {optional path: the build without its table or macro}, _optional_path
        self._no_path: dict[str, str | None] = {}
        self._no_interval_table: str | None = None  # a build without rank_intervals
        # _has_table: {table: (build, whether it has it)}; under None, (today's build, its
        # table names)
        self._tables: dict = {}
        # (build, {benchmark: tasks} or None without the table), _repeated_tasks
        self._repeats: tuple[str | None, dict[str, list[str]] | None] = (None, None)
        # (build, {benchmark: {task: declared (subset, language) entries}}), _few_language_rows
        self._language_entries: tuple[str | None, dict[str, dict[str, int]]] = (None, {})

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def handle(self) -> db.CurrentBuild:
        return self._handle or db.current()

    def build_id(self) -> str:
        return self.handle.build_id()

    def cache_key(self) -> str:
        """The key of every cache of this board's answers (db.CurrentBuild.cache_key)."""
        return self.handle.cache_key()

    def _query(self, sql: str, params: dict | None = None) -> pa.Table:
        import duckdb  # deferred: a stored default summary needs none

        params = dict(params or {})
        level = params.pop(EXCLUDE_LEVEL, None)
        # a query text may leave some of a state's parameters unused (_summary_sql's variants):
        # DuckDB refuses named parameters the statement does not have
        params = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}
        cur = self.handle.cursor()
        try:
            if level is not None:  # the frame drops flagged rows (lb_flag_excluded)
                cur.execute("SET VARIABLE lb_exclude_level = ?", [level])
            return db.query_arrow(cur, sql, params)
        except (duckdb.CatalogException, duckdb.BinderException) as exc:
            stale = stale_build_error(self.handle.build, exc)
            if stale is not None:
                raise stale from exc
            raise
        finally:
            cur.close()

    def _cached(self, key, compute, *, only_cached: bool = False):
        """The cached value of `key`, else `compute()` (cached); with `only_cached`, None
        instead of computing (a deferred part of a page asks for it in a second request).
        A table is stored compacted (arrow_np.compact: not holding the buffers it was cut from)."""
        return self._memo(self._cache, self.CACHE_SIZE, (self.cache_key(), *key),
                          lambda: arrow_np.compact(compute()), only_cached=only_cached)

    def remembered(self, key, compute):
        """`compute()` of this build remembered under `key`, in an LRU of its own
        (ANSWERS_SIZE) for large answers a page asks for on every render (app.cached_query: the
        model page's rows), apart from the result cache's many small tables."""
        return self._memo(self._answers, self.ANSWERS_SIZE, (self.cache_key(), *key), compute)

    def _memo(self, store: OrderedDict, size: int, key, compute, *, only_cached: bool = False):
        """`store`'s value of `key` (an LRU of `size` entries), else `compute()` stored there.
        Single flight: while one thread computes a key, the others missing it wait for that
        result instead of computing it again (the interval column and the interval plot of
        one state ask at once); an exception reaches every waiter and nothing is stored."""
        with self._lock:
            if key in store:
                store.move_to_end(key)
                return store[key]
            if only_cached:
                return None
            flight = self._flights.get((id(store), key))
            mine = flight is None
            if mine:
                flight = self._flights[(id(store), key)] = _Flight()
            else:
                flight.waiters += 1
        if not mine:
            return flight.wait()
        try:
            flight.value = compute()
        except BaseException as exc:
            flight.error = exc
            raise
        else:
            with self._lock:
                store[key] = flight.value
                while len(store) > size:
                    store.popitem(last=False)
            return flight.value
        finally:
            with self._lock:
                self._flights.pop((id(store), key), None)
            flight.done.set()

    def _load_catalog(self) -> None:
        build = self.cache_key()
        if self._catalog_build == build:
            return
        rows = self._query("SELECT * FROM benchmarks ORDER BY name").to_pylist()
        self._benchmarks = {row["name"]: _benchmark_of(row) for row in rows}
        self._catalog_build = build

    @property
    def _task_meta(self) -> dict[str, dict]:
        """Task metadata by name, read with the catalog's build on first use (a summary needs
        none: a fresh process's first table skips the query)."""
        self._load_catalog()
        build, meta = self._task_meta_of
        if build != self._catalog_build:
            tasks = self._query(
                "SELECT name, type, main_score, domains, modalities, languages, is_public, "
                "description, reference, category FROM tasks").to_pylist()
            meta = {t["name"]: t for t in tasks}
            self._task_meta_of = (self._catalog_build, meta)
        return meta

    @_task_meta.setter
    def _task_meta(self, meta: dict[str, dict]) -> None:   # a past board shares today's
        self._task_meta_of = (self._catalog_build, meta)

    # -- catalog ----------------------------------------------------------------------------
    def benchmarks(self) -> dict[str, Benchmark]:
        self._load_catalog()
        return self._benchmarks

    def benchmark(self, name: str) -> Benchmark:
        benchmarks = self.benchmarks()
        if name not in benchmarks:
            raise RankingError(f"unknown benchmark {name!r}; valid benchmarks: "
                               + ", ".join(sorted(benchmarks)))
        return benchmarks[name]

    def menu(self) -> dict:
        """The benchmark menu (cached per build: every leaderboard page render asks for it;
        callers read it, never modify it)."""
        return self._cached(("menu",), lambda: json.loads(
            self._query("SELECT menu_json FROM catalog_info").column(0)[0].as_py()))

    def task_meta(self, task: str) -> dict:
        self._load_catalog()
        return self._task_meta.get(task, {})

    def _choices(self, benchmark: str) -> dict[str, list[str]]:
        """The task-side values a benchmark's filters can take (task types, domains, modalities,
        languages, tasks): from the catalog alone, no query, so validating a filtered state
        costs none (options() adds the model-side values, which need one)."""
        def compute():
            bench = self.benchmark(benchmark)
            metas = [self._task_meta.get(t, {}) for t in bench.task_names]
            return {
                "task_types": sorted({m["type"] for m in metas if m.get("type")}),
                "domains": sorted({d for m in metas for d in (m.get("domains") or [])}),
                "modalities": sorted({d for m in metas for d in (m.get("modalities") or [])}),
                "languages": sorted({d for m in metas for d in (m.get("languages") or [])}),
                "tasks": sorted(bench.task_names),
            }
        return self._cached(("choices", benchmark), compute)

    def options(self, benchmark: str) -> Options:
        def compute():
            # the models come from benchmark_task_means (a row per model and task, in_registry as
            # its rows'), not from the ~30x longer benchmark_results
            # one query (each costs ~3-5 ms of planning on a cold request): the model types of
            # the benchmark's models (an empty list contributes none), the size range of its
            # registered ones
            row = self._query(
                "SELECT list(DISTINCT t ORDER BY t) FILTER (WHERE has_types) AS model_types, "
                "min(n_parameters) FILTER (WHERE in_registry) / 1e9 AS min_b, "
                "max(n_parameters) FILTER (WHERE in_registry) / 1e9 AS max_b "
                "FROM (SELECT m.n_parameters, b.in_registry, "
                "coalesce(len(m.model_type), 0) > 0 AS has_types, "
                "unnest(CASE WHEN len(m.model_type) > 0 THEN m.model_type ELSE [NULL] END) AS t "
                "FROM models AS m JOIN (SELECT model_name, bool_or(in_registry) AS in_registry "
                "FROM benchmark_task_means WHERE benchmark = $b GROUP BY model_name) AS b "
                "ON m.name = b.model_name)", {"b": benchmark}).to_pylist()[0]
            model_types = row["model_types"] or []
            sizes = {"min_b": row["min_b"], "max_b": row["max_b"]}
            return Options(**self._choices(benchmark), model_types=model_types,
                           params_range_b=tuple(sizes.values()))
        return self._cached(("options", benchmark), compute)

    # -- filters ----------------------------------------------------------------------------
    def valid_values(self, benchmark: str) -> dict[str, list[str]]:
        """What a benchmark's state can select, keyed as ``lbstate.check`` expects."""
        opts = self.options(benchmark)
        views = [v for v in VIEWS
                 if v != "per-language" or self.benchmark(benchmark).has_language_view]
        return {"task_types": opts.task_types, "domains": opts.domains,
                "modalities": opts.modalities, "languages": opts.languages, "tasks": opts.tasks,
                "model_types": opts.model_types, "views": views}

    def resolve(self, state: LeaderboardState) -> tuple[LeaderboardState, list[str]]:
        """A decoded state made concrete for this build: no benchmark means the menu's default;
        a name that differs only in case is the benchmark it names; selections the benchmark
        does not offer are dropped. Returns (state, problems); an unknown benchmark is a
        problem (close names first, then every valid name) and leaves the state as it is."""
        benchmarks = self.benchmarks()
        if state.benchmark is None:
            default = self.menu().get("default_benchmark") or sorted(benchmarks)[0]
            state = replace(state, benchmark=default)
        if state.benchmark not in benchmarks:
            folded = {name.casefold(): name for name in benchmarks}
            if state.benchmark.casefold() in folded:
                state = replace(state, benchmark=folded[state.benchmark.casefold()])
            else:
                close = close_names(state.benchmark, list(benchmarks))
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                return state, [f"unknown benchmark {state.benchmark!r}{hint}; valid benchmarks: "
                               + ", ".join(sorted(benchmarks))]
        return lbstate.check(state, self.valid_values(state.benchmark))

    def read_state(self, params, *, extra: tuple[str, ...] = ()
                   ) -> tuple[LeaderboardState, list[str]]:
        """Query parameters (or CLI options, ``lbstate.params_from_args``) -> a state resolved
        for this build, and the problems that make it unusable (empty when it is). What
        `/api/table`, `mteb-lb table` and `mteb-lb compare` answer with."""
        state, problems = lbstate.decode(params, extra=extra)
        if problems:
            return state, problems
        return self.resolve(state)

    def validate(self, benchmark: str, filters: Filters) -> None:
        if filters.zero_shot not in ZERO_SHOT_SETTINGS:
            raise RankingError(f"unknown zero-shot setting {filters.zero_shot!r}; valid: "
                               + ", ".join(ZERO_SHOT_SETTINGS))
        if all(getattr(filters, name) is None for name in
               ("task_types", "domains", "modalities", "languages", "tasks")):
            self.benchmark(benchmark)  # nothing to check against the options: skip their queries
            return
        choices = self._choices(benchmark)   # no query: a cold filtered state plans none here
        for name, valid in choices.items():
            chosen = getattr(filters, name)
            bad = sorted(set(chosen or ()) - set(valid))
            if bad:
                raise RankingError(f"unknown {name.replace('_', ' ')} for {benchmark}: "
                                   + ", ".join(bad) + "; valid: " + ", ".join(valid))

    def selected_tasks(self, benchmark: str, filters: Filters) -> list[str]:
        """The benchmark customisation (mteb's _cache_update_task_list), in SQL:
        queries/leaderboard/lb_selected_tasks.macro.sql; a task list or task types alone (its
        conditions that need no more than the catalog) are answered without the query."""
        bench = self.benchmark(benchmark)
        if all(getattr(filters, name) is None for name in
               ("task_types", "domains", "languages", "modalities", "tasks")):
            return list(bench.task_names)  # no task filter: no query
        if all(getattr(filters, name) is None for name in ("domains", "languages", "modalities")):
            # only a task list or task types (the dashboard's type filters): the macro keeps the
            # benchmark's tasks that the list names and whose type (the catalog's, which
            # validate() read already) is one of the types, in the benchmark's order (its other
            # conditions are off), which needs no query either
            listed = None if filters.tasks is None else set(filters.tasks)
            types = None if filters.task_types is None else set(filters.task_types)
            meta = {} if types is None else self._task_meta
            return [t for t in bench.task_names if (listed is None or t in listed)
                    and (types is None or meta.get(t, {}).get("type") in types)]

        def chosen(name):
            value = getattr(filters, name)
            return None if value is None else list(value)

        def compute():   # a request asks 3-4 times (params, task counts, column tooltips)
            return tuple(self._query(
                "SELECT task_name FROM lb_selected_tasks($bench, $types::VARCHAR[], "
                "$domains::VARCHAR[], $languages::VARCHAR[], $modalities::VARCHAR[], "
                "$tasks::VARCHAR[]) ORDER BY position",
                {"bench": benchmark, "types": chosen("task_types"), "domains": chosen("domains"),
                 "languages": chosen("languages"), "modalities": chosen("modalities"),
                 "tasks": chosen("tasks")}).column(0).to_pylist())
        return list(self._cached(("selected_tasks", benchmark, filters.key()), compute))

    def _language_rows_filter(self, benchmark: str, filters: Filters) -> list[str] | None:
        """Row-level language filter, skipped when every benchmark language is selected."""
        if filters.languages is None:
            return None
        if set(filters.languages) >= set(self._choices(benchmark)["languages"]):
            return None
        return sorted(filters.languages)

    def _language_cuts_rows(self, benchmark: str, tasks: list[str] | None,
                            langs: list[str]) -> bool:
        """Whether the row-level language filter drops any row of these tasks (else it changes
        no table of the state and the request ranks without it; lb_language_cuts: the task
        language sets where the build has them, else the rows)."""
        sets = TASK_SETS_TABLE if self._has_table(TASK_SETS_TABLE) else "benchmark_results"
        cut = self._query("SELECT cut FROM lb_language_cuts($sets, $bench, $tasks, $langs)",
                          {"sets": sets, "bench": benchmark, "tasks": tasks, "langs": langs})
        return cut.column(0)[0].as_py()

    def selected_models(self, benchmark: str, filters: Filters, tasks: list[str]) -> list[str]:
        rows = self._query(
            "SELECT model_name FROM lb_models($bench, $min_b, $max_b, $keep_unknown, $open, "
            "$instr, $st, $mtypes, $zs, $tasks, $registry_only)",
            {"bench": benchmark, "min_b": filters.min_params_b, "max_b": filters.max_params_b,
             "keep_unknown": filters.keep_unknown_size, "open": filters.open_weights,
             "instr": filters.instructions, "st": filters.sentence_transformers,
             "mtypes": list(filters.model_types) if filters.model_types is not None else None,
             "zs": filters.zero_shot, "tasks": tasks, "registry_only": not filters.all_models})
        return sorted(rows.column(0).to_pylist())

    def _params(self, benchmark: str, filters: Filters) -> dict | None:
        """Bound parameters of the lb_* macros, or None when the filters leave nothing."""
        return self._cached(("params", benchmark, filters.key()),
                            lambda: self._compute_params(benchmark, filters))

    def _compute_params(self, benchmark: str, filters: Filters) -> dict | None:
        self.validate(benchmark, filters)
        tasks = self.selected_tasks(benchmark, filters)
        if not tasks:
            return None
        no_model_filter = filters == Filters(tasks=filters.tasks, task_types=filters.task_types,
                                             domains=filters.domains, modalities=filters.modalities,
                                             languages=filters.languages,
                                             all_models=filters.all_models, models=filters.models,
                                             missing=filters.missing,
                                             exclude_flags=filters.exclude_flags)
        models = None if no_model_filter else self.selected_models(benchmark, filters, tasks)
        if filters.models is not None:
            chosen = set(filters.models)
            models = sorted(chosen if models is None else chosen.intersection(models))
        if models is not None and not models:
            return None
        all_tasks = len(tasks) == len(self.benchmark(benchmark).task_names)
        langs = self._language_rows_filter(benchmark, filters)
        if langs is not None and not self._language_cuts_rows(
                benchmark, None if all_tasks else tasks, langs):
            langs = None  # every row of the selected tasks matches: the filter is a no-op
        params = {"bench": benchmark, "models": models, "tasks": None if all_tasks else tasks,
                  "langs": langs,
                  "registry_only": not filters.all_models,
                  EXCLUDE_LEVEL: EXCLUDE_LEVELS[filters.exclude_flags]}
        if models is not None and self._has_table(UNCOVERED_TABLE):   # recount from the lists
            params[UNCOVERED] = UNCOVERED_TABLE
        if langs is not None and self._has_table(NULL_LANGUAGES_TABLE) \
                and self._has_table(TASK_SETS_TABLE) and self._has_table(TASK_SCORE_LISTS_TABLE):
            # the build's score lists masked, whole tasks' means stored
            params[NULL_LANGUAGES] = NULL_LANGUAGES_TABLE
            params[TASK_SETS] = TASK_SETS_TABLE
            params[TASK_SCORE_LISTS] = TASK_SCORE_LISTS_TABLE
        params = self._with_repeated(benchmark, params)
        if filters.missing != "official":
            return self._missing_mode(benchmark, params, filters.missing)
        return params

    def _with_repeated(self, benchmark: str, params: dict) -> dict:
        """`params` with the benchmark's repeated tasks (REPEATED) when the state's task
        scores come from the rows (_task_scores_source); the other sources need none."""
        if REPEATED in params or _task_scores_source(params) != "lb_task_scores_rows":
            return params
        return {**params, REPEATED: self._repeated_tasks(benchmark)}

    def _has_table(self, table: str) -> bool:
        """Whether the build's schema has this today-only table (warehouse.TODAY_ONLY_TABLES:
        today's build made by this code; not an older build, nor a past date's schema)."""
        if table in getattr(self.handle, "lacks", ()):
            return False   # a past date's schema (asof.PastBuild.lacks): no query needed
        key = self.cache_key()
        if isinstance(self.handle, db.CurrentBuild):
            # one listing per build answers for every table (a probe per table cost ~1 ms each
            # on a process's first requests)
            if self._tables.get(None, (None,))[0] != key:
                names = self._query("SELECT table_name FROM duckdb_tables() WHERE database_name "
                                    "= current_database() AND schema_name = 'main'")
                self._tables[None] = (key, frozenset(names.column(0).to_pylist()))
            return table in self._tables[None][1]
        if self._tables.get(table, (None,))[0] != key:
            try:
                self._query(f"SELECT 1 FROM {table} LIMIT 0")
                found = True
            except missing_in_build():
                found = False
            self._tables[table] = (key, found)
        return self._tables[table][1]

    def _repeated_tasks(self, benchmark: str) -> list[str] | None:
        """The benchmark's tasks where some model's scored rows repeat a (subset, split) pair
        (benchmark_pair_repeats through lb_repeated_tasks_of, read once per build: a few rows),
        or None for a build without the table (older, or a past date's schema) or the macro
        (older): the rows' sources then count every task's pairs distinct (lb_row_task_means_of)."""
        build, repeats = self._repeats
        if build != self.cache_key():
            try:
                rows = self._query("FROM lb_repeated_tasks_of($repeats)",
                                   {"repeats": REPEATS_TABLE})
                repeats = dict(zip(rows.column(0).to_pylist(), rows.column(1).to_pylist()))
            except missing_in_build():
                repeats = None
            self._repeats = (self.cache_key(), repeats)
        return None if repeats is None else repeats.get(benchmark, [])

    def ranked_tasks(self, benchmark: str, filters: Filters = Filters()) -> list[str]:
        """The tasks the table ranks: the selected ones, narrowed by the "common" mode."""
        params = self._params(benchmark, filters)
        if params is None:
            return [] if filters.missing == "common" else self.selected_tasks(benchmark, filters)
        return list(params["tasks"] or self.benchmark(benchmark).task_names)

    def _missing_mode(self, benchmark: str, params: dict, mode: str) -> dict | None:
        """The missing-results modes (README "Missing results") as a narrower selection for
        the same macros: the official table's rows and their task scores (lb_model_scores)
        decide which models ("complete": a score on every task of the table) or which tasks
        ("common": the tasks every row has a score on) the ranking then takes."""
        if mode not in lbstate.MISSING:
            raise RankingError(f"unknown missing-results mode {mode!r}; valid: "
                               + ", ".join(lbstate.MISSING))
        bench = self.benchmark(benchmark)
        full = {**params, "public_only": bench.public_only,
                "by_subset": "mean_subset" in bench.aggregations}
        rows = self._query("SELECT model_name, task_score_map FROM "
                           + _model_scores_sql(full), full).to_pylist()
        scores = {r["model_name"]: dict(r["task_score_map"] or []) for r in rows}
        tasks = sorted({t for s in scores.values() for t in s})
        if mode == "complete":
            models = sorted(m for m, s in scores.items()
                            if all(s.get(t) is not None for t in tasks))
            if not models:
                return None
            return self._with_repeated(benchmark, {**params, "models": models} | (
                {UNCOVERED: UNCOVERED_TABLE} if self._has_table(UNCOVERED_TABLE) else {}))
        common = [t for t in bench.task_names
                  if t in tasks and all(s.get(t) is not None for s in scores.values())]
        if not common:
            return None
        return {**params, "tasks": None if len(common) == len(bench.task_names) else common}

    # -- tables -----------------------------------------------------------------------------
    def trained_tasks(self, benchmark: str) -> dict[str, frozenset[str]]:
        """Per registered model, the tasks of `benchmark` it was trained on (declared training
        data closed over adapted-from models and similar tasks): what the official per-task ⚠️
        marks show. The benchmark's tasks only: ~1 k of the 24 k (model, task) pairs on
        MTEB(Multilingual, v2), read in ~5 ms where every pair took ~10 ms."""
        def compute():
            rows = self._query(
                "SELECT model_name, list(task_name) AS tasks FROM model_training "
                "WHERE task_name IN (SELECT unnest(task_names) FROM benchmarks "
                "WHERE name = $bench) GROUP BY model_name", {"bench": benchmark}).to_pylist()
            return {r["model_name"]: frozenset(r["tasks"]) for r in rows}
        return self._cached(("trained_tasks", benchmark), compute)

    def tasks_without_scores(self, benchmark: str, filters: Filters = Filters()) -> list[str]:
        """Tasks of the filtered view no model has a complete score on (they blank the means)."""
        metadata = self.summary(benchmark, filters).schema.metadata or {}
        return json.loads(metadata.get(b"tasks_without_scores", b"[]"))

    def summary(self, benchmark: str, filters: Filters = Filters()) -> pa.Table:
        return self._cached(("summary", benchmark, filters.key()),
                            lambda: self._summary(benchmark, filters))

    def _summary(self, benchmark: str, filters: Filters) -> pa.Table:
        if filters.key() == DEFAULT_FILTERS_KEY:
            stored = self._stored_default(benchmark)
            if stored is not None:   # no catalog, no query: a fresh process loads no DuckDB
                return _shape_summary(*stored)
        bench = self.benchmark(benchmark)
        frame = self._known_frame(benchmark, filters)
        if frame is None:
            params = self._params(benchmark, filters)
            if params is None:
                return _empty_summary(bench)
            params = {**params, "public_only": bench.public_only,
                      "by_subset": "mean_subset" in bench.aggregations}
            frame = self._summary_frame(benchmark, filters, params)
        if frame.num_rows == 0:
            return _empty_summary(bench)
        return _shape_summary(frame, bench)

    def per_task(self, benchmark: str, filters: Filters = Filters()) -> pa.Table:
        return self._cached(("per_task", benchmark, filters.key()),
                            lambda: self._per_task(benchmark, filters))

    def _summary_frame(self, benchmark: str, filters: Filters, params: dict) -> pa.Table:
        """lb_summary's rows (official order) as Arrow, with each model's task scores. The last
        few are kept apart from the result cache: the per-task table of the same state is a
        pivot of these maps (one lb_task_scores computation per state, not one per table).
        A queried frame is also shared with the server's other workers (mteb_lb/frame_store.py,
        setting shared_frames_dir): a state's second request may land on another worker."""
        from mteb_lb import frame_store  # deferred: see the imports

        key = (self.cache_key(), benchmark, filters.key())

        def compute():
            frame = self._default_frame(benchmark, params)
            if frame is None:
                frame = frame_store.get(key)
            if frame is None:
                frame = self._model_filter_frame(benchmark, params)
                if frame is None:
                    frame = self._task_filter_frame(params)
                if frame is None:
                    frame = self._query(_summary_sql(params), params)
                frame_store.put(key, frame)
            return frame
        return self._memo(self._frames, self.FRAME_CACHE_SIZE, key, compute)

    def _known_frame(self, benchmark: str, filters: Filters) -> pa.Table | None:
        """The state's summary frame when this process holds it or another worker of the server
        stored it (frame_store), found without the state's parameters: a statistics request
        that lands on the worker which did not serve the filter click runs none of the state's
        filter queries (lb_models, lb_selected_tasks, lb_language_cuts) again. Else None."""
        from mteb_lb import frame_store  # deferred: see the imports

        key = (self.cache_key(), benchmark, filters.key())
        with self._lock:
            if key in self._frames:
                self._frames.move_to_end(key)
                return self._frames[key]
        frame = frame_store.get(key)
        if frame is None:
            return None
        return self._memo(self._frames, self.FRAME_CACHE_SIZE, key, lambda: frame)

    def _default_frame(self, benchmark: str, params: dict) -> pa.Table | None:
        """lb_summary's rows of the default state (no model, task or language filter, registered
        models, nothing excluded, the benchmark's own public_only and by_subset) as the build
        stored them (etl/default_summaries.py), or None for any other state, a benchmark the
        table lacks (not on the menu) or a build without the table."""
        bench = self.benchmark(benchmark)
        if (params["models"] is not None or params["tasks"] is not None
                or params["langs"] is not None or not params["registry_only"]
                or params.get(EXCLUDE_LEVEL) is not None
                or params["public_only"] != bench.public_only
                or params["by_subset"] != ("mean_subset" in bench.aggregations)
                or self._no_default_table == self.cache_key()):
            return None
        return self._default_rows(benchmark)

    def _default_rows(self, benchmark: str) -> pa.Table | None:
        """lb_summary's rows of the benchmark's default state as the build stored them: from
        its file (_stored_default, no DuckDB), else from the `default_summaries` table; None
        for a benchmark the table lacks (not on the menu) or a build without the table."""
        stored = self._stored_default(benchmark)
        if stored is not None:
            return stored[0]
        try:
            frame = self._query("SELECT * EXCLUDE (benchmark) FROM default_summaries "
                                "WHERE benchmark = $bench ORDER BY position",
                                {"bench": benchmark})
        except missing_in_build():  # a build made before the table existed
            self._no_default_table = self.cache_key()
            return None
        return frame if frame.num_rows else None

    def _model_filter_frame(self, benchmark: str, params: dict) -> pa.Table | None:
        """lb_summary's rows of a state whose only filter is a model selection (every task,
        registered models, the benchmark's own public_only, ranked by task) from the default
        state's stored rows (lb_model_scores_default: the per-model columns are the default's,
        the Borda count is ranked again over the selection) when the selection keeps the
        default's task scores; None for any other state, a selection that changes a score (the
        macro returns no rows), a selection without a row in the table, a past date or a build
        without the table or macro: lb_model_scores_of over the state's source runs then."""
        bench = self.benchmark(benchmark)
        if (params["models"] is None or params["tasks"] is not None
                or params["langs"] is not None or not params["registry_only"]
                or params.get(EXCLUDE_LEVEL) is not None or not params.get(UNCOVERED)
                or params["public_only"] != bench.public_only or params["by_subset"]
                or self._no_default_table == self.cache_key()
                or not self._has_table(DEFAULTS_TABLE)):
            return None
        frame = None
        if self._covers_every_task(benchmark, params["models"]):
            frame = self._optional_path("model_covered", _MODEL_COVERED_SQL,
                                        {**params, DEFAULTS: DEFAULTS_TABLE})
        if frame is None:
            if not self._rows_every_task(benchmark, params["models"]):
                return None
            frame = self._optional_path("model_default", _MODEL_DEFAULT_SQL,
                                        {**params, DEFAULTS: DEFAULTS_TABLE})
        return frame if frame is not None and frame.num_rows else None

    def _covers_every_task(self, benchmark: str, models: list[str]) -> bool:
        """Whether every task of the benchmark's stored default rows has a selected model with
        a score there (_default_presence): then no task has its pairs recounted and
        lb_model_scores_covered gives lb_model_scores_default's rows without its check (a
        model with a score has every pair its task requires, lb_task_scores_of)."""
        presence = self._default_presence(benchmark)
        return presence is not None and presence.every_task(models, scored=True)

    def _default_presence(self, benchmark: str) -> TaskPresence | None:
        """Which models have a row, and a score, on each task of the benchmark's default board:
        from its stored rows (the build's file: no query), once per build and benchmark; None
        without them."""
        def compute():
            rows = self._default_rows(benchmark)
            return None if rows is None else TaskPresence.of(rows)
        return self.remembered(("task_presence", benchmark), compute)

    def _task_filter_frame(self, params: dict) -> pa.Table | None:
        """lb_summary's rows of a state whose filters select tasks only (registered models, no
        model, language or flag filter, ranked by task) from the build's per-model task lists
        (lb_model_scores_lists: every (model, task) score and rank is the default state's, only
        the tasks that count change); None for any other state, a past date or a build without
        the tables or macro (remembered per build): lb_model_scores_of over
        lb_task_scores_stored runs then, the same rows."""
        if (_task_scores_source(params) != "lb_task_scores_stored"
                or not params["registry_only"] or params["by_subset"]):
            return None
        return self._optional_path("task_lists_summary", _TASK_LISTS_SQL,
                                   {"bench": params["bench"], "tasks": params["tasks"],
                                    "public_only": params["public_only"],
                                    MODEL_TASKS: MODEL_TASKS_TABLE,
                                    TASK_SCORED: TASK_SCORED_TABLE})

    def _rows_every_task(self, benchmark: str, models: list[str]) -> bool:
        """Whether the selected models have a row on every task of the benchmark's default
        board (_default_presence; True without it): a selection without is sure to get no rows
        from lb_model_scores_default (its task columns differ from the default's), so
        _model_filter_frame does not run that query for it."""
        presence = self._default_presence(benchmark)
        return presence is None or presence.every_task(models, scored=False)

    def _stored_default(self, benchmark: str) -> tuple[pa.Table, Benchmark] | None:
        """(lb_summary's rows, the benchmark) of `benchmark`'s default state from the build's
        file (warehouse.DEFAULT_SUMMARIES_FILE, etl/default_summaries.write_file: the rows of
        the `default_summaries` table, the catalog row), read without DuckDB. None for a handle
        on a past date (asof.PastBuild: its own table), a benchmark the file lacks, a build
        without the file (made by older code) or with a damaged one: the table is read then."""
        if not isinstance(self.handle, db.CurrentBuild):
            return None
        key = self.cache_key()
        if self._no_default_table == key:   # the table's readers are switched off (tests)
            return None
        build, stored = self._stored
        if build != key:
            stored = None
            try:
                reader = pa.ipc.open_file(pa.memory_map(
                    str(self.handle.build / warehouse.DEFAULT_SUMMARIES_FILE)))
                names = json.loads(reader.schema.metadata[b"benchmarks"])
                stored = ({name: i for i, name in enumerate(names)}, reader)
            except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
                pass   # no file (older code) or a damaged one
            self._stored = (key, stored)
        if stored is None or benchmark not in stored[0]:
            return None
        try:
            with self._lock:   # one reader shared by the request threads
                batch, meta = stored[1].get_batch_with_custom_metadata(stored[0][benchmark])
            row = json.loads(meta[b"catalog"])
        except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
            return None
        return pa.Table.from_batches([batch]), _benchmark_of(row)

    def _per_task(self, benchmark: str, filters: Filters) -> pa.Table:
        bench = self.benchmark(benchmark)
        params = self._params(benchmark, filters)
        if params is None:
            return pa.table({"Model": pa.nulls(0, pa.string())})
        if (params["registry_only"] and not bench.public_only
                and "mean_subset" not in bench.aggregations):
            # the summary ranks the same frame by the same Borda count (lb_per_task's rows are
            # its task_score_map, its borda_rank theirs): pivot the summary's frame
            frame = self._summary_frame(benchmark, filters,
                                        {**params, "public_only": False, "by_subset": False})
            if frame.num_rows == 0:
                return pa.table({"Model": pa.nulls(0, pa.string())})
            return _frame_pivot(frame, bench.task_names)
        # lb_per_task over the one task-score source of the state (public_only false)
        return _pivot(self._query(
            "WITH lb_q_task_scores AS (FROM " + _task_scores_call(params, "false")
            + ") SELECT model_name, score, "
            + _PIVOT_INDEX.format(order="borda_rank", key="task_name")
            + " FROM lb_per_task_of('lb_q_task_scores'), "
            "(SELECT $columns::VARCHAR[] AS columns) AS c",
            {**params, "columns": list(bench.task_names)}))

    def per_language(self, benchmark: str, filters: Filters = Filters()) -> pa.Table:
        return self._cached(("per_language", benchmark, filters.key()),
                            lambda: self._per_language(benchmark, filters))

    def _per_language(self, benchmark: str, filters: Filters) -> pa.Table:
        bench = self.benchmark(benchmark)
        if not bench.has_language_view:
            raise RankingError(f"{benchmark} has no per-language view; benchmarks with one: "
                               + ", ".join(n for n, b in self.benchmarks().items()
                                           if b.has_language_view))
        params = self._params(benchmark, filters)
        if params is None:
            return pa.table({"Model": pa.nulls(0, pa.string())})
        langview = None if bench.language_view == "all" else list(bench.language_view)
        values = {**{k: params[k] for k in ("bench", "models", "tasks", "langs", "registry_only",
                                            EXCLUDE_LEVEL)},
                  "langview": langview}
        # _PIVOT_INDEX's places, the row's ranked over each model's (one) order_rank instead of
        # over every (model, language) row: the same dense rank, a sort of ~450 rows, not ~7 k
        pivot = (" c AS (SELECT list(DISTINCT language ORDER BY language) AS columns FROM t), "
                 "places AS (SELECT model_name, order_rank, "
                 + _PIVOT_ROW.format(order="order_rank")
                 + " FROM (SELECT DISTINCT model_name, order_rank FROM t)) "
                 "SELECT model_name, score, row_idx, "
                 + _PIVOT_COLUMN.format(key="language")
                 + " FROM t JOIN places USING (model_name, order_rank), c")
        tasks_only = (params["tasks"] is not None and params["langs"] is None
                      and params.get(EXCLUDE_LEVEL) is None)
        table = None
        if tasks_only:
            # a task filter: the build's per-(model, language) lists of per-(revision, task)
            # score lists in frame order, the selected ones concatenated and summed (the same
            # sums as every path below, lb_language_scores_task_lists); also for a few tasks:
            # as cheap as their rows read in task order below, without the catalog's entry
            # counts that choose that path (~10 ms of a cold ten-task call), see
            # docs/PERFORMANCE.md §Session 22: Multilingual task filters (mltaskf)
            table = self._language_path(
                "task_lists",
                "WITH m AS (FROM lb_language_scores_task_lists($task_lists, $bench, $models, "
                "$tasks, $langview, $registry_only)), t AS (FROM lb_per_language_of('m')),"
                + pivot, {**values, "task_lists": TASK_LISTS_TABLE})
        if table is None and tasks_only and self._few_language_rows(benchmark, params["tasks"]):
            # a build without those lists (made by older code), a task filter selecting few
            # rows: those rows read from benchmark_language_rows,
            # stored in (benchmark, task) order (the scan skips the other tasks' row groups;
            # benchmark_language_keyed, in model order, is read whole for the benchmark), summed
            # by the struct key (lb_language_rows_ordered); the same sums as the keyed path
            table = self._language_path(
                "ordered_rows",
                "WITH r AS NOT MATERIALIZED (FROM lb_language_rows_ordered()), "
                "m AS (FROM lb_language_scores_tasks('r', $bench, $models, $tasks, "
                "$langview, $registry_only)), t AS (FROM lb_per_language_of('m')),"
                + pivot, values)
        if table is None and tasks_only:
            # a build without the lists of lists, more rows: the per-(model, language, revision,
            # task) score lists grouped and concatenated in frame order and summed (the same
            # sums, lb_language_scores_lists)
            table = self._language_path(
                "score_lists",
                "WITH m AS (FROM lb_language_scores_lists($lists, $bench, $models, $tasks, "
                "$langview, $registry_only)), t AS (FROM lb_per_language_of('m')),"
                + pivot, {**values, "lists": SCORE_LISTS_TABLE})
        if (table is None and (params["tasks"] is not None or params["langs"] is not None)
                and params.get(EXCLUDE_LEVEL) is None):
            # a task or language filter: the rows summed by the build's integer sort key (the
            # same means, lb_language_scores_keyed: the pairs a filter drops a row of found in
            # the score lists); a task filter alone (a build without the score lists) sums every
            # pair from the tasks' rows without binding the build's-means branches
            # (lb_language_scores_tasks, the same sums)
            language = params["langs"] is not None
            means = ("lb_language_scores_keyed('benchmark_language_keyed', $lists, $bench, "
                     "$models, $tasks, $langs, $langview, $registry_only)" if language else
                     "lb_language_scores_tasks('benchmark_language_keyed', $bench, $models, "
                     "$tasks, $langview, $registry_only)")
            table = self._language_path(
                "keyed_language" if language else "keyed_table",
                "WITH m AS (FROM " + means + "), t AS (FROM lb_per_language_of('m')),"
                + pivot, {**values, "lists": SCORE_LISTS_TABLE})
        if (table is None and params["tasks"] is None and params["langs"] is None
                and params.get(EXCLUDE_LEVEL) is None):
            # no task or language filter nor the switch (the default and model-only states):
            # the build's means of the selected models, without binding lb_language_scores_of's
            # branches for the rows (the same table; lb_language_means_stored)
            table = self._language_path(
                "means_macro",
                "WITH s AS (FROM lb_language_means_stored($bench, $models, $registry_only)),"
                " m AS (FROM lb_language_table_of('s')), t AS (FROM lb_per_language_of('m')),"
                + pivot, values)
        if table is not None:
            return table
        return _pivot(self._query(
            "WITH t AS (FROM lb_per_language($bench, $models, $tasks, $langs, $langview, "
            "$registry_only)),"
            + pivot, values))

    def _language_path(self, name: str, sql: str, values: dict) -> pa.Table | None:
        """The per-language table through one of the build's optional paths (_optional_path),
        or None when the build lacks it; the caller then takes the next path, down to
        lb_per_language (the rows, every build has them)."""
        table = self._optional_path(name, sql, values)
        return None if table is None else _pivot(table)

    def _optional_path(self, name: str, sql: str, values: dict) -> pa.Table | None:
        """`sql`'s rows through one of the build's optional paths (a table or macro that an
        older build or a past date lacks: warehouse.TODAY_ONLY_TABLES, lb_model_scores_default),
        or None when the build lacks it: remembered per build under `name`, so the path is not
        tried again."""
        if self._no_path.get(name) == self.cache_key():
            return None
        try:
            return self._query(sql, values)
        except missing_in_build():
            self._no_path[name] = self.cache_key()
            return None

    def _few_language_rows(self, benchmark: str, tasks: list[str]) -> bool:
        """Whether `tasks` declare at most FEW_LANGUAGE_ENTRIES (subset, language) entries in
        the benchmark (benchmark_tasks, the catalog: read once per build and benchmark, and
        only for a selection of that many tasks or fewer). Their rows are then cheaper read in
        task order and sorted by the struct key than found in the model-ordered keyed table
        (Multilingual, ten tasks, 35 entries: ~5.5 k of its 1.09 M rows)."""
        if len(tasks) > self.FEW_LANGUAGE_ENTRIES:   # each task declares one entry or more
            return False
        build, entries = self._language_entries
        if build != self.cache_key():
            build, entries = self.cache_key(), {}
            self._language_entries = (build, entries)
        if benchmark not in entries:
            try:
                rows = self._query("FROM lb_task_language_entries($bench)", {"bench": benchmark})
            except missing_in_build():   # a build made before the macro: the keyed path
                return False
            entries[benchmark] = dict(zip(rows.column(0).to_pylist(), rows.column(1).to_pylist()))
        sizes = entries[benchmark]
        return sum(sizes.get(t) or 0 for t in tasks) <= self.FEW_LANGUAGE_ENTRIES

    def task_info(self, benchmark: str, filters: Filters = Filters()) -> pa.Table:
        self.validate(benchmark, filters)
        # "common" narrows the tasks the table ranks: the task list shows those
        tasks = (self.ranked_tasks(benchmark, filters) if filters.missing == "common"
                 else self.selected_tasks(benchmark, filters))
        rows = []
        for name in tasks:
            m = self._task_meta.get(name, {})
            rows.append({"Task Name": name, "Task Type": m.get("type"),
                         "Languages": ", ".join(m.get("languages") or []),
                         "Domains": ", ".join(m.get("domains") or []),
                         "Metric": m.get("main_score"),
                         "Modality": ", ".join(m.get("modalities") or []),
                         "Public": m.get("is_public"),
                         "Description": m.get("description"), "Reference": m.get("reference")})
        if not rows:
            return pa.table({"Task Name": pa.nulls(0, pa.string())})
        return pa.Table.from_pylist(rows)

    def table(self, benchmark: str, view: str = "summary",
              filters: Filters = Filters()) -> pa.Table:
        if view not in VIEWS:
            raise RankingError(f"unknown view {view!r}; valid views: " + ", ".join(VIEWS))
        return {"summary": self.summary, "per-task": self.per_task,
                "per-language": self.per_language,
                "tasks": self.task_info}[view](benchmark, filters)

    def view(self, state: LeaderboardState, *, intervals: str = "compute") -> pa.Table:
        """The table a state shows, as every surface serves it (dashboard grid and CSV download,
        ``/api/table``, ``mteb-lb table``): the view's official table, the per-task table with
        the summary's Rank (Borda) in front, the search applied, rows in the state's sort
        (nulls last; the official order otherwise). Unrounded, 0-100 scale. The summary's
        interval columns: "compute" them (every surface's default), only if "cached" (already
        computed for this state; else empty), or "none" (empty: the dashboard fills them in a
        second request, app/intervals.py)."""
        if state.benchmark is None:
            raise RankingError("no benchmark given; valid benchmarks: "
                               + ", ".join(sorted(self.benchmarks())))
        if state.as_of:
            return self._as_of(state, intervals)
        filters = state.filters()
        table = self.table(state.benchmark, state.view, filters)
        if state.view == "per-task":
            table = _with_rank(table, self.summary(state.benchmark, filters))
        if state.view == "summary":
            if self._resampling(state.resamples, state.seed)[0] == 0:
                intervals = "none"     # B = 0: empty columns, no points to fetch
            table = _with_intervals(table, self.rank_intervals(
                state.benchmark, filters, state.resamples, state.seed,
                compute=intervals == "compute") if intervals != "none" else None)
        return sort_rows(search_rows(table, state.search), state.sort)

    # -- statistics (mteb_lb/stats.py) --------------------------------------------------------
    def _as_of(self, state: LeaderboardState, intervals: str = "compute") -> pa.Table:
        """The table of `state` as of `state.as_of`, from the leaderboard history (mteb_lb/asof.py:
        summary, per-task or tasks view, default filters; search and sort as today)."""
        from mteb_lb import asof  # deferred: it imports DuckDB

        try:
            snap = asof.snapshot_at(self.handle.build, asof.parse_date(state.as_of))
        except asof.AsOfError as exc:
            raise RankingError(str(exc)) from None
        if snap.origin == "backfill" and asof.has_past_rows(self.handle.build):
            # the past results themselves: every state, computed as today's (docs/HISTORY.md)
            return self._past_board(snap).view(replace(state, as_of=None), intervals=intervals)
        if state.view not in asof.AS_OF_VIEWS:
            raise RankingError(f"as_of: the '{state.view}' view is not recorded for past "
                               f"dates; views with as_of: {', '.join(asof.AS_OF_VIEWS)}")
        bench = self.benchmark(state.benchmark)
        if not self._is_default_board(bench.name, state.filters()):
            raise RankingError("as_of: past snapshots hold the default board (registered "
                               "models, all tasks); remove the filters (search and sort work)")
        if state.view == "tasks":
            table = self.task_info(bench.name)
        else:
            try:
                when = asof.parse_date(state.as_of)
                snap = asof.snapshot_at(self.handle.build, when)
            except asof.AsOfError as exc:
                raise RankingError(str(exc)) from None
            table = self._cached(("as_of", snap, bench.name, state.view),
                                 lambda: self._as_of_table(bench, when, state.view))
        return sort_rows(search_rows(table, state.search), state.sort)

    def as_of_board(self, state: LeaderboardState) -> Leaderboard | None:
        """The leaderboard that computes `state.as_of`'s tables from the past results (a
        backfilled date: every table, plot and statistic of that date, as today's), or None
        for a date of the builds' history (its default board only: `view` answers it)."""
        from mteb_lb import asof  # deferred: it imports DuckDB

        try:
            snap = asof.snapshot_at(self.handle.build, asof.parse_date(state.as_of))
        except asof.AsOfError as exc:
            raise RankingError(str(exc)) from None
        if snap.origin == "backfill" and asof.has_past_rows(self.handle.build):
            return self._past_board(snap)
        return None

    def _past_board(self, snap) -> Leaderboard:
        """The leaderboard over the past results of a backfilled snapshot (asof.PastBuild)."""
        from mteb_lb import asof  # deferred: it imports DuckDB

        def board() -> Leaderboard:
            past = Leaderboard(asof.PastBuild(self.handle.build, snap))
            # today's catalog on past results: today's benchmarks and task metadata, as loaded
            self._load_catalog()
            past._benchmarks, meta = self._benchmarks, self._task_meta
            past._catalog_build = past.cache_key()
            past._task_meta = meta
            return past

        return self._cached(("past_board", snap), board)

    def _as_of_table(self, bench: Benchmark, when, view: str) -> pa.Table:
        from mteb_lb import asof  # deferred: it imports DuckDB

        _snap, rows = asof.rows_at(self.handle.build, when, bench.name,
                                   summary_only=view == "summary")
        rows = rows.to_pylist()
        models = [r for r in rows if r["key"] == ""]
        meta = {r["name"]: r for r in self._query(
            "SELECT name, active_params_b, total_params_b, embed_dim, max_tokens, "
            "release_date FROM models WHERE list_contains($n::VARCHAR[], name)",
            {"n": [r["model_name"] for r in models]}).to_pylist()}
        summary = _snapshot_order(asof.summary_rows(bench.mean_columns, models, meta), bench)
        summary = pa.Table.from_pylist(summary) if summary else _empty_summary(bench)
        if view == "summary":
            return summary
        return _with_rank(asof.per_task_table(bench.task_names, rows,
                                              summary.column("Model").to_pylist()), summary)

    def _is_default_board(self, benchmark: str, filters: Filters) -> bool:
        """Whether `filters` leave the default board as it is (every control at a value that
        keeps all tasks, languages and registered models, as the page's untouched controls)."""
        if filters == Filters():
            return True
        mine, default = self._params(benchmark, filters), self._params(benchmark, Filters())
        if mine is None or default is None:
            return mine is default
        if any(mine[k] != default[k] for k in ("tasks", "langs", "registry_only", EXCLUDE_LEVEL)):
            return False
        if mine["models"] is None:
            return True
        everyone = self.selected_models(benchmark, Filters(),
                                        self.selected_tasks(benchmark, Filters()))
        return set(mine["models"]) >= set(everyone)

    def borda_inputs(self, benchmark: str, filters: Filters = Filters()):
        """The Borda points per (model, partition) of the summary (lb_borda_points)."""
        return self._cached(("borda_inputs", benchmark, filters.key()),
                            lambda: self._borda_inputs(benchmark, filters))

    def _borda_inputs(self, benchmark: str, filters: Filters):
        bench = self.benchmark(benchmark)
        if "mean_subset" not in bench.aggregations:   # the summary's frame, when known
            frame = self._known_frame(benchmark, filters)
            inputs = None if frame is None else stats.BordaInputs.from_summary_frame(frame)
            if inputs is not None:
                return inputs
        params = self._params(benchmark, filters)
        if params is None:
            return stats.BordaInputs.empty()
        if "mean_subset" not in bench.aggregations:
            # ranked by task: the points from lb_task_scores' raw means in numpy (no window or
            # cross join; equal to lb_borda_points, tests/test_stats.py), read from the
            # summary's frame (no second ranking query), else from one lb_task_scores pass
            inputs = stats.BordaInputs.from_summary_frame(self._summary_frame(
                benchmark, filters, {**params, "public_only": bench.public_only,
                                     "by_subset": False}))
            if inputs is not None:
                return inputs
            return stats.BordaInputs.from_task_scores(self._query(
                "SELECT model_name, task_name, raw_mean, in_pivot FROM lb_task_scores($bench, "
                "$models, $tasks, $langs, $public_only, $registry_only)",
                {**params, "public_only": bench.public_only}))
        return stats.BordaInputs.from_arrow(self._borda_points(benchmark, params))

    def _borda_points(self, benchmark: str, params: dict) -> pa.Table:
        """The rows of lb_borda_points for resolved parameters (the SQL definition)."""
        bench = self.benchmark(benchmark)
        return self._query("SELECT model_name, partition_key, task_name, points, in_table FROM "
                           "lb_borda_points($bench, $models, $tasks, $langs, $public_only, "
                           "$registry_only, $by_subset)",
                           {**params, "public_only": bench.public_only,
                            "by_subset": "mean_subset" in bench.aggregations})

    def _resampling(self, resamples: int | None, seed: int | None) -> tuple[int, int]:
        resamples = settings.get("rank_resamples") if resamples is None else resamples
        seed = stats.DEFAULT_SEED if seed is None else seed
        try:
            stats.check_resampling(resamples, seed)
        except ValueError as exc:
            raise RankingError(str(exc)) from None
        return resamples, seed

    def rank_intervals(self, benchmark: str, filters: Filters = Filters(),
                       resamples: int | None = None, seed: int | None = None, *,
                       compute: bool = True) -> pa.Table | None:
        """Model, Rank (Borda), rank_low, rank_high, rank_median, p_rank1, tied_with_leader
        (README "Rank intervals and robustness"); B = 0 leaves the last five NULL.
        ``compute=False``: the cached table, or None when it has not been computed yet."""
        resamples, seed = self._resampling(resamples, seed)
        key = ("rank_intervals", benchmark, filters.key(), resamples, seed)
        if not compute:
            with self._lock:
                return self._cache.get((self.cache_key(), *key))

        def compute_table():
            stored = self._stored_intervals(benchmark, filters, resamples, seed)
            return stored if stored is not None else stats.intervals_table(
                self.borda_inputs(benchmark, filters), resamples, seed)
        return self._cached(key, compute_table)

    def _stored_intervals(self, benchmark: str, filters: Filters, resamples: int,
                          seed: int) -> pa.Table | None:
        """The build's `rank_intervals` rows (etl/rank_intervals.py: every menu benchmark's
        default state, computed by stats.intervals_table when the build was published) when
        they answer this request: no filter, the same B and seed; else None."""
        if filters != Filters() or resamples == 0 or self._no_interval_table == self.cache_key():
            return None
        try:
            rows = self._query(
                'SELECT model_name AS "Model", borda_rank AS "Rank (Borda)", rank_low, '
                "rank_high, rank_median, p_rank1, tied_with_leader FROM rank_intervals "
                "WHERE benchmark = $b AND resamples = $r AND seed = $s "
                "ORDER BY borda_rank, model_name", {"b": benchmark, "r": resamples, "s": seed})
        except missing_in_build():  # an older build, or a past date (TODAY_ONLY_TABLES)
            self._no_interval_table = self.cache_key()
            return None
        if rows.num_rows == 0:
            return None
        if rows.schema.remove_metadata() != stats.INTERVAL_SCHEMA:   # the build's types
            rows = rows.cast(stats.INTERVAL_SCHEMA)   # (cast imports pyarrow.compute)
        return rows.replace_schema_metadata(
            {"resamples": str(resamples), "seed": str(seed), "stored": "rank_intervals"})

    def _table_scores(self, benchmark: str, filters: Filters) -> list[dict]:
        """Per summary row: borda_rank, mean_task, mean_task_type, task_scores (lb_model_scores'
        columns, from the summary's frame: no second query when the summary was computed).
        Not cached (~6 MB of Python objects on a large table): the results built from it are."""
        bench = self.benchmark(benchmark)
        params = self._params(benchmark, filters)
        if params is None:
            return []
        frame = self._summary_frame(benchmark, filters, {
            **params, "public_only": bench.public_only,
            "by_subset": "mean_subset" in bench.aggregations})
        rows = frame.select(["model_name", "borda_rank", "mean_task", "mean_task_type",
                             "task_score_map"]).to_pylist()
        for r in rows:
            r["task_scores"] = dict(r.pop("task_score_map") or [])
        return rows

    def pairwise(self, benchmark: str, filters: Filters = Filters(), models=(),
                 resamples: int | None = None, seed: int | None = None) -> pa.Table:
        """2-4 models of the table: P(A above B) over the rank intervals' resamples, per-task
        wins/ties/losses and the sign test (mteb_lb.stats.pairwise_table)."""
        resamples, seed = self._resampling(resamples, seed)
        models = list(models)
        if not 2 <= len(models) <= 4 or len(set(models)) != len(models):
            raise RankingError(f"compare takes 2 to 4 different models, not {models}")

        def compute():
            scores = {r["model_name"]: r["task_scores"]
                      for r in self._table_scores(benchmark, filters)}
            missing = [m for m in models if m not in scores]
            if missing:
                raise RankingError(f"not on the {benchmark} table with these filters: "
                                   + ", ".join(missing))
            return stats.pairwise_table(self.borda_inputs(benchmark, filters), scores, models,
                                        resamples, seed)
        return self._cached(("pairwise", benchmark, filters.key(), tuple(models), resamples, seed),
                            compute)

    def compare(self, state: LeaderboardState) -> pa.Table:
        """The head to head of a state's compared models (its ``selected``) on its table: what
        the compare page, ``/api/compare`` and ``mteb-lb compare`` show (``pairwise``)."""
        if state.as_of:
            raise RankingError("as_of: the head to head is computed on the current results "
                               "(past snapshots hold the tables, not the task scores)")
        return self.pairwise(state.benchmark, state.filters(), state.selected, state.resamples,
                             state.seed)

    def task_spread(self, benchmark: str, filters: Filters = Filters(), *,
                    compute: bool = True) -> pa.Table | None:
        """Per (model, task) with per-experiment scores: n_experiments, mean and sample sd of
        the per-experiment task scores, 0-100 scale (lb_task_spread). With the "exclude flagged
        scores" switch on, over the rows the switch keeps, and only for the scores the per-task
        table still shows (an excluded score has no spread). ``compute=False``: the cached
        table, or None when it has not been computed yet."""
        keep = None if filters.exclude_flags == "none" else (
            lambda table: self._shown_cells(benchmark, filters, table))
        return self._cell_table(
            "task_spread", benchmark, filters, compute,
            "SELECT model_name, task_name, n_experiments, mean * 100 AS mean, sd * 100 AS sd "
            "FROM lb_task_spread($bench, $models, $tasks, $langs, $registry_only) "
            "ORDER BY model_name, task_name", (EXCLUDE_LEVEL,), keep,
            stored="SELECT model_name, task_name, n_experiments, mean * 100 AS mean, "
                   "sd * 100 AS sd FROM benchmark_task_spread WHERE benchmark = $bench "
                   "AND (NOT $registry_only OR in_registry) ORDER BY model_name, task_name")

    def _shown_cells(self, benchmark: str, filters: Filters, cells: pa.Table) -> pa.Table:
        """The rows of a per-(model, task) table whose cell has a score in the per-task table."""
        import pyarrow.compute as pc  # deferred: see sort_rows
        if cells.num_rows == 0:
            return cells
        table = self.per_task(benchmark, filters)
        shown = {(m, t) for t in table.column_names[1:]
                 for m, v in zip(table.column("Model").to_pylist(),
                                 pc.is_valid(table.column(t)).to_pylist()) if v}
        mask = [(m, t) in shown for m, t in zip(cells.column("model_name").to_pylist(),
                                                 cells.column("task_name").to_pylist())]
        return cells.filter(pa.array(mask, pa.bool_()))

    def _cell_table(self, name: str, benchmark: str, filters: Filters, compute: bool,
                    sql: str, extra: tuple[str, ...], keep=None,
                    stored: str | None = None) -> pa.Table | None:
        """A per-(model, task) table of the per-task grid's cells (`sql` over the state's
        bound parameters, plus `extra` ones, then `keep` when given), cached per state; with
        ``compute=False`` only the cached table, or None (the page's deferred second request
        computes it). `stored`: a query of the build's table holding the benchmark's cells of
        every model and task ($bench, $registry_only), read instead of `sql` when no language
        filter or flag exclusion applies (`sql` for a build made before the table existed)."""
        def every_cell(bound):
            if stored is not None:
                try:
                    return self._query(stored, {"bench": bound["bench"],
                                                "registry_only": bound["registry_only"]})
                except missing_in_build():  # a build made before the table existed
                    pass
            return self._query(sql, {**bound, "models": None, "tasks": None})

        def run():
            params = self._params(benchmark, filters)
            if params is None:
                return pa.table({"model_name": pa.nulls(0, pa.string())})
            keys = ("bench", "models", "tasks", "langs", "registry_only", *extra)
            bound = {k: params[k] for k in keys}
            if bound["langs"] is not None or bound.get(EXCLUDE_LEVEL) is not None:
                table = self._query(sql, bound)
            else:
                # a (model, task)'s cells come from that pair's rows alone (lb_long filters
                # rows): the benchmark's cells of every model and task, computed once, then the
                # state's
                table = _cells_of(self._cached(
                    (name, benchmark, "every model and task", bound["registry_only"]),
                    lambda: every_cell(bound)), bound["models"], bound["tasks"])
            return table if keep is None else keep(table)
        return self._cached((name, benchmark, filters.key()), run, only_cached=not compute)

    def robustness_table(self, state: LeaderboardState, part: str = "ranks") -> pa.Table:
        """One part of the robustness view of a state's table as a table (ROBUSTNESS_PARTS):
        what ``/api/robustness`` and ``mteb-lb robustness`` give and the panel shows."""
        if part not in ROBUSTNESS_PARTS:
            raise RankingError(f"unknown robustness part {part!r}; valid parts: "
                               + ", ".join(ROBUSTNESS_PARTS))
        if state.benchmark is None:
            raise RankingError("no benchmark given; valid benchmarks: "
                               + ", ".join(sorted(self.benchmarks())))
        if state.as_of:
            raise RankingError("as_of: the robustness view is computed on the current results "
                               "(past snapshots hold the tables, not the task scores)")
        return robustness_part(self.robustness(state.benchmark, state.filters()), part,
                               state.search)

    def task_flags(self, benchmark: str, filters: Filters = Filters(), *,
                   compute: bool = True) -> pa.Table | None:
        """The error and warning validity flags of the scores the per-task table shows: one row
        per flag with model_name, task_name, rule, severity, message (lb_task_flags).
        ``compute=False``: the cached table, or None when it has not been computed yet."""
        return self._cell_table(
            "task_flags", benchmark, filters, compute,
            "SELECT * FROM lb_task_flags($bench, $models, $tasks, $langs, $registry_only)",
            (EXCLUDE_LEVEL,),
            stored="SELECT model_name, task_name, rule, severity, message "
                   "FROM benchmark_task_flags WHERE benchmark = $bench "
                   "AND (NOT $registry_only OR in_registry) "
                   "ORDER BY model_name, task_name, level, rule, message")

    def robustness(self, benchmark: str, filters: Filters = Filters()):
        """Ranks under Borda / Mean (Task) / Mean (TaskType), leave-one-task-out range, Kendall
        tau-b, Friedman + Nemenyi + critical difference (mteb_lb.stats.Robustness)."""
        return self._cached(("robustness", benchmark, filters.key()),
                            lambda: stats.robustness(self.borda_inputs(benchmark, filters),
                                                     self._table_scores(benchmark, filters)))




ROBUSTNESS_PARTS = ("ranks", "kendall", "friedman", "nemenyi")
_FRIEDMAN_SCHEMA = pa.schema([
    ("statistic", pa.float64()), ("p_value", pa.float64()), ("models", pa.int64()),
    ("tasks", pa.int64()), ("alpha", pa.float64()), ("critical_difference", pa.float64())])


def robustness_part(r: stats.Robustness, part: str, search: str = "") -> pa.Table:
    """``ranks``: per table row its rank under Borda, Mean (Task) and Mean (TaskType), its
    leave-one-task-out best and worst Borda rank and whether it has every task (the search
    applied); ``kendall``: tau-b between each two rankings; ``friedman``: the test over the
    critical-difference models (one row, none when fewer than 3 models or 2 tasks);
    ``nemenyi``: per such model its mean rank (1 = best) and its Nemenyi p-value against each."""
    if part == "ranks":
        return search_rows(r.ranks, search)
    if part == "kendall":
        return r.kendall
    f = r.friedman
    if part == "friedman":
        rows = [] if f is None else [{
            "statistic": f["statistic"], "p_value": f["p_value"], "models": len(f["models"]),
            "tasks": f["tasks"], "alpha": f["alpha"],
            "critical_difference": f["critical_difference"]}]
        return pa.Table.from_pylist(rows, _FRIEDMAN_SCHEMA)
    if f is None:
        return pa.table({"Model": pa.nulls(0, pa.string()),
                         "mean_rank": pa.nulls(0, pa.float64())})
    ranks = pa.array([f["mean_ranks"][m] for m in r.nemenyi.column("Model").to_pylist()],
                     pa.float64())
    return r.nemenyi.add_column(1, "mean_rank", ranks)


def close_names(name: str, names: list[str], n: int = 3) -> list[str]:
    """The `names` closest to a mistyped `name`, closest first, case ignored (difflib's ratio
    >= 0.6): the "did you mean" of every surface (the page, /api/table, the CLI)."""
    import difflib  # deferred: see the imports

    folded = {x.casefold(): x for x in names}
    return [folded[x] for x in difflib.get_close_matches(
        (name or "").casefold(), list(folded), n=n, cutoff=0.6)]


def matches(name: str | None, query: str) -> bool:
    """Quick search: case-insensitive substring of the model name (which starts with the
    organisation); several terms separated by ';' match any."""
    terms = [t.strip().lower() for t in query.split(";") if t.strip()]
    return not terms or any(t in (name or "").lower() for t in terms)


def search_rows(table: pa.Table, query: str) -> pa.Table:
    """The rows whose model name the quick search matches (matches), in the table's order;
    without pyarrow.compute, which a served worker has not imported (~35 ms on its first
    search)."""
    if not query or "Model" not in table.column_names:
        return table
    return arrow_np.rows_where(table, [matches(m, query)
                                       for m in table.column("Model").to_pylist()])


def sort_rows(table: pa.Table, sort: tuple[str, str] | None) -> pa.Table:
    """Rows ordered by one column, nulls last, ties in the table's order (a stable sort)."""
    if not sort or sort[0] not in table.column_names or table.num_rows < 2:
        return table
    import pyarrow.compute as pc  # deferred: the first summary needs none of it (~25 % of imports)

    column, direction = sort
    order = "descending" if direction == "desc" else "ascending"
    position = arrow_np.from_numpy(np.arange(table.num_rows, dtype=np.int64),
                                   np.ones(table.num_rows, dtype=bool))
    keyed = table.append_column("__position", position)
    keys = [*((c, order) for c in SORT_KEYS.get(column, (column,))), ("__position", "ascending")]
    if _NULLS_PER_KEY:   # pyarrow >= 25 deprecates the options-wide null_placement
        indices = pc.sort_indices(keyed, sort_keys=[(*k, "at_end") for k in keys])
    else:
        indices = pc.sort_indices(keyed, sort_keys=keys, null_placement="at_end")
    return table.take(indices)


_NULLS_PER_KEY = int(pa.__version__.split(".")[0]) >= 25


# The summary's rank-interval columns (README "Rank intervals and robustness"), after
# Rank (Borda) and Model: the interval as text ("3–7"), its bounds, the median resampled rank,
# P(rank 1) and whether the interval includes rank 1. Empty (null) with resamples = 0.
INTERVAL_COLUMNS = {"Rank (95% interval)": None, "Rank low (95%)": "rank_low",
                    "Rank high (95%)": "rank_high", "Median rank": "rank_median",
                    "P(rank 1)": "p_rank1", "Tied with leader": "tied_with_leader"}
# Columns sorted by others: the interval by its low, then its high bound.
SORT_KEYS = {"Rank (95% interval)": ("Rank low (95%)", "Rank high (95%)")}


def _task_scores_source(params: dict) -> str:
    """The lb_task_scores source (queries/leaderboard/lb_task_scores.macro.sql) that a state's
    structure needs: under a language filter alone on today's build, the masked score lists of
    the tasks the filter cuts and the stored means of the others; rows under flag exclusion or a
    language filter with a model filter (or on a build without benchmark_null_languages); the
    stored means with a recount under a model filter; else the stored means alone.
    Calling it directly instead of
    lb_task_scores spares DuckDB binding and optimizing the two disabled sources (it cannot fold
    bound parameters), most of a filtered request's fixed cost."""
    if params["langs"] is not None and params["models"] is None \
            and params.get(EXCLUDE_LEVEL) is None and params.get(NULL_LANGUAGES):
        return "lb_task_scores_language"  # the lists, but whole tasks read the build's means
    if params["langs"] is not None or params.get(EXCLUDE_LEVEL) is not None:
        return "lb_task_scores_rows"
    if params["models"] is None:
        return "lb_task_scores_stored"
    # today's build recounts from its lists (the same numbers), others from the rows
    return "lb_task_scores_recount_stored" if params.get(UNCOVERED) else "lb_task_scores_recount"


def _task_scores_call(params: dict, public_only: str = "$public_only") -> str:
    """The call of the state's lb_task_scores source (_task_scores_source) with its bound
    parameters: lb_task_scores' six, after the table lb_task_scores_recount_stored reads, the
    rows' source's repeated tasks (NULL without them: every task's pairs counted distinct) or
    the three tables lb_task_scores_language reads."""
    source = _task_scores_source(params)
    repeated = ("$" + REPEATED + "::VARCHAR[]" if REPEATED in params else "NULL") + ", "
    if source == "lb_task_scores_recount_stored":
        table = "$" + UNCOVERED + ", "
    elif source == "lb_task_scores_language":
        table = "$" + TASK_SCORE_LISTS + ", $" + NULL_LANGUAGES + ", $" + TASK_SETS + ", "
    elif source == "lb_task_scores_rows":
        table = repeated
    else:
        table = ""
    return (source + "(" + table + "$bench, $models, $tasks, $langs, " + public_only
            + ", $registry_only)")


def _model_scores_sql(params: dict) -> str:
    """A FROM clause with lb_model_scores' rows for bound parameters (with public_only and
    by_subset): by subset (HUME) the macro itself; ranked by task, lb_model_scores_of over the
    one task-score source the state needs (the same definition without its disabled branches).
    The text is one of a few fixed ones; values are only ever bound."""
    if params["by_subset"]:
        return ("lb_model_scores($bench, $models, $tasks, $langs, $public_only, $registry_only, "
                "$by_subset)")
    return ("(WITH lb_q_task_scores AS (FROM " + _task_scores_call(params) + ") "
            "FROM lb_model_scores_of('lb_q_task_scores'))")


def _summary_sql(params: dict) -> str:
    """lb_summary's rows in order for bound parameters, through _model_scores_sql."""
    if params["by_subset"]:
        return ("SELECT * FROM lb_summary($bench, $models, $tasks, $langs, $public_only, "
                "$registry_only, $by_subset) ORDER BY position")
    return ("WITH lb_q_model_scores AS (FROM " + _model_scores_sql(params) + ") "
            "SELECT * FROM lb_summary_of('lb_q_model_scores', $bench) ORDER BY position")


# lb_summary's rows in order from the default state's stored rows, for a model filter
# (Leaderboard._model_filter_frame): lb_summary_of over lb_model_scores_default
_MODEL_DEFAULT_SQL = (
    "WITH lb_q_model_scores AS (FROM lb_model_scores_default($" + DEFAULTS + ", $" + UNCOVERED
    + ", $bench, $models, $public_only)) "
    "SELECT * FROM lb_summary_of('lb_q_model_scores', $bench) ORDER BY position")


# the same when the selection covers every task (Leaderboard._covers_every_task)
_MODEL_COVERED_SQL = (
    "WITH lb_q_model_scores AS (FROM lb_model_scores_covered($" + DEFAULTS + ", $bench, $models)) "
    "SELECT * FROM lb_summary_of('lb_q_model_scores', $bench) ORDER BY position")


# lb_summary's rows in order from the per-model task lists, for a task filter
# (Leaderboard._task_filter_frame): lb_summary_of over lb_model_scores_lists
_TASK_LISTS_SQL = (
    "WITH lb_q_model_scores AS (FROM lb_model_scores_lists($" + MODEL_TASKS + ", $" + TASK_SCORED
    + ", $bench, $tasks, $public_only)) "
    "SELECT * FROM lb_summary_of('lb_q_model_scores', $bench) ORDER BY position")


def _with_intervals(table: pa.Table, intervals: pa.Table | None) -> pa.Table:
    """The summary with INTERVAL_COLUMNS after Rank (Borda) and Model (so the official columns
    keep their positions up to Model), matched by model name; empty without `intervals`."""
    if "Rank (Borda)" not in table.column_names or "Model" not in table.column_names:
        return table
    at = max(table.column_names.index("Rank (Borda)"), table.column_names.index("Model")) + 1
    n = table.num_rows
    if intervals is None:   # a filter change before its statistics: empty columns
        for name, key in INTERVAL_COLUMNS.items():
            kind = pa.string() if key is None else stats.INTERVAL_SCHEMA.field(key).type
            table = table.add_column(at, name, pa.nulls(n, kind))
            at += 1
        return table
    by_model = {r["Model"]: r for r in intervals.to_pylist()}
    rows = [by_model.get(m) or {} for m in table.column("Model").to_pylist()]
    for name, key in INTERVAL_COLUMNS.items():
        if key is None:
            values = [None if r.get("rank_low") is None else f"{r['rank_low']}–{r['rank_high']}"
                      for r in rows]
            column = arrow_np.typed(values, pa.string())
        else:
            column = arrow_np.typed([r.get(key) for r in rows],
                                    stats.INTERVAL_SCHEMA.field(key).type)
        table = table.add_column(at, name, column)
        at += 1
    return table


def _with_rank(table: pa.Table, summary: pa.Table) -> pa.Table:
    """Prepend the summary's Borda rank to a per-task table (same filters, same order)."""
    if "Rank (Borda)" not in summary.column_names or "Model" not in table.column_names:
        return table
    ranks = dict(zip(summary.column("Model").to_pylist(),
                     summary.column("Rank (Borda)").to_pylist()))
    column = arrow_np.typed([ranks.get(m) for m in table.column("Model").to_pylist()], pa.int64())
    return table.add_column(0, "Rank (Borda)", column)


def _shape_summary(frame: pa.Table, bench: Benchmark) -> pa.Table:
    """The official summary from lb_summary's (non-empty) Arrow frame, in its order: renamed
    columns, means on the 0-100 scale, one column per task type (keys sorted), typed as
    Python rows would be (integers int64, a column with no value of type null), the tasks no
    model has a complete score on as metadata. Column by column, numbers through numpy
    (_numbers): pyarrow's conversion of Python values imports pandas, which costs a fresh
    process more than the whole first summary."""
    def plain(key):
        column = frame.column(key)
        kind = column.type
        if column.null_count == len(column):
            return pa.nulls(len(column))
        if pa.types.is_integer(kind) or pa.types.is_floating(kind):
            # _numbers' types: int64 for integers, double for floats
            values = arrow_np.values(column)
            return arrow_np.from_numpy(values.astype(np.int64 if pa.types.is_integer(kind)
                                                     else np.float64), arrow_np.valid(column))
        return column

    def pct(values):
        return _numbers([None if v is None else v * 100 for v in values])

    def pct_column(key):
        column = frame.column(key)
        if column.null_count == len(column):
            return pa.nulls(len(column))
        if not pa.types.is_floating(column.type):
            return pct(column.to_pylist())
        valid = arrow_np.valid(column)  # null slots hold anything: scale only the others
        values = np.multiply(arrow_np.values(column), 100, out=np.zeros(len(column)), where=valid)
        return arrow_np.from_numpy(values, valid)

    columns = {"Rank (Borda)": plain("borda_rank"), "Model": plain("model_name"),
               "Zero-shot": plain("zero_shot"), "Active Parameters (B)": plain("active_params_b"),
               "Total Parameters (B)": plain("total_params_b"),
               "Embedding Dimensions": plain("embed_dim"), "Max Tokens": plain("max_tokens")}
    for key, name in MEAN_COLUMNS.items():
        if name in bench.mean_columns:
            columns[name] = pct_column(key)
    if "task_types" in bench.aggregations:
        # a DuckDB MAP arrives as a list of (key, value) pairs
        type_means = [dict(m or []) for m in frame.column("type_means").to_pylist()]
        for t in sorted({t for m in type_means for t in m}):
            columns[t] = pct([m.get(t) for m in type_means])
    columns["Release Date"] = plain("release_date")
    if bench.sort_column:  # the positional rank in front, Borda moved to the end
        borda = columns.pop("Rank (Borda)")
        release = columns.pop("Release Date")
        columns = {bench.rank_column: plain("position"), **columns, "Rank (Borda)": borda,
                   "Release Date": release}
    blank = frame.column("tasks_without_scores")[0].as_py() or []
    # tasks on which no model has a complete score blank every Mean (Task): carried as table
    # metadata so the dashboard can say why without a second query
    table = pa.Table.from_arrays(list(columns.values()), names=list(columns))
    return table.replace_schema_metadata({"tasks_without_scores": json.dumps(blank)})


def _numbers(values: list) -> pa.Array:
    """Python numbers (None: null) as the Arrow array pa.array would give (int64 when every
    value is an int, else double; type null when there is none), built from numpy buffers:
    pa.array on Python values imports pandas."""
    n = len(values)
    present = [v for v in values if v is not None]
    if not present:
        return pa.nulls(n)
    ints = all(type(v) is int for v in present)
    data = np.array([0 if v is None else v for v in values],
                    dtype=np.int64 if ints else np.float64)
    valid = None
    if len(present) < n:
        valid = pa.py_buffer(np.packbits(np.array([v is not None for v in values]),
                                         bitorder="little"))
    return pa.Array.from_buffers(pa.int64() if ints else pa.float64(), n,
                                 [valid, pa.py_buffer(data)], null_count=n - len(present))


def _snapshot_order(rows: list[dict], bench: Benchmark) -> list[dict]:
    """A history snapshot's summary rows in the order lb_summary gave them when the snapshot was
    recorded: its stored rank (the Borda rank, or the positional rank of a benchmark with sort
    columns, which then replaces Rank (Borda)), or for a benchmark ordered by a mean (HUME) that
    mean, descending, NULLs last; ties by model name, as lb_summary breaks them."""
    if bench.sort_column:
        rows = [{bench.rank_column: r.pop("Rank (Borda)"), **r} for r in rows]
    rank = bench.rank_column if bench.sort_column else "Rank (Borda)"
    if not bench.sort_column and bench.default_sort != "Rank (Borda)":
        key = bench.default_sort
        return sorted(rows, key=lambda r: (r.get(key) is None, -(r.get(key) or 0), r["Model"]))
    return sorted(rows, key=lambda r: (r[rank] is None, r[rank] or 0, r["Model"]))


@dataclass(frozen=True)
class TaskPresence:
    """Per model and task of a board's summary rows: whether the model has a row on the task
    (a key of its task_score_map, scored or not, or of its raw means when the table leaves it
    out) and whether it has a score there (a value of its task_score_map that is not NULL).
    Boolean matrices (models x tasks, ~60 k cells on MTEB(Multilingual, v2)): a selection's
    check is a few numpy reductions, and building them from the map entries takes a few ms,
    where per-task sets of names took ~10 ms each."""
    models: dict[str, int]   # model name -> its row in the matrices
    rows: np.ndarray         # bool (models, tasks): a row on the task
    scored: np.ndarray       # bool (models, tasks of the maps): a score on the task (the
                             # tasks only the left-out models' raw means name come after them
                             # in `rows`: none is scored)

    @classmethod
    def of(cls, frame: pa.Table) -> TaskPresence:
        """From lb_summary's model_name, task_score_map and outside_raw_means."""
        entry_rows, keys, _values, ok = arrow_np.map_entries(frame.column("task_score_map"))
        names = frame.column("model_name").to_pylist()
        outside = [(e["model_name"], [k for k, _mean in e["raw_means"] or ()])
                   for cell in frame.column("outside_raw_means").to_pylist() for e in cell or ()]
        in_maps = dict.fromkeys(keys)
        tasks = {t: i for i, t in enumerate(dict.fromkeys(
            [*in_maps, *(k for _name, ks in outside for k in ks)]))}
        everyone = [*names, *(n for n, _ks in outside)]
        models = {name: i for i, name in enumerate(everyone)}
        rows = np.zeros((len(everyone), len(tasks)), dtype=bool)
        scored = np.zeros((len(everyone), len(in_maps)), dtype=bool)
        columns = np.fromiter(map(tasks.__getitem__, keys), dtype=np.int64, count=len(keys))
        rows[entry_rows, columns] = True
        scored[entry_rows[ok], columns[ok]] = True
        for name, ks in outside:
            rows[models[name], [tasks[k] for k in ks]] = True
        return cls(models, rows, scored)

    def every_task(self, models: list[str], *, scored: bool) -> bool:
        """Whether every task has one of `models` with a row; with `scored`, whether every
        task of the maps has one with a score there (none when the maps name no task)."""
        matrix = self.scored if scored else self.rows
        if scored and matrix.shape[1] == 0:
            return False
        picked = [self.models[m] for m in models if m in self.models]
        return bool(matrix[picked].any(axis=0).all())


def _cells_of(table: pa.Table, models: list[str] | None, tasks: list[str] | None) -> pa.Table:
    """The rows of a per-(model, task) table whose model is in `models` and task in `tasks`
    (None: any), in the table's order."""
    import pyarrow.compute as pc  # deferred: see sort_rows

    for column, keep in (("model_name", models), ("task_name", tasks)):
        if keep is not None:
            table = table.filter(pc.is_in(table.column(column),
                                          value_set=arrow_np.typed(list(keep), pa.string())))
    return table


def _empty_summary(bench: Benchmark) -> pa.Table:
    return pa.table({bench.rank_column: pa.nulls(0, pa.int64()),
                     "Model": pa.nulls(0, pa.string())})


# The cell coordinates of a long table pivoted wide: the row is the model's place in the table's
# order (order column ascending, NULLs last, ties by name), the column the key's place in
# `columns` (a $columns parameter or a column of the query).
_PIVOT_ROW = "dense_rank() OVER (ORDER BY {order} ASC NULLS LAST, model_name) - 1 AS row_idx"
_PIVOT_COLUMN = ("list_position(columns, {key}) - 1 AS col_idx, "
                 "list_extract(columns, list_position(columns, {key})) AS column_name")
_PIVOT_INDEX = _PIVOT_ROW + ", " + _PIVOT_COLUMN


def _frame_pivot(frame: pa.Table, columns: list[str]) -> pa.Table:
    """The per-task table (_pivot's) of (non-empty) summary rows' task_score_map: rows in Borda
    order (ties by name, NULL ranks last), columns in `columns` order (keys not in it left out).
    Read from the Arrow buffers: no pyarrow.compute, no pandas (the first table of a process
    would import them)."""
    n = frame.num_rows
    ranks = frame.column("borda_rank").to_pylist()
    names = frame.column("model_name").to_pylist()
    order = sorted(range(n), key=lambda i: (ranks[i] is None, ranks[i] or 0,
                                             names[i] is None, names[i] or ""))
    row_of = np.empty(n, dtype=np.int64)
    row_of[np.array(order, dtype=np.int64)] = np.arange(n)
    place: dict[str, int] = {}
    for i, c in enumerate(columns):
        place.setdefault(c, i)
    which_all, keys, values, valid = arrow_np.map_entries(frame.column("task_score_map"))
    if not keys:
        return pa.table({"Model": pa.nulls(0, pa.string())})
    cols = np.array([place.get(k, -1) for k in keys], dtype=np.int64)
    keep = cols >= 0
    return _wide(row_of[which_all][keep], cols[keep],
                 np.array(names, dtype=object)[which_all][keep],
                 np.array(keys, dtype=object)[keep],
                 values[keep], valid[keep])


def _pivot(long: pa.Table) -> pa.Table:
    """A wide table (Model, then one column per key present, in `columns` order) from the long
    rows of _PIVOT_INDEX; cells are scores on the 0-100 scale, NULL when missing."""
    keep = arrow_np.valid(long.column("col_idx"))
    return _wide(arrow_np.values(long.column("row_idx"))[keep],
                 arrow_np.values(long.column("col_idx"))[keep],
                 np.array(long.column("model_name").to_pylist(), dtype=object)[keep],
                 np.array(long.column("column_name").to_pylist(), dtype=object)[keep],
                 arrow_np.values(long.column("score"))[keep],
                 arrow_np.valid(long.column("score"))[keep])


def _wide(rows: np.ndarray, cols: np.ndarray, names: np.ndarray, headers: np.ndarray,
          scores: np.ndarray, valid: np.ndarray) -> pa.Table:
    """_pivot's table from its cells: row and column places, the cell's model name and column
    header, its score (0-1) and whether it has one."""
    if len(rows) == 0:
        return pa.table({"Model": pa.nulls(0, pa.string())})
    present, col_of = np.unique(cols, return_inverse=True)
    row_names = np.empty(int(rows.max()) + 1, dtype=object)
    row_names[rows] = names
    col_names = np.empty(len(present), dtype=object)
    col_names[col_of] = headers
    values = np.where(valid, scores, 0.0) * 100
    grid = np.zeros((len(row_names), len(present)))
    filled = np.zeros((len(row_names), len(present)), dtype=bool)
    grid[rows, col_of] = values
    filled[rows, col_of] = valid
    data = {"Model": arrow_np.typed(row_names.tolist(), pa.string())}
    for j, header in enumerate(col_names.tolist()):
        data[header] = arrow_np.from_numpy(np.ascontiguousarray(grid[:, j]), filled[:, j])
    return pa.table(data)


_default: Leaderboard | None = None


def leaderboard() -> Leaderboard:
    """The process-wide Leaderboard over the current build (created on first use)."""
    global _default
    if _default is None:
        _default = Leaderboard()
    return _default
