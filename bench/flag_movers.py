"""Which models' Borda rank moves most when flagged scores are excluded (docs/QUALITY.md):
the summary of each benchmark with exclude_flags=none (the official table) against
exclude_flags=error and =warning, from the current build (or --warehouse).

    .venv/bin/python bench/flag_movers.py [--warehouse DIR] [--top 5]
        [--benchmark "MTEB(eng, v2)" --benchmark "MTEB(Multilingual, v2)"]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mteb_lb.db import CurrentBuild  # noqa: E402
from mteb_lb.lbstate import Filters  # noqa: E402
from mteb_lb.rankings import Leaderboard  # noqa: E402


def ranks(lb: Leaderboard, benchmark: str, exclude: str) -> dict[str, int]:
    table = lb.summary(benchmark, Filters(exclude_flags=exclude)).to_pylist()
    return {r["Model"]: r["Rank (Borda)"] for r in table}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--benchmark", action="append")
    args = parser.parse_args()
    lb = Leaderboard(CurrentBuild(Path(args.warehouse) if args.warehouse else None))
    for bench in args.benchmark or ["MTEB(eng, v2)", "MTEB(Multilingual, v2)"]:
        official = ranks(lb, bench, "none")
        for exclude in ("error", "warning"):
            other = ranks(lb, bench, exclude)
            moves = sorted(((other.get(m), r, m) for m, r in official.items()),
                           key=lambda x: (-(abs(x[0] - x[1]) if x[0] is not None else 10**6),
                                          x[2]))
            gone = [m for m, _ in official.items() if m not in other]
            print(f"{bench}, exclude_flags={exclude}: {len(official)} models, "
                  f"{len(gone)} leave the table")
            for new, old, model in moves[:args.top]:
                print(f"  {model}: {old} -> {new if new is not None else 'gone'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
