"""The one leaderboard state (mteb_lb/lbstate.py): round trips, old names, malformed input."""

from __future__ import annotations

import random
from dataclasses import fields, replace

import pytest

from mteb_lb import lbstate as st

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
        view=rng.choice(st.VIEWS),
        search=rng.choice(["", "e5", "org; other", "a&b=c"]),
        min_params_b=lo, max_params_b=hi,
        keep_unknown_size=rng.random() < 0.5,
        open_weights=rng.choice([None, *st.YES_NO]),
        instructions=rng.choice([None, *st.YES_NO]),
        sentence_transformers=rng.random() < 0.5,
        model_types=maybe_list(),
        zero_shot=rng.choice(st.ZERO_SHOT),
        all_models=rng.random() < 0.3,
        task_types=maybe_list(), domains=maybe_list(), modalities=maybe_list(),
        languages=maybe_list(allow_empty=False, names=["eng", "deu", "fra"]),
        tasks=maybe_list(),   # () is tasks=none
        models=rng.choice([None, tuple(rng.sample(MODELS, rng.randint(1, 3)))]),
        selected=tuple(rng.sample(MODELS, rng.randint(0, 3))),
        plot=rng.choice(st.PLOTS),
        sort=rng.choice([None, ("Mean (Task)", "desc"), ("Rank (Borda)", "asc"),
                         ("STS22.v2", "asc"), ("a:b", "desc")]),
    )


@pytest.mark.parametrize("seed", range(300))
def test_round_trip_random_states(seed):
    state = random_state(random.Random(seed))
    search = st.encode(state)
    decoded, warnings = st.decode(search)
    assert warnings == []
    assert decoded == state
    assert st.encode(decoded) == search          # canonical


@pytest.mark.parametrize("seed", range(50))
def test_round_trip_through_dash_layout_kwargs(seed):
    """Dash passes query params to layout(**kwargs): a str per key, a list when repeated."""
    state = random_state(random.Random(seed))
    kwargs = st.parse_search(st.encode(state))
    assert st.decode(kwargs) == (state, [])


def test_default_state_is_the_empty_query():
    assert st.encode(st.LeaderboardState()) == ""
    assert st.decode("") == (st.LeaderboardState(), [])
    assert st.decode(None) == (st.LeaderboardState(), [])
    assert st.decode({}) == (st.LeaderboardState(), [])


def test_every_field_is_declared_once():
    assert [f.name for f in fields(st.LeaderboardState)] == [f.name for f in st.FIELDS]
    aliases = [a for f in st.FIELDS for a in f.aliases]
    assert len(aliases) == len(set(aliases)) and not set(aliases) & set(st.BY_NAME)


def test_readable_urls():
    state = st.LeaderboardState(benchmark="MTEB(eng, v2)", task_types=("Retrieval", "STS"),
                                open_weights="yes", min_params_b=0.1, selected=("a/b", "c/d"))
    assert st.encode(state) == (
        "?benchmark=MTEB%28eng%2C+v2%29&min_params_b=0.1&open_weights=yes"
        "&task_types=Retrieval&task_types=STS&selected=a%2Fb&selected=c%2Fd")


OLD_LINK = ("?benchmark=MTEB(eng,+v2)&tab=per-task&q=e5&min_b=0.1&max_b=1&unknown_size=1"
            "&avail=proprietary&inst=yes&st=1&mtypes=dense&zs=only_zero_shot&all=1"
            "&types=Retrieval&types=STS&doms=Legal&mods=text&langs=eng&tasks=NFCorpus"
            "&model=a/b&plot=radar&sort=Mean+(Task):asc")


def test_old_dashboard_links_keep_working():
    state, problems = st.decode(OLD_LINK)
    assert problems == []
    assert state == st.LeaderboardState(
        benchmark="MTEB(eng, v2)", view="per-task", search="e5", min_params_b=0.1,
        max_params_b=1.0, keep_unknown_size=True, open_weights="no", instructions="yes",
        sentence_transformers=True, model_types=("dense",), zero_shot="only_zero_shot",
        all_models=True, task_types=("Retrieval", "STS"), domains=("Legal",),
        modalities=("text",), languages=("eng",), tasks=("NFCorpus",), selected=("a/b",),
        plot="radar", sort=("Mean (Task)", "asc"))
    # rewritten to the canonical names
    assert st.encode(state).startswith("?benchmark=MTEB%28eng%2C+v2%29&view=per-task&search=e5"
                                       "&min_params_b=0.1&max_params_b=1&keep_unknown_size=1"
                                       "&open_weights=no&instructions=yes")


def test_repeated_keys_and_comma_lists_are_the_same():
    assert st.decode("?task_types=Retrieval&task_types=STS") == \
        st.decode("?task_types=Retrieval,STS") == \
        (st.LeaderboardState(task_types=("Retrieval", "STS")), [])


def test_models_filter_empty_means_all():
    assert st.decode("?models=") == (st.LeaderboardState(), [])
    state, _ = st.decode("?models=a/b (x=1, y=2)&models=c/d")
    assert state.models == ("a/b (x=1, y=2)", "c/d")
    assert state.filters().models == ("a/b (x=1, y=2)", "c/d")


def test_empty_list_means_none_selected_absent_means_all():
    none_selected, _ = st.decode("?task_types=")
    assert none_selected.task_types == ()
    assert st.decode("?benchmark=X")[0].task_types is None
    assert st.encode(replace(st.LeaderboardState(), task_types=())) == "?task_types="


def test_languages_and_tasks_empty_means_all():
    state, warnings = st.decode("?languages=&tasks=")
    assert (state.languages, state.tasks, warnings) == (None, None, [])


def test_lists_accept_commas_except_models():
    state, _ = st.decode("?types=Retrieval,STS&selected=a/b (x=1, y=2)")
    assert state.task_types == ("Retrieval", "STS")
    assert state.selected == ("a/b (x=1, y=2)",)


def test_gradio_alias_benchmark_name():
    state, warnings = st.decode("?benchmark_name=MTEB(eng,+v2)")
    assert state.benchmark == "MTEB(eng, v2)" and warnings == []


@pytest.mark.parametrize("search, field, default, needle", [
    ("?zs=maybe", "zero_shot", "allow_all", "'zero_shot=maybe' is not valid"),
    ("?view=graphs", "view", "summary", "'view=graphs' is not valid"),
    ("?plot=pie", "plot", "size", "'plot=pie' is not valid"),
    ("?avail=free", "open_weights", None, "'open_weights=free' is not valid"),
    ("?instructions=sometimes", "instructions", None, "'instructions=sometimes' is not valid"),
    ("?min_b=abc", "min_params_b", None, "'min_params_b=abc' is not a number"),
    ("?max_params_b=-1", "max_params_b", None, "'max_params_b=-1' is not a number"),
    ("?max_b=nan", "max_params_b", None, "'max_params_b=nan' is not a number"),
    ("?min_b=inf", "min_params_b", None, "'min_params_b=inf' is not a number"),
    ("?st=perhaps", "sentence_transformers", False, "'sentence_transformers=perhaps'"),
    ("?keep_unknown_size=2", "keep_unknown_size", False, "'keep_unknown_size=2'"),
    ("?sort=Mean:sideways", "sort", None, "'sort=Mean:sideways' is not valid"),
])
def test_malformed_values_fall_back_with_a_problem(search, field, default, needle):
    state, problems = st.decode(search)
    assert getattr(state, field) == default
    assert len(problems) == 1 and needle in problems[0], problems


def test_unknown_keys_and_repeated_scalars_warn():
    state, warnings = st.decode("?colour=red&tab=summary&tab=per-task")
    assert state.view == "per-task"
    assert warnings[0].startswith("Unknown parameter 'colour'; known parameters: benchmark, view,")
    assert warnings[1] == "'view' was given 2 times; the last value is used."


def test_swapped_size_bounds_are_fixed():
    state, warnings = st.decode("?min_b=5&max_b=0.5")
    assert (state.min_params_b, state.max_params_b) == (0.5, 5.0)
    assert warnings == ["min_params_b=5 is above max_params_b=0.5; the two were swapped."]


def test_sort_without_direction_is_descending():
    assert st.decode("?sort=Retrieval")[0].sort == ("Retrieval", "desc")
    assert st.decode("?sort=a:b:asc")[0].sort == ("a:b", "asc")


def test_check_drops_values_a_benchmark_does_not_offer():
    state = st.LeaderboardState(benchmark="B", task_types=("Retrieval", "Bogus"),
                                languages=("zzz",), view="per-language")
    valid = {"task_types": ["Retrieval", "STS"], "languages": ["eng"], "views": ["summary"]}
    checked, warnings = st.check(state, valid)
    assert checked.task_types == ("Retrieval",)
    assert checked.languages is None            # all wrong: back to "all"
    assert checked.view == "summary"
    assert len(warnings) == 3
    assert "Bogus" in warnings[0] and "Retrieval, STS" in warnings[0]
    same, none = st.check(st.LeaderboardState(benchmark="B"), valid)
    assert none == [] and same == st.LeaderboardState(benchmark="B")


def test_filters_mapping():
    f = st.LeaderboardState(open_weights="yes", instructions="no", min_params_b=0.1,
                            keep_unknown_size=True, model_types=("dense",)).filters()
    assert (f.open_weights, f.instructions, f.min_params_b, f.keep_unknown_size,
            f.model_types) == (True, False, 0.1, True, ("dense",))
    # without a bound, "keep unknown sizes" is irrelevant and left False (the fast path)
    assert st.LeaderboardState().filters() == type(f)()


def test_for_benchmark_keeps_model_filters_only():
    state = st.LeaderboardState(benchmark="A", open_weights="yes", search="e5",
                                task_types=("STS",), tasks=("x",), min_params_b=1.0,
                                view="per-language", selected=("a/b",), sort=("STS", "asc"))
    moved = state.for_benchmark("B")
    assert moved == st.LeaderboardState(benchmark="B", open_weights="yes", search="e5",
                                        selected=("a/b",))




def test_readme_lists_every_parameter_with_its_flag_and_old_names():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for f in st.FIELDS:
        flag = "dashboard only" if f.dashboard_only else f"`{f.flag}`"
        aliases = ", ".join(f"`{a}`" for a in f.aliases)
        assert f"| `{f.name}` | {flag} | {aliases} |" in readme, f.name
