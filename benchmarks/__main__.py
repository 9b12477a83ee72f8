"""Run every ``benchmarks/bench_*.py`` (or the ones named) and print their ratios.

Usage: ``python -m benchmarks [name ...]`` e.g. ``python -m benchmarks binning scoring``.
Timings use one BLAS thread (OPENBLAS_NUM_THREADS=1, set by the Makefile).
"""

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(here)])
                   if m.name.startswith("bench_"))
    chosen = argv or names
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {names}")
        return 2
    for name in chosen:
        print(f"\n=== benchmark: {name} ===", flush=True)
        start = time.perf_counter()
        importlib.import_module(f"benchmarks.bench_{name}").main()
        print(f"=== {name} done in {time.perf_counter() - start:.1f} s ===", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
