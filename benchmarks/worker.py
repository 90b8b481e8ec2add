"""Entry point of one measured client process: `python benchmarks/worker.py [--import STMT] SPEC_JSON`.

Deliberately imports nothing but `sys`, `os` and `time` (all loaded by the interpreter already) before it
times `STMT`, so the import scenario measures the client library alone. Everything else lives in
`benchmarks.scenarios`, imported afterwards.
"""

import os
import sys
import time

_WALL0 = time.perf_counter()


def measure_import(stmt: str) -> dict[str, float]:
    modules = len(sys.modules)
    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    exec(stmt, {})
    cpu1 = time.process_time()
    wall1 = time.perf_counter()
    return {"wall": wall1 - wall0, "cpu": cpu1 - cpu0, "modules": float(len(sys.modules) - modules)}


def measure_cold(code: str, spec_json: str) -> None:
    """`--cold CODE SPEC`: run CODE (imports, client, first call) as the process's first work and report
    the CPU of the whole process since it started (interpreter start-up included), then exit."""
    error = None
    try:
        exec(code, {})
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    cpu = time.process_time()
    wall = time.perf_counter() - _WALL0
    import json

    spec = json.loads(spec_json)
    hwm = 0
    with open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmHWM:"):
                hwm = int(line.split()[1]) * 1024
    for scenario in spec["scenarios"]:
        base = {"client": spec["client"], "scenario": scenario["name"], "pid": os.getpid()}
        if error is not None:
            record = {**base, "ok": False, "error": error}
        else:
            record = {**base, "ok": True, "wall": wall, "cpu": cpu, "units": 1, "unit": "process",
                      "peak_rss": hwm, "extra": {"whole_process": True}}  # fmt: skip
        sys.stdout.write("RESULT " + json.dumps(record) + "\n")
    sys.stdout.flush()


def main() -> None:
    # Run as a script, sys.path[0] is benchmarks/: use the repository root instead (no module shadowing).
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    args = sys.argv[1:]
    if len(args) >= 3 and args[0] == "--cold":
        measure_cold(args[1], args[2])
        return
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
