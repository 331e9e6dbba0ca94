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
    state = st.CompareState(models=tuple(rng.sample(MODELS, rng.randint(0, 4))),
                            benchmark=rng.choice([None, *BENCHMARKS]))
    assert st.decode_compare(st.encode_compare(state)) == (state, [])
    assert st.decode_compare(st.parse_search(st.encode_compare(state))) == (state, [])


def test_compare_limits_and_unknown_keys():
    state, warnings = st.decode_compare("?model=a&model=b&model=c&model=d&model=e&x=1")
    assert state.models == ("a", "b", "c", "d")
    assert any("At most 4" in w for w in warnings) and any("'x'" in w for w in warnings)


@pytest.mark.parametrize("name", MODELS)
def test_model_page_round_trip(name):
    assert st.decode_model(st.encode_model(name)) == (name, [])
    assert st.model_href(name).startswith("/model?name=")


def test_model_page_malformed():
    assert st.decode_model("?model=a") == (None, [
        "Unknown URL parameter 'model' ignored; the model page takes ?name=<org/model>."])
    assert st.decode_model("?name=") == (None, [])
