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
from multiprocessing.reduction import ForkingPickler
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


# A job is sent ahead, to wait in the pipe behind the job a worker runs, when it pickles to at
# most this: it then fits the socket's buffer (~200 KiB on Linux), so the send never blocks
# while the worker runs (the worker's reply could block in turn). The worker starts it as soon
# as it has sent its reply, without waiting for the parent to wake, read the reply and send the
# next job: a round trip per job, most of the gap between two small jobs.
AHEAD_BYTES = 32 * 1024


class _Worker:
    def __init__(self, context, function):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, self.conn, function),
                                       daemon=True)
        self.process.start()
        child.close()
        self.jobs: deque = deque()   # (key, job) sent, in order: the first runs, one may wait

    def send(self, key, job, message: bytes) -> None:
        self.conn.send_bytes(message)
        self.jobs.append((key, job))

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def run_jobs(function: Callable, jobs: list, workers: int, retry: Retry | None = None,
             progress: Callable[[int, int], None] | None = None) -> Iterator:
    """`function(job)` for each job in up to `workers` forked processes; results in job order.
    `progress(done, total)` is called as each job's result is yielded. A worker gets its next
    job before it has finished the one it runs when that job is small (AHEAD_BYTES) and more
    jobs are left than workers (the last ones go to whichever worker is free first)."""
    if not jobs:
        return
    context = multiprocessing.get_context("fork")
    pending: deque = deque((i, job) for i, job in enumerate(jobs))
    pickled: dict = {}   # key -> the message of a job too large to send ahead, kept for later
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

    def message(key, job) -> bytes:
        found = pickled.pop(key, None)
        return found if found is not None else ForkingPickler.dumps((key, job))

    finished = False
    try:
        for _ in range(max(1, min(workers, len(jobs)))):  # inside the try: an interruption
            pool.append(_Worker(context, function))         # stops those already started
        while done < len(jobs):
            for worker in pool:   # every idle worker gets a job first
                if not worker.jobs and pending:
                    key, job = pending.popleft()
                    worker.send(key, job, message(key, job))
            for worker in pool:   # then one waits behind each running job, if small
                if len(worker.jobs) == 1 and len(pending) > len(pool):
                    key, job = pending[0]
                    data = message(key, job)
                    if len(data) > AHEAD_BYTES:
                        pickled[key] = data
                        continue
                    pending.popleft()
                    worker.send(key, job, data)
            busy = [w for w in pool if w.jobs]
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for n, worker in enumerate(pool):
                if not worker.jobs or not (worker.conn in ready
                                           or worker.process.sentinel in ready):
                    continue
                gone = worker.process.sentinel in ready
                while worker.jobs:   # the replies it sent (before dying, maybe)
                    try:
                        if not worker.conn.poll():
                            break
                        key, ok, value = worker.conn.recv()
                    except (EOFError, OSError):
                        gone = True
                        break
                    if not ok:
                        raise value
                    worker.jobs.popleft()
                    finish(key, value)
                if not gone:
                    continue
                # the process is gone: the job it ran has no answer; the one sent ahead is
                # sent again, to a worker that is alive
                worker.stop()
                pool[n] = _Worker(context, function)
                if not worker.jobs:
                    continue
                (key, job), ahead = worker.jobs.popleft(), list(worker.jobs)
                pending.extendleft(reversed(ahead))
                reason = death_reason(worker.process.exitcode)
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
