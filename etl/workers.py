"""Parser processes that a file cannot take down with the build.

`run_jobs` runs jobs in forked worker processes and yields their results in job order. A worker
that dies (killed, out of memory, crashed in C code, or ended by the parse time limit's SIGALRM)
is replaced by a fresh process; with a `Retry`, its job is split into one job per file, so the
file that kills its worker is found and quarantined and the others load. Without one (compaction
jobs, which read only the build's own Parquet), a death fails the build with a clear error.
An exception a job raises is re-raised here: that is a bug, not a bad file, and the build stops.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
import traceback
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable, Iterator

from mteb_lb import settings


class WorkerDied(RuntimeError):
    """A worker process ended while running a job that cannot be retried."""

    def __init__(self, reason: str):
        super().__init__(f"a worker process died: {reason}")
        self.reason = reason


@dataclass
class Retry:
    """How a job whose worker died is retried: `split(job) -> (base, parts)` gives a partial
    result and one-file jobs, `died(one_file_job, reason) -> result` the result of a one-file
    job whose worker died too, `merge(base, part_results) -> result` the job's result."""

    split: Callable[[Any], tuple[Any, list]]
    died: Callable[[Any, str], Any]
    merge: Callable[[Any, list], Any]


DIED_PREFIX = "parser process died"


def death_reason(exitcode: int | None) -> str:
    """What a parser process's exit code says about the file it was parsing."""
    if exitcode == -signal.SIGALRM:
        return (f"parse took longer than {settings.get('parse_time_limit_s'):g} s "
                "(MTEB_LB_PARSE_TIME_LIMIT_S)")
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory?)" if -exitcode == signal.SIGKILL else ""
        return f"{DIED_PREFIX} while reading this file: {name}{hint}"
    return f"{DIED_PREFIX} while reading this file (exit code {exitcode})"


# True in a worker process: the parse time limit (etl/segments.py) is armed there only, since
# reaching it ends the process
IN_WORKER = False


def _serve(conn, parent_end, function) -> None:
    """A worker: run each job received, send back (key, ok, result or exception). It ends when
    the parent closes its end of the pipe (or dies): the worker's inherited copy of that end is
    closed first, so that end of file is seen."""
    global IN_WORKER
    parent_end.close()
    gc.freeze()  # what the parent holds is never collected here (nor copied by the collector)
    IN_WORKER = True
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the parse time limit ends the process
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler: just end
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent decides on an interruption
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the parent is gone
            return
        if message is None:
            return
        key, job = message
        try:
            reply = (key, True, function(job))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the parent
            exc.add_note("in the worker process:\n" + traceback.format_exc())
            reply = (key, False, exc)
        try:
            conn.send(reply)
        except Exception as exc:  # noqa: BLE001 - an exception that does not pickle
            conn.send((key, False, RuntimeError(f"{type(reply[2]).__name__}: {reply[2]} "
                                                f"(could not be sent back: {exc})")))


class _Worker:
    def __init__(self, context, function):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, self.conn, function),
                                       daemon=True)
        self.process.start()
        child.close()
        self.key = None   # the job it runs
        self.job = None

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def run_jobs(function: Callable, jobs: list, workers: int, retry: Retry | None = None,
             progress: Callable[[int, int], None] | None = None) -> Iterator:
    """`function(job)` for each job in up to `workers` forked processes; results in job order.
    `progress(done, total)` is called as each job's result is yielded."""
    if not jobs:
        return
    context = multiprocessing.get_context("fork")
    pending: deque = deque((i, job) for i, job in enumerate(jobs))
    results: dict[int, Any] = {}
    groups: dict[int, list] = {}   # job retried file by file -> [base, part results, parts left]
    pool: list[_Worker] = []
    done = 0

    def finish(key, result) -> None:
        if isinstance(key, int):
            results[key] = result
            return
        i, k = key
        group = groups[i]
        group[1][k] = result
        group[2] -= 1
        if group[2] == 0:
            results[i] = retry.merge(group[0], group[1])
            del groups[i]

    finished = False
    try:
        for _ in range(max(1, min(workers, len(jobs)))):  # inside the try: an interruption
            pool.append(_Worker(context, function))         # stops those already started
        while done < len(jobs):
            for worker in pool:
                if worker.key is None and pending:
                    worker.key, worker.job = pending.popleft()
                    worker.conn.send((worker.key, worker.job))
            busy = [w for w in pool if w.key is not None]
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for n, worker in enumerate(pool):
                if worker.key is None:
                    continue
                if worker.conn in ready or worker.process.sentinel in ready:
                    try:
                        reply = worker.conn.recv() if worker.conn.poll() else None
                    except (EOFError, OSError):
                        reply = None
                    if reply is not None:
                        key, ok, value = reply
                        if not ok:
                            raise value
                        worker.key = worker.job = None
                        finish(key, value)
                        continue
                    # the process is gone without an answer
                    key, job = worker.key, worker.job
                    worker.stop()
                    reason = death_reason(worker.process.exitcode)
                    pool[n] = _Worker(context, function)
                    if retry is None:
                        raise WorkerDied(reason)
                    if isinstance(key, int):
                        base, parts = retry.split(job)
                        if parts:
                            groups[key] = [base, [None] * len(parts), len(parts)]
                            pending.extendleft(reversed(
                                [((key, k), part) for k, part in enumerate(parts)]))
                        else:
                            finish(key, retry.merge(base, []))
                    else:
                        finish(key, retry.died(job, reason))
            while done in results:
                result = results.pop(done)
                done += 1
                if progress:
                    progress(done, len(jobs))
                yield result
        finished = True
    finally:
        if finished:  # idle workers end when told; otherwise (an error, an interruption) killed
            for worker in pool:
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
            for worker in pool:
                worker.process.join(timeout=5)
        for worker in pool:
            worker.stop()
