"""The chaos suite's scenarios, with their figures printed as a table.

    DATABASE=postgres PGHOST=127.0.0.1 PGPORT=... PGUSER=postgres \
        python benchmarks/chaos.py [--only NAME ...] [--fuzz-requests N]

Needs a running PostgreSQL (``scripts/test`` starts one; so does
``source scripts/lib/env.sh; source scripts/lib/postgres.sh; start_postgres``).
Each scenario drives real processes: gunicorn serving Django on PostgreSQL,
``runwebsocketgateway`` processes, real ``websockets`` clients and raw HTTP.
tests/chaos runs the same scenarios and asserts on these figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.chaos import scenarios  # noqa: E402
from tests.chaos.harness import DJANGO_WORKERS, chaos_stack  # noqa: E402


def report(results: list[tuple[scenarios.Figures, float]]) -> None:
    width = max(len(key) for figures, _ in results for key in figures.values) + 2
    for figures, seconds in results:
        print(f"\n{figures.scenario} ({seconds:.0f} s)")
        for key, value in figures.values.items():
            print(f"  {key:<{width}}{format_value(value)}")


def format_value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v:,}" for k, v in value.items())
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    names = [scenario.__name__ for scenario in scenarios.ALL]
    parser.add_argument("--only", nargs="+", choices=names, default=names)
    parser.add_argument("--fuzz-requests", type=int, default=20_000)
    args = parser.parse_args()
    print(f"PostgreSQL, gunicorn with {DJANGO_WORKERS} sync workers, loopback only")
    results = []
    with tempfile.TemporaryDirectory() as workdir, chaos_stack(Path(workdir)) as stack:
        for scenario in scenarios.ALL:
            if scenario.__name__ not in args.only:
                continue
            started = time.monotonic()
            if scenario is scenarios.fuzzed_requests:
                figures = scenario(stack, count=args.fuzz_requests)
            else:
                figures = scenario(stack)
            results.append((figures, time.monotonic() - started))
            print(f"{scenario.__name__}: done", file=sys.stderr, flush=True)
    report(results)


if __name__ == "__main__":
    main()
