"""The leaderboard state: one definition, one codec, for every surface.

A leaderboard state is everything that decides which table a user sees: the benchmark, the view,
every model and task filter, the search, the sort, and the dashboard's own choices (plot, selected
rows). ``FIELDS`` declares each field once: its name (the same in the dashboard URL, in
``/api/table`` and in Python), the names it was known by before (aliases, accepted on input and
rewritten), its CLI flag (the name with dashes), its kind, its default and its help text. The
dashboard URL, ``/api/table``, ``mteb-lb table`` and the CSV download all decode and encode
through :func:`decode` and :func:`encode`.

Conventions, the same on every surface:

* lists accept repeated keys (``task_types=Retrieval&task_types=STS``) and comma lists
  (``task_types=Retrieval,STS``), except model names (``models``, ``selected``), which can hold
  commas and only repeat. A list given with an empty value means "none selected" for task types,
  domains, modalities and model types (no task or model is left) and "all" for languages, tasks
  and models (nothing picked in a search box reads as no filter); absent means "all". Tasks
  have an explicit "none ticked": ``tasks=none`` (the field's ``none_value``), the canonical
  encoding of an empty task selection.
* booleans are ``1``/``0`` (``true``/``false``, ``yes``/``no`` are accepted); choices are
  case-sensitive; sizes are in billions of parameters (``max_params_b=1`` is 1B).
* Size bounds and unknown sizes: as the official leaderboard does, a size bound drops models
  whose size is unknown (most API models) unless ``keep_unknown_size=1``.
* Anything malformed is a *problem*: :func:`decode` never raises; it drops the value (the
  default is used) and returns a message. The dashboard shows the messages as warnings; the API
  answers 400 and the CLI exits 1 with the same messages.

Nothing here touches the warehouse: :func:`check` drops values a benchmark does not offer, given
the valid values by the caller. :meth:`LeaderboardState.filters` gives the rankings' key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Callable, Mapping
from urllib.parse import parse_qs, urlencode

VIEWS = ("summary", "per-task", "per-language", "tasks")
VIEW_LABELS = {"summary": "Summary", "per-task": "Performance per task",
               "per-language": "Performance per language", "tasks": "Task information"}
PLOTS = ("size", "time", "radar", "intervals")
ZERO_SHOT = ("allow_all", "remove_unknown", "only_zero_shot")
YES_NO = ("yes", "no")
SORT_DIRECTIONS = ("asc", "desc")
# Missing results: as mteb (official), only models with a score on every task of the table
# (complete), only the tasks every model of the table has a score on (common).
MISSING = ("official", "complete", "common")
MAX_RESAMPLES = 10_000       # rank intervals: B above this would take gigabytes
MAX_SEED = 2**63 - 1
# "exclude flagged scores" (docs/QUALITY.md): none, errors, or errors and warnings are dropped
EXCLUDE_FLAGS = ("none", "error", "warning")


@dataclass(frozen=True)
class Filters:
    """The part of a state that decides the rankings (a cache key of the rankings layer).
    Tuples are selections; None means "no filter"."""

    min_params_b: float | None = None
    max_params_b: float | None = None
    keep_unknown_size: bool = False
    open_weights: bool | None = None
    instructions: bool | None = None
    sentence_transformers: bool = False
    model_types: tuple[str, ...] | None = None
    zero_shot: str = "allow_all"
    task_types: tuple[str, ...] | None = None
    domains: tuple[str, ...] | None = None
    modalities: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None   # ISO 639-3 codes, e.g. ("eng", "deu")
    tasks: tuple[str, ...] | None = None
    all_models: bool = False                    # include models outside mteb's registry
    models: tuple[str, ...] | None = None       # an explicit selection of models
    missing: str = "official"                   # MISSING: official | complete | common
    exclude_flags: str = "none"                 # drop flagged scores up to this severity

    def key(self) -> tuple:
        # asdict's items without its deep copy (the values are immutable; ~10 calls a request)
        return tuple(sorted((f.name, getattr(self, f.name)) for f in fields(self)))


@dataclass(frozen=True)
class LeaderboardState:
    """Everything a leaderboard table depends on. ``None`` lists mean "all" (no filter)."""

    benchmark: str | None = None
    view: str = "summary"
    search: str = ""
    min_params_b: float | None = None
    max_params_b: float | None = None
    keep_unknown_size: bool = False
    open_weights: str | None = None        # "yes" | "no" | None (both)
    instructions: str | None = None        # "yes" | "no" | None (both)
    sentence_transformers: bool = False
    model_types: tuple[str, ...] | None = None
    zero_shot: str = "allow_all"
    all_models: bool = False               # include models outside mteb's registry
    task_types: tuple[str, ...] | None = None
    domains: tuple[str, ...] | None = None
    modalities: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None   # never () (None = all)
    tasks: tuple[str, ...] | None = None       # () = none ticked (tasks=none)
    models: tuple[str, ...] | None = None      # only these models; never () (None = all)
    selected: tuple[str, ...] = ()          # dashboard: selected rows (radar, compare)
    plot: str = "size"                     # dashboard: the plot shown under the table
    sort: tuple[str, str] | None = None    # (official column name, "asc" | "desc")
    as_of: str | None = None               # YYYY-MM-DD: the table as it was on that date
    resamples: int | None = None           # rank intervals: B (None: the rank_resamples setting)
    seed: int | None = None                # rank intervals: seed (None: stats.DEFAULT_SEED)
    missing: str = "official"              # missing results: official | complete | common
    exclude_flags: str = "none"            # drop flagged scores: none | error | warning

    def filters(self) -> Filters:
        bounded = self.min_params_b is not None or self.max_params_b is not None
        return Filters(
            min_params_b=self.min_params_b, max_params_b=self.max_params_b,
            # Only meaningful with a bound; False otherwise keeps one cache entry per filter.
            keep_unknown_size=self.keep_unknown_size and bounded,
            open_weights=_yes_no(self.open_weights),
            instructions=_yes_no(self.instructions),
            sentence_transformers=self.sentence_transformers,
            model_types=self.model_types, zero_shot=self.zero_shot,
            task_types=self.task_types, domains=self.domains, modalities=self.modalities,
            languages=self.languages, tasks=self.tasks, all_models=self.all_models,
            models=self.models, missing=self.missing, exclude_flags=self.exclude_flags,
        )

    def build_statistics(self) -> bool:
        """Whether this state's tables and statistics are the build's own: no filter, the
        default resampling and seed (its rank intervals and cells are stored by the build)."""
        return self.filters() == Filters() and self.seed is None and self.resamples is None

    def for_benchmark(self, benchmark: str) -> "LeaderboardState":
        """This state moved to another benchmark: model filters, search and selection are kept,
        the benchmark's own choices (task selections, size range, sort) are reset."""
        keep = {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in BENCHMARK_FIELDS}
        keep["benchmark"] = benchmark
        if keep["view"] == "per-language":
            keep["view"] = "summary"
        return LeaderboardState(**keep)


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value) if value else None


# --------------------------------------------------------------------------------------------
# the field table
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    name: str                    # attribute, URL and API parameter name
    kind: str                    # text | choice | bool | size | list | names | sort | date | int
    help: str
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()              # older names, accepted and rewritten
    value_aliases: tuple[tuple[str, str], ...] = ()   # older values, e.g. avail=open
    dashboard_only: bool = False  # no effect on the table: no CLI flag
    empty_is_all: bool = False    # lists: an empty value means "all" rather than "none"
    bounds: tuple[int, int] = (0, 0)          # int: smallest and largest value
    none_value: str = ""          # lists with empty_is_all: the value meaning "none selected"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def default(self):
        return _DEFAULTS[self.name]


FIELDS: tuple[Field, ...] = (
    Field("benchmark", "text", "benchmark name, e.g. 'MTEB(eng, v2)'",
          aliases=("benchmark_name",)),
    Field("view", "choice", "which table", choices=VIEWS, aliases=("tab",)),
    Field("search", "text", "parts of model or organisation names, ';' between several",
          aliases=("q",)),
    Field("min_params_b", "size", "smallest total parameters, in billions", aliases=("min_b",)),
    Field("max_params_b", "size", "largest total parameters, in billions", aliases=("max_b",)),
    Field("keep_unknown_size", "bool",
          "keep models of unknown size when a size bound is set (the official board drops them)",
          aliases=("unknown_size",)),
    Field("open_weights", "choice", "only open-weight (yes) or only proprietary (no) models",
          choices=YES_NO, aliases=("avail",),
          value_aliases=(("open", "yes"), ("proprietary", "no"))),
    Field("instructions", "choice", "only instruction-tuned (yes) or only other (no) models",
          choices=YES_NO, aliases=("inst",)),
    Field("sentence_transformers", "bool", "only sentence-transformers compatible models",
          aliases=("st",)),
    Field("model_types", "list", "model types, e.g. dense,late-interaction", aliases=("mtypes",)),
    Field("zero_shot", "choice", "zero-shot filter", choices=ZERO_SHOT, aliases=("zs",)),
    Field("all_models", "bool", "include models outside mteb's registry (hidden officially)",
          aliases=("all",)),
    Field("task_types", "list", "task types, e.g. Retrieval,STS", aliases=("types",)),
    Field("domains", "list", "task domains, e.g. Legal,Medical", aliases=("doms",)),
    Field("modalities", "list", "task modalities, e.g. text,image", aliases=("mods",)),
    Field("languages", "list", "ISO 639-3 language codes, e.g. eng,deu", aliases=("langs",),
          empty_is_all=True),
    Field("tasks", "list", "task names ('none': every task unticked)", empty_is_all=True,
          none_value="none"),
    Field("models", "names", "only these models (repeat the parameter for several)",
          empty_is_all=True),
    Field("selected", "names", "selected rows (radar, compare)", aliases=("model",),
          dashboard_only=True),
    Field("plot", "choice", "the plot under the table", choices=PLOTS, dashboard_only=True),
    Field("sort", "sort", "row order: <official column name>:asc or :desc"),
    Field("as_of", "date", "the table as it was on this date (YYYY-MM-DD, UTC), from the "
                           "leaderboard history"),
    Field("resamples", "int", "rank intervals: bootstrap resamples, 0 for none (default: the "
          "rank_resamples setting)", bounds=(0, MAX_RESAMPLES)),
    Field("seed", "int", "rank intervals: seed of the resamples (default 12)",
          bounds=(0, MAX_SEED)),
    Field("missing", "choice", "missing results: official (as mteb), complete (only models "
          "with every task), common (only tasks every model has)", choices=MISSING),
    Field("exclude_flags", "choice", "drop flagged scores before ranking: none, error (errors) "
          "or warning (errors and warnings); docs/QUALITY.md", choices=EXCLUDE_FLAGS),
)
_DEFAULTS = {f.name: f.default for f in fields(LeaderboardState)}
BY_NAME = {f.name: f for f in FIELDS}
_BY_INPUT = {**{a: f for f in FIELDS for a in f.aliases}, **BY_NAME}
assert set(BY_NAME) == set(_DEFAULTS), set(BY_NAME) ^ set(_DEFAULTS)
# The benchmark's own choices: reset when the benchmark changes.
BENCHMARK_FIELDS = ("task_types", "domains", "modalities", "languages", "tasks",
                    "min_params_b", "max_params_b", "sort")


# --------------------------------------------------------------------------------------------
# decoding
# --------------------------------------------------------------------------------------------

def parse_search(search: str | None) -> dict[str, str | list[str]]:
    """``?a=1&b=2&b=3`` -> {"a": "1", "b": ["2", "3"]}, as Dash passes query params to layouts."""
    if not search:
        return {}
    parsed = parse_qs(search.lstrip("?"), keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _values(raw) -> list[str]:
    values = list(raw) if isinstance(raw, (list, tuple)) else [raw]
    return ["" if v is None else str(v) for v in values]


def _single(f: Field, raw, problems: list[str]) -> str:
    values = _values(raw)
    if len(values) > 1:
        problems.append(f"'{f.name}' was given {len(values)} times; the last value is used.")
    return values[-1].strip()


def _decode_text(f: Field, raw, problems):
    value = _single(f, raw, problems)
    return (value or None) if f.name == "benchmark" else value


def _decode_choice(f: Field, raw, problems):
    value = _single(f, raw, problems)
    value = dict(f.value_aliases).get(value, value)
    if value in f.choices:
        return value
    problems.append(f"'{f.name}={value}' is not valid; valid values: {', '.join(f.choices)}.")
    return f.default


def _decode_bool(f: Field, raw, problems):
    value = _single(f, raw, problems).lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    problems.append(f"'{f.name}={value}' is not valid: use 1 or 0.")
    return f.default


def _decode_size(f: Field, raw, problems):
    value = _single(f, raw, problems)
    if value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0:
        problems.append(f"'{f.name}={value}' is not a number of billions of parameters "
                        "(e.g. 0.5).")
        return None
    return number


def _decode_list(f: Field, raw, problems):
    out: list[str] = []
    for value in _values(raw):
        parts = value.split(",") if f.kind == "list" else [value]
        out.extend(p.strip() for p in parts if p.strip())
    chosen = tuple(dict.fromkeys(out))
    if f.none_value and f.none_value in chosen:
        if len(chosen) == 1:
            return ()
        chosen = tuple(v for v in chosen if v != f.none_value)
        problems.append(f"'{f.name}' lists '{f.none_value}' (none selected) with names; "
                        f"'{f.none_value}' was ignored.")
    if not chosen and f.empty_is_all:
        return None
    return chosen


def _decode_sort(f: Field, raw, problems):
    value = _single(f, raw, problems)
    if not value:
        return None
    column, sep, direction = value.rpartition(":")
    if not sep:
        column, direction = value, "desc"
    direction = direction.strip().lower()
    if not column.strip() or direction not in SORT_DIRECTIONS:
        problems.append(f"'sort={value}' is not valid: use <column>:asc or <column>:desc.")
        return None
    return column.strip(), direction


def _decode_date(f: Field, raw, problems):
    value = _single(f, raw, problems)
    if not value:
        return None
    try:
        if len(value) != 10:   # YYYY-MM-DD only (fromisoformat also takes 20250101)
            raise ValueError(value)
        date.fromisoformat(value)
    except ValueError:
        problems.append(f"'{f.name}={value}' is not a date: use YYYY-MM-DD.")
        return None
    return value
def _decode_int(f: Field, raw, problems):
    value = _single(f, raw, problems)
    if value == "":
        return None
    lo, hi = f.bounds
    if not (value.isascii() and value.isdigit()) or not lo <= int(value) <= hi:
        problems.append(f"'{f.name}={value}' is not valid: use a whole number from {lo:,} to "
                        f"{hi:,}.")
        return f.default
    return int(value)


_DECODERS: dict[str, Callable] = {
    "text": _decode_text, "choice": _decode_choice, "bool": _decode_bool,
    "size": _decode_size, "list": _decode_list, "names": _decode_list, "sort": _decode_sort,
    "date": _decode_date, "int": _decode_int,
}


def decode(params: Mapping[str, object] | str | None, *, extra: tuple[str, ...] = ()
           ) -> tuple[LeaderboardState, list[str]]:
    """Query parameters (a mapping of name -> str or list of str, or a ``?a=b`` string) ->
    (state, problems). Never raises. ``extra`` names parameters the caller handles itself
    (e.g. ``format`` on the API): they are neither decoded nor reported."""
    if params is None or isinstance(params, str):
        params = parse_search(params)
    problems: list[str] = []
    values: dict[str, object] = {}
    for key, raw in params.items():
        if key in extra:
            continue
        f = _BY_INPUT.get(key)
        if f is None:
            problems.append(f"Unknown parameter '{key}'; known parameters: "
                            + ", ".join(BY_NAME) + ".")
            continue
        values[f.name] = _DECODERS[f.kind](f, raw, problems)
    lo, hi = values.get("min_params_b"), values.get("max_params_b")
    if lo is not None and hi is not None and lo > hi:
        problems.append(f"min_params_b={_number(lo)} is above max_params_b={_number(hi)}; "
                        "the two were swapped.")
        values["min_params_b"], values["max_params_b"] = hi, lo
    return LeaderboardState(**values), problems


def check(state: LeaderboardState, valid: Mapping[str, list[str]]
          ) -> tuple[LeaderboardState, list[str]]:
    """Drop selections a benchmark does not offer. ``valid`` maps field names (task_types,
    domains, modalities, languages, tasks, model_types, views) to the allowed values."""
    problems: list[str] = []
    changes: dict[str, object] = {}
    for name in ("task_types", "domains", "modalities", "languages", "tasks", "model_types"):
        chosen = getattr(state, name)
        if chosen is None or name not in valid:
            continue
        allowed = set(valid[name])
        bad = [v for v in chosen if v not in allowed]
        if bad:
            label = name.replace("_", " ")
            shown = ", ".join(valid[name][:30]) + (" …" if len(valid[name]) > 30 else "")
            problems.append(f"Unknown {label}: {', '.join(bad)}. Valid {label}: {shown}.")
            kept = tuple(v for v in chosen if v in allowed)
            changes[name] = kept if kept else None   # every value wrong: fall back to "all"
    if "views" in valid and state.view not in valid["views"]:
        problems.append(f"This benchmark has no '{VIEW_LABELS.get(state.view, state.view)}' "
                        "view; showing the summary.")
        changes["view"] = "summary"
    return (replace(state, **changes) if changes else state), problems


# --------------------------------------------------------------------------------------------
# encoding
# --------------------------------------------------------------------------------------------

def _number(x: float) -> str:
    return format(x, ".6g")


def encode_pairs(state: LeaderboardState, *, include_dashboard: bool = True
                 ) -> list[tuple[str, str]]:
    """The canonical (name, value) pairs of a state, defaults left out, lists repeated."""
    pairs: list[tuple[str, str]] = []
    for f in FIELDS:
        value = getattr(state, f.name)
        if value == f.default or (f.dashboard_only and not include_dashboard):
            continue
        if f.kind in ("list", "names"):
            if value:
                pairs.extend((f.name, v) for v in value)
            elif f.none_value:
                pairs.append((f.name, f.none_value))   # "none selected", not "all"
            else:
                pairs.append((f.name, ""))   # present but empty: "none selected"
        elif f.kind == "bool":
            pairs.append((f.name, "1" if value else "0"))
        elif f.kind == "size":
            pairs.append((f.name, _number(value)))
        elif f.kind == "sort":
            pairs.append((f.name, f"{value[0]}:{value[1]}"))
        else:
            pairs.append((f.name, str(value)))
    return pairs


def encode(state: LeaderboardState) -> str:
    """The canonical query string (``?...``, or ``""`` for the default state)."""
    pairs = encode_pairs(state)
    return "?" + urlencode(pairs) if pairs else ""


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------

def add_arguments(parser) -> None:
    """One option per table field (``--task-types``, ...), collected under ``args.state``."""
    group = parser.add_argument_group("leaderboard state (as in the dashboard URL and the API)")
    for f in FIELDS:
        if f.dashboard_only:
            continue
        if f.kind == "bool":
            group.add_argument(f.flag, dest=f"state_{f.name}", action="append_const",
                               const="1", help=f.help)
        else:
            metavar = "|".join(f.choices) if f.kind == "choice" else f.name.upper()
            group.add_argument(f.flag, dest=f"state_{f.name}", action="append", metavar=metavar,
                               help=f.help + (" (repeat, or separate with commas)"
                                              if f.kind == "list" else
                                              " (repeat for several)" if f.kind == "names"
                                              else ""))


def params_from_args(args) -> dict[str, list[str]]:
    """The query parameters the CLI options of :func:`add_arguments` stand for."""
    out: dict[str, list[str]] = {}
    for f in FIELDS:
        values = getattr(args, f"state_{f.name}", None)
        if values is not None:
            out[f.name] = list(values)
    return out
