"""Every setting of the project, in one registry.

Each setting has a name, an environment variable that overrides it, a default and a help text.
Nothing here touches the disk or the network: values are read from the environment when asked for,
so tests can set variables with ``monkeypatch.setenv`` and see them at once.
``mteb-lb settings`` prints this table, and ``tests/test_settings.py`` checks each one is documented
in the README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: Callable[[], object]
    parse: Callable[[str], object]
    help: str


def _path(value: str) -> Path:
    return Path(value).expanduser().resolve()


SETTINGS: tuple[Setting, ...] = (
    Setting("warehouse", "MTEB_LB_WAREHOUSE", lambda: PROJECT_ROOT / "warehouse", _path,
            "Folder holding the immutable builds and the `current` pointer."),
    Setting("cache_dir", "MTEB_LB_CACHE", lambda: Path("~/.cache/mteb-lb").expanduser(), _path,
            "Where git clones and Hugging Face snapshots of the results repository are kept."),
    Setting("source", "MTEB_LB_SOURCE",
            lambda: "https://github.com/embeddings-benchmark/results.git", str,
            "Default `--source` of `mteb-lb etl`: a folder, a git URL, or `hf:<dataset repo id>`."),
    Setting("keep_builds", "MTEB_LB_KEEP_BUILDS", lambda: 3, int,
            "How many published builds are kept; older ones are pruned after a publish."),
    Setting("etl_workers", "MTEB_LB_ETL_WORKERS", lambda: os.cpu_count() or 1, int,
            "Processes that parse result files in parallel."),
    Setting("etl_memory_limit", "MTEB_LB_ETL_MEMORY_LIMIT", lambda: "1400MB", str,
            "DuckDB memory limit while a build computes its tables (it spills beyond)."),
    Setting("max_file_bytes", "MTEB_LB_MAX_FILE_BYTES", lambda: 64 * 1024 * 1024, int,
            "A result file larger than this is quarantined as absurdly large."),
    Setting("max_json_depth", "MTEB_LB_MAX_JSON_DEPTH", lambda: 64, int,
            "A result or model_meta.json file nested deeper than this is quarantined."),
    Setting("parse_time_limit_s", "MTEB_LB_PARSE_TIME_LIMIT_S", lambda: 30.0, float,
            "Seconds one file may take to read and parse; beyond, it is quarantined."),
    Setting("fast_parse", "MTEB_LB_FAST_PARSE", lambda: 1, int,
            "1: result files of the common shape are read by the compiled parser (when built); "
            "0: always by the Python parser (the same rows)."),
    Setting("sql_time_limit_ms", "MTEB_LB_SQL_TIME_LIMIT_MS", lambda: 5000, int,
            "Ad-hoc SQL: a query running longer than this is interrupted."),
    Setting("sql_max_rows", "MTEB_LB_SQL_MAX_ROWS", lambda: 10000, int,
            "Ad-hoc SQL: rows returned at most; more sets the `truncated` flag."),
    Setting("sql_max_bytes", "MTEB_LB_SQL_MAX_BYTES", lambda: 16 * 1024 * 1024, int,
            "Ad-hoc SQL: bytes of result data (Arrow, measured before conversion) a response "
            "holds at most; more sets the `truncated` flag (a single larger cell counts)."),
    Setting("max_request_bytes", "MTEB_LB_MAX_REQUEST_BYTES", lambda: 1024 * 1024, int,
            "HTTP request bodies larger than this are refused with 413."),
    Setting("sql_memory_limit", "MTEB_LB_SQL_MEMORY_LIMIT", lambda: "2GB", str,
            "DuckDB memory_limit of the read-only connection (one per process; "
            "deploy/gunicorn.conf.py sets 256MB per worker)."),
    Setting("sql_spill_limit", "MTEB_LB_SQL_SPILL_LIMIT", lambda: "4GB", str,
            "Ad-hoc SQL: disk a query may spill to (in a private temp folder) before it fails."),
    Setting("sql_threads", "MTEB_LB_SQL_THREADS", lambda: 2, int,
            "DuckDB threads of the read-only connection the app and the SQL console use."),
    Setting("sql_concurrency", "MTEB_LB_SQL_CONCURRENCY", lambda: 0, int,
            "Ranking queries a process runs at once (others wait their turn; 0: no cap)."),
    Setting("shared_frames_dir", "MTEB_LB_SHARED_FRAMES_DIR", lambda: "", _path,
            "Folder where a server's processes share the summary frames they computed (empty: "
            "off; deploy/gunicorn.conf.py sets a temp folder per server, mteb_lb/frame_store.py)."),
    Setting("host", "MTEB_LB_HOST", lambda: "127.0.0.1", str,
            "Address `mteb-lb serve` listens on."),
    Setting("port", "MTEB_LB_PORT", lambda: 8050, int, "Port `mteb-lb serve` listens on."),
    Setting("rank_resamples", "MTEB_LB_RANK_RESAMPLES", lambda: 1000, int,
            "Rank intervals: bootstrap resamples B when a request does not say (0: no intervals)."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str):
    """The current value of setting ``name`` (environment first, then the default)."""
    setting = _BY_NAME[name]
    raw = os.environ.get(setting.env)
    if raw is None or raw == "":
        value = setting.default()
        return setting.parse(str(value)) if isinstance(value, Path) else value
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise ValueError(f"{setting.env}={raw!r} is not valid: {exc}") from None


def describe() -> list[tuple[str, str, object, str]]:
    """(name, env var, current value, help) for every setting."""
    return [(s.name, s.env, get(s.name), s.help) for s in SETTINGS]
