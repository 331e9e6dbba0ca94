"""The validity-flags fixture warehouse (docs/QUALITY.md): for every rule of
queries/quality/, one model whose result triggers it and one near-miss model that does not.

Every value below is chosen by hand against the rule's threshold; tests/test_quality_flags.py
states the exact row each triggering model must produce. Models without a model_meta.json are
named after their folder (their revision is the folder name), so only q/meta-bad and
q/meta-ok compare metadata with the registry.
"""

from __future__ import annotations

from pathlib import Path

import fixtures as fx

A, B = fx.SHA_A, fx.SHA_B
E = ("eng-Latn",)
OTHER_DATASET_REV = "f" * 40
BENCH = "Quality(v1)"

TASKS = [
    fx.make_task("QRet", "Retrieval", "ndcg_at_10"),
    fx.make_task("QSts", "STS", "cosine_spearman"),
    fx.make_task("QCls", "Classification", "accuracy", {"en": ["eng-Latn"], "de": ["deu-Latn"]}),
    fx.make_task("WebLINXCandidatesReranking", "Reranking", "mrr_at_10"),
    # in no benchmark (its flags are the only thing it adds)
    fx.make_task("QClu", "Clustering", "v_measure"),
]
IN_BENCH = [t["name"] for t in TASKS if t["name"] != "QClu"]


def _ret(main=0.5, **metrics) -> dict:
    """One QRet entry: main score and retrieval metrics consistent unless overridden."""
    values = {"ndcg_at_10": main, "mrr_at_1": 0.4, "precision_at_1": 0.4, "recall_at_1": 0.2,
              "recall_at_10": 0.5, "recall_at_100": 0.8}
    values.update(metrics)
    return fx.current("QRet", {"test": [fx.entry("default", E, main, **values)]})


def _sts(main: float) -> dict:
    return fx.current("QSts", {"test": [fx.entry("default", E, main, cosine_spearman=main)]})


def _cls(entries: list[tuple[str, float]], **kw) -> dict:
    langs = {"en": ("eng-Latn",), "de": ("deu-Latn",)}
    return fx.current("QCls", {"test": [fx.entry(s, langs[s], v, accuracy=v)
                                        for s, v in entries]}, **kw)


def _weblinx(version: str) -> dict:
    return fx.current("WebLINXCandidatesReranking",
                      {"test": [fx.entry("default", E, 0.7, mrr_at_10=0.7)]},
                      mteb_version=version)


def _clu(*entries: tuple[str, float, object]) -> dict:
    """A QClu result: one (subset, main score, v_measures or None) per entry; v_measure equal
    to the main score."""
    rows = []
    for subset, main, v_measures in entries:
        extra = {} if v_measures is None else {"v_measures": v_measures}
        rows.append(fx.entry(subset, E, main, v_measure=main, **extra))
    return fx.current("QClu", {"test": rows})


# (model, revision folder, task, result)
RESULTS = [
    # score_not_finite
    ("q/nan", A, "QSts", _sts(float("nan"))),
    ("q/nan-ok", A, "QSts", _sts(0.0)),
    # score_out_of_range: precision_at_5 = 1.5; near miss: a negative correlation as main score
    # and a recall 5e-7 above 1 (within the 1e-6 tolerance)
    ("q/range", A, "QRet", _ret(precision_at_5=1.5)),
    ("q/range-ok", A, "QRet", _ret(recall_at_1000=1.0000005, recall_at_100=0.8)),
    ("q/range-ok", A, "QSts", _sts(-0.3)),
    # main_score_mismatch: main 0.6, ndcg_at_10 0.4; near miss: 0.6 vs 0.60005 (5e-5 < 1e-4)
    ("q/main", A, "QRet", _ret(0.6, ndcg_at_10=0.4)),
    ("q/main-ok", A, "QRet", _ret(0.6, ndcg_at_10=0.60005)),
    # mrr_precision_at_1: 0.5 vs 0.2; near miss: 0.5 vs 0.45 (0.05 < 0.1)
    ("q/mrr", A, "QRet", _ret(mrr_at_1=0.5, precision_at_1=0.2)),
    ("q/mrr-ok", A, "QRet", _ret(mrr_at_1=0.5, precision_at_1=0.45)),
    # recall_not_monotonic: recall@100 0.5 < recall@10 0.6; near miss: 0.59995 (5e-5 < 1e-4)
    ("q/recall", A, "QRet", _ret(recall_at_10=0.6, recall_at_100=0.5)),
    ("q/recall-ok", A, "QRet", _ret(recall_at_10=0.6, recall_at_100=0.59995)),
    # clustering_score_mismatch: main 0.52 but v_measures [0.48, 0.52] average 0.5 (0.02 >
    # 1e-4), and main 0.45 but the levels' values 0.3, 0.5, 0.4, 0.4 average 0.4 (0.05); near
    # miss: main 0.5001 and v_measures [0.4, 0.6] (mean 0.5: exactly 1e-4 apart), and main 0.9
    # without v_measures
    ("q/clu", A, "QClu", _clu(("a", 0.52, [0.48, 0.52]),
                              ("b", 0.45, {"Level 0": [0.3, 0.5], "Level 1": [0.4, 0.4]}))),
    ("q/clu-ok", A, "QClu", _clu(("a", 0.5001, [0.4, 0.6]), ("b", 0.9, None))),
    # known_evaluator_bug: mteb 2.18.18 on WebLINX (fixed in 2.18.19); near miss: 2.18.19
    ("q/bug", A, "WebLINXCandidatesReranking", _weblinx("2.18.18")),
    ("q/bug-ok", A, "WebLINXCandidatesReranking", _weblinx("2.18.19")),
    # conflicting_duplicates: test/en twice, 0.7 and 0.8; near miss: twice 0.7
    ("q/dup", A, "QCls", _cls([("en", 0.7), ("en", 0.8), ("de", 0.6)])),
    ("q/dup-ok", A, "QCls", _cls([("en", 0.7), ("en", 0.7), ("de", 0.6)])),
    # missing_model_revision: a no_revision_available folder; near miss: a SHA folder
    ("q/norev", "no_revision_available", "QSts", _sts(0.5)),
    ("q/norev-ok", A, "QSts", _sts(0.5)),
    # dataset_revision_mismatch: another dataset revision; near miss: the string "None"
    ("q/dsrev", A, "QSts", fx.current("QSts", {"test": [fx.entry("default", E, 0.5)]},
                                      dataset_revision=OTHER_DATASET_REV)),
    ("q/dsrev-ok", A, "QSts", fx.current("QSts", {"test": [fx.entry("default", E, 0.5)]},
                                         dataset_revision="None")),
    # missing_splits: QCls without subset de; near miss: both subsets
    ("q/miss", A, "QCls", _cls([("en", 0.7)])),
    ("q/miss-ok", A, "QCls", _cls([("en", 0.7), ("de", 0.6)])),
    # mixed_revisions: QRet from revision A, QSts from revision B; near miss: both from A
    ("q/mixed", A, "QRet", _ret()),
    ("q/mixed", B, "QSts", _sts(0.5)),
    ("q/mixed-ok", A, "QRet", _ret()),
    ("q/mixed-ok", A, "QSts", _sts(0.5)),
    # model_meta_mismatch (model_meta.json below): embed_dim 1024 vs 768; near miss: 103M
    # parameters vs 100M (3% < 5%)
    ("q/meta-bad", A, "QSts", _sts(0.5)),
    ("q/meta-ok", A, "QSts", _sts(0.5)),
]

MODELS = sorted({r[0] for r in RESULTS})
META = {  # model_meta.json fields; the registry has embed_dim 768, 100M parameters, 512 tokens
    "q/meta-bad": dict(embed_dim=1024, n_parameters=100_000_000, max_tokens=512.0,
                       release_date="2024-01-01"),
    "q/meta-ok": dict(embed_dim=768, n_parameters=103_000_000, max_tokens=512.0,
                      release_date="2024-01-01"),
}


def build_quality_warehouse(base: Path) -> Path:
    """The fixture repository under ``base`` and a warehouse built from it."""
    from etl import build

    base = Path(base)
    repo = base / "repo"
    for model, rev, task, result in RESULTS:
        fx.write_result(repo, model, rev, task, result)
    for model, fields in META.items():
        fx.write_meta(repo, model, A, **fields)
    catalog = fx.write_catalog(
        base / "catalog", tasks=TASKS, benchmarks=[fx.make_benchmark(BENCH, IN_BENCH)],
        models=[fx.make_model(m, A, training_datasets=[]) for m in MODELS])
    report = build.run(repo, source=str(repo), catalog_dir=catalog, warehouse_dir=base / "wh",
                       workers=1)
    assert report.published and not report.quarantined
    return base / "wh"
