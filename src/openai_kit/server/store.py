"""Server state: JSON documents grouped by kind, in memory or in SQLite, plus file blobs on disk.

Every document is a JSON object with an ``id``. Documents of a kind keep their insertion order, and
may belong to a parent (a thread's messages, a run's steps, a vector store's files). All operations
take one lock, so concurrent requests and background tasks never see half-written state.

No document deeper than ``limits.STORED_DEPTH`` is written, and opening a data directory moves any
such document (or one that no longer parses) out of the way, into the ``quarantine`` table, so one
bad object written by an older version cannot break every later list.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from . import limits
from .errors import RequestError

Doc = dict[str, Any]
log = logging.getLogger("openai_kit.server")


class Store:
    def __init__(self, data_dir: Path | None = None) -> None:
        self._lock = threading.RLock()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._db: sqlite3.Connection | None = None
        self._mem: dict[str, dict[str, tuple[str | None, Doc]]] = {}
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="openai-kit-server-")
            root = Path(self._tmp.name)
        else:
            root = Path(data_dir)
            root.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(root / "state.sqlite3", check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS docs (kind TEXT NOT NULL, id TEXT NOT NULL, parent TEXT,"
                " seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (kind, id))"
            )
            self._db.execute("CREATE INDEX IF NOT EXISTS docs_order ON docs (kind, parent, seq)")
            self._quarantine_unreadable()
        self.blob_dir = root / "blobs"
        self.blob_dir.mkdir(exist_ok=True)
        self.persistent = data_dir is not None
        self._seq = 0
        if self._db is not None:
            row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM docs").fetchone()
            self._seq = int(row[0])

    def _quarantine_unreadable(self) -> None:
        assert self._db is not None
        bad: list[tuple[str, str, str]] = []
        for kind, doc_id, data in self._db.execute("SELECT kind, id, data FROM docs"):
            try:
                ok = limits.within_depth(_load(data), limits.STORED_DEPTH, bytes(data))
                reason = "nested too deeply"
            except orjson.JSONDecodeError:
                ok, reason = False, "not valid JSON"
            if not ok:
                bad.append((kind, doc_id, reason))
        if not bad:
            return
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS quarantine (kind TEXT NOT NULL, id TEXT NOT NULL, parent TEXT,"
            " seq INTEGER NOT NULL, data BLOB NOT NULL, reason TEXT NOT NULL)"
        )
        for kind, doc_id, reason in bad:
            log.warning("stored %s %s is %s: moved to the quarantine table", kind, doc_id, reason)
            self._db.execute(
                "INSERT INTO quarantine SELECT kind, id, parent, seq, data, ? FROM docs"
                " WHERE kind = ? AND id = ?",
                (reason, kind, doc_id),
            )
            self._db.execute("DELETE FROM docs WHERE kind = ? AND id = ?", (kind, doc_id))

    # -- documents -----------------------------------------------------------------------------

    def insert(self, kind: str, doc: Doc, *, parent: str | None = None) -> Doc:
        data = _storable(doc)
        with self._lock:
            self._seq += 1
            if self._db is not None:
                self._db.execute(
                    "INSERT INTO docs (kind, id, parent, seq, data) VALUES (?, ?, ?, ?, ?)",
                    (kind, doc["id"], parent, self._seq, data),
                )
            else:
                self._mem.setdefault(kind, {})[doc["id"]] = (parent, _load(data))
        return doc

    def get(self, kind: str, doc_id: str) -> Doc | None:
        with self._lock:
            if self._db is not None:
                row = self._db.execute(
                    "SELECT data FROM docs WHERE kind = ? AND id = ?", (kind, doc_id)
                ).fetchone()
                return None if row is None else _load(row[0])
            entry = self._mem.get(kind, {}).get(doc_id)
            return None if entry is None else _copy(entry[1])

    def put(self, kind: str, doc: Doc) -> Doc:
        """Replace an existing document (keeping its place and parent)."""
        data = _storable(doc)
        with self._lock:
            if self._db is not None:
                self._db.execute(
                    "UPDATE docs SET data = ? WHERE kind = ? AND id = ?", (data, kind, doc["id"])
                )
            else:
                table = self._mem.setdefault(kind, {})
                parent = table[doc["id"]][0] if doc["id"] in table else None
                table[doc["id"]] = (parent, _load(data))
        return doc

    def update(self, kind: str, doc_id: str, change: Callable[[Doc], None]) -> Doc | None:
        """Read, change in place and write back one document atomically; ``None`` if it is gone."""
        with self._lock:
            doc = self.get(kind, doc_id)
            if doc is None:
                return None
            change(doc)
            return self.put(kind, doc)

    def delete(self, kind: str, doc_id: str) -> bool:
        with self._lock:
            if self._db is not None:
                cur = self._db.execute("DELETE FROM docs WHERE kind = ? AND id = ?", (kind, doc_id))
                return cur.rowcount > 0
            return self._mem.get(kind, {}).pop(doc_id, None) is not None

    def delete_children(self, kind: str, parent: str) -> None:
        with self._lock:
            if self._db is not None:
                self._db.execute("DELETE FROM docs WHERE kind = ? AND parent = ?", (kind, parent))
            else:
                table = self._mem.get(kind, {})
                for doc_id in [k for k, (p, _) in table.items() if p == parent]:
                    del table[doc_id]

    def list(self, kind: str, *, parent: str | None = None) -> list[Doc]:
        """Documents of a kind (only those of ``parent`` when given), oldest first."""
        with self._lock:
            if self._db is not None:
                if parent is None:
                    rows = self._db.execute("SELECT data FROM docs WHERE kind = ? ORDER BY seq", (kind,))
                else:
                    rows = self._db.execute(
                        "SELECT data FROM docs WHERE kind = ? AND parent = ? ORDER BY seq", (kind, parent)
                    )
                return [_load(r[0]) for r in rows.fetchall()]
            return [_copy(d) for p, d in self._mem.get(kind, {}).values() if parent is None or p == parent]

    # -- blobs ---------------------------------------------------------------------------------

    def blob_path(self, name: str) -> Path:
        return self.blob_dir / name

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            if self._tmp is not None:
                shutil.rmtree(self._tmp.name, ignore_errors=True)
                self._tmp.cleanup()
                self._tmp = None


def _storable(doc: Doc) -> bytes:
    """The document's JSON; a 400 if it nests too deeply (unreachable through a request body, which is
    limited to fewer levels: the last line of defence)."""
    data = limits.dumps_within(doc, limits.STORED_DEPTH)
    if data is None:
        raise RequestError(
            400,
            f"The object would nest deeper than {limits.STORED_DEPTH} levels and cannot be stored.",
            param=limits.too_deep_at(doc, limits.STORED_DEPTH) or None,
            code="nesting_too_deep",
        )
    return data


def _load(data: bytes | str) -> Doc:
    doc: Doc = orjson.loads(data)
    return doc


def _copy(doc: Doc) -> Doc:
    return _load(orjson.dumps(doc))
