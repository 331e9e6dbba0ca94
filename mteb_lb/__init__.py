"""The MTEB leaderboard as a warehouse: ETL, SQL rankings, statistics, CLI and the dashboard."""

import os

# numpy's OpenBLAS starts a thread per core when numpy is imported (~25-35 ms of CPU, a fifth of
# a fresh process's first table) and its threads spin between matrix products; the project's
# products (the bootstrap's B x T draws times the T x M points) are small, and a worker's cores
# are busy with DuckDB and the other requests: one BLAS thread computes them faster (7 ms wall,
# 3 ms CPU against 17 / 6 ms with two threads, docs/PERFORMANCE.md
# §Fifth pass: imports, memory, the statistics). Set before
# any module of the package imports numpy; a value the environment gives wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
