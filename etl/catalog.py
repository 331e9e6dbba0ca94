"""The mteb catalog snapshot: task, benchmark, menu and model metadata exported from mteb.

The project never imports mteb. Instead ``etl/catalog_export.py`` runs under an interpreter that
has mteb installed and writes a folder of JSON files (committed under ``etl/catalog/``):

==========================  ==================================================================
file                        content
==========================  ==================================================================
``meta.json``               mteb version, export time, python version, counts, provenance notes
``tasks.json``              one object per task (registry + mteb's dummy "outdated" tasks)
``task_renames.json``       ``{"old": "new"}`` applied when loading legacy result files
``similar_tasks.json``      mteb's similar-tasks graph ``{task: [similar, ...]}`` (zero-shot)
``benchmarks.json``         one object per benchmark (``kind``, aggregations, sort, views, ...)
``benchmark_tasks.json``    ``{benchmark: [[task, split, subset, [lang-script, ...]], ...]}``
                            (``.json.gz`` when the plain file would exceed 5 MB)
``menu.json``               the leaderboard menus: ``sidebar`` (GP + R entries) and ``home``
``models.json``             one object per registered model, incl. the leaderboard's display
                            values (``lb_*``) and ``training_datasets_closure`` (zero-shot)
==========================  ==================================================================

``load_snapshot()`` reads them; ``export()`` (behind ``mteb-lb catalog --python PATH``)
regenerates them. Nothing here does I/O at import time.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
EXPORT_SCRIPT = Path(__file__).resolve().parent / "catalog_export.py"

#: Every file of a snapshot, by key (= file stem).
SNAPSHOT_FILES: tuple[str, ...] = (
    "meta",
    "tasks",
    "task_renames",
    "similar_tasks",
    "benchmarks",
    "benchmark_tasks",
    "menu",
    "models",
)

# Exit code catalog_export.py uses when mteb cannot be imported.
_NO_MTEB_EXIT = 3


class CatalogError(RuntimeError):
    """The catalog could not be read or exported."""


def _snapshot_file(folder: Path, key: str) -> Path:
    plain = folder / f"{key}.json"
    if plain.is_file():
        return plain
    gz = folder / f"{key}.json.gz"
    if gz.is_file():
        return gz
    raise CatalogError(f"catalog snapshot {folder} has no {key}.json (or {key}.json.gz)")


def _read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _read_json(path: Path):
    return json.loads(_read_bytes(path))


class Snapshot(Mapping):
    """A catalog snapshot: ``snapshot[key]`` is the parsed JSON of one file of
    :data:`SNAPSHOT_FILES`, parsed on first use (an incremental build never needs the 8 MB of
    benchmark triples); ``snapshot["digests"]`` holds a hash of each file's content, so builds
    compare catalogs without parsing or serialising them."""

    def __init__(self, raw: dict[str, bytes]):
        self._raw = raw
        self._parsed: dict = {"digests": {key: hashlib.blake2b(data, digest_size=16).hexdigest()
                                          for key, data in raw.items()}}

    def __getitem__(self, key: str):
        if key not in self._parsed:
            if key not in self._raw:
                raise KeyError(key)
            try:
                self._parsed[key] = json.loads(self._raw[key])
            except ValueError as exc:
                raise CatalogError(f"catalog snapshot file {key}.json is not valid JSON: {exc}"
                                   ) from exc
        return self._parsed[key]

    def __iter__(self):
        return iter(["digests", *self._raw])

    def __len__(self) -> int:
        return len(self._raw) + 1

    def is_empty(self, key: str) -> bool:
        """Whether a file holds no entries ({} or []), without parsing it."""
        return self._raw[key].strip() in (b"{}", b"[]", b"null", b"")


def load_snapshot(path: str | Path | None = None) -> Snapshot:
    """Read a catalog snapshot folder (default: the committed ``etl/catalog``): every key of
    :data:`SNAPSHOT_FILES`, from ``<key>.json`` or, failing that, ``<key>.json.gz``."""
    folder = Path(path) if path is not None else CATALOG_DIR
    if not folder.is_dir():
        raise CatalogError(f"catalog snapshot folder {folder} does not exist")
    return Snapshot({key: _read_bytes(_snapshot_file(folder, key)) for key in SNAPSHOT_FILES})


def _check_interpreter(python: str, cwd: Path) -> None:
    """Fail fast (without importing mteb, which takes seconds) if ``python`` cannot see mteb."""
    probe = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('mteb') else 3)"
    try:
        proc = subprocess.run([python, "-c", probe], cwd=cwd, capture_output=True, text=True,
                              timeout=60)
    except FileNotFoundError:
        raise CatalogError(f"python interpreter not found: {python}") from None
    except PermissionError:
        raise CatalogError(f"python interpreter is not executable: {python}") from None
    if proc.returncode == _NO_MTEB_EXIT:
        raise CatalogError(
            f"{python} has no mteb installed; point --python at an interpreter (e.g. a virtualenv) "
            "where `import mteb` works"
        )
    if proc.returncode != 0:
        raise CatalogError(f"{python} failed to start: {proc.stderr.strip() or proc.returncode}")


def export(python: str, out: Path) -> list[Path]:
    """Regenerate a catalog snapshot into ``out`` by running ``etl/catalog_export.py``.

    ``python`` is an interpreter with mteb installed (the project's own venv has none). The
    script's progress output is passed through to stderr. Returns the files of the snapshot.
    """
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    # Run from the output folder so nothing in the current directory can shadow a module.
    _check_interpreter(python, out)
    proc = subprocess.run(
        [python, str(EXPORT_SCRIPT), "--out", str(out)],
        cwd=out,
        capture_output=True,
        text=True,
        env=None,
    )
    if proc.stdout:
        sys.stderr.write(proc.stdout)
    if proc.returncode == _NO_MTEB_EXIT:
        raise CatalogError(f"{python} cannot import mteb:\n{proc.stderr.strip()}")
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-20:])
        raise CatalogError(f"catalog export with {python} failed (exit {proc.returncode}):\n{tail}")
    return [_snapshot_file(out, key) for key in SNAPSHOT_FILES]
