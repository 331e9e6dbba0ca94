"""Page state <-> URL query string for the dashboard's pages.

The URL is the only place state lives: a reload, a shared link or the back button gives the same
view. The leaderboard page's state is the one leaderboard state of every surface
(``mteb_lb.lbstate``: fields, names, aliases, decoding and encoding); this module adds the
compare and model pages' small codecs, the links between pages and the labels of the active
filters. ``decode_*`` never raises: a malformed value is dropped and described in a warning.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping
from urllib.parse import urlencode

from mteb_lb import lbstate
from mteb_lb.lbstate import LeaderboardState, parse_search

MAX_COMPARE = 4


def active_filters(state: LeaderboardState) -> list[tuple[str, str]]:
    """(label, value) of each filter that narrows the view, for the active-filter strip."""
    out = []
    if state.search:
        out.append(("Search", state.search))
    if state.min_params_b is not None or state.max_params_b is not None:
        # billions, written as in the URL (the slider's label formats them as 110M, 7.1B)
        lo = f"{state.min_params_b:g}B" if state.min_params_b is not None else "any"
        hi = f"{state.max_params_b:g}B" if state.max_params_b is not None else "any"
        unknown = ", incl. unknown" if state.keep_unknown_size else ", known sizes only"
        out.append(("Size", f"{lo} – {hi}{unknown}"))
    if state.open_weights:
        out.append(("Weights", "open" if state.open_weights == "yes" else "proprietary"))
    if state.instructions:
        out.append(("Instructions", "instruction-tuned only" if state.instructions == "yes"
                    else "no instructions"))
    if state.sentence_transformers:
        out.append(("Framework", "sentence-transformers"))
    if state.zero_shot != "allow_all":
        out.append(("Zero-shot", state.zero_shot.replace("_", " ")))
    if state.all_models:
        out.append(("Models", "incl. outside mteb's registry"))
    for name, label in (("model_types", "Model types"), ("task_types", "Task types"),
                        ("domains", "Domains"), ("modalities", "Modalities"),
                        ("languages", "Languages"), ("tasks", "Tasks"), ("models", "Only")):
        value = getattr(state, name)
        if value is not None:
            shown = ", ".join(value[:4]) + (f" +{len(value) - 4}" if len(value) > 4 else "")
            out.append((label, shown or "none"))
    if state.missing != "official":
        out.append(("Missing results", {"complete": "complete models only",
                                        "common": "common tasks only"}[state.missing]))
    if state.exclude_flags != "none":
        out.append(("Flagged scores", {"error": "errors dropped",
                                       "warning": "errors and warnings dropped"}[
                                           state.exclude_flags]))
    return out


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def _values(raw) -> list[str]:
    return list(raw) if isinstance(raw, (list, tuple)) else [raw]


def _single(key: str, raw, warnings: list[str]) -> str:
    values = _values(raw)
    if len(values) > 1:
        warnings.append(f"'{key}' was given {len(values)} times; the last value is used.")
    return "" if values[-1] is None else str(values[-1])


# --------------------------------------------------------------------------------------------
# compare and model pages
# --------------------------------------------------------------------------------------------

# The compare page reads the one leaderboard state: its compared models are the state's
# ``selected`` (``model`` in its URL), its table the state's benchmark, filters, missing-results
# mode, resamples and seed, so /api/compare and `mteb-lb compare` give the same numbers for the
# same query. The leaderboard's display choices do not apply there and are left out.
COMPARE_IGNORED = ("view", "search", "plot", "sort", "as_of")


def compare_state(state: LeaderboardState) -> LeaderboardState:
    """A leaderboard state as the compare page reads it (its display choices at defaults)."""
    default = LeaderboardState()
    return replace(state, **{name: getattr(default, name) for name in COMPARE_IGNORED})


def decode_compare(params: Mapping[str, object] | str | None
                   ) -> tuple[LeaderboardState, list[str]]:
    """The compare page's query -> (state, warnings), through ``lbstate.decode``. Links from
    before the page took the whole state named the compared models ``models``: without any
    ``model``, two or more ``models`` are the compared models."""
    state, warnings = lbstate.decode(params)
    if not state.selected and state.models and len(state.models) >= 2:
        state = replace(state, selected=state.models, models=None)
    if state.as_of:
        warnings.append("The compare page compares the current results: 'as_of' is ignored "
                        "(the leaderboard shows past tables).")
    if len(state.selected) > MAX_COMPARE:
        warnings.append(f"At most {MAX_COMPARE} models can be compared; the first "
                        f"{MAX_COMPARE} are shown.")
        state = replace(state, selected=state.selected[:MAX_COMPARE])
    return compare_state(state), warnings


def encode_compare(state: LeaderboardState) -> str:
    """The compare page's canonical query: the compared models first (as ``model``), then the
    state's other non-default fields, as ``lbstate.encode`` writes them."""
    pairs = lbstate.encode_pairs(compare_state(state))
    models = [("model", value) for name, value in pairs if name == "selected"]
    rest = [(name, value) for name, value in pairs if name != "selected"]
    return "?" + urlencode(models + rest) if pairs else ""


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
    return "/" + lbstate.encode(state)


def compare_href(state: LeaderboardState) -> str:
    """The compare page of a state's selected models, on the state's table."""
    return "/compare" + encode_compare(state)
