"""What the sync and async clients share: their settings, the transport they create on first use, the
cheap views (``with_options``, ``with_raw_response``, ``with_streaming_response``) and the preparation of
a request (no IO).

Where things live: settings resolution in :mod:`._config`, provider knowledge (auth header, routes,
api-version, realtime URL) in :mod:`._provider`, body and query encoding in :mod:`._encoding`, the
retry loop in :mod:`._pipeline`, response parsing in :mod:`._parsing`, errors in :mod:`._errors`,
transport selection in :mod:`._transports`.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar, cast
from urllib.parse import urlsplit

import orjson
from typing_extensions import Unpack

from ._config import resolve_settings
from ._encoding import clean_query, encode_query, json_default
from ._errors import ConfigError, MissingAPIKeyError
from ._multipart import encode_multipart
from ._pipeline import Pipeline, Prepared, new_idempotency_key
from ._provider import OpenAIProvider, Provider
from ._retries import SAFE_METHODS, RetryPolicy
from ._timeouts import DEFAULT_TIMEOUT, Timeout
from ._types import NOT_GIVEN as _NOT_GIVEN, NotGiven, RequestOptions
from ._version import __version__

if TYPE_CHECKING:
    from .ratelimit import RateLimiter
    from .webhooks import Webhooks

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MAX_RETRIES", "ClientOptions", "ClientSettings"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MAX_RETRIES = 2

ApiKey = str | Callable[[], str]
AsyncApiKey = str | Callable[[], str] | Callable[[], Awaitable[str]]
Hook = Callable[..., Any]
ResponseMode = Literal["raw", "stream"] | None


class ClientOptions(TypedDict, total=False):
    """The constructor options every client takes (besides ``api_key``), written once here."""

    organization: str | None
    project: str | None
    base_url: str | None
    timeout: float | Timeout | NotGiven | None
    max_retries: int
    retry_policy: RetryPolicy | None
    default_headers: Mapping[str, str] | None
    default_query: Mapping[str, object] | None
    http_client: Any
    event_hooks: Mapping[str, Sequence[Hook]] | None
    config_file: str | None
    webhook_secret: str | None
    #: the admin key (else ``OPENAI_ADMIN_KEY``): authenticates ``/organization`` operations
    admin_api_key: str | None
    #: the realtime websocket URL, when not derived from ``base_url``
    websocket_base_url: str | None
    #: validate response bodies strictly against the spec (default: lenient, as the official SDK)
    strict_response_validation: bool
    _strict_response_validation: bool  # the official SDK's name for it
    #: client-side pacing: a RateLimiter (shareable) or a dict of its arguments (openai_kit.ratelimit)
    rate_limit: RateLimiter | Mapping[str, Any] | None


class ViewOptions(TypedDict, total=False):
    """What ``with_options`` may change: everything but the connection pool and where settings are read."""

    api_key: Any
    organization: str | None
    project: str | None
    base_url: str | None
    timeout: float | Timeout | None
    max_retries: int
    retry_policy: RetryPolicy | None
    default_headers: Mapping[str, str] | None
    default_query: Mapping[str, object] | None
    event_hooks: Mapping[str, Sequence[Hook]] | None
    webhook_secret: str | None
    strict_response_validation: bool
    admin_api_key: str | None
    websocket_base_url: str | None
    rate_limit: RateLimiter | Mapping[str, Any] | None


@dataclass(frozen=True)
class ClientSettings:
    """A client's resolved settings (immutable: a changed setting makes a new view)."""

    api_key: Any = dataclasses.field(repr=False)  # a key, or a callable that returns one
    base_url: str
    organization: str | None = None
    project: str | None = None
    timeout: Timeout = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    retry_policy: RetryPolicy = dataclasses.field(default_factory=RetryPolicy)
    default_headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    default_query: Mapping[str, object] = dataclasses.field(default_factory=dict)
    event_hooks: Mapping[str, Sequence[Hook]] = dataclasses.field(default_factory=dict)
    webhook_secret: str | None = None
    provider: Provider = dataclasses.field(default_factory=OpenAIProvider)
    strict_response_validation: bool = False
    admin_api_key: str | None = dataclasses.field(default=None, repr=False)
    websocket_base_url: str | None = None
    rate_limit: Any = None  # a RateLimiter once configured


class _TransportHolder:
    """Creates the transport on first use; shared by a client and all its ``with_options`` views."""

    def __init__(self, factory: Callable[[], Any], owned: bool) -> None:
        self._factory = factory
        self._transport: Any = None
        self._lock = threading.Lock()
        self.owned = owned
        self.closed = False

    def get(self) -> Any:
        transport = self._transport
        if transport is None:
            with self._lock:
                if self._transport is None:
                    self._transport = self._factory()
                    if self.owned and hasattr(self._transport, "detach"):
                        # A client that is never closed still releases what it owns when it is collected
                        # or at interpreter exit (no "Unclosed client session" warnings from aiohttp).
                        weakref.finalize(self, self._transport.detach)
                transport = self._transport
        return transport

    @property
    def created(self) -> bool:
        return self._transport is not None


class _ClientCore:
    """Configuration and request preparation shared by the sync and async clients."""

    _settings: ClientSettings
    _rate_hook = "_sync_request_hook"  # the RateLimiter method that paces this kind of client

    def __init__(
        self, *, api_key: Any = None, provider: Provider | None = None, **options: Unpack[ClientOptions]
    ) -> None:
        key_provider = api_key if callable(api_key) else None
        resolved = resolve_settings(
            api_key=None if key_provider is not None else api_key,
            organization=options.get("organization"),
            project=options.get("project"),
            base_url=options.get("base_url"),
            config_file=options.get("config_file"),
        )
        admin_api_key = options.get("admin_api_key") or os.environ.get("OPENAI_ADMIN_KEY") or None
        if key_provider is None and not resolved.api_key and not admin_api_key:
            raise MissingAPIKeyError(resolved.searched)
        timeout = options.get("timeout", NotGiven())
        self._settings = ClientSettings(
            api_key=key_provider if key_provider is not None else resolved.api_key,
            base_url=resolved.base_url or DEFAULT_BASE_URL,
            organization=resolved.organization,
            project=resolved.project,
            timeout=DEFAULT_TIMEOUT if isinstance(timeout, NotGiven) else Timeout.coerce(timeout),
            max_retries=options.get("max_retries", DEFAULT_MAX_RETRIES),
            retry_policy=options.get("retry_policy") or RetryPolicy(),
            default_headers=dict(options.get("default_headers") or {}),
            default_query=dict(options.get("default_query") or {}),
            event_hooks={k: list(v) for k, v in (options.get("event_hooks") or {}).items()},
            webhook_secret=options.get("webhook_secret"),
            provider=provider or OpenAIProvider(),
            strict_response_validation=bool(
                options.get("strict_response_validation") or options.get("_strict_response_validation")
            ),
            admin_api_key=admin_api_key,
            websocket_base_url=options.get("websocket_base_url"),
            rate_limit=options.get("rate_limit"),
        )
        http_client = options.get("http_client")
        owned = http_client is None or getattr(http_client, "_openai_kit_default", False)
        self._holder = _TransportHolder(self._transport_factory(http_client), owned=owned)
        self._is_view = False
        self._mode: ResponseMode = None
        self._configure()

    # -- configuration -------------------------------------------------------------------------
    def _configure(self) -> None:
        s = self._settings
        unknown = set(s.event_hooks) - {"request", "response"}
        if unknown:
            raise ConfigError(
                f"event_hooks: unknown hook kind(s) {sorted(unknown)}; use 'request'/'response'"
            )
        if not isinstance(s.max_retries, int) or s.max_retries < 0:
            raise ConfigError(f"max_retries must be a non-negative integer, got {s.max_retries!r}")
        self.organization: str | None = s.organization
        self.project: str | None = s.project
        self.base_url: str = str(s.base_url).rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"base_url must be an http(s) URL, got {self.base_url!r}")
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._base_path = parts.path.rstrip("/")
        self.timeout: Timeout = s.timeout
        self.max_retries: int = s.max_retries
        self._strict: bool = s.strict_response_validation
        headers = {"user-agent": f"openai-kit/{__version__}", "accept": "application/json"}
        if self.organization:
            headers["openai-organization"] = self.organization
        if self.project:
            headers["openai-project"] = self.project
        for k, v in s.default_headers.items():
            if v is None or isinstance(v, NotGiven):
                headers.pop(k.lower(), None)
            else:
                headers[k.lower()] = v
        self._headers = headers
        self._default_query = {**s.provider.default_query(), **clean_query(s.default_query)}
        key = s.api_key or None
        request_hooks = tuple(s.event_hooks.get("request", ()))
        response_hooks = tuple(s.event_hooks.get("response", ()))
        self.rate_limit: RateLimiter | None = None
        if s.rate_limit is not None:  # paces last before sending, learns first from responses
            from . import ratelimit

            self.rate_limit = ratelimit.RateLimiter.coerce(s.rate_limit)
            if self.rate_limit is not s.rate_limit:
                self._settings = dataclasses.replace(s, rate_limit=self.rate_limit)
            request_hooks += (getattr(self.rate_limit, self._rate_hook),)
            response_hooks = (self.rate_limit._response_hook, *response_hooks)
        self._pipe = Pipeline(
            api_key=None if callable(key) else key,
            api_key_provider=key if callable(key) else None,
            auth_headers=s.provider.auth_headers,
            retry=s.retry_policy,
            request_hooks=request_hooks,
            response_hooks=response_hooks,
        )
        #: the admin key (``admin_api_key=`` or ``OPENAI_ADMIN_KEY``): authenticates ``/organization``
        #: operations, as in the official SDK
        self.admin_api_key: str | None = s.admin_api_key
        self.websocket_base_url: str | None = s.websocket_base_url
        admin = s.admin_api_key
        self._admin_pipe = (
            None if not admin else dataclasses.replace(self._pipe, api_key=admin, api_key_provider=None)
        )
        self._admin_prefix = self._base_path + "/organization"

    def _pipe_for(self, prep: Prepared) -> Pipeline:
        if self._admin_pipe is not None and prep.target.startswith(self._admin_prefix):
            return self._admin_pipe
        return self._pipe

    @property
    def api_key(self) -> str:
        """The API key (a static key; for a provider, call the provider yourself)."""
        key = self._settings.api_key
        if key is None:
            raise AttributeError("this client has no api_key (only an admin_api_key)")
        if callable(key):
            raise AttributeError("api_key is a provider callable; it is called before every request")
        return cast(str, key)

    @property
    def credential(self) -> str | Callable[[], Any]:
        """The API key, or the callable that returns one before every request."""
        return cast("str | Callable[[], Any]", self._settings.api_key)

    @property
    def provider(self) -> Provider:
        """The service's conventions (auth header, routes, query): :class:`openai_kit.Provider`."""
        return self._settings.provider

    @property
    def default_headers(self) -> dict[str, str]:
        """The headers every request carries (user agent, organization, project, yours); no key."""
        return dict(self._headers)

    @property
    def default_query(self) -> dict[str, object]:
        """The query every request carries (e.g. Azure's ``api-version``)."""
        return dict(self._default_query)

    # -- the official SDK's other client attributes ----------------------------------------------
    @property
    def user_agent(self) -> str:
        return self._headers.get("user-agent", "")

    @property
    def auth_headers(self) -> dict[str, str]:
        """The authentication headers of a static key (empty for a key provider, called per request)."""
        key = self._pipe.api_key
        return dict(self._settings.provider.auth_headers(key)) if key else {}

    @property
    def webhook_secret(self) -> str | None:
        """The ``webhook_secret`` given to the constructor (``OPENAI_WEBHOOK_SECRET`` is read on use)."""
        return self._settings.webhook_secret

    def is_closed(self) -> bool:
        """Whether ``close()`` was called on this client."""
        return self._holder.closed

    @property
    def webhooks(self) -> Webhooks:
        """``unwrap()`` / ``verify_signature()`` for incoming webhooks, with this client's
        ``webhook_secret`` (or ``OPENAI_WEBHOOK_SECRET``)."""
        from .webhooks import Webhooks

        return Webhooks(self._settings.webhook_secret)

    def __repr__(self) -> str:
        extra = f" organization={self.organization!r}" if self.organization else ""
        return f"<{type(self).__name__} base_url={self.base_url!r}{extra}>"

    def _transport_factory(self, http_client: Any) -> Callable[[], Any]:
        raise NotImplementedError

    def with_options(self: _Self, **changes: Unpack[ViewOptions]) -> _Self:
        """A view with changed settings (``timeout``, ``max_retries``, ``default_headers``...) that shares
        this client's connection pool. Cheap enough to call per request; closing it closes nothing."""
        unknown = set(changes) - set(ViewOptions.__annotations__)
        if unknown:
            raise TypeError(f"with_options() got unknown option(s): {', '.join(sorted(unknown))}")
        s = self._settings
        new: dict[str, Any] = dict(changes)
        if "timeout" in new:
            new["timeout"] = Timeout.coerce(new["timeout"])
        if "default_headers" in new:
            new["default_headers"] = {**s.default_headers, **(new["default_headers"] or {})}
        if "default_query" in new:
            new["default_query"] = dict(new["default_query"] or {})
        if "event_hooks" in new:
            new["event_hooks"] = {k: list(v) for k, v in (new["event_hooks"] or {}).items()}
        if "retry_policy" in new and new["retry_policy"] is None:
            new["retry_policy"] = RetryPolicy()
        view = object.__new__(type(self))
        view.__dict__.update({k: v for k, v in self.__dict__.items() if k in _CORE_STATE})
        view._settings = dataclasses.replace(s, **new)
        view._is_view = True
        view._configure()
        return view

    copy = with_options

    def _view_with_mode(self: _Self, mode: ResponseMode) -> _Self:
        view = self.with_options()
        view._mode = mode
        return view

    @property
    def with_raw_response(self: _Self) -> _Self:
        """The same client, but every operation returns an ``APIResponse`` (status, headers, ``parse()``)."""
        return self._view_with_mode("raw")

    @property
    def with_streaming_response(self: _Self) -> _Self:
        """Like ``with_raw_response`` but the body is not read until you ask; use as a context manager."""
        return self._view_with_mode("stream")

    # -- request preparation (no IO) -------------------------------------------------------------
    def _prepare(
        self,
        method: str,
        path: str,
        *,
        body: object,
        query: Mapping[str, object] | None,
        files: Any,
        headers: Mapping[str, str] | None,
        stream: bool,
        options: RequestOptions | Mapping[str, Any] | None,
    ) -> Prepared:
        opts: Mapping[str, Any] = options or {}
        method = method.upper()
        hdrs = dict(self._headers)
        extra_body = opts.get("extra_body")
        if type(body) is dict or isinstance(body, Mapping):  # (the ABC check costs more than the dict's)
            body = {k: v for k, v in body.items() if v is not _NOT_GIVEN}  # NotGiven is a singleton
            if extra_body:
                body.update(extra_body)
        elif extra_body:
            body = dict(extra_body) if body is None else body
        content: Any = None
        if files is not None:
            fields = body if isinstance(body, Mapping) else {}
            multipart = encode_multipart(fields, files)
            content = multipart
            hdrs["content-type"] = multipart.content_type
            if multipart.length is not None:
                hdrs["content-length"] = str(multipart.length)
        elif body is not None:
            content = orjson.dumps(body, default=json_default)
            hdrs["content-type"] = "application/json"
        q = self._default_query
        if query or opts.get("extra_query"):
            q = {**q, **clean_query(query), **clean_query(opts.get("extra_query"))}
        target = self._base_path + self._settings.provider.route(path, body)
        if q:
            target += ("&" if "?" in target else "?") + encode_query(q)
        auto_key: str | None = None
        if method != "GET":
            key: str | None = opts.get("idempotency_key")
            if not key:
                key = auto_key = new_idempotency_key()
            hdrs["idempotency-key"] = key
        for extra in (headers, opts.get("extra_headers")):
            if extra:
                for k, v in extra.items():
                    if v is None or isinstance(v, NotGiven):  # None or omit: remove the header
                        hdrs.pop(k.lower(), None)
                    else:
                        hdrs[k.lower()] = v
        timeout = Timeout.coerce(opts["timeout"]) if "timeout" in opts else self.timeout
        max_retries = opts.get("max_retries", self.max_retries)
        key_sent = hdrs.get("idempotency-key")
        repeatable = method in SAFE_METHODS or (key_sent is not None and key_sent != auto_key)
        return Prepared(method, self._origin, target, hdrs, content, stream, timeout, max_retries, repeatable)


_Self = TypeVar("_Self", bound=_ClientCore)
_CORE_STATE = frozenset({"_holder", "_mode"})
