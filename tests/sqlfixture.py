"""A tiny published build for the SQL console tests (safe_sql, `mteb-lb sql`, /api/sql).

It has the shape the ETL produces: Parquet under ``parquet/<table>/``, ``lb.duckdb`` with the
small tables materialised and ``metrics``/``metric_arrays`` as views over the Parquet by absolute
path, ``COMMENT ON`` every table and column from ``mteb_lb/schema.py``, views created from
``queries/<view>.sql`` files whose header documents them, and ``manifest.json``; it is published
with ``warehouse.publish``. The data is small enough to know every answer by heart:

========================================  ========  ============================================
model (revision)                          params    entries (task, subset: main_score)
========================================  ========  ============================================
org/small-de (a1)                         300M      GermanQuAD-Retrieval 0.60; XMarket de 0.30,
                                                    en 0.40 (mteb 1.12.0)
org/big-de (b1)                           1.2B      GermanQuAD-Retrieval 0.70; XMarket de 0.35,
                                                    en 0.45 (mteb 1.14.0)
org/closed-de (c1), closed weights        100M      GermanQuAD-Retrieval 0.80 (mteb 1.11.0)
intfloat/multilingual-e5-small            117.7M    rev1: NFCorpus 0.30 (recall_at_100 0.25,
                                                    mteb 1.1.0), Banking77Classification 0.80
                                                    (legacy, no version); rev2: NFCorpus 0.32
                                                    (recall_at_100 0.28, mteb 1.20.0)
========================================  ========  ============================================

plus one quarantined file and a NaN metric.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

import queries
from mteb_lb import schema as etl_schema
from mteb_lb import warehouse

BUILD_ID = "20260101T000000Z-fixture-1"
E5_SMALL = "intfloat/multilingual-e5-small"

VIEW_FILES = {
    # Documented by its header; the fixture copies the header into COMMENT ON, like the ETL.
    "task_scores": """\
-- One score per (model, task): the mean main score over the task's splits and subsets.
-- Experiments are left out.
-- @column model_name: Model name.
-- @column task_name: Task name.
-- @column score: Mean main score, 0-1.
select model_name, task_name, avg(main_score) as score
from scores
where experiment is null
group by model_name, task_name
""",
    # Documented only by its header file (no COMMENT ON): the schema browser falls back to it.
    "model_revisions": """\
-- Revisions of each model that have results.
-- @column model_name: Model name.
-- @column n_revisions: How many revisions.
select model_name, count(distinct revision) as n_revisions
from scores
group by model_name
""",
}


def _entry_id(file_id: int, entry_no: int) -> int:
    return (file_id << 20) | entry_no


def _files() -> list[dict]:
    rows = [
        (1, "org__small-de", "a1", "GermanQuAD-Retrieval", 1),
        (2, "org__small-de", "a1", "XMarket", 2),
        (3, "org__big-de", "b1", "GermanQuAD-Retrieval", 1),
        (4, "org__big-de", "b1", "XMarket", 2),
        (5, "org__closed-de", "c1", "GermanQuAD-Retrieval", 1),
        (6, "intfloat__multilingual-e5-small", "rev1", "NFCorpus", 1),
        (7, "intfloat__multilingual-e5-small", "rev2", "NFCorpus", 1),
        (8, "intfloat__multilingual-e5-small", "rev1", "Banking77Classification", 1),
    ]
    out = [dict(file_id=fid, path=f"results/{folder}/{rev}/{task}.json", kind="result",
                model_folder=folder, revision_folder=rev, experiment=None, size=1000 + fid,
                content_hash=f"{fid:032x}", status="loaded", reason=None, n_entries=n)
           for fid, folder, rev, task, n in rows]
    out.append(dict(file_id=9, path="results/org__small-de/a1/model_meta.json", kind="model_meta",
                    model_folder="org__small-de", revision_folder="a1", experiment=None, size=200,
                    content_hash="9" * 32, status="loaded", reason=None, n_entries=0))
    out.append(dict(file_id=10, path="results/org__broken/x/Broken.json", kind="result",
                    model_folder="org__broken", revision_folder="x", experiment=None, size=12,
                    content_hash="a" * 32, status="quarantined",
                    reason="invalid JSON: Expecting value", n_entries=0))
    return out


def _scores() -> list[dict]:
    entries = [
        # file, no, model, revision, folder, task, split, subset, langs, score, mteb
        (1, 0, "org/small-de", "a1", "org__small-de", "GermanQuAD-Retrieval", "test", "default",
         ["deu-Latn"], 0.60, "1.12.0"),
        (2, 0, "org/small-de", "a1", "org__small-de", "XMarket", "test", "de", ["deu-Latn"], 0.30,
         "1.12.0"),
        (2, 1, "org/small-de", "a1", "org__small-de", "XMarket", "test", "en", ["eng-Latn"], 0.40,
         "1.12.0"),
        (3, 0, "org/big-de", "b1", "org__big-de", "GermanQuAD-Retrieval", "test", "default",
         ["deu-Latn"], 0.70, "1.14.0"),
        (4, 0, "org/big-de", "b1", "org__big-de", "XMarket", "test", "de", ["deu-Latn"], 0.35,
         "1.14.0"),
        (4, 1, "org/big-de", "b1", "org__big-de", "XMarket", "test", "en", ["eng-Latn"], 0.45,
         "1.14.0"),
        (5, 0, "org/closed-de", "c1", "org__closed-de", "GermanQuAD-Retrieval", "test", "default",
         ["deu-Latn"], 0.80, "1.11.0"),
        (6, 0, E5_SMALL, "rev1", "intfloat__multilingual-e5-small", "NFCorpus", "test",
         "default", ["eng-Latn"], 0.30, "1.1.0"),
        (7, 0, E5_SMALL, "rev2", "intfloat__multilingual-e5-small", "NFCorpus", "test",
         "default", ["eng-Latn"], 0.32, "1.20.0"),
        (8, 0, E5_SMALL, "rev1", "intfloat__multilingual-e5-small",
         "Banking77Classification", "test", "en", ["eng-Latn"], 0.80, None),
    ]
    out = []
    for fid, no, model, rev, folder, task, split, subset, langs, score, version in entries:
        out.append(dict(
            entry_id=_entry_id(fid, no), file_id=fid, entry_no=no, model_name=model, revision=rev,
            model_folder=folder, revision_folder=rev, experiment=None, task_name=task,
            file_task_name=task, split=split, subset=subset, languages=langs, main_score=score,
            mteb_version=version, entry_mteb_version=version, dataset_revision="d" * 40,
            evaluation_time=10.0 * fid, kg_co2_emissions=None, date=None,
            file_format="legacy" if version is None else "current",
            path=f"results/{folder}/{rev}/{task}.json", content_hash=f"{fid:032x}"))
    return out


def _metrics(scores: list[dict]) -> list[dict]:
    out = [dict(entry_id=s["entry_id"], metric="main_score", value=s["main_score"], text=None)
           for s in scores]
    nf1, nf2, bank = _entry_id(6, 0), _entry_id(7, 0), _entry_id(8, 0)
    out += [
        dict(entry_id=nf1, metric="recall_at_100", value=0.25, text=None),
        dict(entry_id=nf2, metric="recall_at_100", value=0.28, text=None),
        dict(entry_id=nf1, metric="ndcg_at_10", value=0.30, text=None),
        dict(entry_id=nf2, metric="ndcg_at_10", value=0.32, text=None),
        dict(entry_id=bank, metric="accuracy", value=0.80, text=None),
        dict(entry_id=bank, metric="f1", value=math.nan, text=None),
        dict(entry_id=bank, metric="gpu", value=None, text="A100"),
    ]
    return out


def _model_meta() -> list[dict]:
    def meta(folder, rev, name, n, open_weights=True):
        return dict(path=f"results/{folder}/{rev}/model_meta.json", model_folder=folder,
                    revision_folder=rev, experiment=None, name=name, revision=rev,
                    release_date="2024-01-01", n_parameters=float(n), memory_usage_mb=None,
                    embed_dim=384.0, max_tokens=512.0, license="mit", open_weights=open_weights,
                    use_instructions=False, framework=["PyTorch"], modalities=["text"],
                    model_type=["dense"], reference=None, training_datasets=None,
                    adapted_from=None, raw_json="{}")
    return [
        meta("org__small-de", "a1", "org/small-de", 300e6),
        meta("org__big-de", "b1", "org/big-de", 1.2e9),
        meta("intfloat__multilingual-e5-small", "rev1", E5_SMALL, 117.7e6),
        meta("intfloat__multilingual-e5-small", "rev2", E5_SMALL, 117.7e6),
    ]


def _catalog() -> dict[str, pa.Table]:
    strs = pa.list_(pa.string())
    tasks = pa.Table.from_pylist([
        dict(name="GermanQuAD-Retrieval", type="Retrieval", main_score="ndcg_at_10",
             languages=["deu-Latn"]),
        dict(name="XMarket", type="Retrieval", main_score="ndcg_at_10",
             languages=["deu-Latn", "eng-Latn"]),
        dict(name="NFCorpus", type="Retrieval", main_score="ndcg_at_10", languages=["eng-Latn"]),
        dict(name="Banking77Classification", type="Classification", main_score="accuracy",
             languages=["eng-Latn"]),
    ], pa.schema([("name", pa.string()), ("type", pa.string()), ("main_score", pa.string()),
                  ("languages", strs)]))
    models = pa.Table.from_pylist([
        dict(name="org/small-de", n_parameters=300_000_000, open_weights=True),
        dict(name="org/big-de", n_parameters=1_200_000_000, open_weights=True),
        dict(name="org/closed-de", n_parameters=100_000_000, open_weights=False),
        dict(name=E5_SMALL, n_parameters=117_700_000, open_weights=True),
    ], pa.schema([("name", pa.string()), ("n_parameters", pa.int64()),
                  ("open_weights", pa.bool_())]))
    benchmarks = pa.Table.from_pylist([
        dict(name="MTEB(deu, v1)", display_name="German"),
        dict(name="MTEB(eng, v2)", display_name="English"),
    ])
    benchmark_tasks = pa.Table.from_pylist([
        dict(benchmark="MTEB(deu, v1)", task_name="GermanQuAD-Retrieval", split="test",
             subset="default", languages=["deu-Latn"]),
        dict(benchmark="MTEB(deu, v1)", task_name="XMarket", split="test", subset="de",
             languages=["deu-Latn"]),
        dict(benchmark="MTEB(eng, v2)", task_name="NFCorpus", split="test", subset="default",
             languages=["eng-Latn"]),
        dict(benchmark="MTEB(eng, v2)", task_name="Banking77Classification", split="test",
             subset="en", languages=["eng-Latn"]),
        dict(benchmark="MTEB(eng, v2)", task_name="XMarket", split="test", subset="en",
             languages=["eng-Latn"]),
    ], pa.schema([("benchmark", pa.string()), ("task_name", pa.string()),
                  ("split", pa.string()), ("subset", pa.string()), ("languages", strs)]))
    return {"tasks": tasks, "model_registry": models, "benchmarks": benchmarks,
            "benchmark_tasks": benchmark_tasks}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_queries(folder: Path) -> Path:
    """The fixture's `queries/<view>.sql` files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in VIEW_FILES.items():
        (folder / f"{name}.sql").write_text(sql)
    return folder


def make_build(warehouse_dir: Path, queries_dir: Path, build_id: str = BUILD_ID) -> Path:
    """Create, publish and return the fixture build in ``warehouse_dir``."""
    staged = warehouse.staging_dir(build_id, warehouse_dir)
    tables = {
        "scores": pa.Table.from_pylist(_scores(), etl_schema.SCORES),
        "files": pa.Table.from_pylist(_files(), etl_schema.FILES),
        "model_meta": pa.Table.from_pylist(_model_meta(), etl_schema.MODEL_META),
        "metrics": pa.Table.from_pylist(_metrics(_scores()), etl_schema.METRICS),
        "metric_arrays": pa.Table.from_pylist([dict(
            entry_id=_entry_id(8, 0), metric="scores_per_experiment.accuracy",
            values=[0.79, 0.81, math.nan])], etl_schema.METRIC_ARRAYS),
        **_catalog(),
    }
    for name, table in tables.items():
        folder = staged / "parquet" / name
        folder.mkdir(parents=True)
        pq.write_table(table, folder / "part-0.parquet")

    def finalize(final: Path) -> dict:
        con = duckdb.connect(str(final / warehouse.DB_FILE))
        try:
            for name in tables:
                source = str((final / "parquet" / name).resolve() / "*.parquet")
                if name in ("metrics", "metric_arrays"):  # big tables stay in Parquet
                    con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{source}')")
                else:
                    con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{source}')")
                arrow_schema = etl_schema.TABLES.get(name)
                kind = "VIEW" if name in ("metrics", "metric_arrays") else "TABLE"
                doc = ((arrow_schema.metadata or {}).get(b"doc", b"").decode() if arrow_schema
                       else etl_schema.CATALOG_DOCS.get(name, "")
                       if hasattr(etl_schema, "CATALOG_DOCS") else "")
                if doc:
                    con.execute(f"COMMENT ON {kind} {name} IS {_quote(doc)}")
                for f in arrow_schema or []:
                    text = (f.metadata or {}).get(b"doc", b"").decode()
                    con.execute(f"COMMENT ON COLUMN {name}.{f.name} IS {_quote(text)}")
            for name in VIEW_FILES:
                sql = (queries_dir / f"{name}.sql").read_text()
                con.execute(f"CREATE VIEW {name} AS\n{sql}")
                if name == "task_scores":
                    doc, cols = queries.parse_header(sql)
                    con.execute(f"COMMENT ON VIEW {name} IS {_quote(doc)}")
                    for col, text in cols.items():
                        con.execute(f"COMMENT ON COLUMN {name}.{col} IS {_quote(text)}")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        return {}

    manifest = {"build_id": build_id, "source_commit": "fixture",
                "row_counts": {n: t.num_rows for n, t in tables.items()}}
    return warehouse.publish(staged, manifest, warehouse_dir, finalize=finalize)
