"""What a build run reports (etl/build.py run) and how `mteb-lb etl` prints it; light (no
DuckDB, no Arrow), so that a rerun with nothing to do prints it without loading them."""

from __future__ import annotations

import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class BuildReport:
    build: Path | None
    published: bool
    files_seen: int = 0
    loaded: int = 0
    parsed: int = 0
    unchanged: int = 0
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""
    notice: str = ""   # e.g. why a full build was made instead of an incremental one


def unchanged_report(quick: tuple[str, Path, dict], started: float) -> BuildReport:
    """The report of a run that found nothing to build (etl/nochange.py check's answer:
    message, current build, its manifest); `started`: time.monotonic() at the start."""
    message, build, manifest = quick
    seen = manifest.get("files_seen", 0)
    return BuildReport(build, False, files_seen=seen, unchanged=seen,
                       loaded=manifest.get("files_loaded", 0),
                       seconds=time.monotonic() - started, message=message)


def print_summary(report: BuildReport, out=sys.stdout) -> None:
    """The counts of a run, each with what it means (the source is named once, before)."""
    skipped = report.files_seen - report.loaded - len(report.quarantined)
    lines = [
        ("files seen", report.files_seen, "every file under results/ (one row each in the "
                                          "`files` table)"),
        ("  loaded", report.loaded, "read into the warehouse (results and model_meta.json)"),
        ("  quarantined", len(report.quarantined), "could not be loaded: reasons below and in "
                                                   "the `files` table"),
        ("  skipped", skipped, "never opened (links, special files, other kinds of file)"),
        ("parsed", report.parsed, "result files read and parsed by this run"),
        ("unchanged", report.unchanged, "files reused from the previous build without reading "
                                        "them"),
    ]
    width = max(len(f"{n:,}") for _, n, _ in lines)
    for label, n, meaning in lines:
        print(f"{label + ':':<14} {n:>{width},}  {meaning}", file=out)
    for path, reason in report.quarantined[:50]:
        print(f"    {path}: {reason}", file=out)
    if len(report.quarantined) > 50:
        print(f"    ... {len(report.quarantined) - 50} more (see the `files` table)", file=out)
    if report.rows:

        text = ", ".join(f"{table} {n:,}" for table, n in sorted(report.rows.items()))
        print(textwrap.fill(text, 100, initial_indent="rows:          ",
                            subsequent_indent=" " * 15), file=out)
    print(f"seconds:       {report.seconds:.1f}", file=out)
    if report.notice:
        print(f"note:          {report.notice}", file=out)
    if report.message:
        print(report.message, file=out)
    elif report.build is not None:
        print(f"published:     {report.build}", file=out)
