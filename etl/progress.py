"""The first run's progress display: one status line on stderr, redrawn in place, for the long
steps of `mteb-lb etl` (cloning the source, listing and parsing the files, computing the
tables), with counts and an estimate of the time left.

It draws only when stderr is a terminal: piped or redirected output is unchanged (no carriage
returns in logs). A background thread redraws the line twice a second, so elapsed time and the
estimate move during steps that report no counts (listing, tables).
"""

from __future__ import annotations

import re
import sys
import threading
import time

WIDTH = 24   # characters of the bar

# git's progress lines: "Receiving objects:  45% (4500/10000), 12.00 MiB | 3.00 MiB/s"
_GIT_LINE = re.compile(r"(Receiving objects|Resolving deltas|Updating files):\s+\d+%\s+"
                       r"\((\d+)/(\d+)\)")
_GIT_STEP = {"Receiving objects": "cloning: objects", "Resolving deltas": "cloning: deltas",
             "Updating files": "cloning: files"}


def clock_text(seconds: float) -> str:
    """0:42, 12:05, 1:02:03."""
    s = max(0, int(round(seconds)))
    h, m, s = s // 3600, s // 60 % 60, s % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Display:
    """``step(label)`` starts a step without counts (``estimate_s``: how long it should take,
    when known); ``count(label, done, total, unit)`` reports a step's counts; ``close()``
    clears the line. Every method is a no-op when the stream is not a terminal."""

    def __init__(self, stream=None, clock=time.monotonic, tick_s: float | None = 0.5):
        self.stream = stream if stream is not None else sys.stderr
        self.active = bool(getattr(self.stream, "isatty", lambda: False)())
        self.clock = clock
        self._lock = threading.Lock()
        self._label, self._started = "", clock()
        self._done = self._total = self._fraction = None
        self._unit, self._estimate = "", None
        self._width = 0
        self._stop = threading.Event()
        self._thread = None
        if self.active and tick_s:
            self._thread = threading.Thread(target=self._tick, args=(tick_s,), daemon=True)
            self._thread.start()

    def step(self, label: str, estimate_s: float | None = None) -> None:
        with self._lock:
            self._begin(label)
            self._estimate = estimate_s
            self._draw()

    def count(self, label: str, done: int, total: int, unit: str = "",
              fraction: float | None = None) -> None:
        """``fraction``: the share of the work done, when the units are not equal (the parse
        jobs are model folders, biggest first); the ETA then follows it, not the counts."""
        with self._lock:
            if label != self._label:
                self._begin(label)
            self._done, self._total, self._unit = done, total, unit
            self._fraction = fraction
            self._draw()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        with self._lock:
            if self.active and self._width:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()
            self._width = 0

    def print(self, message: str) -> None:
        """A message on its own line above the status line (which is drawn again)."""
        with self._lock:
            if self.active and self._width:
                self.stream.write("\r" + " " * self._width + "\r")
                self._width = 0
            self.stream.write(message + "\n")
            self.stream.flush()
            self._draw()

    def line(self) -> str:
        """The status line as it would be drawn now."""
        elapsed = self.clock() - self._started
        parts = [f"{self._label}"]
        if self._total is not None:
            done, total = self._done, self._total
            filled = int(WIDTH * done / max(total, 1))
            unit = f" {self._unit}" if self._unit else ""
            parts.append(f"[{'#' * filled}{'.' * (WIDTH - filled)}] {done:,}/{total:,}{unit}")
            share = self._fraction if self._fraction is not None else done / max(total, 1)
            left = elapsed * (1 - share) / share if share > 0 and elapsed > 0 else None
        else:
            left = None if self._estimate is None else max(0.0, self._estimate - elapsed)
        timing = f"{clock_text(elapsed)} elapsed"
        if left is not None:
            timing += f", about {clock_text(left)} left" if self._total is None \
                else f", ETA {clock_text(left)}"
        parts.append(timing)
        return "  ".join(parts)

    def _begin(self, label: str) -> None:
        self._label, self._started = label, self.clock()
        self._done = self._total = self._fraction = None
        self._unit, self._estimate = "", None

    def _draw(self) -> None:
        if not self.active or not self._label:
            return
        text = self.line()
        pad = max(0, self._width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)

    def _tick(self, every: float) -> None:
        while not self._stop.wait(every):
            with self._lock:
                self._draw()

    def git_line(self, text: str) -> None:
        """One line (or carriage-return chunk) of git's ``--progress`` output."""
        match = _GIT_LINE.search(text)
        if match:
            self.count(_GIT_STEP[match.group(1)], int(match.group(2)), int(match.group(3)))
