"""URL state of the dashboard's compare and model pages (app/state.py) and the labels of the
active filters; the leaderboard state itself is tested in test_lbstate.py."""

from __future__ import annotations

import random

import pytest

from app import state as st
from mteb_lb.lbstate import LeaderboardState

MODELS = ["org/model", "voyageai/voyage-4-large (embed_dim=2048, evolved_prompts=True)",
          "a&b/c=d", "x/y#z", "plain", "ünï/cödé"]
BENCHMARKS = ["MTEB(Multilingual, v2)", "MTEB(eng, v2)", "BRIGHT (long)", "VN-MTEB (vie, v1)",
              "ViDoRe(v1&v2)", "HUME(v1)"]


def test_active_filters_lists_what_narrows():
    assert st.active_filters(LeaderboardState(benchmark="A")) == []
    labels = [label for label, _ in st.active_filters(LeaderboardState(
        search="x", open_weights="yes", task_types=(), max_params_b=1.0))]
    assert labels == ["Search", "Size", "Weights", "Task types"]


@pytest.mark.parametrize("seed", range(40))
def test_compare_round_trip(seed):
    rng = random.Random(seed)
    state = LeaderboardState(selected=tuple(rng.sample(MODELS, rng.randint(0, 4))),
                             benchmark=rng.choice([None, *BENCHMARKS]),
                             missing=rng.choice(["official", "complete", "common"]),
                             resamples=rng.choice([None, 0, 250]), seed=rng.choice([None, 7]),
                             task_types=rng.choice([None, ("Retrieval", "STS")]))
    assert st.decode_compare(st.encode_compare(state)) == (state, [])
    assert st.decode_compare(st.parse_search(st.encode_compare(state))) == (state, [])


def test_compare_query_is_the_leaderboard_state():
    state = LeaderboardState(benchmark="B", selected=("a/x", "b/y"), missing="common",
                             resamples=300, seed=4, task_types=("STS",), view="per-task",
                             search="q", plot="radar", sort=("Model", "asc"))
    # the compared models first as `model`, then the state as lbstate writes it; the
    # leaderboard's display choices (view, search, plot, sort) do not apply to the comparison
    assert st.encode_compare(state) == ("?model=a%2Fx&model=b%2Fy&benchmark=B&task_types=STS"
                                        "&resamples=300&seed=4&missing=common")
    assert st.compare_href(state) == "/compare" + st.encode_compare(state)
    # links written before the page took the whole state: `models` named the compared models
    old, warnings = st.decode_compare("?models=a/x&models=b/y&benchmark=B")
    assert (old.selected, old.models, warnings) == (("a/x", "b/y"), None, [])
    # a `models` filter beside the compared models stays a filter
    both, _ = st.decode_compare("?model=a/x&model=b/y&models=a/x&models=b/y&models=c/z")
    assert (both.selected, both.models) == (("a/x", "b/y"), ("a/x", "b/y", "c/z"))


def test_compare_limits_and_unknown_keys():
    state, warnings = st.decode_compare("?model=a&model=b&model=c&model=d&model=e&x=1"
                                        "&as_of=2025-01-01")
    assert state.selected == ("a", "b", "c", "d") and state.as_of is None
    assert any("At most 4" in w for w in warnings) and any("'x'" in w for w in warnings)
    assert any("'as_of' is ignored" in w for w in warnings)


@pytest.mark.parametrize("name", MODELS)
def test_model_page_round_trip(name):
    assert st.decode_model(st.encode_model(name)) == (name, [])
    assert st.model_href(name).startswith("/model?name=")


def test_model_page_malformed():
    assert st.decode_model("?model=a") == (None, [
        "Unknown URL parameter 'model' ignored; the model page takes ?name=<org/model>."])
    assert st.decode_model("?name=") == (None, [])
