"""Authentication of the front end's session token.

Two mechanisms, both optional and combinable: a static token file (one ``sess-...`` token per line,
re-read whenever it changes) and a hook, a sync or async callable that receives the request headers and
returns to allow or raises to reject. Raise :class:`AuthError` to choose the 401 message; any other
exception gives a generic one (its text is never shown or logged).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import os
from collections.abc import Mapping

from .._errors import ConfigError
from . import errors
from .config import AuthHook

__all__ = ["AuthError", "Authenticator", "TokenFile", "extract_token", "load_auth_hook", "token_id"]

_INSECURE_PROTOCOL_PREFIX = "openai-insecure-api-key."


class AuthError(Exception):
    """Raised by an auth hook to reject a request; its message is sent to the client in the 401 body."""


def token_id(token: str | None) -> str:
    """A short, non-reversible id of a token for logs and rate limiting (never the token itself)."""
    if not token:
        return "-"
    return hashlib.blake2b(token.encode(), digest_size=6).hexdigest()


def extract_token(headers: Mapping[str, str]) -> str | None:
    """The session token: ``Authorization: Bearer <token>``, else an ``api-key`` header, else (browser
    websockets, which cannot set headers) an ``openai-insecure-api-key.<token>`` subprotocol."""
    auth = headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return None
    key = headers.get("api-key")
    if key:
        return key.strip() or None
    protocols = headers.get("sec-websocket-protocol")
    if protocols:
        for proto in protocols.split(","):
            proto = proto.strip()
            if proto.startswith(_INSECURE_PROTOCOL_PREFIX) and len(proto) > len(_INSECURE_PROTOCOL_PREFIX):
                return proto[len(_INSECURE_PROTOCOL_PREFIX) :]
    return None


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class TokenFile:
    """A set of allowed tokens read from a file and re-read when the file changes.

    One token per line; blank lines and ``#`` comments are ignored. A change is noticed by a ``stat`` on
    each check (size, mtime, inode), so edits and atomic replacements both take effect on the next request.
    If the file becomes unreadable, every token is rejected until it is readable again.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._stamp: tuple[int, int, int, int] | None = None
        self._digests: frozenset[bytes] = frozenset()
        self._load()  # fail fast on a missing file

    def _load(self) -> None:
        try:
            st = os.stat(self.path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
            if stamp == self._stamp:
                return
            with open(self.path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (OSError, UnicodeDecodeError):
            if self._stamp is None:
                raise ConfigError(f"{self.path}: cannot read the token file") from None
            self._stamp = (-1, -1, -1, -1)
            self._digests = frozenset()
            return
        tokens = (line.strip() for line in lines)
        self._digests = frozenset(_digest(t) for t in tokens if t and not t.startswith("#"))
        self._stamp = stamp

    def __len__(self) -> int:
        self._load()
        return len(self._digests)

    def allows(self, token: str) -> bool:
        self._load()
        # Compare digests: a set lookup on SHA-256 digests leaks nothing usable about the tokens.
        return _digest(token) in self._digests


def load_auth_hook(spec: str) -> AuthHook:
    """Import ``module:callable`` (the callable may be a dotted attribute path)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"auth hook {spec!r} must look like 'module:callable'")
    try:
        obj: object = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"auth hook {spec!r}: cannot import module {module_name!r} ({exc})") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"auth hook {spec!r}: {module_name!r} has no attribute {attr!r}") from None
    if not callable(obj):
        raise ConfigError(f"auth hook {spec!r} is not callable")
    hook: AuthHook = obj
    return hook


class Authenticator:
    """Checks one request's headers; returns the token (or ``None`` when anonymous) or raises
    :class:`~openai_kit.proxy.errors.ProxyError` (401)."""

    def __init__(self, token_file: TokenFile | None, hook: AuthHook | None, *, allow_anonymous: bool) -> None:
        if token_file is None and hook is None and not allow_anonymous:
            raise ConfigError(
                "the proxy needs a token file or an auth hook (or allow_anonymous=True for local development)"
            )
        self.token_file = token_file
        self.hook = hook

    async def check(self, headers: Mapping[str, str]) -> str | None:
        token = extract_token(headers)
        if self.token_file is not None:
            if token is None:
                raise errors.missing_token()
            if not self.token_file.allows(token):
                raise errors.invalid_token()
        if self.hook is not None:
            try:
                result = self.hook(headers)
                if inspect.isawaitable(result):
                    await result
            except AuthError as exc:
                raise errors.invalid_token(str(exc) or None) from None
            except Exception:
                raise (errors.missing_token() if token is None else errors.invalid_token()) from None
        return token
