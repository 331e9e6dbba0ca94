"""gunicorn configuration for the dashboard on a small machine (2 cores):

    gunicorn -c deploy/gunicorn.conf.py app.wsgi:server

Command-line options override these (``-w 4 --threads 8 -b :8050``). Measured with
``bench/load_test.py`` (docs/PERFORMANCE.md §Serving under load):

* 2 workers x 4 threads: a request is CPU-bound (DuckDB and the Python around it), so on 2 cores
  threads beyond 2-4 per worker only queue and each holds its own result set in memory; more
  workers cost one warehouse connection, result cache and prewarm each (~300-450 MB).
* ``preload_app``: the app is imported once before the fork (workers start faster, the imported
  modules' pages are shared until written). Nothing of the build is opened before the fork: each
  worker opens its own DuckDB connection after it.
* Dash's one-time setup (run by a process's first request) runs in ``post_worker_init``
  (``app.main.ready``), before the worker's threads serve; the app also holds every other
  request until a first one is answered (``app.main._first_request_alone``: a second request
  during the setup once failed with "dictionary changed size during iteration").
* Warm workers: ``post_worker_init`` renders the leaderboard page of each menu board's default
  state (the default board first, then menu order), then computes the other benchmarks' default
  summaries (``app.main.prewarm_rankings``), in the worker before it accepts requests, for at
  most ``WARM_SECONDS``; the app's own background prewarm (started by the first request, per
  process) then covers the rest, skipping what is cached. (The prewarm alone left part of what
  a board's page needs uncached: 12-19 of 39-97 default-board requests computed in a load test.)
* keep-alive 10 s: the dashboard sends a burst of requests per click over one connection, and
  a person clicks again within seconds (idle connections wait in the poller, not in a thread).
* Memory per worker (target <= 500 MB): DuckDB's memory is capped per worker by
  ``MTEB_LB_SQL_MEMORY_LIMIT``, which this file sets to 256MB unless the environment sets it
  (the setting's own default, 2GB, suits one process; DuckDB spills beyond the limit into its
  private temp folder); Arrow allocates with glibc's malloc (``ARROW_DEFAULT_MEMORY_POOL=system``
  unless the environment sets it); numpy's OpenBLAS runs one thread (``OPENBLAS_NUM_THREADS=1``
  unless the environment sets it); each worker's glibc allocator keeps at most 2 arenas
  (``post_fork``: with one arena per thread, freed memory stays mapped in every thread's
  arena).
* A filter's two requests on two workers: the deferred statistics request (app/intervals.py)
  lands on either worker; the workers share the summary frames they computed through a temp
  folder (``MTEB_LB_SHARED_FRAMES_DIR``, mteb_lb/frame_store.py) that ``on_starting`` makes
  unless the environment names one, and ``on_exit`` removes, so the other worker maps the
  click's frame instead of running the state's ranking query again.
* CPU per request: DuckDB runs one thread per worker (``MTEB_LB_SQL_THREADS=1`` unless the
  environment sets it) and one ranking query at a time per worker (``MTEB_LB_SQL_CONCURRENCY=1``
  unless the environment sets it: concurrent queries in one worker cost more CPU each); after
  the warm-up the worker's objects are frozen out of the garbage collector's generations
  (``gc.freeze``), so a full collection no longer walks them.
"""

import ctypes
import gc
import os
import shutil
import tempfile

os.environ.setdefault("MTEB_LB_SQL_MEMORY_LIMIT", "256MB")
# numpy's OpenBLAS starts a thread per core when numpy is imported, and its threads spin between
# products; the bootstrap's products are small and a worker's cores are busy with DuckDB and
# other requests: one BLAS thread computes them faster (7 ms wall, 3 ms CPU against 17 / 6 ms
# with two; docs/PERFORMANCE.md §Fifth pass: imports, memory, the statistics). Set here, before
# the app (and numpy) is imported, not by the package: a library does not change its importer's
# process.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Arrow's buffers from glibc's malloc (2 arenas, post_fork), not pyarrow's bundled mimalloc: with
# four request threads, the worker's resident memory kept more of the freed Arrow buffers (each
# cold state's frame and tables) under mimalloc. bench/memory_profile.py --threads 4, 300 cold
# states, 2 runs: peak RSS 419 / 422 MB against 466 / 455 MB, the same CPU; see
# docs/PERFORMANCE.md §Session 12: the served app (serve5). pyarrow reads it when imported:
# set here, before the app is.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
# One DuckDB thread per worker: a loaded server is CPU-bound (2 workers x 4 request threads on 2
# cores), and a query split over two threads costs ~15 % more CPU in all (14 filter states of
# bench_app: 1,542 / 1,497 ms of CPU with one thread against 1,842 / 1,696 with two), so one
# thread serves more requests per second; a single request on an idle machine is slower (the
# setting's default, 2, suits one process). docs/PERFORMANCE.md §Seventh pass: the served app.
os.environ.setdefault("MTEB_LB_SQL_THREADS", "1")
# One ranking query at a time per worker (db.query_gate; the worker's other request threads go on
# with their Python, the cheap requests are not gated): four cold states' queries run at once in
# one DuckDB instance cost ~1.3-1.5x the CPU of the same queries one after another (more page
# faults and system time, more of DuckDB's memory churned under the 256MB limit). The load
# test's cold states (bench/profile_cold_states.py, one process, 4 threads, 160 requests): 6.7 /
# 8.1 s of CPU gated against 8.4 / 9.1 s; bench/load_test.py, 200 users, alternated: ~93 ms of
# CPU per filter click against ~113 ms. See
# docs/PERFORMANCE.md §Session 23: the load test's cold states (mix)
os.environ.setdefault("MTEB_LB_SQL_CONCURRENCY", "1")

bind = "127.0.0.1:8050"
workers = 2
threads = 4
worker_class = "gthread"
preload_app = True
keepalive = 10
timeout = 60
graceful_timeout = 20
max_requests = 0            # workers keep their warm caches; memory is capped by settings

M_ARENA_MAX = -8            # glibc's mallopt parameter
FRAMES_ENV = "MTEB_LB_SHARED_FRAMES_DIR"
_made_frames_dir: list[str] = []   # the folder on_starting made (removed by on_exit)
WARM_SECONDS = 20           # well under `timeout`: the worker does not heartbeat while warming


def on_starting(server):
    # in the master, before the workers fork: they inherit the variable
    if not os.environ.get(FRAMES_ENV):
        os.environ[FRAMES_ENV] = tempfile.mkdtemp(prefix="mteb-lb-frames-")
        _made_frames_dir.append(os.environ[FRAMES_ENV])


def on_exit(server):
    for folder in _made_frames_dir:
        shutil.rmtree(folder, ignore_errors=True)


def post_fork(server, worker):
    try:
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, 2)
    except (OSError, AttributeError):   # not glibc: nothing to cap
        pass


def post_worker_init(worker):
    import threading

    from app.main import prewarm_rankings, ready
    from app.wsgi import app as dash_app  # preloaded: the module the worker serves

    stop = threading.Event()
    timer = threading.Timer(WARM_SECONDS, stop.set)
    timer.daemon = True
    timer.start()
    try:
        _render_menu_boards(stop)
        prewarm_rankings(stop=stop)   # every other benchmark's default summary
    finally:
        timer.cancel()
    # Dash's one-time setup, before the worker's threads serve requests (its request also
    # starts the app's background prewarm of what the warm-up left, as a first visitor did)
    ready(dash_app)
    # What the worker holds now (modules, the app, the warm caches) lives as long as it does:
    # move it out of the collector's generations, so that a full collection walks only what
    # requests made since (it walked every object: ~50-70 ms each, every ~10 page renders)
    gc.collect()
    gc.freeze()


def _render_menu_boards(stop) -> None:
    """Render the leaderboard page of each menu board's default state (the default board first,
    then menu order), as a visitor's first request would: it caches everything the page needs,
    not only the summary. Errors (no build yet) are left to the pages to report."""
    import logging

    from app.components import menu_order
    from app.pages import leaderboard as page
    from mteb_lb.rankings import leaderboard

    try:
        menu = leaderboard().menu()
        names = [menu.get("default_benchmark")] + menu_order(menu)
    except Exception:
        logging.getLogger(__name__).warning("warm-up skipped: no readable build", exc_info=True)
        return
    for name in dict.fromkeys(n for n in names if n):
        if stop.is_set():
            return
        try:
            page.layout(benchmark=name)
        except Exception:
            logging.getLogger(__name__).warning("warm-up of %s failed", name, exc_info=True)
