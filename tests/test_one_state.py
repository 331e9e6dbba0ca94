"""One leaderboard state on every surface: the dashboard's CSV download, `/api/table` and
`mteb-lb table` decode the same parameters the same way and write the same bytes.

The warehouse is the dashboard tests' tiny one (tests/warehouses.py): six registry
models, one of unknown size (org-b/proprietary-api), sizes 7B, 0.1B, 0.3B, 0.05B, 0.5B.
"""

from __future__ import annotations

import csv
import io
import sys

import flask
import pytest
from warehouses import DEFAULT, OTHER

from app import api
from mteb_lb import cli, lbstate

STATES = [
    f"?benchmark={DEFAULT}",
    f"?benchmark={DEFAULT}&max_params_b=1",
    f"?benchmark={DEFAULT}&max_params_b=1&keep_unknown_size=1",
    f"?benchmark={DEFAULT}&task_types=Retrieval&task_types=STS&search=org-a"
    "&sort=Mean (Task):asc",
    f"?benchmark={DEFAULT}&task_types=Retrieval,STS&open_weights=no",
    f"?benchmark={DEFAULT}&view=per-task&instructions=yes&sort=TinySTS:desc",
    f"?benchmark={DEFAULT}&view=per-language&languages=deu",
    f"?benchmark={OTHER}&view=tasks",
    f"?benchmark={DEFAULT}&zero_shot=remove_unknown&search=org-b;org-c",
    f"?benchmark={DEFAULT}&min_params_b=0.2&model_types=dense&all_models=1",
    # rank intervals (issue 12): the interval columns are byte-identical on every surface
    f"?benchmark={DEFAULT}&resamples=250&seed=5",
    f"?benchmark={DEFAULT}&resamples=0&sort=Rank (95% interval):asc",
    f"?benchmark={DEFAULT}&task_types=Retrieval&resamples=40&sort=Rank (95% interval):desc",
    # missing-results modes (issue 12)
    f"?benchmark={DEFAULT}&missing=complete",
    f"?benchmark={DEFAULT}&missing=common&resamples=100&seed=2",
    f"?benchmark={DEFAULT}&view=per-task&missing=common",
]


@pytest.fixture
def surfaces(dash_app, env):
    page = sys.modules["app.pages.leaderboard"]
    server = flask.Flask(__name__)
    api.register(server)
    return page, server.test_client()


def _page_csv(page, query: str) -> bytes:
    """The dashboard's path: URL -> controls -> the download callback."""
    state, problems = lbstate.decode(query)
    assert problems == []
    values = page.state_to_controls(state)
    column_state = [{"colId": state.sort[0], "sort": state.sort[1]}] if state.sort else None
    out = page.download_csv(1, column_state, state.benchmark,
                            *[values[k] for k in page.CONTROL_KEYS])
    return out["content"].encode("utf-8")


def _cli_args(query: str) -> list[str]:
    state, _ = lbstate.decode(query)
    args = ["table", "--format", "csv"]
    for name, value in lbstate.encode_pairs(state, include_dashboard=False):
        flag = lbstate.BY_NAME[name].flag
        args += [flag] if lbstate.BY_NAME[name].kind == "bool" else [flag, value]
    return args


@pytest.mark.parametrize("query", STATES)
def test_the_same_state_gives_the_same_csv_everywhere(surfaces, capsysbinary, query):
    page, client = surfaces
    from_page = _page_csv(page, query)
    response = client.get("/api/table" + query + "&format=csv")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert cli.main(_cli_args(query)) == 0
    from_cli = capsysbinary.readouterr().out
    assert from_page == response.data == from_cli
    assert from_page.count(b"\n") >= 2          # a header and at least one row


def _models(csv_bytes: bytes) -> list[str]:
    return sorted(r["Model"] for r in csv.DictReader(io.StringIO(csv_bytes.decode())))


def test_size_bounds_drop_unknown_sizes_unless_asked(surfaces):
    """As the official board: a bound drops models of unknown size (here the API model).
    Known sizes <= 1B: small-open 0.1B, cross 0.3B, sparse-one 0.05B, partial 0.5B."""
    _, client = surfaces
    known = ["org-a/small-open", "org-b/cross", "org-c/partial", "org-c/sparse-one"]
    bounded = client.get(f"/api/table?benchmark={DEFAULT}&max_params_b=1&format=csv").data
    assert _models(bounded) == known
    kept = client.get(f"/api/table?benchmark={DEFAULT}&max_b=1&unknown_size=1&format=csv").data
    assert _models(kept) == sorted(known + ["org-b/proprietary-api"])


def test_repeated_keys_and_commas_agree_on_the_api(surfaces):
    _, client = surfaces
    repeated = client.get(f"/api/table?benchmark={DEFAULT}&task_types=Retrieval"
                          "&task_types=STS").get_json()
    commas = client.get(f"/api/table?benchmark={DEFAULT}&task_types=Retrieval,STS").get_json()
    assert repeated == commas
    # Retrieval and STS only: the type columns of the summary are those two
    assert [c for c in repeated["columns"] if c in ("Classification", "Retrieval", "STS")] == \
        ["Retrieval", "STS"]


@pytest.mark.parametrize("query, message", [
    ("?zs=maybe", "'zero_shot=maybe' is not valid; valid values: allow_all, remove_unknown, "
                  "only_zero_shot."),
    ("?colour=red", "Unknown parameter 'colour'; known parameters: benchmark, view,"),
    ("?benchmark=nope", "unknown benchmark 'nope'; valid benchmarks: Other(v1), Tiny(v1)"),
    (f"?benchmark={DEFAULT}&task_types=Bogus",
     "Unknown task types: Bogus. Valid task types: Classification, Clustering,"),
])
def test_the_same_error_on_the_api_and_the_cli(surfaces, capsys, query, message):
    _, client = surfaces
    response = client.get("/api/table" + query)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(message)
    args = ["table"]
    for key, value in lbstate.parse_search(query).items():
        args += ["--" + key.replace("_", "-"), value]
    if query == "?zs=maybe":
        args = ["table", "--zero-shot", "maybe"]
    if query == "?colour=red":
        return   # argparse itself refuses an unknown option (exit 2, tested by argparse)
    assert cli.main(args) == 1
    assert capsys.readouterr().err.startswith("error: " + message)


def test_old_page_parameter_names_work_on_the_api(surfaces):
    _, client = surfaces
    old = client.get(f"/api/table?benchmark={DEFAULT}&avail=open&types=Retrieval").get_json()
    new = client.get(f"/api/table?benchmark={DEFAULT}&open_weights=yes"
                     "&task_types=Retrieval").get_json()
    assert old == new
    assert "org-b/proprietary-api" not in [r[1] for r in new["rows"]]


def test_benchmark_names_match_case_insensitively_and_close_ones_are_suggested(surfaces, capsys):
    _, client = surfaces
    exact = client.get(f"/api/table?benchmark={DEFAULT}&format=csv").data
    assert client.get("/api/table?benchmark=tiny(V1)&format=csv").data == exact
    assert cli.main(["table", "--benchmark", "TINY(v1)"]) == 0
    assert capsys.readouterr().out.encode() == exact
    # "Tiny(v2)" is one character from Tiny(v1): suggested before the full list
    response = client.get("/api/table?benchmark=Tiny(v2)")
    assert response.status_code == 400
    assert response.get_json()["error"] == ("unknown benchmark 'Tiny(v2)' (did you mean "
                                            "Tiny(v1)?); valid benchmarks: Other(v1), Tiny(v1)")
