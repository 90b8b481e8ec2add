"""What the API commands share: where to connect, output (rich tables, ``--json``), progress, errors.

Results go to stdout, progress and notes to stderr. Progress bars are drawn only on a terminal; on a
pipe or file a command writes plain lines with no control characters.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from .._client import OpenAI
    from .._transports import Request

#: optional module -> the extra that installs it
EXTRAS: dict[str, str] = {
    "starlette": "server",
    "uvicorn": "server",
    "multipart": "server",
    "python_multipart": "server",
    "rich": "cli",
    "websockets": "realtime",
    "httptools": "proxy",
    "llama_cpp": "llm",
}


def extra_for(missing: str | None) -> str | None:
    """The extra that installs module ``missing`` (``None`` when it is not an optional dependency)."""
    return EXTRAS.get((missing or "").split(".")[0])


class CommandError(Exception):
    """A failure to report in one line (no traceback); ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> NoReturn:
    raise CommandError(message, code)


# -- connection --------------------------------------------------------------------------------------


def add_connection_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base-url", default=None, help="any OpenAI-compatible server (default: configured)")
    p.add_argument("--api-key", default=None, help="API key (prefer the environment or a .openai file)")


def add_json_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON (one object, or one per line) for scripts")


def _drop_authorization(request: Request) -> None:
    request.headers.pop("authorization", None)


@contextlib.contextmanager
def connect(
    args: argparse.Namespace, *, bundled: bool = False, force_bundled: bool = False
) -> Iterator[OpenAI]:
    """The client for ``args``: a key and/or base URL from ``--api-key``/``--base-url``, a ``.openai`` file
    or the environment. A base URL without a key is used as is, with no ``Authorization`` header (keyless
    local servers: Ollama, llama.cpp, vLLM). With neither, ``bundled`` starts the local server (and says
    so on stderr); otherwise it is an error naming the flags."""
    from .._client import OpenAI
    from .._config import Settings, resolve_settings
    from .._errors import ConfigError

    try:
        settings = resolve_settings(api_key=args.api_key, base_url=args.base_url)
    except ConfigError as exc:
        fail(str(exc))
    if force_bundled:
        settings = Settings()
    if settings.api_key:
        with OpenAI(api_key=settings.api_key, base_url=settings.base_url) as client:
            yield client
        return
    if settings.base_url:
        hooks = {"request": [_drop_authorization]}
        with OpenAI(api_key="no-key", base_url=settings.base_url, event_hooks=hooks) as client:
            yield client
        return
    if not bundled:
        fail(
            "no API key and no base URL configured: pass --api-key or --base-url, set OPENAI_API_KEY or "
            "OPENAI_BASE_URL, or write them to a .openai file"
        )
    try:
        from ..server.testing import run_server
    except ModuleNotFoundError as exc:
        if extra_for(exc.name) != "server":
            raise
        fail(
            "no API key or base URL configured, and the bundled local server needs the 'server' extra "
            f"(missing module {exc.name!r}): pip install 'openai-kit[server]', or pass --api-key / --base-url "
            "(or set OPENAI_API_KEY / OPENAI_BASE_URL)"
        )
    with run_server() as base_url:
        print(
            f"openai-kit: no API key or base URL configured; using the bundled local server at {base_url} "
            "(deterministic test models: gpt-4o-mini and other chat names answer with 'echo')",
            file=sys.stderr,
        )
        with OpenAI(api_key="local", base_url=base_url) as client:
            yield client


# -- API errors --------------------------------------------------------------------------------------


def api_error_message(exc: Exception, args: argparse.Namespace, flags: Mapping[str, str]) -> str:
    """An API error in one line, naming the flag behind the parameter the server complained about."""
    from .._errors import APIConnectionError, APIStatusError

    if isinstance(exc, APIStatusError):
        body = exc.body
        error = body.get("error", body) if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        if not isinstance(message, str) or not message:
            message = str(exc)
        param = getattr(exc, "param", None)
        flag = flags.get(param) if isinstance(param, str) else None
        if flag is None and isinstance(param, str) and hasattr(args, param.replace("-", "_")):
            flag = "--" + param.replace("_", "-")
        where = f" ({flag})" if flag else ""
        # a 404 to a create (POST) that names no parameter: the endpoint itself is missing (the API and
        # our server say "Invalid URL"; llama.cpp, vLLM and others answer their framework's "Not Found")
        unknown_route = exc.method == "POST" and param is None and exc.code != "model_not_found"
        if exc.status_code == 404 and (message.startswith("Invalid URL") or unknown_route):
            return (
                f"the server at {exc.url or 'the base URL'} does not implement this endpoint "
                f"(404: {message}); use an API or server that offers it (--base-url)"
            )
        return f"{exc.status_code}{where}: {message}"
    if isinstance(exc, APIConnectionError):
        return f"cannot reach the server: {exc} (check --base-url / OPENAI_BASE_URL)"
    return str(exc)


def run_command(
    name: str,
    body: Callable[[], int | None],
    args: argparse.Namespace,
    flags: Mapping[str, str] | None = None,
) -> int:
    """Run ``body``; report failures in one line on stderr and return the exit status."""
    from .._errors import OpenAIError

    try:
        return body() or 0
    except CommandError as exc:
        print(f"openai-kit {name}: {exc}", file=sys.stderr)
        return exc.code
    except OpenAIError as exc:
        print(f"openai-kit {name}: {api_error_message(exc, args, flags or {})}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"openai-kit {name}: interrupted", file=sys.stderr)
        return 130


# -- output ------------------------------------------------------------------------------------------


def to_data(obj: Any) -> Any:
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_unset=True)
    return obj


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(to_data(obj), ensure_ascii=False) + "\n")


def print_table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    """A rich table on a terminal; tab-separated lines with a header otherwise (no control characters)."""
    if not sys.stdout.isatty():
        sys.stdout.write("\t".join(columns) + "\n")
        for row in rows:
            sys.stdout.write("\t".join("" if v is None else str(v) for v in row) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console().print(table)


def note(message: str) -> None:
    print(message, file=sys.stderr)


def human_size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


# -- progress ----------------------------------------------------------------------------------------


class Progress:
    """One task's progress: a rich bar on a terminal (stderr), else one plain line when it ends."""

    def __init__(self, description: str, total: float | None, *, unit: str = "bytes") -> None:
        self.description = description
        self.total = total
        self.unit = unit
        self.done = 0.0
        self.fields: dict[str, Any] = {}
        self._rich: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                MofNCompleteColumn,
                Progress as RichProgress,
                TextColumn,
                TimeElapsedColumn,
                TransferSpeedColumn,
            )

            columns: list[Any] = [TextColumn("{task.description}"), BarColumn()]
            if self.unit == "bytes":
                columns += [DownloadColumn(), TransferSpeedColumn()]
            else:
                columns += [MofNCompleteColumn(), TextColumn("{task.fields[extra]}")]
            columns.append(TimeElapsedColumn())
            self._rich = RichProgress(*columns, console=Console(stderr=True), transient=False)
            self._rich.__enter__()
            self._task = self._rich.add_task(self.description, total=self.total, extra="")
        return self

    def update(
        self,
        *,
        done: float | None = None,
        advance: float = 0,
        total: float | None = None,
        extra: str | None = None,
    ) -> None:
        self.done = done if done is not None else self.done + advance
        if total is not None:
            self.total = total
        if extra is not None:
            self.fields["extra"] = extra
        if self._rich is not None:
            kwargs: dict[str, Any] = {"completed": self.done}
            if total is not None:
                kwargs["total"] = total
            if extra is not None:
                kwargs["extra"] = extra
            self._rich.update(self._task, **kwargs)

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if self._rich is not None:
            self._rich.__exit__(exc_type, *rest)
            return
        if exc_type is None:
            amount = human_size(self.done) if self.unit == "bytes" else f"{self.done:.0f}"
            if self.total is not None and self.unit != "bytes":
                amount += f"/{self.total:.0f}"
            extra = f" {self.fields['extra']}" if self.fields.get("extra") else ""
            note(f"{self.description}: {amount} {'' if self.unit == 'bytes' else self.unit}{extra}".rstrip())


class ProgressReader(io.RawIOBase):
    """A binary file that reports what has been read to a :class:`Progress` (uploads stream from it;
    a retry seeks back and the bar follows)."""

    def __init__(self, f: IO[bytes], progress: Progress) -> None:
        self._f = f
        self._progress = progress
        self.name = getattr(f, "name", None)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._f.read(size)
        self._progress.update(done=self._f.tell())
        return chunk

    def readinto(self, buffer: Any) -> int:  # pragma: no cover - read() is what the encoder uses
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = self._f.seek(offset, whence)
        if whence == os.SEEK_SET:  # a rewind (retry); measuring the size seeks to the end and back
            self._progress.update(done=position)
        return position

    def tell(self) -> int:
        return self._f.tell()


def open_input(path: str, flag: str) -> IO[bytes]:
    """Open a file the user named, or fail naming the argument."""
    try:
        return open(path, "rb")
    except OSError as exc:
        fail(f"{flag}: cannot read {path}: {exc.strerror or exc}")


def read_text_arg(value: str, flag: str) -> str:
    """``-`` means standard input."""
    if value != "-":
        return value
    text = sys.stdin.read()
    if not text.strip():
        fail(f"{flag}: standard input was empty")
    return text.rstrip("\n")


def upload(client: OpenAI, path: str, purpose: str, flag: str = "FILE") -> Any:
    """Upload ``path`` streamed from disk with a progress bar by bytes."""
    with open_input(path, flag) as f:
        size = os.fstat(f.fileno()).st_size
        with Progress(f"upload {os.path.basename(path)}", size) as progress:
            reader = ProgressReader(f, progress)
            result = client.files.create(
                file=(os.path.basename(path), reader),  # type: ignore[arg-type]
                purpose=purpose,  # type: ignore[arg-type]
            )
    return result


def download_file(client: OpenAI, file_id: str, out: str, label: str | None = None) -> int:
    """Stream a file's content to ``out`` with a progress bar by bytes; the number of bytes written."""
    content = client.files.content(file_id)
    length = content.response.headers.get("content-length")
    total = int(length) if length and length.isdigit() else None
    written = 0
    try:
        with open(out, "wb") as f, Progress(label or f"download {file_id}", total) as progress:
            for chunk in content.iter_bytes():
                f.write(chunk)
                written += len(chunk)
                progress.update(done=written)
    except OSError as exc:
        content.close()
        fail(f"--out: cannot write {out}: {exc.strerror or exc}")
    return written
