"""Aggregation (medians, per-unit figures, ratios, targets) and the RESULTS.md renderer."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from benchmarks.clients import CLIENTS

MiB = 1024 * 1024
SERVER_BUSY_WARNING = 0.8  # a server using more than this share of a core may be the bottleneck


class ScenarioLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def per(self) -> str: ...
    @property
    def scale(self) -> float: ...
    @property
    def scale_unit(self) -> str: ...

    def params(self, quick: bool) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Target:
    title: str
    scenario: str
    client: str
    metric: str  # "cpu_ratio" | "throughput_ratio" | "peak_mib"
    op: str  # "<=" | ">=" | "<"
    goal: float
    against: str | None = None  # compare with this client of the run instead of the official SDK


TARGETS: tuple[Target, ...] = (
    Target("Import time (CPU)", "import", "openai-kit", "cpu_ratio", "<=", 0.2),
    Target("Client construction (CPU)", "construct", "openai-kit", "cpu_ratio", "<=", 0.05),
    Target("Sequential chat, CPU/request", "chat", "openai-kit", "cpu_ratio", "<=", 0.33),
    Target(
        "Async chat throughput, concurrency 100",
        "chat_concurrent",
        "openai-kit-async",
        "throughput_ratio",
        ">=",
        5,
    ),
    Target("Stream, CPU/chunk", "stream", "openai-kit", "cpu_ratio", "<=", 0.1),
    Target("Embeddings float, CPU/request", "embeddings_float", "openai-kit", "cpu_ratio", "<=", 0.1),
    Target("List files, CPU/item", "list_files", "openai-kit", "cpu_ratio", "<=", 0.25),
    Target("Upload, peak memory (sync)", "upload", "openai-kit", "peak_mib", "<", 20.0),
    Target("Upload, peak memory (async)", "upload", "openai-kit-async", "peak_mib", "<", 20.0),
    Target("Download, peak memory (sync)", "download", "openai-kit", "peak_mib", "<", 20.0),
    Target("Download, peak memory (async)", "download", "openai-kit-async", "peak_mib", "<", 20.0),
    Target("Cold start to first chat completion (CPU)", "cold_chat", "openai-kit", "cpu_ratio", "<=", 0.2),
    Target(
        "Cold start to first chat, vs urllib3+orjson",
        "cold_chat",
        "openai-kit",
        "cpu_ratio",
        "<=",
        1.5,
        "urllib3",
    ),
    Target(
        "Cold start to first responses.create (CPU)", "cold_responses", "openai-kit", "cpu_ratio", "<=", 0.2
    ),
    Target(
        "Cold start to first responses.create, vs urllib3+orjson",
        "cold_responses",
        "openai-kit",
        "cpu_ratio",
        "<=",
        1.5,
        "urllib3",
    ),
    # issue 17: against the raw floor of the same kind (CPU ratios) or the official SDK (memory ratio)
    Target("Stream, CPU/chunk vs urllib3+orjson", "stream", "openai-kit", "cpu_ratio", "<=", 2, "urllib3"),
    Target(
        "Stream, CPU/chunk vs aiohttp+orjson", "stream", "openai-kit-async", "cpu_ratio", "<=", 2, "aiohttp"
    ),
    Target(
        "Async chat, CPU/request vs aiohttp+orjson",
        "chat_concurrent",
        "openai-kit-async",
        "cpu_ratio",
        "<=",
        1.1,
        "aiohttp",
    ),
    Target(
        "Embeddings float, CPU vs httpx+orjson",
        "embeddings_float",
        "openai-kit",
        "cpu_ratio",
        "<=",
        1,
        "httpx",
    ),
    Target(
        "Embeddings float, peak memory vs official", "embeddings_float", "openai-kit", "peak_ratio", "<=", 1
    ),
    # the slowest of the first_<area> scenarios (a prefix), in ms of CPU; the official SDK's for reference
    Target("First use of another API area, worst area (CPU)", "first_", "openai-kit", "worst_ms", "<=", 20),
)


def _median(values: Iterable[float | None]) -> float | None:
    data = [v for v in values if v is not None]
    return statistics.median(data) if data else None


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def summarize(samples: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [s for s in samples if s.get("ok")]
    out: dict[str, Any] = {
        "runs": len(ok),
        "errors": [s.get("error", "?") for s in samples if not s.get("ok")],
        "samples": [{k: v for k, v in s.items() if k not in ("traceback",)} for s in samples],
    }
    if not ok:
        return out
    # Per-unit figures are medians of per-sample ratios: time-capped runs may complete different counts.
    cpus = [s["cpu"] for s in ok]
    walls = [s["wall"] for s in ok]
    cpu_median = statistics.median(cpus)
    cpu_per_unit = statistics.median(s["cpu"] / s["units"] for s in ok)
    per_unit_cpus = [s["cpu"] / s["units"] for s in ok]
    out.update(
        units=statistics.median(s["units"] for s in ok),
        units_min=min(s["units"] for s in ok),
        requested=ok[0].get("extra", {}).get("requested"),
        unit=ok[0]["unit"],
        cpu_median=cpu_median,
        wall_median=statistics.median(walls),
        cpu_per_unit=cpu_per_unit,
        wall_per_unit=statistics.median(s["wall"] / s["units"] for s in ok),
        throughput=statistics.median(s["units"] / s["wall"] for s in ok if s["wall"] > 0),
        cpu_spread=(max(per_unit_cpus) - min(per_unit_cpus)) / cpu_per_unit if cpu_per_unit > 0 else 0.0,
        peak_rss_median=_median(s.get("peak_rss") for s in ok),
        peak_rss_max=max((s.get("peak_rss") or 0) for s in ok),
        server_busy_max=max(
            ((s.get("server_cpu") or 0.0) / s["wall"] for s in ok if s["wall"] >= 0.5), default=0.0
        ),
        involuntary_switches_median=_median(s.get("nivcsw") for s in ok),
        # construction: CPU of the 2nd..11th client of the same process (shared state already built)
        warm_cpu_per_unit=_median(s.get("extra", {}).get("warm_cpu_median") for s in ok),
    )
    return out


def aggregate(
    scenarios: Sequence[ScenarioLike],
    matrix: dict[str, list[str]],
    samples: list[dict[str, Any]],
    unavailable: dict[str, str],
    meta: dict[str, Any],
    quick: bool,
) -> dict[str, Any]:
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for s in samples:
        by_key.setdefault((s["scenario"], s["client"]), []).append(s)
    result: dict[str, Any] = {"meta": meta, "matrix": matrix, "unavailable": unavailable, "scenarios": {}}
    for sc in scenarios:
        if sc.name not in matrix:
            continue
        params = sc.params(quick)
        clients: dict[str, Any] = {}
        members = matrix[sc.name]
        for client in members:
            baseline = CLIENTS[client].baseline
            if baseline not in members:  # e.g. the import scenario has a single official row
                baseline = "openai"
            entry = {"label": CLIENTS[client].label, "baseline": baseline}
            if client in unavailable:
                entry["unavailable"] = unavailable[client]
            entry.update(summarize(by_key.get((sc.name, client), [])))
            clients[client] = entry
        for entry in clients.values():
            base = clients.get(entry["baseline"], {})
            entry["ratio_cpu"] = _ratio(entry.get("cpu_per_unit"), base.get("cpu_per_unit"))
            entry["ratio_wall"] = _ratio(entry.get("wall_per_unit"), base.get("wall_per_unit"))
            entry["ratio_throughput"] = _ratio(entry.get("throughput"), base.get("throughput"))
        result["scenarios"][sc.name] = {
            "title": sc.title,
            "per": sc.per,
            "scale": sc.scale,
            "scale_unit": sc.scale_unit,
            "params": params,
            "clients": clients,
        }
    result["targets"] = evaluate_targets(result)
    return result


def evaluate_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for t in TARGETS:
        if t.metric == "worst_ms":
            row = _worst_row(t, result)
            if row is not None:
                rows.append(row)
            continue
        scenario = result["scenarios"].get(t.scenario)
        if scenario is None:
            continue
        entry = scenario["clients"].get(t.client, {})
        base = scenario["clients"].get(t.against or entry.get("baseline", ""), {})
        value: float | None
        base_value: float | None
        if t.metric in ("peak_mib", "peak_ratio"):
            value = None if entry.get("peak_rss_max") is None else entry["peak_rss_max"] / MiB
            base_value = None if base.get("peak_rss_max") is None else base["peak_rss_max"] / MiB
            measured = value
            if t.metric == "peak_ratio":
                measured = None if value is None or not base_value else value / base_value
        elif t.metric == "throughput_ratio":
            value, base_value, measured = (
                entry.get("throughput"),
                base.get("throughput"),
                entry.get("ratio_throughput"),
            )
        else:
            value, base_value, measured = (
                entry.get("cpu_per_unit"),
                base.get("cpu_per_unit"),
                entry.get("ratio_cpu"),
            )
            if t.against is not None:
                measured = None if value is None or not base_value else value / base_value
        met: bool | None = None
        if measured is not None:
            met = {"<=": measured <= t.goal, ">=": measured >= t.goal, "<": measured < t.goal}[t.op]
        rows.append(
            {
                "title": t.title,
                "scenario": t.scenario,
                "client": t.client,
                "baseline": t.against or entry.get("baseline"),
                "metric": t.metric,
                "op": t.op,
                "goal": t.goal,
                "value": value,
                "baseline_value": base_value,
                "measured": measured,
                "met": met,
                "unavailable": entry.get("unavailable"),
            }
        )
    return rows


def _worst(result: dict[str, Any], prefix: str, client: str) -> tuple[float | None, str]:
    """The largest CPU per unit of `client` over the scenarios named `prefix...`, and which one."""
    found = [
        (sc["clients"][client]["cpu_per_unit"], name[len(prefix) :])
        for name, sc in result["scenarios"].items()
        if name.startswith(prefix) and sc["clients"].get(client, {}).get("cpu_per_unit") is not None
    ]
    return max(found) if found else (None, "")


def _worst_row(t: Target, result: dict[str, Any]) -> dict[str, Any] | None:
    if not any(name.startswith(t.scenario) for name in result["scenarios"]):
        return None
    value, which = _worst(result, t.scenario, t.client)
    base_value, base_which = _worst(result, t.scenario, t.against or "openai")
    measured = None if value is None else value * 1e3
    return {
        "title": t.title, "scenario": t.scenario, "client": t.client, "baseline": t.against or "openai",
        "metric": t.metric, "op": t.op, "goal": t.goal, "value": value, "baseline_value": base_value,
        "measured": measured, "which": which, "baseline_which": base_which,
        "met": None if measured is None else measured <= t.goal, "unavailable": None,
    }  # fmt: skip


# -- rendering -----------------------------------------------------------------------------------------
def _fmt_time(seconds: float | None, scale: float, unit: str) -> str:
    if seconds is None:
        return "-"
    value = seconds * scale
    if value >= 100:
        return f"{value:,.0f} {unit}"
    if value >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"


def _fmt_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}x" if value < 0.1 else f"{value:.2f}x"


def _fmt_mib(value: int | float | None) -> str:
    return "-" if value is None else f"{value / MiB:.1f} MiB"


THROUGHPUT_SCENARIOS = ("chat", "chat_concurrent", "stream", "stream_concurrent", "list_files")


def _throughput(name: str, sc: dict[str, Any], e: dict[str, Any]) -> str:
    if name in THROUGHPUT_SCENARIOS:
        return _fmt_rate(e["throughput"], sc["per"])
    size = sc["params"].get("size")
    if size and e.get("wall_median"):
        return f"{size / MiB / e['wall_median']:,.0f} MiB/s"
    return "-"


def _fmt_rate(value: float | None, per: str) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f} {per}/s"
    return f"{value:.1f} {per}/s"


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n >= MiB else f"{n // 1024} KiB"


def _scenario_heading(name: str, sc: dict[str, Any]) -> str:
    p = sc["params"]
    if name == "chat":
        return f"Chat, {p['n']} sequential"
    if name == "chat_concurrent":
        return f"Chat, {p['n']} at concurrency {p['concurrency']}"
    if name == "stream":
        return f"Stream of {p['chunks']:,} chunks"
    if name == "stream_concurrent":
        return f"{p['streams']:,} concurrent streams of {p['chunks']:,} chunks"
    if name.startswith("embeddings"):
        fmt = p.get("encoding_format") or "omitted"
        return f"Embeddings {p['count']}x1536, format {fmt}"
    if name == "list_files":
        return f"List {p['files']:,} files (limit {p['page_size']})"
    if name == "upload":
        return f"Upload {_size(p['size'])}"
    if name == "download":
        return f"Download {_size(p['size'])}"
    if name == "construct":
        return "Client construction"
    if name == "import":
        return "Import"
    if name == "cold_chat":
        return "Cold start to first chat completion"
    if name == "cold_responses":
        return "Cold start to first responses.create"
    if name.startswith("first_"):
        return f"First {name[len('first_') :]} call after a chat completion"
    return str(sc["title"])


def _target_value(row: dict[str, Any], result: dict[str, Any]) -> tuple[str, str, str]:
    if row["metric"] == "worst_ms":
        kit = "-" if row["value"] is None else f"{row['value'] * 1e3:.1f} ms ({row['which']})"
        base = (
            "-"
            if row["baseline_value"] is None
            else f"{row['baseline_value'] * 1e3:.1f} ms ({row['baseline_which']})"
        )
        return kit, base, "-"
    sc = result["scenarios"][row["scenario"]]
    if row["metric"] in ("peak_mib", "peak_ratio"):
        kit = "-" if row["value"] is None else f"{row['value']:.1f} MiB"
        base = "-" if row["baseline_value"] is None else f"{row['baseline_value']:.1f} MiB"
        return kit, base, "-" if row["metric"] == "peak_mib" else _fmt_ratio(row["measured"])
    if row["metric"] == "throughput_ratio":
        return (
            _fmt_rate(row["value"], "req"),
            _fmt_rate(row["baseline_value"], "req"),
            _fmt_ratio(row["measured"]),
        )
    per = f"/{sc['per']}"
    return (
        _fmt_time(row["value"], sc["scale"], sc["scale_unit"]) + per if row["value"] is not None else "-",
        _fmt_time(row["baseline_value"], sc["scale"], sc["scale_unit"]) + per
        if row["baseline_value"] is not None
        else "-",
        _fmt_ratio(row["measured"]),
    )


def render_markdown(result: dict[str, Any]) -> str:
    meta = result["meta"]
    versions = ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items())
    lines = [
        "# Benchmark results",
        "",
        "Generated by `python -m benchmarks"
        + (" --quick" if meta["mode"] == "quick" else "")
        + "`"
        + (" (QUICK MODE: smoke-test sizes, the figures mean little)" if meta["mode"] == "quick" else "")
        + ".",
        "",
        f"- Run: {meta['started']}, {meta['elapsed_s']} s, {meta['platform']}, "
        f"{meta['cpu_count']} CPUs ({meta['cpu_model']}), {meta['pinning']}.",
        f"- Load average before/after: {_fmt_load(meta.get('loadavg_before'))} / "
        f"{_fmt_load(meta.get('loadavg_after'))}.",
        f"- Versions: {versions}.",
        "- Each figure is the median over fresh client processes, clients interleaved (A, B, C, B, C, A ...). "
        "CPU is the client process's user+system time (all threads) over the measured section only; "
        "it is the robust figure on a busy machine, wall time is not.",
        "- Ratios compare each client with the official SDK of the same kind in the same run "
        "(sync: `openai.OpenAI`; async: `openai.AsyncOpenAI` on its default httpx transport). "
        "Below 1x is better for time, above 1x for throughput.",
        "",
    ]
    if result.get("unavailable"):
        for client, reason in result["unavailable"].items():
            lines.append(f"- **{client} not measured**: {reason}")
        lines.append("")

    lines += [
        "## Targets",
        "",
        "| Target | openai-kit | official SDK (or the client named) | ratio | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["targets"]:
        kit, base, ratio = _target_value(row, result)
        goal = f"{row['op']} {row['goal']:g}" + {"peak_mib": " MiB", "worst_ms": " ms"}.get(
            row["metric"], "x"
        )
        met = "n/a" if row["met"] is None else ("**yes**" if row["met"] else "no")
        if row.get("unavailable"):
            met = "not measured"
        title = row["title"]
        if row["scenario"] not in ("import", "construct", "cold_chat", "cold_responses", "first_"):
            title += f" [{_scenario_heading(row['scenario'], result['scenarios'][row['scenario']])}]"
        lines.append(f"| {title} | {kit} | {base} | {ratio} | {goal} | {met} |")
    lines.append("")

    lines += _typing_cost(result)
    lines += [
        "## All figures",
        "",
        "| Scenario | Client | CPU/unit | Wall/unit | Throughput | Peak RSS Δ | CPU vs official "
        "| Wall vs official | Runs (CPU spread) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    busiest: tuple[float, str] = (0.0, "")
    for name, sc in result["scenarios"].items():
        heading = _scenario_heading(name, sc)
        for client, e in sc["clients"].items():
            label = e["label"]
            if e.get("unavailable"):
                lines.append(f"| {heading} | {label} | not measured | | | | | | |")
                continue
            if not e.get("runs"):
                err = (e.get("errors") or ["no result"])[0].replace("|", "/")[:120]
                lines.append(f"| {heading} | {label} | FAILED: {err} | | | | | | 0 |")
                continue
            unit = f"/{sc['per']}"
            warm = ""
            if e.get("warm_cpu_per_unit") is not None:
                warm = f" (next: {_fmt_time(e['warm_cpu_per_unit'], sc['scale'], sc['scale_unit'])})"
            lines.append(
                f"| {heading} | {label} "
                f"| {_fmt_time(e['cpu_per_unit'], sc['scale'], sc['scale_unit'])}{unit}{warm} "
                f"| {_fmt_time(e['wall_per_unit'], sc['scale'], sc['scale_unit'])}{unit} "
                f"| {_throughput(name, sc, e)} "
                f"| {_fmt_mib(e['peak_rss_max'])} "
                f"| {_fmt_ratio(e['ratio_cpu'])} | {_fmt_ratio(e['ratio_wall'])} "
                f"| {e['runs']} (±{e['cpu_spread'] * 50:.0f}%)"
                + (f", {len(e['errors'])} failed" if e["errors"] else "")
                + (
                    f", time cap: {e['units_min']:,} of {e['requested']:,}"
                    if e.get("requested") and e["units_min"] < e["requested"]
                    else ""
                )
                + " |"
            )
            if e.get("server_busy_max", 0.0) > busiest[0]:
                busiest = (e["server_busy_max"], f"{name} / {client}")
    lines += [
        "",
        "Notes:",
        "",
        "- Peak RSS Δ: the client process's RSS high-water mark during the measured section minus its RSS "
        "just before it (largest over the runs).",
        "- Runs (CPU spread): number of runs; ± is half the range of the CPU samples relative to the median. "
        "'time cap: k of n': the measured section stops after a fixed time (see results.json, `max_seconds`), "
        "so slow clients complete only k of the n requests in some runs; per-request figures are unaffected "
        "(steady state, after warm-up).",
        "- Client construction: CPU of the first client built in a fresh process (after the import); "
        "'next' is the median CPU of building 10 more in the same process (e.g. an SSL context built once "
        "and shared).",
        "- Warm-up requests (connection set-up, lazy imports) run before each measured section; "
        "the import and construction rows measure those cold costs on their own.",
        "- Cold start rows: CPU of the whole client process from its start (interpreter included) to the first "
        "result of its script (import, client, one call); their peak RSS is the whole process's high-water "
        "mark, not a difference. Wall starts when the script starts.",
        "- First <area> call rows: a fresh process does one chat completion, then the first call of that API "
        "area is measured (importing the area's types and resources, building its validators, the request).",
        f"- Busiest the fake server got during a measured section: {busiest[0] * 100:.0f}% of a core "
        f"({busiest[1] or '-'})"
        + (" - it may have been the bottleneck there." if busiest[0] > SERVER_BUSY_WARNING else "."),
        "",
    ]
    return "\n".join(lines)


#: scenario -> (openai-kit client, untyped floor, typed floor): the typed floors validate the same reply
#: with a few hand-written pydantic models (benchmarks/clients/typed_models.py)
TYPED_FLOORS: dict[str, tuple[str, str, str]] = {
    "cold_chat": ("openai-kit", "urllib3", "urllib3-pydantic"),
    "cold_responses": ("openai-kit", "urllib3", "urllib3-pydantic"),
    "chat_concurrent": ("openai-kit-async", "aiohttp", "aiohttp-pydantic"),
}


def _typing_cost(result: dict[str, Any]) -> list[str]:
    """What returning pydantic models costs by itself: each untyped floor next to the same script
    validating the reply with hand-written pydantic models, and openai-kit against both."""
    rows = []
    for name, (kit, untyped, typed) in TYPED_FLOORS.items():
        sc = result["scenarios"].get(name)
        if sc is None or not all(c in sc["clients"] for c in (kit, untyped, typed)):
            continue
        cpu = {c: sc["clients"][c].get("cpu_per_unit") for c in (kit, untyped, typed)}
        fmt = {c: _fmt_time(v, sc["scale"], sc["scale_unit"]) for c, v in cpu.items()}
        rows.append(
            f"| {_scenario_heading(name, sc)} | {fmt[kit]} | {fmt[untyped]} | {fmt[typed]} "
            f"| {_fmt_ratio(_ratio(cpu[typed], cpu[untyped]))} | {_fmt_ratio(_ratio(cpu[kit], cpu[untyped]))} "
            f"| {_fmt_ratio(_ratio(cpu[kit], cpu[typed]))} |"
        )
    if not rows:
        return []
    return [
        "## What typed results cost (context for the floor ratios)",
        "",
        "The untyped floors return dicts. The typed floors are the same scripts validating the reply with "
        "a handful of hand-written pydantic models (`benchmarks/clients/typed_models.py`: a dozen fields, "
        "where the spec's `Response` needs ~175 model classes): the least any client returning pydantic "
        "models pays.",
        "",
        "| Scenario (CPU) | openai-kit | untyped floor | typed floor | typed / untyped | openai-kit / untyped "
        "| openai-kit / typed |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]


def _fmt_load(load: Sequence[float] | None) -> str:
    return "-" if not load else " ".join(f"{x:.2f}" for x in load)
