"""``/vector_stores``: stores, their files and file batches, and ``search``.

Files are split into overlapping chunks of words and each chunk is embedded with the built-in
hashed n-gram embedding; ``search`` ranks chunks by cosine similarity to the query.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import filestore
from ..crud import Stored
from ..embeddings import cosine, embed
from ..errors import RequestError, invalid, missing
from ..ids import new_id, now
from ..pagination import paginate
from ..params import metadata, opt_bool, opt_dict, opt_enum, opt_int, opt_list, opt_str
from ..state import ServerState, json_body, ok, state_of
from ..tokens import TOKEN_RE

KIND = "vector_store"
FILE_KIND = "vector_store_file"
CHUNK_KIND = "vector_store_chunks"
BATCH_KIND = "vector_store_file_batch"
DEFAULT_CHUNKING = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}
EMBED_DIMENSIONS = 256


STORES = Stored(
    KIND,
    "vector store",
    "vector_store_id",
    deleted="vector_store.deleted",
    children=(FILE_KIND, CHUNK_KIND, BATCH_KIND),
    view=lambda state, doc: _store_view(state, doc),
)
FILES = Stored(
    FILE_KIND,
    "vector store file",
    "file_id",
    deleted="vector_store.file.deleted",
    parent=STORES,
    parent_field="vector_store_id",
    key=lambda p: f"{p['vector_store_id']}/{p['file_id']}",
    view=lambda state, doc: _public(doc),
    on_delete=lambda state, p: _drop_chunks(state, p),
)
FILE_BATCHES = Stored(
    BATCH_KIND,
    "vector store file batch",
    "batch_id",
    parent=STORES,
    parent_field="vector_store_id",
    view=lambda state, doc: _public(doc),
)


# -- chunking and embedding ------------------------------------------------------------------


def chunking(value: Any, param: str = "chunking_strategy") -> dict[str, Any]:
    if value is None or (isinstance(value, dict) and value.get("type") == "auto"):
        return DEFAULT_CHUNKING
    if not isinstance(value, dict) or value.get("type") != "static":
        raise invalid(
            f"{param}.type",
            "Invalid chunking strategy: expected type 'auto' or 'static'.",
            code="invalid_value",
        )
    static = opt_dict(value, "static", path=f"{param}.static")
    if static is None:
        raise missing(f"{param}.static")
    size = opt_int(static, "max_chunk_size_tokens", lo=100, hi=4096)
    overlap = opt_int(static, "chunk_overlap_tokens", lo=0)
    if size is None:
        raise missing(f"{param}.static.max_chunk_size_tokens")
    if overlap is None:
        raise missing(f"{param}.static.chunk_overlap_tokens")
    if overlap > size // 2:
        raise invalid(
            f"{param}.static.chunk_overlap_tokens",
            "chunk_overlap_tokens must not exceed half of max_chunk_size_tokens.",
        )
    return {"type": "static", "static": {"max_chunk_size_tokens": size, "chunk_overlap_tokens": overlap}}


def split_chunks(text: str, size: int, overlap: int) -> list[str]:
    spans = [m.span() for m in TOKEN_RE.finditer(text)]
    if not spans:
        return []
    chunks: list[str] = []
    step = max(1, size - overlap)
    for start in range(0, len(spans), step):
        window = spans[start : start + size]
        chunks.append(text[window[0][0] : window[-1][1]])
        if start + size >= len(spans):
            break
    return chunks


def _index_file(
    state: ServerState,
    store_id: str,
    file_obj: dict[str, Any],
    strategy: dict[str, Any],
    attributes: dict[str, Any] | None,
) -> dict[str, Any]:
    file_id = file_obj["id"]
    existing = state.store.get(FILE_KIND, f"{store_id}/{file_id}")
    if existing is not None:
        return existing
    error = None
    chunks: list[dict[str, Any]] = []
    try:
        text = filestore.blob(state, file_id).read_bytes().decode("utf-8")
        static = strategy["static"]
        for piece in split_chunks(text, static["max_chunk_size_tokens"], static["chunk_overlap_tokens"]):
            chunks.append({"text": piece, "embedding": embed(piece, EMBED_DIMENSIONS)})
    except (OSError, UnicodeDecodeError):
        error = {"code": "unsupported_file", "message": "The file is not UTF-8 text."}
    doc = {
        "id": file_id,
        "object": "vector_store.file",
        "usage_bytes": file_obj["bytes"] if error is None else 0,
        "created_at": now(),
        "vector_store_id": store_id,
        "status": "failed" if error else "completed",
        "last_error": error,
        "chunking_strategy": strategy,
        "attributes": attributes or {},
    }
    state.store.insert(
        FILE_KIND, {**doc, "id": f"{store_id}/{file_id}", "_file_id": file_id}, parent=store_id
    )
    state.store.insert(CHUNK_KIND, {"id": f"{store_id}/{file_id}", "chunks": chunks}, parent=store_id)
    state.store.update(KIND, store_id, lambda d: d.__setitem__("last_active_at", now()))
    return doc


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    if "_file_id" in doc:
        out["id"] = doc["_file_id"]
    return out


def _store_view(state: ServerState, store: dict[str, Any]) -> dict[str, Any]:
    files = state.store.list(FILE_KIND, parent=store["id"])
    counts = {
        s: sum(1 for f in files if f["status"] == s)
        for s in ("in_progress", "completed", "failed", "cancelled")
    }
    counts["total"] = len(files)
    view = {
        **store,
        "usage_bytes": sum(f["usage_bytes"] for f in files),
        "file_counts": counts,
        "status": "in_progress" if counts["in_progress"] else "completed",
    }
    if view.get("expires_after") is None:
        view.pop("expires_after", None)
    return view


def _attributes(body: dict[str, Any]) -> dict[str, Any] | None:
    attrs = opt_dict(body, "attributes")
    if attrs is None:
        return None
    if len(attrs) > 16:
        raise invalid("attributes", "Invalid 'attributes': at most 16 keys.")
    for k, v in attrs.items():
        if not isinstance(v, (str, bool, int, float)):
            raise invalid(
                f"attributes.{k}", f"Invalid 'attributes.{k}': expected a string, number or boolean."
            )
    return attrs


def _expires_after(body: dict[str, Any]) -> dict[str, Any] | None:
    """``{"anchor": "last_active_at", "days": 1..365}``."""
    value = opt_dict(body, "expires_after")
    if value is None:
        return None
    if value.get("anchor") is None:
        raise missing("expires_after.anchor")
    opt_enum(value, "anchor", ("last_active_at",), path="expires_after.anchor")
    if value.get("days") is None:
        raise missing("expires_after.days")
    days = opt_int(value, "days", lo=1, hi=365, path="expires_after.days")
    return {"anchor": "last_active_at", "days": days}


# -- vector stores ---------------------------------------------------------------------------


async def create_store(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    name = opt_str(body, "name") or ""
    file_ids = opt_list(body, "file_ids", max_items=500) or []
    strategy = chunking(body.get("chunking_strategy"))
    expires_after = _expires_after(body)
    meta = metadata(body)
    files = [filestore.FILES.find(state, str(fid), f"file_ids[{i}]") for i, fid in enumerate(file_ids)]
    created = now()
    store: dict[str, Any] = {
        "id": new_id("vs_"),
        "object": "vector_store",
        "created_at": created,
        "name": name,
        "usage_bytes": 0,
        "file_counts": {},
        "status": "completed",
        "expires_after": expires_after,
        "expires_at": created + expires_after["days"] * 86400 if expires_after else None,
        "last_active_at": created,
        "metadata": meta or {},
    }
    state.store.insert(KIND, store)
    for f in files:
        _index_file(state, store["id"], f, strategy, None)
    return ok(_store_view(state, STORES.find(state, store["id"])))


async def list_stores(request: Request) -> Response:
    state = state_of(request)
    page = paginate(state.store.list(KIND), request.query_params)
    page["data"] = [_store_view(state, s) for s in page["data"]]
    return ok(page)


async def update_store(request: Request) -> Response:
    state = state_of(request)
    store_id = request.path_params["vector_store_id"]
    body = await json_body(request)
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = opt_str(body, "name") or ""
    if "metadata" in body:
        changes["metadata"] = metadata(body) or {}
    if "expires_after" in body:
        changes["expires_after"] = _expires_after(body)
    STORES.find(state, store_id)
    store = state.store.update(KIND, store_id, lambda d: d.update(changes))
    assert store is not None
    return ok(_store_view(state, store))


# -- files -----------------------------------------------------------------------------------


async def create_file(request: Request) -> Response:
    state = state_of(request)
    store_id = request.path_params["vector_store_id"]
    body = await json_body(request)
    file_id = opt_str(body, "file_id")
    if not file_id:
        raise missing("file_id")
    strategy = chunking(body.get("chunking_strategy"))
    attrs = _attributes(body)
    STORES.find(state, store_id)
    file_obj = filestore.FILES.find(state, file_id)
    return ok(_index_file(state, store_id, file_obj, strategy, attrs))


def _drop_chunks(state: ServerState, params: Mapping[str, str]) -> None:
    state.store.delete(CHUNK_KIND, f"{params['vector_store_id']}/{params['file_id']}")


def _file_page(request: Request, docs: list[dict[str, Any]]) -> Response:
    status = request.query_params.get("filter")
    if status:
        docs = [d for d in docs if d["status"] == status]
    public = [_public(d) for d in docs]
    return ok(paginate(public, request.query_params))


async def list_files(request: Request) -> Response:
    state = state_of(request)
    store_id = request.path_params["vector_store_id"]
    STORES.find(state, store_id)
    return _file_page(request, state.store.list(FILE_KIND, parent=store_id))


async def update_file(request: Request) -> Response:
    state = state_of(request)
    p = request.path_params
    body = await json_body(request)
    attrs = _attributes(body)
    if attrs is None:
        raise missing("attributes")
    FILES.require(state, p)
    doc = state.store.update(
        FILE_KIND, f"{p['vector_store_id']}/{p['file_id']}", lambda d: d.__setitem__("attributes", attrs)
    )
    assert doc is not None
    return ok(_public(doc))


async def file_content(request: Request) -> Response:
    state = state_of(request)
    p = request.path_params
    FILES.require(state, p)
    chunks = state.store.get(CHUNK_KIND, f"{p['vector_store_id']}/{p['file_id']}") or {"chunks": []}
    data = [{"type": "text", "text": c["text"]} for c in chunks["chunks"]]
    return ok(
        {"object": "vector_store.file_content.page", "data": data, "has_more": False, "next_page": None}
    )


# -- file batches ----------------------------------------------------------------------------


async def create_batch(request: Request) -> Response:
    state = state_of(request)
    store_id = request.path_params["vector_store_id"]
    body = await json_body(request)
    file_ids = opt_list(body, "file_ids", max_items=500)
    files_param = opt_list(body, "files", max_items=500)
    if file_ids is None and files_param is None:
        raise missing("file_ids")
    if file_ids is not None and files_param is not None:
        raise invalid("files", "Give either 'file_ids' or 'files', not both.")
    strategy = chunking(body.get("chunking_strategy"))
    attrs = _attributes(body)
    entries: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
    if file_ids is not None:
        entries = [(str(fid), strategy, attrs) for fid in file_ids]
    else:
        for i, f in enumerate(files_param or []):
            if not isinstance(f, dict) or not isinstance(f.get("file_id"), str):
                raise missing(f"files[{i}].file_id")
            entries.append(
                (
                    f["file_id"],
                    chunking(f.get("chunking_strategy"), f"files[{i}].chunking_strategy")
                    if f.get("chunking_strategy")
                    else strategy,
                    _attributes(f) or attrs,
                )
            )
    STORES.find(state, store_id)
    objs = [filestore.FILES.find(state, fid, f"file_ids[{i}]") for i, (fid, _, _) in enumerate(entries)]
    results = [_index_file(state, store_id, o, s, a) for o, (_, s, a) in zip(objs, entries, strict=False)]
    counts = {
        s: sum(1 for r in results if r["status"] == s)
        for s in ("in_progress", "completed", "failed", "cancelled")
    }
    counts["total"] = len(results)
    batch = {
        "id": new_id("vsfb_"),
        "object": "vector_store.files_batch",
        "created_at": now(),
        "vector_store_id": store_id,
        "status": "completed",
        "file_counts": counts,
        "_file_ids": [o["id"] for o in objs],
    }
    state.store.insert(BATCH_KIND, batch, parent=store_id)
    return ok(_public(batch))


async def cancel_batch(request: Request) -> Response:
    p = request.path_params
    batch = FILE_BATCHES.require(state_of(request), p)
    if batch["status"] != "in_progress":
        raise RequestError(
            400, f"Cannot cancel a file batch with status '{batch['status']}'.", param="batch_id"
        )
    return ok(_public(batch))


async def list_batch_files(request: Request) -> Response:
    state = state_of(request)
    p = request.path_params
    batch = FILE_BATCHES.require(state, p)
    docs = [state.store.get(FILE_KIND, f"{p['vector_store_id']}/{fid}") for fid in batch["_file_ids"]]
    return _file_page(request, [d for d in docs if d is not None])


# -- search ----------------------------------------------------------------------------------

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "in": lambda a, b: a in b,
    "nin": lambda a, b: a not in b,
}


def _check_filter(f: Any, param: str) -> None:
    if not isinstance(f, dict):
        raise invalid(param, f"Invalid type for '{param}': expected an object.", code="invalid_type")
    kind = f.get("type")
    if not isinstance(kind, str):
        raise invalid(
            f"{param}.type", f"Invalid type for '{param}.type': expected a string.", code="invalid_type"
        )
    if kind in ("and", "or"):
        subs = f.get("filters")
        if not isinstance(subs, list):
            raise missing(f"{param}.filters")
        for i, sub in enumerate(subs):
            _check_filter(sub, f"{param}.filters[{i}]")
    elif kind in _COMPARE:
        if not isinstance(f.get("key"), str):
            raise missing(f"{param}.key")
        if "value" not in f:
            raise missing(f"{param}.value")
    else:
        raise invalid(f"{param}.type", f"Invalid filter type: '{kind}'.", code="invalid_value")


def _matches(f: dict[str, Any], attrs: dict[str, Any]) -> bool:
    kind = f["type"]
    if kind == "and":
        return all(_matches(s, attrs) for s in f["filters"])
    if kind == "or":
        return any(_matches(s, attrs) for s in f["filters"])
    if f["key"] not in attrs:
        return kind in ("ne", "nin")
    try:
        return bool(_COMPARE[kind](attrs[f["key"]], f["value"]))
    except TypeError:
        return False


async def search(request: Request) -> Response:
    state = state_of(request)
    store_id = request.path_params["vector_store_id"]
    body = await json_body(request)
    query = body.get("query")
    if query is None:
        raise missing("query")
    queries = [query] if isinstance(query, str) else query
    if not isinstance(queries, list) or not queries or not all(isinstance(q, str) for q in queries):
        raise invalid("query", "Invalid 'query': expected a string or a non-empty array of strings.")
    limit = opt_int(body, "max_num_results", 10, lo=1, hi=50) or 10
    filters = body.get("filters")
    if filters is not None:
        _check_filter(filters, "filters")
    ranking = opt_dict(body, "ranking_options") or {}
    threshold = ranking.get("score_threshold", 0.0)
    if not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise invalid(
            "ranking_options.score_threshold",
            "Invalid 'ranking_options.score_threshold': expected a number between 0 and 1.",
        )
    opt_bool(body, "rewrite_query")
    STORES.find(state, store_id)
    qvecs = [embed(q, EMBED_DIMENSIONS) for q in queries]
    files = {
        f["_file_id"]: f for f in state.store.list(FILE_KIND, parent=store_id) if f["status"] == "completed"
    }
    hits: list[tuple[float, str, str]] = []
    for doc in state.store.list(CHUNK_KIND, parent=store_id):
        file_id = doc["id"].split("/", 1)[1]
        meta = files.get(file_id)
        if meta is None or (filters is not None and not _matches(filters, meta["attributes"])):
            continue
        for chunk in doc["chunks"]:
            score = max(cosine(q, chunk["embedding"]) for q in qvecs)
            score = min(1.0, max(0.0, score))
            if score >= threshold:
                hits.append((score, file_id, chunk["text"]))
    hits.sort(key=lambda h: -h[0])
    data = []
    for score, file_id, text in hits[:limit]:
        fobj = state.store.get(filestore.KIND, file_id)
        data.append(
            {
                "file_id": file_id,
                "filename": fobj["filename"] if fobj else file_id,
                "score": round(score, 6),
                "attributes": files[file_id]["attributes"],
                "content": [{"type": "text", "text": text}],
            }
        )
    state.store.update(KIND, store_id, lambda d: d.__setitem__("last_active_at", now()))
    return ok(
        {
            "object": "vector_store.search_results.page",
            "search_query": queries,
            "data": data,
            "has_more": False,
            "next_page": None,
        }
    )


ROUTES = [
    Route("/vector_stores", create_store, methods=["POST"]),
    Route("/vector_stores", list_stores, methods=["GET"]),
    Route("/vector_stores/{vector_store_id}", STORES.retrieve, methods=["GET"]),
    Route("/vector_stores/{vector_store_id}", update_store, methods=["POST"]),
    Route("/vector_stores/{vector_store_id}", STORES.delete, methods=["DELETE"]),
    Route("/vector_stores/{vector_store_id}/files", create_file, methods=["POST"]),
    Route("/vector_stores/{vector_store_id}/files", list_files, methods=["GET"]),
    Route("/vector_stores/{vector_store_id}/files/{file_id}", FILES.retrieve, methods=["GET"]),
    Route("/vector_stores/{vector_store_id}/files/{file_id}", update_file, methods=["POST"]),
    Route("/vector_stores/{vector_store_id}/files/{file_id}", FILES.delete, methods=["DELETE"]),
    Route("/vector_stores/{vector_store_id}/files/{file_id}/content", file_content, methods=["GET"]),
    Route("/vector_stores/{vector_store_id}/file_batches", create_batch, methods=["POST"]),
    Route("/vector_stores/{vector_store_id}/file_batches/{batch_id}", FILE_BATCHES.retrieve, methods=["GET"]),
    Route("/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel", cancel_batch, methods=["POST"]),
    Route(
        "/vector_stores/{vector_store_id}/file_batches/{batch_id}/files", list_batch_files, methods=["GET"]
    ),
    Route("/vector_stores/{vector_store_id}/search", search, methods=["POST"]),
]
