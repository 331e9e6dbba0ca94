"""URL state of the dashboard (app/state.py): encode/decode round trips and malformed input."""

from __future__ import annotations

import random
from dataclasses import fields, replace

import pytest

from app import state as st

NAMES = ["Retrieval", "STS", "Classification", "a,b", "x y", "é", "C++", "?&=#", "50%"]
MODELS = ["org/model", "voyageai/voyage-4-large (embed_dim=2048, evolved_prompts=True)",
          "a&b/c=d", "x/y#z", "plain", "ünï/cödé"]
BENCHMARKS = ["MTEB(Multilingual, v2)", "MTEB(eng, v2)", "BRIGHT (long)", "VN-MTEB (vie, v1)",
              "ViDoRe(v1&v2)", "HUME(v1)"]


def random_state(rng: random.Random) -> st.LeaderboardState:
    def maybe_list(allow_empty=True, names=NAMES, comma_free=True):
        choice = rng.random()
        pool = [n for n in names if "," not in n] if comma_free else names
        if choice < 0.4:
            return None
        if choice < 0.5 and allow_empty:
            return ()
        return tuple(rng.sample(pool, rng.randint(1, 3)))

    lo = rng.choice([None, 0.001, 0.05, 0.1, 1.5])
    hi = rng.choice([None, 2.0, 7.5, 100.0])
    return st.LeaderboardState(
        benchmark=rng.choice([None, *BENCHMARKS]),
        tab=rng.choice(st.TABS),
        query=rng.choice(["", "e5", "org; other", "a&b=c"]),
        min_b=lo, max_b=hi,
        unknown_size=rng.random() < 0.5,
        availability=rng.choice([None, *st.AVAILABILITY]),
        instructions=rng.choice([None, *st.INSTRUCTIONS]),
        sentence_transformers=rng.random() < 0.5,
        model_types=maybe_list(),
        zero_shot=rng.choice(st.ZERO_SHOT),
        all_models=rng.random() < 0.3,
        task_types=maybe_list(), domains=maybe_list(), modalities=maybe_list(),
        languages=maybe_list(allow_empty=False, names=["eng", "deu", "fra"]),
        tasks=maybe_list(allow_empty=False),
        models=tuple(rng.sample(MODELS, rng.randint(0, 3))),
        plot=rng.choice(st.PLOTS),
        sort=rng.choice([None, ("Mean (Task)", "desc"), ("Rank (Borda)", "asc"),
                         ("STS22.v2", "asc"), ("a:b", "desc")]),
    )


@pytest.mark.parametrize("seed", range(300))
def test_round_trip_random_states(seed):
    state = random_state(random.Random(seed))
    search = st.encode_leaderboard(state)
    decoded, warnings = st.decode_leaderboard(search)
    assert warnings == []
    assert decoded == state
    assert st.encode_leaderboard(decoded) == search          # canonical


@pytest.mark.parametrize("seed", range(50))
def test_round_trip_through_dash_layout_kwargs(seed):
    """Dash passes query params to layout(**kwargs): a str per key, a list when repeated."""
    state = random_state(random.Random(seed))
    kwargs = st.parse_search(st.encode_leaderboard(state))
    assert st.decode_leaderboard(kwargs) == (state, [])


def test_default_state_is_the_empty_query():
    assert st.encode_leaderboard(st.LeaderboardState()) == ""
    assert st.decode_leaderboard("") == (st.LeaderboardState(), [])
    assert st.decode_leaderboard(None) == (st.LeaderboardState(), [])
    assert st.decode_leaderboard({}) == (st.LeaderboardState(), [])


def test_every_field_has_a_url_key():
    assert {f.name for f in fields(st.LeaderboardState)} == set(st._LB_KEYS.values())


def test_readable_urls():
    state = st.LeaderboardState(benchmark="MTEB(eng, v2)", task_types=("Retrieval", "STS"),
                                availability="open", min_b=0.1, models=("a/b", "c/d"))
    assert st.encode_leaderboard(state) == (
        "?benchmark=MTEB%28eng%2C+v2%29&min_b=0.1&avail=open&types=Retrieval&types=STS"
        "&model=a%2Fb&model=c%2Fd")


def test_empty_list_means_none_selected_absent_means_all():
    none_selected, _ = st.decode_leaderboard("?types=")
    assert none_selected.task_types == ()
    assert st.decode_leaderboard("?benchmark=X")[0].task_types is None
    assert st.encode_leaderboard(replace(st.LeaderboardState(), task_types=())) == "?types="


def test_languages_and_tasks_empty_means_all():
    state, warnings = st.decode_leaderboard("?langs=&tasks=")
    assert (state.languages, state.tasks, warnings) == (None, None, [])


def test_lists_accept_commas_except_models():
    state, _ = st.decode_leaderboard("?types=Retrieval,STS&model=a/b (x=1, y=2)")
    assert state.task_types == ("Retrieval", "STS")
    assert state.models == ("a/b (x=1, y=2)",)


def test_gradio_alias_benchmark_name():
    state, warnings = st.decode_leaderboard("?benchmark_name=MTEB(eng,+v2)")
    assert state.benchmark == "MTEB(eng, v2)" and warnings == []


@pytest.mark.parametrize("search, field, default, needle", [
    ("?zs=maybe", "zero_shot", "allow_all", "zs=maybe"),
    ("?tab=graphs", "tab", "summary", "tab=graphs"),
    ("?plot=pie", "plot", "size", "plot=pie"),
    ("?avail=free", "availability", None, "avail=free"),
    ("?inst=sometimes", "instructions", None, "inst=sometimes"),
    ("?min_b=abc", "min_b", None, "min_b=abc"),
    ("?max_b=-1", "max_b", None, "max_b=-1"),
    ("?max_b=nan", "max_b", None, "max_b=nan"),
    ("?min_b=inf", "min_b", None, "min_b=inf"),
    ("?st=perhaps", "sentence_transformers", False, "st=perhaps"),
    ("?unknown_size=2", "unknown_size", True, "unknown_size=2"),
    ("?sort=Mean:sideways", "sort", None, "sort=Mean:sideways"),
])
def test_malformed_values_fall_back_with_a_warning(search, field, default, needle):
    state, warnings = st.decode_leaderboard(search)
    assert getattr(state, field) == default
    assert len(warnings) == 1 and needle in warnings[0]


def test_unknown_keys_and_repeated_scalars_warn():
    state, warnings = st.decode_leaderboard("?colour=red&tab=summary&tab=per-task")
    assert state.tab == "per-task"
    assert any("colour" in w for w in warnings)
    assert any("'tab' was given 2 times" in w for w in warnings)


def test_swapped_size_bounds_are_fixed():
    state, warnings = st.decode_leaderboard("?min_b=5&max_b=0.5")
    assert (state.min_b, state.max_b) == (0.5, 5.0)
    assert "swapped" in warnings[0]


def test_sort_without_direction_is_descending():
    assert st.decode_leaderboard("?sort=Retrieval")[0].sort == ("Retrieval", "desc")
    assert st.decode_leaderboard("?sort=a:b:asc")[0].sort == ("a:b", "asc")


def test_check_drops_values_a_benchmark_does_not_offer():
    state = st.LeaderboardState(benchmark="B", task_types=("Retrieval", "Bogus"),
                                languages=("zzz",), tab="per-language")
    valid = {"task_types": ["Retrieval", "STS"], "languages": ["eng"], "tabs": ["summary"]}
    checked, warnings = st.check_leaderboard(state, valid)
    assert checked.task_types == ("Retrieval",)
    assert checked.languages is None            # all wrong: back to "all"
    assert checked.tab == "summary"
    assert len(warnings) == 3
    assert "Bogus" in warnings[0] and "Retrieval, STS" in warnings[0]
    same, none = st.check_leaderboard(st.LeaderboardState(benchmark="B"), valid)
    assert none == [] and same == st.LeaderboardState(benchmark="B")


def test_filters_mapping():
    f = st.LeaderboardState(availability="open", instructions="no", min_b=0.1,
                            unknown_size=True, model_types=("dense",)).filters()
    assert (f.open_weights, f.instructions, f.min_params_b, f.keep_unknown_size,
            f.model_types) == (True, False, 0.1, True, ("dense",))
    # without a bound, "keep unknown sizes" is irrelevant and left False (the fast path)
    assert st.LeaderboardState().filters() == type(f)()


def test_for_benchmark_keeps_model_filters_only():
    state = st.LeaderboardState(benchmark="A", availability="open", query="e5",
                                task_types=("STS",), tasks=("x",), min_b=1.0, tab="per-language",
                                models=("a/b",), sort=("STS", "asc"))
    moved = state.for_benchmark("B")
    assert moved == st.LeaderboardState(benchmark="B", availability="open", query="e5",
                                        models=("a/b",))


def test_active_filters_lists_what_narrows():
    assert st.LeaderboardState(benchmark="A").active_filters() == []
    labels = [label for label, _ in st.LeaderboardState(
        query="x", availability="open", task_types=(), max_b=1.0).active_filters()]
    assert labels == ["Search", "Size", "Weights", "Task types"]


def test_format_params():
    assert [st.format_params(x) for x in (None, 0.0005, 0.1, 1.5, 57.92)] == [
        "unknown", "500K", "100M", "1.5B", "57.9B"]


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
