"""A sans-IO decoder for Server-Sent Events, following the WHATWG specification.

Feed it bytes as they arrive, split anywhere (inside a field, a UTF-8 sequence or a CRLF pair); it
returns complete events. Lines end in CRLF, LF or CR; ``data`` lines are joined with ``\\n``; comments
(lines starting with ``:``) are counted but produce no event; ``id`` persists across events; ``retry``
takes digits only; a leading byte-order mark is dropped. An event is dispatched on an empty line; what is
pending when the stream ends is not an event (see :attr:`SSEDecoder.pending`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SSEDecoder", "ServerSentEvent"]


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None

    def json(self) -> object:
        import orjson

        return orjson.loads(self.data)


class SSEDecoder:
    __slots__ = ("_buf", "_data", "_event", "_id", "_retry", "_skip_lf", "_started", "comments")

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[bytes] | None = None
        self._event: bytes | None = None
        self._id: str | None = None
        self._retry: int | None = None
        self._skip_lf = False
        self._started = False
        #: number of comment lines seen (keep-alive pings); they are not progress
        self.comments = 0

    @property
    def pending(self) -> bool:
        """True when bytes of an unfinished event are buffered (a stream cut here was truncated)."""
        return bool(self._buf) or self._data is not None or self._event is not None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        return self._feed(chunk, False)  # type: ignore[return-value]

    def feed_raw(self, chunk: bytes) -> list[bytes | ServerSentEvent]:
        """:meth:`feed`, except that an event with data and no ``event`` field comes back as the bytes of its
        data, undecoded (what a data-only stream such as chat needs; its ``id`` and ``retry`` are still
        tracked). The common single ``data:`` line event then costs no line loop and no event object."""
        return self._feed(chunk, True)

    def _feed(self, chunk: bytes, raw: bool) -> list[bytes | ServerSentEvent]:
        if (
            raw
            and chunk[-2:] == b"\n\n"
            and chunk[:5] == b"data:"
            and self._started
            and not self._buf
            and not self._skip_lf
            and self._data is None
            and self._event is None
        ):
            # the usual piece of a data-only stream: exactly one single-line event (sliced out in one copy)
            end = len(chunk) - 2
            if chunk.find(b"\n", 0, end) < 0 and chunk.find(b"\r", 0, end) < 0:
                return [chunk[6:end] if chunk[5] == 0x20 else chunk[5:end]]
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
        if b"\r" in chunk:
            self._skip_lf = chunk[-1] == 0x0D
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if self._buf:
            chunk = self._buf + chunk
        if not self._started:
            if len(chunk) < 3 and b"\xef\xbb\xbf".startswith(chunk):
                self._buf = chunk
                return []
            self._started = True
            if chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
        # Whole events first: a block between blank lines that is one `data:` line and nothing else (no
        # event half-read before it) is an event of that data; any other block goes line by line.
        # (blocks are found in place: each event's data is sliced out of the chunk once, a burst of events
        # read at once from a busy connection is not copied block by block first)
        events: list[bytes | ServerSentEvent] = []
        line = self._line
        find = chunk.find
        pos = 0
        while (end := find(b"\n\n", pos)) >= 0:
            if (
                chunk.startswith(b"data:", pos)
                and self._data is None
                and self._event is None
                and find(b"\n", pos, end) < 0
            ):
                value = chunk[pos + 6 if chunk.startswith(b" ", pos + 5) else pos + 5 : end]
                if raw:
                    events.append(value)
                else:
                    events.append(
                        ServerSentEvent(value.decode("utf-8", "replace"), None, self._id, self._retry)
                    )
            else:
                for text in chunk[pos:end].split(b"\n"):
                    line(text, events, raw)
                line(b"", events, raw)
            pos = end + 2
        rest = chunk[pos:] if pos else chunk
        lines = rest.split(b"\n")
        self._buf = lines.pop()
        for text in lines:
            line(text, events, raw)
        return events

    def _line(self, line: bytes, events: list[bytes | ServerSentEvent], raw: bool) -> None:
        if not line:
            if self._data is not None:
                events.append(self._dispatch(raw))
            else:
                self._event = None
            return
        if line[0] == 0x3A:  # ':'
            self.comments += 1
            return
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            if self._data is None:
                self._data = [value]
            else:
                self._data.append(value)
        elif name == b"event":
            self._event = value
        elif name == b"id" and b"\0" not in value:
            self._id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():
            self._retry = int(value)

    def _dispatch(self, raw: bool = False) -> bytes | ServerSentEvent:
        data = self._data
        assert data is not None
        event = self._event
        self._data = None
        self._event = None
        joined = data[0] if len(data) == 1 else b"\n".join(data)
        if raw and event is None:
            return joined
        return ServerSentEvent(
            joined.decode("utf-8", "replace"),
            None if event is None else event.decode("utf-8", "replace"),
            self._id,
            self._retry,
        )
