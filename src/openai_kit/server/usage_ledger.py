"""What the server answered, counted per minute, for ``/organization/usage/*`` and ``/organization/costs``.

Routes that do model work call ``record`` (chat, completions, responses, embeddings, moderations, images,
speech, transcriptions). Counts are kept per category, minute, model (and image source and size) in one
stored document each, so the ledger grows with the minutes the server was used, not with its requests.
All usage is the default project's (``proj_default``): the local server does not tell projects apart.
Costs price the same counts with the fixed table ``PRICES`` (US dollars), so they are deterministic.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import invalid, missing
from .ids import now
from .pagination import query_int
from .state import ServerState, ok, state_of

KIND = "usage_minute"
PROJECT_ID = "proj_default"
_lock = threading.Lock()

Doc = dict[str, Any]


def record(
    state: ServerState,
    category: str,
    model: str | None,
    counts: dict[str, int],
    *,
    source: str | None = None,
    size: str | None = None,
) -> None:
    """Add ``counts`` (``{"input_tokens": 12, "num_model_requests": 1}``) to this minute's line of
    ``category``."""
    minute = now() // 60 * 60
    key = f"{category}|{minute}|{model}|{source}|{size}"

    def add(doc: Doc) -> None:
        for name, value in counts.items():
            doc["counts"][name] = doc["counts"].get(name, 0) + value

    with _lock:
        if state.store.update(KIND, key, add) is None:
            state.store.insert(
                KIND,
                {
                    "id": key,
                    "category": category,
                    "minute": minute,
                    "model": model,
                    "source": source,
                    "size": size,
                    "counts": dict(counts),
                },
            )


@dataclass(frozen=True)
class Usage:
    category: str
    obj: str
    #: the counts every result carries (zero when nothing was recorded)
    counts: tuple[str, ...]
    #: the ``group_by`` values the operation accepts
    group_by: tuple[str, ...]
    #: the counts of this category from other state than the ledger (vector store bytes)
    derive: Callable[[ServerState], list[Doc]] | None = None


_WIDTHS = {"1m": (60, 60, 1440), "1h": (3600, 24, 168), "1d": (86400, 7, 31)}
_COMMON = ("project_id", "user_id", "api_key_id", "model")


def _vector_store_lines(state: ServerState) -> list[Doc]:
    return [
        {
            "minute": vs.get("created_at", 0) // 60 * 60,
            "model": None,
            "source": None,
            "size": None,
            "counts": {"usage_bytes": int(vs.get("usage_bytes") or 0)},
        }
        for vs in state.store.list("vector_store")
    ]


USAGES = (
    Usage(
        "completions",
        "organization.usage.completions.result",
        (
            "input_tokens",
            "output_tokens",
            "input_cached_tokens",
            "input_audio_tokens",
            "output_audio_tokens",
            "num_model_requests",
        ),
        (*_COMMON, "batch", "service_tier"),
    ),
    Usage(
        "embeddings", "organization.usage.embeddings.result", ("input_tokens", "num_model_requests"), _COMMON
    ),
    Usage(
        "moderations",
        "organization.usage.moderations.result",
        ("input_tokens", "num_model_requests"),
        _COMMON,
    ),
    Usage(
        "images",
        "organization.usage.images.result",
        ("images", "num_model_requests"),
        (*_COMMON, "size", "source"),
    ),
    Usage(
        "audio_speeches",
        "organization.usage.audio_speeches.result",
        ("characters", "num_model_requests"),
        _COMMON,
    ),
    Usage(
        "audio_transcriptions",
        "organization.usage.audio_transcriptions.result",
        ("seconds", "num_model_requests"),
        _COMMON,
    ),
    Usage(
        "vector_stores",
        "organization.usage.vector_stores.result",
        ("usage_bytes",),
        ("project_id",),
        _vector_store_lines,
    ),
    Usage(
        "code_interpreter_sessions",
        "organization.usage.code_interpreter_sessions.result",
        ("num_sessions",),
        ("project_id",),
    ),
    Usage(
        "file_search_calls",
        "organization.usage.file_searches.result",
        ("num_requests",),
        ("project_id", "user_id", "api_key_id", "vector_store_id"),
    ),
    Usage(
        "web_search_calls",
        "organization.usage.web_searches.result",
        ("num_model_requests", "num_requests"),
        (*_COMMON, "context_level"),
    ),
)

#: US dollars per unit of a count, by category: the local server's own price list for ``/organization/costs``
PRICES: dict[str, dict[str, float]] = {
    "completions": {"input_tokens": 0.15e-6, "output_tokens": 0.60e-6},
    "embeddings": {"input_tokens": 0.02e-6},
    "moderations": {},
    "images": {"images": 0.04},
    "audio_speeches": {"characters": 15e-6},
    "audio_transcriptions": {"seconds": 0.006 / 60},
}


def _query_list(request: Request, name: str) -> list[str]:
    q = request.query_params
    return [v for v in (*q.getlist(name + "[]"), *q.getlist(name)) if v]


@dataclass
class _Window:
    width: int
    starts: list[int]
    next_page: str | None


def _window(request: Request, widths: dict[str, tuple[int, int, int]]) -> _Window:
    q = request.query_params
    if not q.get("start_time"):
        raise missing("start_time")
    start = query_int(q, "start_time", 0, 0, 2**40)
    end = query_int(q, "end_time", now() + 1, 1, 2**40)
    width_name = q.get("bucket_width") or "1d"
    if width_name not in widths:
        choices = ", ".join(f"'{w}'" for w in widths)
        raise invalid(
            "bucket_width",
            f"Invalid value: '{width_name}'. Supported values are: {choices}.",
            code="invalid_value",
        )
    width, default_limit, max_limit = widths[width_name]
    limit = query_int(q, "limit", default_limit, 1, max_limit)
    first = start // width * width
    page = q.get("page")
    if page:
        if not page.isdigit() or int(page) % width or not first <= int(page) < end:
            raise invalid(
                "page", f"Invalid 'page': '{page}' is not a page of this query.", code="invalid_value"
            )
        first = int(page)
    if end <= start:
        raise invalid("end_time", "Invalid 'end_time': it must be after 'start_time'.", code="invalid_value")
    starts = [t for t in range(first, end, width)][: limit + 1]
    more = len(starts) > limit
    return _Window(width, starts[:limit], str(starts[limit]) if more else None)


def _check_group_by(request: Request, allowed: tuple[str, ...]) -> list[str]:
    group_by = _query_list(request, "group_by")
    for i, value in enumerate(group_by):
        if value not in allowed:
            choices = ", ".join(f"'{a}'" for a in allowed)
            raise invalid(
                f"group_by[{i}]",
                f"Invalid value: '{value}'. Supported values are: {choices}.",
                code="invalid_value",
            )
    return group_by


def _lines(state: ServerState, usage: Usage) -> list[Doc]:
    if usage.derive is not None:
        return usage.derive(state)
    return [d for d in state.store.list(KIND) if d["category"] == usage.category]


def _kept(request: Request, line: Doc) -> bool:
    projects = _query_list(request, "project_ids")
    models = _query_list(request, "models")
    sources = _query_list(request, "sources")
    sizes = _query_list(request, "sizes")
    if projects and PROJECT_ID not in projects:
        return False
    if _query_list(request, "user_ids") or _query_list(request, "api_key_ids"):
        return False  # usage is not attributed to users or keys
    return (
        (not models or line.get("model") in models)
        and (not sources or line.get("source") in sources)
        and (not sizes or line.get("size") in sizes)
    )


def _group_value(line: Doc, name: str) -> Any:
    if name == "project_id":
        return PROJECT_ID
    if name == "batch":
        return False
    if name == "service_tier":
        return "default"
    return line.get(name)


def _by_bucket(window: _Window, lines: list[Doc]) -> Iterator[tuple[int, list[Doc]]]:
    """Each bucket's start time with the recorded lines of its minutes."""
    for start in window.starts:
        yield start, [ln for ln in lines if start <= ln["minute"] < start + window.width]


def _bucket(window: _Window, start: int, groups: dict[Any, Doc]) -> Doc:
    """One time bucket of a usage or costs page."""
    return {
        "object": "bucket",
        "start_time": start,
        "end_time": start + window.width,
        "results": list(groups.values()),
    }


def _page(window: _Window, buckets: list[Doc]) -> Doc:
    """A usage or costs page: its buckets and the cursor of the next one."""
    return {
        "object": "page",
        "data": buckets,
        "has_more": window.next_page is not None,
        "next_page": window.next_page,
    }


def _usage_handler(usage: Usage) -> Callable[[Request], Any]:
    async def handler(request: Request) -> Response:
        state = state_of(request)
        window = _window(request, _WIDTHS)
        group_by = _check_group_by(request, usage.group_by)
        batch = request.query_params.get("batch")
        lines = [ln for ln in _lines(state, usage) if _kept(request, ln)]
        if batch in ("true", "1"):
            lines = []  # nothing the local server records is a batch job's
        buckets = []
        for start, inside in _by_bucket(window, lines):
            groups: dict[tuple[Any, ...], Doc] = {}
            for line in inside:
                key = tuple(_group_value(line, g) for g in group_by)
                result = groups.setdefault(key, {"object": usage.obj, **dict.fromkeys(usage.counts, 0)})
                for g, value in zip(group_by, key, strict=True):
                    result[g] = value
                for name, value in line["counts"].items():
                    if name in usage.counts:
                        result[name] += value
            buckets.append(_bucket(window, start, groups))
        return ok(_page(window, buckets))

    return handler


async def costs(request: Request) -> Response:
    state = state_of(request)
    window = _window(request, {"1d": (86400, 7, 180)})
    group_by = _check_group_by(request, ("project_id", "line_item", "api_key_id"))
    if _query_list(request, "api_key_ids"):
        lines: list[Doc] = []
    else:
        projects = _query_list(request, "project_ids")
        lines = [] if projects and PROJECT_ID not in projects else state.store.list(KIND)
    buckets = []
    for start, inside in _by_bucket(window, lines):
        groups: dict[tuple[Any, ...], Doc] = {}
        for line in inside:
            for count, price in PRICES.get(line["category"], {}).items():
                quantity = line["counts"].get(count, 0)
                if not quantity:
                    continue
                item = f"{line['category']}, {count}"
                values = {"project_id": PROJECT_ID, "line_item": item, "api_key_id": None}
                key = tuple(values[g] for g in group_by)
                result = groups.setdefault(
                    key,
                    {
                        "object": "organization.costs.result",
                        "amount": {"value": 0.0, "currency": "usd"},
                        **{g: values[g] for g in group_by},
                    },
                )
                result["amount"]["value"] = round(result["amount"]["value"] + quantity * price, 10)
                if "line_item" in group_by:
                    result["quantity"] = result.get("quantity", 0) + quantity
                    result["quantity_unit"] = "tokens" if count.endswith("tokens") else count
        buckets.append(_bucket(window, start, groups))
    return ok(_page(window, buckets))


ROUTES = [
    *(Route(f"/organization/usage/{u.category}", _usage_handler(u), methods=["GET"]) for u in USAGES),
    Route("/organization/costs", costs, methods=["GET"]),
]


def record_tokens(
    state: ServerState, category: str, model: str, input_tokens: int, output_tokens: int = 0
) -> None:
    """One model request of ``category`` (completions, embeddings, moderations) and its tokens."""
    counts = {"input_tokens": input_tokens, "num_model_requests": 1}
    if category == "completions":
        counts["output_tokens"] = output_tokens
    record(state, category, model, counts)
