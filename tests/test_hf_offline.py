"""The Hugging Face source without network fails in seconds with the next step spelled out, as
the git source does (tests/test_cli_commands.py): bin/up exits 3, names the local-folder and
GitHub alternatives, and serves nothing."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
NEXT_STEP = ("Next step: build from a local copy with `--source <folder holding results/>` (or "
             "set MTEB_LB_SOURCE to it), or from GitHub with `--source "
             "https://github.com/embeddings-benchmark/results.git`.")


def up(tmp_path, **env_vars) -> tuple[subprocess.CompletedProcess, float]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MTEB_LB_", "HF_HUB_OFFLINE", "HF_ENDPOINT"))}
    env.update(MTEB_LB_WAREHOUSE=str(tmp_path / "wh"), MTEB_LB_CACHE=str(tmp_path / "cache"),
               **env_vars)
    started = time.monotonic()
    proc = subprocess.run([str(PROJECT / "bin" / "up"), "--source", "hf:mteb/results"],
                          capture_output=True, text=True, env=env, timeout=120)
    return proc, time.monotonic() - started


@pytest.mark.parametrize("endpoint,host,reason", [
    ("http://127.0.0.1:9", "127.0.0.1", "Connection refused"),     # nothing listens there
    ("https://nonexistent.invalid", "nonexistent.invalid", None),  # no such host (no DNS)
])
def test_hf_source_without_network_fails_fast_with_the_next_step(tmp_path, endpoint, host,
                                                                  reason):
    proc, elapsed = up(tmp_path, HF_ENDPOINT=endpoint)
    assert proc.returncode == 3, proc.stderr
    assert elapsed < 60
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("error: ")]
    assert line.startswith(f"error: cannot reach {host} (")
    if reason:   # a missing host's reason depends on the resolver ("Name or service not known")
        assert line.startswith(f"error: cannot reach {host} ({reason}): ")
    assert line.endswith(f"hf:mteb/results cannot be downloaded from {endpoint}. {NEXT_STEP}")
    assert not (tmp_path / "wh" / "current").exists()


def test_hf_offline_mode_without_a_cached_copy_says_what_to_do(tmp_path):
    proc, elapsed = up(tmp_path, HF_HUB_OFFLINE="1")
    assert proc.returncode == 3, proc.stderr
    assert elapsed < 60
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("error: ")]
    assert line.startswith("error: no cached copy of hf:mteb/results in ")
    assert line.endswith(f", and HF_HUB_OFFLINE is set. {NEXT_STEP}")
    assert not (tmp_path / "wh" / "current").exists()
