"""Entry point of one measured client process: `python benchmarks/worker.py [--import STMT] SPEC_JSON`.

Deliberately imports nothing but `sys`, `os` and `time` (all loaded by the interpreter already) before it
times `STMT`, so the import scenario measures the client library alone. Everything else lives in
`benchmarks.scenarios`, imported afterwards.
"""

import os
import sys
import time


def measure_import(stmt: str) -> dict[str, float]:
    modules = len(sys.modules)
    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    exec(stmt, {})
    cpu1 = time.process_time()
    wall1 = time.perf_counter()
    return {"wall": wall1 - wall0, "cpu": cpu1 - cpu0, "modules": float(len(sys.modules) - modules)}


def main() -> None:
    # Run as a script, sys.path[0] is benchmarks/: use the repository root instead (no module shadowing).
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    args = sys.argv[1:]
    imported = None
    if len(args) >= 2 and args[0] == "--import":
        try:
            imported = measure_import(args[1])
        except Exception as exc:  # reported as the import scenario's error
            imported = {"error": f"{type(exc).__name__}: {exc}"}  # type: ignore[dict-item]
        args = args[2:]
    from benchmarks.scenarios import run

    run(args, imported)


if __name__ == "__main__":
    main()
