"""gunicorn configuration for the dashboard on a small machine (2 cores):

    gunicorn -c deploy/gunicorn.conf.py app.wsgi:server

Command-line options override these (``-w 4 --threads 8 -b :8050``). Measured with
``bench/load_test.py`` (docs/PERFORMANCE.md §Serving under load):

* 2 workers x 4 threads: a request is CPU-bound (DuckDB and the Python around it), so on 2 cores
  threads beyond 2-4 per worker only queue and each holds its own result set in memory; more
  workers cost one warehouse connection, result cache and prewarm each (~300-450 MB).
* ``preload_app``: the app is imported once before the fork (workers start faster, the imported
  modules' pages are shared until written). Nothing of the build is opened before the fork: each
  worker opens its own DuckDB connection on its first request and prewarms the menu's default
  boards then (app/main.py ``_install_prewarm``, per process).
* keep-alive 10 s: the dashboard sends a burst of requests per click over one connection, and
  a person clicks again within seconds (idle connections wait in the poller, not in a thread).
* Memory per worker: DuckDB's buffer pool is capped by ``MTEB_LB_SQL_MEMORY_LIMIT`` and the
  result caches by ``MTEB_LB_RESULT_CACHE_MB`` (README §Settings).
"""

bind = "127.0.0.1:8050"
workers = 2
threads = 4
worker_class = "gthread"
preload_app = True
keepalive = 10
timeout = 60
graceful_timeout = 20
max_requests = 0            # workers keep their warm caches; memory is capped by settings
