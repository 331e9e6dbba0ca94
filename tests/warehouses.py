"""Fixture warehouses shared by several test modules (the fixtures themselves are in conftest.py).

* the ranking warehouse (`build_ranking_warehouse`): a hand-built catalog
  (`fixtures.ranking_catalog`) and the results in `RANKING_RESULTS`, from which
  tests/test_rankings.py derives every expected value by hand;
* the app warehouse (`build_app_warehouse`), used by the dashboard tests: two benchmarks in a
  grouped menu, one with a per-language view, six registry models with varied metadata (sizes,
  open/proprietary, instructions, frameworks, model types, known/unknown training data, one with
  missing tasks) and one model outside the registry.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import fixtures as fx

NAN = float("nan")
A, B = fx.SHA_A, fx.SHA_B

# --------------------------------------------------------------------------------------------
# the ranking warehouse
# --------------------------------------------------------------------------------------------

E = "eng-Latn"
D = "deu-Latn"
# (model, revision folder, mteb_version, task, [(split, subset, languages, score), ...])
E = "eng-Latn"
D = "deu-Latn"
RANKING_RESULTS = [
    # --- Borda(v1), docs/SEMANTICS.md §Borda: t1 (A .9, B .9, C .5), t2 (A .7, B .6, C .8),
    #     t3 (A .4, B .3; C missing)
    # (a non-eval split and an undeclared subset: outside the benchmark's triples, ignored)
    ("ex/A", A, "1.14.0", "BRet1", [("test", "default", [E], 0.9), ("train", "default", [E], 0.0)]),
    ("ex/A", A, "1.14.0", "BRet2", [("test", "default", [E], 0.7)]),
    ("ex/A", A, "1.14.0", "BSts", [("test", "default", [E], 0.4)]),
    ("ex/B", A, "1.14.0", "BRet1", [("test", "default", [E], 0.9)]),
    ("ex/B", A, "1.14.0", "BRet2", [("test", "default", [E], 0.6), ("test", "xx", [E], 0.0)]),
    ("ex/B", A, "1.14.0", "BSts", [("test", "default", [E], 0.3)]),
    ("ex/C", A, "1.14.0", "BRet1", [("test", "default", [E], 0.5)]),
    ("ex/C", A, "1.14.0", "BRet2", [("test", "default", [E], 0.8)]),
    # --- Complete(v1): CCls has subsets en/de, CRet splits validation/test, CSts only P and Q
    ("c/P", A, "1.14.0", "CCls", [("test", "en", [E], 0.8), ("test", "de", [D], 0.6)]),
    ("c/P", A, "1.14.0", "CRet", [("validation", "default", [E], 0.5),
                                  ("test", "default", [E], 0.7)]),
    ("c/P", A, "1.14.0", "CSts", [("test", "default", [E], 0.9)]),
    ("c/Q", A, "1.14.0", "CCls", [("test", "en", [E], 0.9)]),            # de missing
    ("c/Q", A, "1.14.0", "CRet", [("validation", "default", [E], 0.6),
                                  ("test", "default", [E], 0.4)]),
    ("c/Q", A, "1.14.0", "CSts", [("test", "default", [E], 0.7)]),
    ("c/R", A, "1.14.0", "CCls", [("test", "en", [E], NAN), ("test", "de", [D], 0.5)]),
    ("c/R", A, "1.14.0", "CRet", [("test", "default", [E], 0.8)]),      # validation missing
    ("c/S", A, "1.14.0", "CCls", [("test", "en", [E], 0.7), ("test", "de", [D], 0.7)]),
    ("c/S", A, "1.14.0", "CRet", [("validation", "default", [E], 0.3),
                                  ("test", "default", [E], 0.3)]),
    # --- Ties(v1)
    ("t/a", A, "1.14.0", "TX", [("test", "default", [E], 0.9)]),
    ("t/a", A, "1.14.0", "TY", [("test", "default", [E], 0.8)]),
    ("t/b", A, "1.14.0", "TX", [("test", "default", [E], 0.8)]),
    ("t/b", A, "1.14.0", "TY", [("test", "default", [E], 0.9)]),
    ("t/c", A, "1.14.0", "TX", [("test", "default", [E], 0.1)]),
    ("t/c", A, "1.14.0", "TY", [("test", "default", [E], 0.1)]),
    # --- Revisions(v1): the same task in several revision folders
    ("rv/main", A, "1.12.0", "RvRet", [("test", "default", [E], 0.3)]),    # registry main rev
    ("rv/main", B, "2.0.0", "RvRet", [("test", "default", [E], 0.9)]),
    ("rv/main", B, "2.0.0", "RvSts", [("test", "default", [E], 0.8)]),     # only here
    ("rv/newest", A, "1.12.0", "RvRet", [("test", "default", [E], 0.4)]),
    ("rv/newest", B, "1.14.0", "RvRet", [("test", "default", [E], 0.5)]),  # newest version
    ("rv/newest", "external", None, "RvRet", [("test", "default", [E], 0.99)]),
    ("rv/range", A, "2.10.0-2.18.7", "RvRet", [("test", "default", [E], 0.7)]),  # unparsed
    ("rv/range", B, "1.12.0", "RvRet", [("test", "default", [E], 0.6)]),
    ("rv/real", "external", None, "RvRet", [("test", "default", [E], 0.2)]),
    ("rv/real", "1", None, "RvRet", [("test", "default", [E], 0.25)]),      # a real revision
    # --- Filters(v1)
    ("z/trained", A, "1.14.0", "ZRet", [("test", "default", [E], 0.8)]),
    ("z/trained", A, "1.14.0", "ZCls", [("test", "default", [D], 0.6)]),
    ("z/trained", A, "1.14.0", "ZSts", [("test", "default", [E], 0.7)]),
    ("z/unknown", A, "1.14.0", "ZRet", [("test", "default", [E], 0.5)]),
    ("z/unknown", A, "1.14.0", "ZCls", [("test", "default", [D], 0.9)]),
    ("z/unknown", A, "1.14.0", "ZSts", [("test", "default", [E], 0.4)]),
    ("z/clean", A, "1.14.0", "ZRet", [("test", "default", [E], 0.6)]),
    ("z/clean", A, "1.14.0", "ZCls", [("test", "default", [D], 0.5)]),
    ("z/clean", A, "1.14.0", "ZSts", [("test", "default", [E], 0.8)]),
    ("z/closed", A, "1.14.0", "ZRet", [("test", "default", [E], 0.9)]),
    ("z/closed", A, "1.14.0", "ZCls", [("test", "default", [D], 0.7)]),
    ("z/closed", A, "1.14.0", "ZSts", [("test", "default", [E], 0.6)]),
    ("z/unreg", A, "1.14.0", "ZRet", [("test", "default", [E], 0.1)]),     # not in the registry
    ("z/unreg", A, "1.14.0", "ZCls", [("test", "default", [D], 0.1)]),
    ("z/unreg", A, "1.14.0", "ZSts", [("test", "default", [E], 0.1)]),
]


def build_ranking_warehouse(base: Path) -> Path:
    """The ranking results repository under ``base`` and a warehouse built from it."""
    base = Path(base)
    repo = base / "repo"
    metas = set()
    for model, rev, version, task, entries in RANKING_RESULTS:
        scores = {}
        for split, subset, langs, score in entries:
            scores.setdefault(split, []).append(fx.entry(subset, langs, score))
        fx.write_result(repo, model, rev, task, fx.current(task, scores, mteb_version=version))
        if (model, rev) not in metas:
            metas.add((model, rev))
            fx.write_meta(repo, model, rev, n_parameters=100_000_000)
    # Legacy(v1): legacy PPC.json files (no model_meta.json, no_revision_available), converted
    # to PpcPC with main_score = max_ap; lg/new also has a current PpcPC.json in a SHA folder,
    # which join_revisions prefers (parsed version +100, real revision +10 vs +100 only)
    for model, ap in (("lg/old", 0.75), ("lg/new", 0.6)):
        fx.write_result(repo, model, "no_revision_available", "PPC", {
            "mteb_dataset_name": "PPC", "mteb_version": "1.1.1",
            "test": {"cos_sim": {"accuracy": 0.5, "ap": ap - 0.05}, "max": {"ap": ap}}})
    fx.write_result(repo, "lg/new", A, "PpcPC",
                    fx.simple_result("PpcPC", 0.65, languages=["pol-Latn"]))
    # an experiment of ex/C on the task it lacks: experiments never enter the rankings
    fx.write_result(repo, "ex/C", A, "BSts", fx.simple_result("BSts", 0.99), experiment="exp")
    from etl import build

    report = build.run(repo, source=str(repo), catalog_dir=fx.ranking_catalog(base / "catalog"),
                       warehouse_dir=base / "wh", workers=1)
    assert report.published and not report.quarantined
    return base / "wh"


# --------------------------------------------------------------------------------------------
# the app warehouse
# --------------------------------------------------------------------------------------------

DEFAULT = "Tiny(v1)"
OTHER = "Other(v1)"
TASKS = {
    "TinyRetrieval": ("Retrieval", "ndcg_at_10", ["Web"]),
    "TinyRetrieval2": ("Retrieval", "ndcg_at_10", ["Medical"]),
    "TinySTS": ("STS", "cosine_spearman", []),
    "TinyClassification": ("Classification", "accuracy", ["Reviews"]),
    "TinyClustering": ("Clustering", "v_measure", []),
    "TinyPairClassification": ("PairClassification", "max_ap", []),
}
OTHER_TASKS = ["TinyRetrieval", "TinySTS", "TinyClassification"]
# name -> (base score, make_model kwargs); "partial" misses two tasks.
MODELS = {
    "org-a/big-open": (0.80, dict(n_parameters=7_000_000_000, use_instructions=True,
                                  training_datasets=[], embed_dim=4096, max_tokens=32768,
                                  release_date="2025-06-01")),
    "org-a/small-open": (0.60, dict(n_parameters=100_000_000, use_instructions=False,
                                    training_datasets=["TinyRetrieval"], embed_dim=384,
                                    max_tokens=512, release_date="2023-01-01")),
    "org-b/proprietary-api": (0.75, dict(n_parameters=None, open_weights=False,
                                         use_instructions=True, framework=("API",),
                                         training_datasets=None, embed_dim=3072,
                                         max_tokens=8192, release_date="2024-03-01")),
    "org-b/cross": (0.70, dict(n_parameters=300_000_000, framework=("PyTorch",),
                               model_type=("cross-encoder",), training_datasets=[],
                               embed_dim=None, max_tokens=512, release_date="2024-09-01")),
    "org-c/sparse-one": (0.55, dict(n_parameters=50_000_000, model_type=("sparse",),
                                    training_datasets=[], embed_dim=30522, max_tokens=512,
                                    release_date="2022-05-01")),
    "org-c/partial": (0.65, dict(n_parameters=500_000_000, training_datasets=[],
                                 embed_dim=1024, max_tokens=514, release_date="2024-01-01")),
}
UNREGISTERED = "org-x/unregistered"
TASK_OFFSET = {t: i * 0.02 for i, t in enumerate(TASKS)}


def _sha(i: int) -> str:
    return f"{i:x}" * 40 if i < 16 else f"{i:040x}"


def build_app_warehouse(base: Path) -> Path:
    """Generate the results repository and catalog under ``base`` and build a warehouse."""
    from etl import build

    base = Path(base)
    repo, cat, wh = base / "repo", base / "catalog", base / "wh"
    tasks = []
    for name, (type_, metric, domains) in TASKS.items():
        subsets = ({"en": ["eng-Latn"], "de": ["deu-Latn"]} if name == "TinySTS"
                   else {"default": ["eng-Latn"]})
        tasks.append(fx.make_task(name, type_, metric, subsets, domains=domains))
    benchmarks = [
        fx.make_benchmark(DEFAULT, list(TASKS), display_name="Tiny benchmark",
                          language_view=["eng-Latn", "deu-Latn"]),
        fx.make_benchmark(OTHER, OTHER_TASKS, display_name="Other benchmark",
                          show_zero_shot=False),
    ]
    benchmarks[0]["description"] = "A tiny **fixture** benchmark."
    benchmarks[0]["citation"] = "@misc{tiny, title={Tiny}}"
    models = [fx.make_model(name, _sha(i + 1), **kw)
              for i, (name, (_base, kw)) in enumerate(MODELS.items())]
    fx.write_catalog(cat, tasks=tasks, benchmarks=benchmarks, models=models)
    menu = {
        "default_benchmark": DEFAULT, "home": [], "home_benchmarks": [],
        "sidebar_benchmarks": sorted([DEFAULT, OTHER]),
        "sidebar": [{"type": "menu", "name": "General Purpose", "level": 0, "open": False,
                     "items": [
                         {"type": "benchmark", "name": DEFAULT, "label": "Tiny benchmark",
                          "level": 1},
                         {"type": "menu", "name": "More", "level": 1, "open": False,
                          "items": [{"type": "benchmark", "name": OTHER,
                                     "label": "Other benchmark", "level": 2}]}]}],
    }
    (cat / "menu.json").write_text(json.dumps(menu))
    for i, (name, (score, _kw)) in enumerate(MODELS.items()):
        for task in TASKS:
            if name == "org-c/partial" and task in ("TinyClustering", "TinyPairClassification"):
                continue
            value = round(score + TASK_OFFSET[task] - (0.1 if task == "TinyClustering" and
                                                        name == "org-a/big-open" else 0), 4)
            fx.write_result(repo, name, _sha(i + 1), task, _result(task, value))
    for task in TASKS:
        fx.write_result(repo, UNREGISTERED, _sha(15), task, _result(task, 0.9))
    fx.write_meta(repo, UNREGISTERED, _sha(15), n_parameters=200_000_000)
    fx.write_result(repo, UNREGISTERED, _sha(15), "TinyBroken", b'{"task_name": "TinyBr')
    report = build.run(repo, source="https://github.com/example/results.git",
                       source_commit="0123456789abcdef0123", catalog_dir=cat,
                       warehouse_dir=wh, workers=1)
    assert report.published, report
    return wh


def _result(task: str, value: float) -> dict:
    if task == "TinySTS":
        return fx.current(task, {"test": [fx.entry("en", ["eng-Latn"], value),
                                          fx.entry("de", ["deu-Latn"], value - 0.05)]})
    return fx.simple_result(task, value)


FRESH_HEADER = (
    "import sys; from pathlib import Path; from mteb_lb.db import CurrentBuild; "
    "from mteb_lb.rankings import Leaderboard; from mteb_lb.lbstate import "
    "LeaderboardState as S; lb = Leaderboard(CurrentBuild(Path(sys.argv[1]))); "
    "b = lb.menu()['default_benchmark']; ")


def in_fresh_process(warehouse: Path, body: str, printed: str) -> str:
    """What a fresh Python process prints after FRESH_HEADER (`lb` the board over `warehouse`,
    `b` its default benchmark) and `body`: the value of `printed`, then the heavy modules it
    imported on the way (pandas, pyarrow.compute), sorted."""
    script = (FRESH_HEADER + body + "; print(" + printed + ", sorted(m for m in "
              "('pandas', 'pyarrow.compute') if m in sys.modules))")
    return subprocess.run([sys.executable, "-c", script, str(warehouse)],
                          cwd=Path(__file__).resolve().parent.parent, capture_output=True,
                          text=True, check=True).stdout.strip()
