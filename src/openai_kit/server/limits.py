"""Input limits of the local server, so nothing a client sends can break a later read.

Responses are serialised with orjson, which refuses documents nested deeper than its fixed recursion
limit (254 levels). A stored object only a little under that limit breaks every list that contains
it (a list page adds two levels), permanently. So JSON bodies are limited to ``MAX_BODY_DEPTH``
levels, far below orjson's limit: a stored object, wrapped in a page, an event or a batch output
line (each a few levels more), always serialises. The store re-checks with ``STORED_DEPTH`` on
every write and when it opens a data directory written by an older version.

The depth check itself is orjson's: the value is wrapped in enough one-element lists that a
serialisation fails exactly when the value is deeper than the limit. That runs at C speed (a
32 MiB body takes milliseconds); only a value that fails is walked in Python, to name where. Most
bodies skip even that: JSON with no more opening brackets than the limit cannot nest deeper.
"""

from __future__ import annotations

from typing import Any

import orjson

#: deepest JSON nesting accepted in a request body (the API's strict schemas allow 10 levels of
#: nesting, about 25 JSON levels with the request around them)
MAX_BODY_DEPTH = 64
#: deepest document the store keeps (request depth plus the few levels the server adds)
STORED_DEPTH = 96

# the API's documented limits
NAME_CHARS = 256
DESCRIPTION_CHARS = 512
INSTRUCTIONS_CHARS = 256_000


def _orjson_limit() -> int | None:
    """The deepest nesting orjson serialises (254 in every release so far), probed once."""
    value: Any = None
    for depth in range(1024):
        try:
            orjson.dumps([value])
        except orjson.JSONEncodeError:
            return depth
        value = [value]
    return None  # pragma: no cover - a future orjson without a limit: the Python walk checks


_ORJSON_LIMIT = _orjson_limit()


def _few_brackets(data: bytes, limit: int) -> bool:
    # no more opening brackets than the limit: cannot nest deeper (most bodies: a few nanoseconds)
    return data.count(b"[") + data.count(b"{") <= limit


def dumps_within(value: Any, limit: int) -> bytes | None:
    """``orjson.dumps(value)``, or ``None`` when ``value`` nests more than ``limit`` containers deep."""
    try:
        data = orjson.dumps(value)
    except orjson.JSONEncodeError as exc:
        if "ecursion" in str(exc):  # "Recursion limit reached"
            return None
        raise
    return data if _few_brackets(data, limit) or _fits(value, limit) else None


def within_depth(value: Any, limit: int, raw: bytes | None = None) -> bool:
    """Whether ``value`` (parsed from ``raw``, when given) nests at most ``limit`` containers deep."""
    if raw is not None and _few_brackets(raw, limit):
        return True
    return _fits(value, limit)


def _fits(value: Any, limit: int) -> bool:
    if _ORJSON_LIMIT is None or limit >= _ORJSON_LIMIT:  # pragma: no cover - not with today's orjson
        return too_deep_at(value, limit) is None
    pad = _ORJSON_LIMIT - limit
    wrapped: Any = value
    for _ in range(pad):
        wrapped = [wrapped]
    try:
        orjson.dumps(wrapped)
    except orjson.JSONEncodeError:
        return False
    return True


def too_deep_at(value: Any, limit: int) -> str | None:
    """The path (``tools[0].function.parameters``, shortened) to where ``value`` passes ``limit``."""
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        node, depth, path = stack.pop()
        if type(node) is dict:
            depth += 1
            if depth > limit:
                return path
            for key, sub in node.items():
                if type(sub) is dict or type(sub) is list:
                    stack.append((sub, depth, _join(path, depth, f".{key}" if path else str(key))))
        elif type(node) is list:
            depth += 1
            if depth > limit:
                return path
            for i, sub in enumerate(node):
                if type(sub) is dict or type(sub) is list:
                    stack.append((sub, depth, _join(path, depth, f"[{i}]")))
    return None


def _join(path: str, depth: int, part: str) -> str:
    # names the first levels only: the deep tail of a 60-level path helps nobody
    return path + part if depth <= 6 else path
