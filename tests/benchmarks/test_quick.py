"""Smoke test of the benchmark harness: `python -m benchmarks --quick` produces a complete report.

No performance assertions: only that every client x scenario of the matrix got a figure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_mode_produces_a_complete_report(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert (tmp_path / "results.json").exists(), proc.stderr[-3000:]
    assert (tmp_path / "RESULTS.md").exists(), proc.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    markdown = (tmp_path / "RESULTS.md").read_text()

    matrix: dict[str, list[str]] = results["matrix"]
    assert set(matrix) >= {
        "import", "construct", "chat", "chat_concurrent", "stream", "embeddings_float",
        "embeddings_base64", "embeddings_default", "list_files", "upload", "download",
        "cold_chat", "cold_responses", "stream_concurrent",
        "first_responses", "first_batches", "first_fine_tuning", "first_vector_stores",
    }  # fmt: skip
    assert results["unavailable"] == {}, results["unavailable"]
    assert {"openai-kit", "openai-kit-async", "openai"} <= {c for cs in matrix.values() for c in cs}

    missing = []
    for scenario, clients in matrix.items():
        for client in clients:
            entry = results["scenarios"][scenario]["clients"][client]
            if (
                not entry.get("runs")
                or entry.get("cpu_per_unit") is None
                or entry.get("wall_per_unit") is None
            ):
                missing.append(f"{scenario}/{client}: {entry.get('errors')}")
            elif scenario in ("upload", "download"):
                assert entry.get("peak_rss_max") is not None
    assert not missing, "\n".join(missing)
    assert proc.returncode == 0, proc.stderr[-3000:]

    assert "## Targets" in markdown and "## All figures" in markdown
    for scenario, clients in matrix.items():
        for client in clients:
            label = results["scenarios"][scenario]["clients"][client]["label"]
            assert f"| {label} |" in markdown
    for target in results["targets"]:
        assert target["title"] in markdown
    worst = [t for t in results["targets"] if t["metric"] == "worst_ms"]
    assert len(worst) == 1 and worst[0]["value"] is not None and worst[0]["which"], worst
