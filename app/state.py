"""Page state <-> URL query string, for every page of the dashboard.

The URL is the only place state lives: a reload, a shared link or the back button gives the same
view. Each page has a frozen dataclass; ``decode_*`` takes the query parameters as Dash passes
them to a page's ``layout(**query)`` (a str per key, a list when the key repeats) or a raw
``?a=b`` string, and returns ``(state, warnings)``: a malformed value is dropped (its default is
used) and described in a warning, never raised. ``encode_*`` writes the canonical query string,
leaving defaults out.

Conventions (close to the V2 leaderboard's URL, see docs/FEATURES.md §URLs):

* lists repeat the key (``types=Retrieval&types=STS``); a list parameter present with an empty
  value (``langs=``) means "none selected", absent means "all" (no filter). Names never split on
  commas for models (model names contain commas); other lists also accept ``a,b`` when decoding;
* booleans are ``1``/``0``; the size bounds are in billions of parameters (``min_b=0.1``).

Nothing here touches the warehouse: checking values against what a benchmark offers is
``check_leaderboard(state, valid)``, with the valid values given by the caller.

Leaderboard parameters (``/``):

==============  ======================================================================
``benchmark``   benchmark name (``benchmark_name``, the GRADIO leaderboard's, is accepted)
``tab``         ``summary`` | ``per-task`` | ``per-language`` | ``tasks``
``q``           search: parts of model or organisation names, ``;`` between several
``min_b``       smallest total size in billions of parameters; ``max_b`` the largest
``unknown_size`` ``0``: drop models of unknown size once a bound is set (default ``1``)
``avail``       ``open`` | ``proprietary``
``inst``        ``yes`` (instruction-tuned only) | ``no``
``st``          ``1``: sentence-transformers compatible only
``mtypes``      model types (dense, cross-encoder, late-interaction, sparse, ...)
``zs``          ``allow_all`` | ``remove_unknown`` | ``only_zero_shot``
``all``         ``1``: include models outside mteb's registry
``types`` ``doms`` ``mods`` ``langs`` ``tasks``   task types, domains, modalities, ISO 639-3
                languages, tasks (empty ``langs``/``tasks`` = all)
``model``       selected rows (repeat the key), used by the radar and "Compare selected"
``plot``        ``size`` | ``time`` | ``radar``
``sort``        ``<official column name>:asc|desc``
==============  ======================================================================

Compare page (``/compare``): ``model`` (2-4, repeated) and ``benchmark``. Model page
(``/model``): ``name``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Mapping
from urllib.parse import parse_qs, urlencode

TABS = ("summary", "per-task", "per-language", "tasks")
TAB_LABELS = {"summary": "Summary", "per-task": "Performance per task",
              "per-language": "Performance per language", "tasks": "Task information"}
PLOTS = ("size", "time", "radar")
ZERO_SHOT = ("allow_all", "remove_unknown", "only_zero_shot")
AVAILABILITY = ("open", "proprietary")
INSTRUCTIONS = ("yes", "no")
SORT_DIRECTIONS = ("asc", "desc")
MAX_COMPARE = 4

# Query-string key -> LeaderboardState field, in the order keys are written.
_LB_KEYS = {
    "benchmark": "benchmark", "tab": "tab", "q": "query",
    "min_b": "min_b", "max_b": "max_b", "unknown_size": "unknown_size",
    "avail": "availability", "inst": "instructions", "st": "sentence_transformers",
    "mtypes": "model_types", "zs": "zero_shot", "all": "all_models",
    "types": "task_types", "doms": "domains", "mods": "modalities", "langs": "languages",
    "tasks": "tasks", "model": "models", "plot": "plot", "sort": "sort",
}
# Accepted on input only (the GRADIO leaderboard's parameter), rewritten to the canonical key.
_ALIASES = {"benchmark_name": "benchmark"}
_LIST_FIELDS = ("model_types", "task_types", "domains", "modalities", "languages", "tasks")
# Picked in a searchable dropdown where "nothing picked" reads as "all": an empty value is "all".
_EMPTY_IS_ALL = ("languages", "tasks")
# Benchmark-specific selections: they are dropped when the benchmark changes.
BENCHMARK_FIELDS = ("task_types", "domains", "modalities", "languages", "tasks", "min_b",
                    "max_b", "sort")


@dataclass(frozen=True)
class LeaderboardState:
    """Everything the leaderboard page shows. ``None`` lists mean "all" (no filter)."""

    benchmark: str | None = None
    tab: str = "summary"
    query: str = ""
    min_b: float | None = None
    max_b: float | None = None
    unknown_size: bool = True          # keep models of unknown size when a bound is set
    availability: str | None = None    # "open" | "proprietary" | None (both)
    instructions: str | None = None    # "yes" | "no" | None (both)
    sentence_transformers: bool = False
    model_types: tuple[str, ...] | None = None
    zero_shot: str = "allow_all"
    all_models: bool = False           # include models outside mteb's registry
    task_types: tuple[str, ...] | None = None
    domains: tuple[str, ...] | None = None
    modalities: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    tasks: tuple[str, ...] | None = None   # languages and tasks are never () (None = all)
    models: tuple[str, ...] = ()       # selected rows (radar, compare)
    plot: str = "size"
    sort: tuple[str, str] | None = None  # (official column name, "asc" | "desc")

    def filters(self):
        """The rankings' ``Filters`` for this state (imported lazily: state stays pure)."""
        from mteb_lb.rankings import Filters

        bounded = self.min_b is not None or self.max_b is not None
        return Filters(
            min_params_b=self.min_b, max_params_b=self.max_b,
            # Only meaningful with a bound; leaving it False otherwise keeps the unfiltered
            # fast path (and cache entry) of the rankings.
            keep_unknown_size=self.unknown_size and bounded,
            open_weights={"open": True, "proprietary": False}.get(self.availability),
            instructions={"yes": True, "no": False}.get(self.instructions),
            sentence_transformers=self.sentence_transformers,
            model_types=self.model_types, zero_shot=self.zero_shot,
            task_types=self.task_types, domains=self.domains, modalities=self.modalities,
            languages=self.languages, tasks=self.tasks, all_models=self.all_models,
        )

    def without_filters(self) -> "LeaderboardState":
        """The same view (benchmark, tab, plot, selection) with every filter and search reset."""
        return LeaderboardState(benchmark=self.benchmark, tab=self.tab, plot=self.plot,
                                models=self.models, sort=self.sort)

    def for_benchmark(self, benchmark: str) -> "LeaderboardState":
        """This state moved to another benchmark: model filters, search and selection are kept,
        the benchmark-specific choices (task selections, size range, sort) are reset."""
        keep = {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in BENCHMARK_FIELDS}
        keep["benchmark"] = benchmark
        if keep["tab"] == "per-language":
            keep["tab"] = "summary"
        return LeaderboardState(**keep)

    def active_filters(self) -> list[tuple[str, str]]:
        """(label, value) of each filter that narrows the view, for the active-filter strip."""
        out = []
        if self.query:
            out.append(("Search", self.query))
        if self.min_b is not None or self.max_b is not None:
            lo = format_params(self.min_b) if self.min_b is not None else "any"
            hi = format_params(self.max_b) if self.max_b is not None else "any"
            unknown = ", incl. unknown" if self.unknown_size else ", known sizes only"
            out.append(("Size", f"{lo} – {hi}{unknown}"))
        if self.availability:
            out.append(("Weights", self.availability))
        if self.instructions:
            out.append(("Instructions", "instruction-tuned only" if self.instructions == "yes"
                        else "no instructions"))
        if self.sentence_transformers:
            out.append(("Framework", "sentence-transformers"))
        if self.zero_shot != "allow_all":
            out.append(("Zero-shot", self.zero_shot.replace("_", " ")))
        if self.all_models:
            out.append(("Models", "incl. outside mteb's registry"))
        for name, label in (("model_types", "Model types"), ("task_types", "Task types"),
                            ("domains", "Domains"), ("modalities", "Modalities"),
                            ("languages", "Languages"), ("tasks", "Tasks")):
            value = getattr(self, name)
            if value is not None:
                shown = ", ".join(value[:4]) + (f" +{len(value) - 4}" if len(value) > 4 else "")
                out.append((label, shown or "none"))
        return out


@dataclass(frozen=True)
class CompareState:
    models: tuple[str, ...] = ()
    benchmark: str | None = None


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def format_params(billions: float | None) -> str:
    """0.1 -> '100M', 1.5 -> '1.5B', 0.0005 -> '500K'."""
    if billions is None:
        return "unknown"
    if billions >= 1:
        return f"{billions:.3g}B"
    if billions >= 1e-3:
        return f"{billions * 1e3:.3g}M"
    return f"{billions * 1e6:.3g}K"


def _format_number(x: float) -> str:
    return format(x, ".6g")


def parse_search(search: str | None) -> dict[str, str | list[str]]:
    """``?a=1&b=2&b=3`` -> {"a": "1", "b": ["2", "3"]}, as Dash passes query params to layouts."""
    if not search:
        return {}
    parsed = parse_qs(search.lstrip("?"), keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _values(raw) -> list[str]:
    return list(raw) if isinstance(raw, (list, tuple)) else [raw]


def _single(key: str, raw, warnings: list[str]) -> str:
    values = _values(raw)
    if len(values) > 1:
        warnings.append(f"'{key}' was given {len(values)} times; the last value is used.")
    return "" if values[-1] is None else str(values[-1])


def _as_list(raw, split_commas: bool) -> tuple[str, ...]:
    out: list[str] = []
    for value in _values(raw):
        value = "" if value is None else str(value)
        parts = value.split(",") if split_commas else [value]
        out.extend(p.strip() for p in parts if p.strip())
    return tuple(dict.fromkeys(out))


def _bool(key: str, raw, warnings: list[str], default: bool) -> bool:
    value = _single(key, raw, warnings).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    warnings.append(f"'{key}={value}' is not valid: use 1 or 0. Using the default.")
    return default


def _choice(key: str, raw, valid: tuple[str, ...], warnings: list[str], default):
    value = _single(key, raw, warnings).strip()
    if value in valid:
        return value
    warnings.append(f"'{key}={value}' is not valid; valid values: {', '.join(valid)}. "
                    "Using the default.")
    return default


def _size(key: str, raw, warnings: list[str]) -> float | None:
    value = _single(key, raw, warnings).strip()
    if value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0:
        warnings.append(f"'{key}={value}' is not a number of billions of parameters "
                        "(e.g. 0.5); ignored.")
        return None
    return number


# --------------------------------------------------------------------------------------------
# leaderboard
# --------------------------------------------------------------------------------------------

def decode_leaderboard(params: Mapping[str, object] | str | None
                       ) -> tuple[LeaderboardState, list[str]]:
    """Query parameters -> (state, warnings). Never raises on user input."""
    if params is None or isinstance(params, str):
        params = parse_search(params)
    warnings: list[str] = []
    values: dict[str, object] = {}
    for key, raw in params.items():
        key = _ALIASES.get(key, key)
        name = _LB_KEYS.get(key)
        if name is None:
            warnings.append(f"Unknown URL parameter '{key}' ignored; known parameters: "
                            + ", ".join(_LB_KEYS) + ".")
            continue
        if name == "benchmark":
            values[name] = _single(key, raw, warnings).strip() or None
        elif name == "query":
            values[name] = _single(key, raw, warnings).strip()
        elif name == "tab":
            values[name] = _choice(key, raw, TABS, warnings, "summary")
        elif name == "plot":
            values[name] = _choice(key, raw, PLOTS, warnings, "size")
        elif name == "zero_shot":
            values[name] = _choice(key, raw, ZERO_SHOT, warnings, "allow_all")
        elif name == "availability":
            values[name] = _choice(key, raw, AVAILABILITY, warnings, None)
        elif name == "instructions":
            values[name] = _choice(key, raw, INSTRUCTIONS, warnings, None)
        elif name in ("min_b", "max_b"):
            values[name] = _size(key, raw, warnings)
        elif name in ("unknown_size", "sentence_transformers", "all_models"):
            default = name == "unknown_size"
            values[name] = _bool(key, raw, warnings, default)
        elif name in _LIST_FIELDS:
            values[name] = _as_list(raw, split_commas=True)
            if name in _EMPTY_IS_ALL and not values[name]:
                values[name] = None
        elif name == "models":
            values[name] = _as_list(raw, split_commas=False)
        elif name == "sort":
            values[name] = _sort(_single(key, raw, warnings), warnings)
    lo, hi = values.get("min_b"), values.get("max_b")
    if lo is not None and hi is not None and lo > hi:
        warnings.append(f"min_b={_format_number(lo)} is above max_b={_format_number(hi)}; "
                        "the two were swapped.")
        values["min_b"], values["max_b"] = hi, lo
    return LeaderboardState(**values), warnings


def _sort(value: str, warnings: list[str]) -> tuple[str, str] | None:
    if not value.strip():
        return None
    column, sep, direction = value.rpartition(":")
    if not sep:
        column, direction = value, "desc"
    direction = direction.strip().lower()
    if not column.strip() or direction not in SORT_DIRECTIONS:
        warnings.append(f"'sort={value}' is not valid: use <column>:asc or <column>:desc. "
                        "Using the default order.")
        return None
    return column.strip(), direction


def encode_leaderboard(state: LeaderboardState) -> str:
    """The canonical query string (``?...``, or ``""`` for the default view)."""
    default = LeaderboardState()
    pairs: list[tuple[str, str]] = []
    for key, name in _LB_KEYS.items():
        value = getattr(state, name)
        if value == getattr(default, name):
            continue
        if name in _LIST_FIELDS:
            if value:
                pairs.extend((key, v) for v in value)
            else:
                pairs.append((key, ""))   # present but empty: "none selected"
        elif name == "models":
            pairs.extend((key, v) for v in value)
        elif isinstance(value, bool):
            pairs.append((key, "1" if value else "0"))
        elif isinstance(value, float):
            pairs.append((key, _format_number(value)))
        elif name == "sort":
            pairs.append((key, f"{value[0]}:{value[1]}"))
        else:
            pairs.append((key, str(value)))
    return "?" + urlencode(pairs) if pairs else ""


def check_leaderboard(state: LeaderboardState, valid: Mapping[str, list[str]]
                      ) -> tuple[LeaderboardState, list[str]]:
    """Drop selections a benchmark does not offer. ``valid`` maps field names (task_types,
    domains, modalities, languages, tasks, model_types, tabs) to the allowed values."""
    warnings: list[str] = []
    changes: dict[str, object] = {}
    labels = {"task_types": "task types", "domains": "domains", "modalities": "modalities",
              "languages": "languages", "tasks": "tasks", "model_types": "model types"}
    for name, label in labels.items():
        chosen = getattr(state, name)
        if chosen is None or name not in valid:
            continue
        allowed = set(valid[name])
        bad = [v for v in chosen if v not in allowed]
        if bad:
            shown = ", ".join(valid[name][:30]) + (" …" if len(valid[name]) > 30 else "")
            warnings.append(f"Unknown {label} ignored: {', '.join(bad)}. Valid {label}: {shown}.")
            changes[name] = tuple(v for v in chosen if v in allowed)
            if not changes[name] and chosen:
                changes[name] = None   # every value was wrong: fall back to "all"
    if "tabs" in valid and state.tab not in valid["tabs"]:
        warnings.append(f"This benchmark has no '{TAB_LABELS.get(state.tab, state.tab)}' tab; "
                        "showing the summary.")
        changes["tab"] = "summary"
    return (replace(state, **changes) if changes else state), warnings


# --------------------------------------------------------------------------------------------
# compare and model pages
# --------------------------------------------------------------------------------------------

def decode_compare(params: Mapping[str, object] | str | None) -> tuple[CompareState, list[str]]:
    if params is None or isinstance(params, str):
        params = parse_search(params)
    warnings: list[str] = []
    models: tuple[str, ...] = ()
    benchmark = None
    for key, raw in params.items():
        key = _ALIASES.get(key, key)
        if key in ("model", "models"):
            models = tuple(dict.fromkeys(models + _as_list(raw, split_commas=False)))
        elif key == "benchmark":
            benchmark = _single(key, raw, warnings).strip() or None
        else:
            warnings.append(f"Unknown URL parameter '{key}' ignored; known parameters: "
                            "model, benchmark.")
    if len(models) > MAX_COMPARE:
        warnings.append(f"At most {MAX_COMPARE} models can be compared; the first "
                        f"{MAX_COMPARE} are shown.")
        models = models[:MAX_COMPARE]
    return CompareState(models=models, benchmark=benchmark), warnings


def encode_compare(state: CompareState) -> str:
    pairs = [("model", m) for m in state.models]
    if state.benchmark:
        pairs.append(("benchmark", state.benchmark))
    return "?" + urlencode(pairs) if pairs else ""


def decode_model(params: Mapping[str, object] | str | None) -> tuple[str | None, list[str]]:
    if params is None or isinstance(params, str):
        params = parse_search(params)
    warnings: list[str] = []
    name = None
    for key, raw in params.items():
        if key == "name":
            name = _single(key, raw, warnings).strip() or None
        else:
            warnings.append(f"Unknown URL parameter '{key}' ignored; the model page takes "
                            "?name=<org/model>.")
    return name, warnings


def encode_model(name: str) -> str:
    return "?" + urlencode([("name", name)])


def model_href(name: str) -> str:
    return "/model" + encode_model(name)


def leaderboard_href(state: LeaderboardState) -> str:
    return "/" + encode_leaderboard(state)


def compare_href(models, benchmark: str | None = None) -> str:
    return "/compare" + encode_compare(CompareState(tuple(models), benchmark))
