"""``OpenAI`` and ``AsyncOpenAI``: configuration, request preparation and response handling.

Both clients share :class:`_ClientCore` (configuration and everything that does no IO) and the request
pipeline in :mod:`openai_kit._pipeline`; they only differ in how they drive it (sync or ``await``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload
from urllib.parse import urlencode, urlsplit

import orjson

from ._binary import AsyncBinaryResponse, BinaryResponse
from ._config import resolve_settings
from ._errors import APIResponseValidationError, ConfigError, MissingAPIKeyError
from ._multipart import encode_multipart
from ._pipeline import Pipeline, Prepared, attempts, drive_async, drive_sync, new_idempotency_key
from ._retries import RetryPolicy
from ._timeouts import DEFAULT_TIMEOUT, Timeout
from ._types import NotGiven, RequestOptions
from ._utils import package_of
from ._version import __version__
from .resources._root import AsyncRootResources, SyncRootResources

if TYPE_CHECKING:
    from ._pagination import AsyncPage, SyncPage
    from ._transports._base import AsyncTransport, Response, SyncTransport
    from .webhooks import Webhooks

__all__ = ["DEFAULT_BASE_URL", "AsyncOpenAI", "OpenAI"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MAX_RETRIES = 2
_T = TypeVar("_T")
_SyncP = TypeVar("_SyncP", bound="SyncPage[Any]")
_AsyncP = TypeVar("_AsyncP", bound="AsyncPage[Any]")

ApiKey = str | Callable[[], str]
AsyncApiKey = str | Callable[[], str] | Callable[[], Awaitable[str]]
Hook = Callable[..., Any]
ResponseMode = Literal["raw", "stream"] | None


def _json_default(value: Any) -> Any:
    if isinstance(value, NotGiven):
        raise TypeError("NOT_GIVEN cannot be sent inside a value; leave the key out instead")
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(mode="json", exclude_unset=True, by_alias=True)
    if isinstance(value, (set, frozenset)) or hasattr(value, "__iter__"):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _clean_query(query: Mapping[str, object] | None) -> dict[str, object]:
    if not query:
        return {}
    return {k: v for k, v in query.items() if v is not None and not isinstance(v, NotGiven)}


def _encode_query(query: Mapping[str, object]) -> str:
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        values = value if isinstance(value, (list, tuple)) else (value,)
        for v in values:
            if v is True:
                pairs.append((key, "true"))
            elif v is False:
                pairs.append((key, "false"))
            else:
                pairs.append((key, str(v)))
    return urlencode(pairs)


def parse_response(response: Response, cast_to: Any) -> Any:
    """Turn a fully read response body into ``cast_to`` (pure: no IO)."""
    if cast_to is type(None) or cast_to is None:
        return None
    content = response.content
    assert content is not None
    if cast_to is bytes:
        return content
    if cast_to is str or response.headers.get("content-type", "").startswith("text/plain"):
        return content.decode("utf-8", "replace")
    req = response.request
    if cast_to is object or cast_to is dict or cast_to is Any:
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise APIResponseValidationError(
                f"Response body is not valid JSON ({exc.msg})",
                status_code=response.status_code,
                body=content[:2000].decode("utf-8", "replace"),
                method=req.method,
                url=req.url,
                request_id=response.request_id,
            ) from None
    from pydantic import ValidationError

    from ._models import parse_json

    try:
        return parse_json(cast_to, content)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if errors and errors[0]["type"] == "json_invalid":
            what = "not valid JSON" + (" (truncated)" if "EOF" in str(errors[0]["msg"]) else "")
        else:
            what = (
                f"not a valid {getattr(cast_to, '__name__', cast_to)}: {errors[0]['loc']} {errors[0]['msg']}"
            )
        raise APIResponseValidationError(
            f"Response body is {what}",
            status_code=response.status_code,
            body=content[:2000].decode("utf-8", "replace"),
            method=req.method,
            url=req.url,
            request_id=response.request_id,
        ) from None


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
                transport = self._transport
        return transport

    @property
    def created(self) -> bool:
        return self._transport is not None


class _ClientCore:
    """Configuration and request preparation shared by the sync and async clients."""

    _auth_scheme = "openai"
    _env_api_key_names: tuple[str, ...] = ("OPENAI_API_KEY",)

    def __init__(
        self,
        *,
        api_key: Any = None,
        organization: str | None = None,
        project: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeout | NotGiven | None = NotGiven(),
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        http_client: Any = None,
        event_hooks: Mapping[str, Sequence[Hook]] | None = None,
        config_file: str | None = None,
        webhook_secret: str | None = None,
        admin_api_key: str | None = None,
        websocket_base_url: str | None = None,
    ) -> None:
        provider = api_key if callable(api_key) else None
        settings = resolve_settings(
            api_key=None if provider is not None else api_key,
            organization=organization,
            project=project,
            base_url=base_url,
            config_file=config_file,
        )
        key = settings.api_key
        if admin_api_key is None:
            admin_api_key = os.environ.get("OPENAI_ADMIN_KEY") or None
        if provider is None and not key and not admin_api_key:
            raise MissingAPIKeyError(settings.searched)
        self._settings: dict[str, Any] = {
            "api_key": provider if provider is not None else key,
            "organization": settings.organization,
            "project": settings.project,
            "base_url": settings.base_url or DEFAULT_BASE_URL,
            "timeout": DEFAULT_TIMEOUT if isinstance(timeout, NotGiven) else Timeout.coerce(timeout),
            "max_retries": max_retries,
            "retry_policy": retry_policy or RetryPolicy(),
            "default_headers": dict(default_headers or {}),
            "default_query": dict(default_query or {}),
            "event_hooks": {k: list(v) for k, v in (event_hooks or {}).items()},
            "webhook_secret": webhook_secret,
            "admin_api_key": admin_api_key,
            "websocket_base_url": websocket_base_url,
        }
        owned = http_client is None or getattr(http_client, "_openai_kit_default", False)
        self._holder = _TransportHolder(self._transport_factory(http_client), owned=owned)
        self._is_view = False
        self._mode: ResponseMode = None
        self._configure()

    # -- configuration -------------------------------------------------------------------------
    def _configure(self) -> None:
        s = self._settings
        unknown = set(s["event_hooks"]) - {"request", "response"}
        if unknown:
            raise ConfigError(
                f"event_hooks: unknown hook kind(s) {sorted(unknown)}; use 'request'/'response'"
            )
        if not isinstance(s["max_retries"], int) or s["max_retries"] < 0:
            raise ConfigError(f"max_retries must be a non-negative integer, got {s['max_retries']!r}")
        self.organization: str | None = s["organization"]
        self.project: str | None = s["project"]
        self.base_url: str = str(s["base_url"]).rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"base_url must be an http(s) URL, got {self.base_url!r}")
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._base_path = parts.path.rstrip("/")
        self.timeout: Timeout = s["timeout"]
        self.max_retries: int = s["max_retries"]
        #: the admin key (``admin_api_key=`` or ``OPENAI_ADMIN_KEY``): authenticates ``/organization``
        #: operations when the client has no ``api_key`` (as in the official SDK)
        self.admin_api_key: str | None = s["admin_api_key"]
        self.websocket_base_url: str | None = s["websocket_base_url"]
        headers = {
            "user-agent": f"openai-kit/{__version__}",
            "accept": "application/json",
        }
        if self.organization:
            headers["openai-organization"] = self.organization
        if self.project:
            headers["openai-project"] = self.project
        for k, v in s["default_headers"].items():
            if v is None or isinstance(v, NotGiven):
                headers.pop(k.lower(), None)
            else:
                headers[k.lower()] = v
        self._headers = headers
        self._default_query = _clean_query(s["default_query"])
        key = s["api_key"] or None
        self._pipe = Pipeline(
            api_key=None if callable(key) else key,
            api_key_provider=key if callable(key) else None,
            auth_headers=self._auth_headers,
            retry=s["retry_policy"],
            request_hooks=tuple(s["event_hooks"].get("request", ())),
            response_hooks=tuple(s["event_hooks"].get("response", ())),
        )
        # /organization operations authenticate with the admin key when there is one (official SDK)
        admin = s["admin_api_key"]
        self._admin_pipe = None if not admin else replace(self._pipe, api_key=admin, api_key_provider=None)
        self._admin_prefix = self._base_path + "/organization"

    def _pipe_for(self, prep: Prepared) -> Pipeline:
        if self._admin_pipe is not None and prep.target.startswith(self._admin_prefix):
            return self._admin_pipe
        return self._pipe

    def _auth_headers(self, key: str) -> Mapping[str, str]:
        return {"authorization": f"Bearer {key}"}

    @property
    def api_key(self) -> str:
        """The API key (a static key; for a provider, call the provider yourself)."""
        key = self._settings["api_key"]
        if key is None:
            raise AttributeError("this client has no api_key (only an admin_api_key)")
        if callable(key):
            raise AttributeError("api_key is a provider callable; it is called before every request")
        return cast(str, key)

    # -- the official SDK's client attributes ----------------------------------------------------
    @property
    def default_headers(self) -> dict[str, str]:
        """The headers sent with every request (before authentication and per-call headers)."""
        return dict(self._headers)

    @property
    def default_query(self) -> dict[str, object]:
        return dict(self._default_query)

    @property
    def user_agent(self) -> str:
        return self._headers.get("user-agent", "")

    @property
    def auth_headers(self) -> dict[str, str]:
        """The authentication headers of a static key (empty for a key provider, called per request)."""
        key = self._pipe.api_key
        return dict(self._auth_headers(key)) if key else {}

    @property
    def webhook_secret(self) -> str | None:
        """The ``webhook_secret`` given to the constructor (``OPENAI_WEBHOOK_SECRET`` is read on use)."""
        secret: str | None = self._settings["webhook_secret"]
        return secret

    def is_closed(self) -> bool:
        """Whether ``close()`` was called on this client."""
        return self._holder.closed

    @property
    def webhooks(self) -> Webhooks:
        """``unwrap()`` / ``verify_signature()`` for incoming webhooks, with this client's
        ``webhook_secret`` (or ``OPENAI_WEBHOOK_SECRET``)."""
        from .webhooks import Webhooks

        return Webhooks(self._settings["webhook_secret"])

    def __repr__(self) -> str:
        extra = f" organization={self.organization!r}" if self.organization else ""
        return f"<{type(self).__name__} base_url={self.base_url!r}{extra}>"

    def _transport_factory(self, http_client: Any) -> Callable[[], Any]:
        raise NotImplementedError

    def with_options(self: _Self, **changes: Any) -> _Self:
        """A view with changed settings (``timeout``, ``max_retries``, ``default_headers``...) that shares
        this client's connection pool. Cheap enough to call per request; closing it closes nothing."""
        allowed = set(self._settings) | {"base_url"}
        unknown = set(changes) - allowed
        if unknown:
            raise TypeError(f"with_options() got unknown option(s): {', '.join(sorted(unknown))}")
        view = object.__new__(type(self))
        view.__dict__.update({k: v for k, v in self.__dict__.items() if k in _CORE_STATE})
        settings = dict(self._settings)
        if "timeout" in changes:
            changes["timeout"] = Timeout.coerce(changes["timeout"])
        if "default_headers" in changes:
            changes["default_headers"] = {**settings["default_headers"], **(changes["default_headers"] or {})}
        settings.update(changes)
        view._settings = settings
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
    def _url_path(self, path: str, body: object) -> str:
        return path

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
        if isinstance(body, Mapping):
            body = {k: v for k, v in body.items() if not isinstance(v, NotGiven)}
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
            content = orjson.dumps(body, default=_json_default)
            hdrs["content-type"] = "application/json"
        q = self._default_query
        if query or opts.get("extra_query"):
            q = {**q, **_clean_query(query), **_clean_query(opts.get("extra_query"))}
        target = self._base_path + self._url_path(path, body)
        if q:
            target += ("&" if "?" in target else "?") + _encode_query(q)
        if method != "GET":
            key = opts.get("idempotency_key")
            hdrs["idempotency-key"] = key if key else new_idempotency_key()
        for extra in (headers, opts.get("extra_headers")):
            if extra:
                for k, v in extra.items():
                    if v is None or isinstance(v, NotGiven):  # None or omit: remove the header
                        hdrs.pop(k.lower(), None)
                    else:
                        hdrs[k.lower()] = v
        timeout = Timeout.coerce(opts["timeout"]) if "timeout" in opts else self.timeout
        max_retries = opts.get("max_retries", self.max_retries)
        return Prepared(method, self._origin, target, hdrs, content, stream, timeout, max_retries)


_Self = TypeVar("_Self", bound=_ClientCore)
_CORE_STATE = frozenset({"_holder", "_mode"})


def _sync_transport(http_client: Any) -> Callable[[], SyncTransport]:
    def make() -> SyncTransport:
        if http_client is None:
            from ._transports.urllib3 import Urllib3Transport

            return Urllib3Transport()
        from ._transports.httpx import HttpxSyncTransport, httpx_package

        if httpx_package(http_client):
            return HttpxSyncTransport(http_client)
        if package_of(http_client, "urllib3"):
            from ._transports.urllib3 import Urllib3Transport

            return Urllib3Transport(pool_manager=http_client)
        if callable(getattr(http_client, "send", None)):
            return cast("SyncTransport", http_client)
        raise ConfigError(
            f"http_client: unsupported type {type(http_client).__name__}; pass an httpx.Client, "
            "a urllib3.PoolManager or a transport with send()"
        )

    return make


def _async_transport(http_client: Any) -> Callable[[], AsyncTransport]:
    def make() -> AsyncTransport:
        if http_client is None or getattr(http_client, "_openai_kit_default", False):
            from ._transports.aiohttp import AiohttpTransport

            return AiohttpTransport()
        from ._transports.httpx import HttpxAsyncTransport, httpx_package

        if httpx_package(http_client):
            return HttpxAsyncTransport(http_client)
        if package_of(http_client, "aiohttp"):
            from ._transports.aiohttp import AiohttpTransport

            return AiohttpTransport(session=http_client)
        if callable(getattr(http_client, "send", None)):
            return cast("AsyncTransport", http_client)
        raise ConfigError(
            f"http_client: unsupported type {type(http_client).__name__}; pass an "
            "httpx.AsyncClient, an aiohttp.ClientSession or a transport with send()"
        )

    return make


class OpenAI(_ClientCore, SyncRootResources):
    """The synchronous client. Thread-safe; share one per process (it survives ``os.fork()``)."""

    def __init__(
        self,
        *,
        api_key: ApiKey | None = None,
        organization: str | None = None,
        project: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeout | NotGiven | None = NotGiven(),
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        http_client: Any = None,
        event_hooks: Mapping[str, Sequence[Callable[..., Any]]] | None = None,
        config_file: str | None = None,
        webhook_secret: str | None = None,
        admin_api_key: str | None = None,
        websocket_base_url: str | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            organization=organization,
            project=project,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            default_headers=default_headers,
            default_query=default_query,
            http_client=http_client,
            event_hooks=event_hooks,
            config_file=config_file,
            webhook_secret=webhook_secret,
            admin_api_key=admin_api_key,
            websocket_base_url=websocket_base_url,
        )

    def _transport_factory(self, http_client: Any) -> Callable[[], Any]:
        return _sync_transport(http_client)

    def _send(self, prep: Prepared) -> Response:
        return drive_sync(attempts(prep, self._pipe_for(prep)), self._holder.get())

    def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: Any = object,
        body: object = None,
        query: Mapping[str, object] | None = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        stream_cls: Any = None,
        options: RequestOptions | Mapping[str, Any] | None = None,
        post_parser: Callable[[Any], Any] | None = None,
    ) -> Any:
        """Send one request through the pipeline and return ``cast_to`` (see docs/ARCHITECTURE.md)."""
        mode = self._mode
        binary = cast_to is BinaryResponse
        prep = self._prepare(
            method,
            path,
            body=body,
            query=query,
            files=files,
            headers=headers,
            stream=stream or binary or mode == "stream",
            options=options,
        )
        response = self._send(prep)
        if mode is not None:
            from ._response import APIResponse, LegacyAPIResponse, StreamedBinaryAPIResponse

            def finish(r: Response) -> Any:
                value = self._finish(r, prep, cast_to, stream, stream_cls)
                return value if post_parser is None else post_parser(value)

            if mode == "raw":  # with_raw_response: the body is read now, as the official SDK does
                if not stream:
                    response.read()
                return LegacyAPIResponse(response, finish, retries_taken=prep.retries_taken)
            cls = StreamedBinaryAPIResponse if binary else APIResponse
            return cls(response, finish, retries_taken=prep.retries_taken)
        result = self._finish(response, prep, cast_to, stream, stream_cls)
        return result if post_parser is None else post_parser(result)

    def _finish(self, response: Response, prep: Prepared, cast_to: Any, stream: bool, stream_cls: Any) -> Any:
        if stream:
            from ._streaming import Stream

            return Stream(response, stream_cls, idle_timeout=prep.timeout.stream_idle)
        if cast_to is BinaryResponse:
            return BinaryResponse(response)
        if response.content is None:
            response.read()
        return parse_response(response, cast_to)

    def _fetch_page(
        self,
        page_cls: Any,
        *,
        method: str,
        path: str,
        query: Mapping[str, object],
        body: object,
        options: Any,
    ) -> Any:
        prep = self._prepare(
            method, path, body=body, query=query, files=None, headers=None, stream=False, options=options
        )
        return parse_response(self._send(prep), page_cls)

    @overload
    def get_api_list(
        self,
        path: str,
        *,
        model: type[_T] | Any,
        query: Mapping[str, object] | None = None,
        body: object = None,
        method: str = "GET",
        options: RequestOptions | Mapping[str, Any] | None = None,
        page: None = None,
    ) -> SyncPage[_T]: ...

    @overload
    def get_api_list(
        self,
        path: str,
        *,
        model: type[_T] | Any,
        query: Mapping[str, object] | None = None,
        body: object = None,
        method: str = "GET",
        options: RequestOptions | Mapping[str, Any] | None = None,
        page: type[_SyncP],
    ) -> _SyncP: ...

    def get_api_list(
        self,
        path: str,
        *,
        model: type[_T] | Any,
        query: Mapping[str, object] | None = None,
        body: object = None,
        method: str = "GET",
        options: RequestOptions | Mapping[str, Any] | None = None,
        page: type[SyncPage[Any]] | None = None,
    ) -> Any:
        """Fetch the first page of a list; iterating the page walks every following page lazily."""
        from ._pagination import SyncPage, page_model

        q = _clean_query(query)
        page_cls = page or SyncPage  # the official SDK's page class of the operation, if it has one
        if self._mode is None:
            return page_cls(self, model, q, method, path, body, options)
        from ._response import APIResponse, LegacyAPIResponse

        prep = self._prepare(
            method,
            path,
            body=body,
            query=q,
            files=None,
            headers=None,
            stream=self._mode == "stream",
            options=options,
        )

        def finish(r: Response) -> SyncPage[_T]:
            r.read()
            first = parse_response(r, page_model(cast(Any, model)))
            return page_cls(self._view_with_mode(None), model, q, method, path, body, options, first)

        response = self._send(prep)
        if self._mode == "raw":
            response.read()
            return LegacyAPIResponse(response, finish, retries_taken=prep.retries_taken)
        return APIResponse(response, finish, retries_taken=prep.retries_taken)

    # -- raw access ("bring your own types") -------------------------------------------------------
    def get(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return self.request("GET", path, cast_to=cast_to, **kwargs)

    def post(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return self.request("POST", path, cast_to=cast_to, **kwargs)

    def put(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return self.request("PUT", path, cast_to=cast_to, **kwargs)

    def patch(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return self.request("PATCH", path, cast_to=cast_to, **kwargs)

    def delete(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return self.request("DELETE", path, cast_to=cast_to, **kwargs)

    # -- lifecycle ---------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection pool this client created (never a caller's ``http_client``; a
        ``with_options`` view closes nothing)."""
        if self._is_view:
            return
        self._holder.closed = True
        if self._holder.created:
            self._holder.get().close()

    def __enter__(self) -> OpenAI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncOpenAI(_ClientCore, AsyncRootResources):
    """The asyncio client. Usable from several event loops in turn and after ``os.fork()``."""

    def __init__(
        self,
        *,
        api_key: AsyncApiKey | None = None,
        organization: str | None = None,
        project: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeout | NotGiven | None = NotGiven(),
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        http_client: Any = None,
        event_hooks: Mapping[str, Sequence[Callable[..., Any]]] | None = None,
        config_file: str | None = None,
        webhook_secret: str | None = None,
        admin_api_key: str | None = None,
        websocket_base_url: str | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            organization=organization,
            project=project,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            default_headers=default_headers,
            default_query=default_query,
            http_client=http_client,
            event_hooks=event_hooks,
            config_file=config_file,
            webhook_secret=webhook_secret,
            admin_api_key=admin_api_key,
            websocket_base_url=websocket_base_url,
        )

    def _transport_factory(self, http_client: Any) -> Callable[[], Any]:
        return _async_transport(http_client)

    async def _send(self, prep: Prepared) -> Response:
        return await drive_async(attempts(prep, self._pipe_for(prep)), self._holder.get())

    async def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: Any = object,
        body: object = None,
        query: Mapping[str, object] | None = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        stream_cls: Any = None,
        options: RequestOptions | Mapping[str, Any] | None = None,
        post_parser: Callable[[Any], Any] | None = None,
    ) -> Any:
        mode = self._mode
        binary = cast_to is BinaryResponse
        prep = self._prepare(
            method,
            path,
            body=body,
            query=query,
            files=files,
            headers=headers,
            stream=stream or binary or mode == "stream",
            options=options,
        )
        response = await self._send(prep)
        if mode == "raw":  # with_raw_response: body read now, parse() is a plain call (official SDK)
            from ._response import LegacyAPIResponse

            if not stream:
                await response.aread()

            def finish_read(r: Response) -> Any:
                value = self._finish_read(r, prep, cast_to, stream, stream_cls)
                return value if post_parser is None else post_parser(value)

            return LegacyAPIResponse(response, finish_read, retries_taken=prep.retries_taken)
        if mode == "stream":
            from ._response import AsyncAPIResponse, AsyncStreamedBinaryAPIResponse

            async def finish(r: Response) -> Any:
                value = await self._finish(r, prep, cast_to, stream, stream_cls)
                return value if post_parser is None else post_parser(value)

            cls = AsyncStreamedBinaryAPIResponse if binary else AsyncAPIResponse
            return cls(response, finish, retries_taken=prep.retries_taken)
        result = await self._finish(response, prep, cast_to, stream, stream_cls)
        return result if post_parser is None else post_parser(result)

    def _finish_read(
        self, response: Response, prep: Prepared, cast_to: Any, stream: bool, stream_cls: Any
    ) -> Any:
        """The result of a response whose body is read already (or streams)."""
        if stream:
            from ._streaming import AsyncStream

            return AsyncStream(response, stream_cls, idle_timeout=prep.timeout.stream_idle)
        if cast_to is BinaryResponse:
            return AsyncBinaryResponse(response)
        return parse_response(response, cast_to)

    async def _finish(
        self, response: Response, prep: Prepared, cast_to: Any, stream: bool, stream_cls: Any
    ) -> Any:
        if not stream and cast_to is not BinaryResponse and response.content is None:
            await response.aread()
        return self._finish_read(response, prep, cast_to, stream, stream_cls)

    async def _fetch_page(
        self,
        page_cls: Any,
        *,
        method: str,
        path: str,
        query: Mapping[str, object],
        body: object,
        options: Any,
    ) -> Any:
        prep = self._prepare(
            method, path, body=body, query=query, files=None, headers=None, stream=False, options=options
        )
        return parse_response(await self._send(prep), page_cls)

    @overload
    def get_api_list(
        self,
        path: str,
        *,
        model: type[_T] | Any,
        query: Mapping[str, object] | None = None,
        body: object = None,
        method: str = "GET",
        options: RequestOptions | Mapping[str, Any] | None = None,
        page: None = None,
    ) -> AsyncPage[_T]: ...

    @overload
    def get_api_list(
        self,
        path: str,
        *,
        model: type[_T] | Any,
        query: Mapping[str, object] | None = None,
        body: object = None,
        method: str = "GET",
        options: RequestOptions | Mapping[str, Any] | None = None,
        page: type[_AsyncP],
    ) -> _AsyncP: ...

    def get_api_list(
        self,
        path: str,
        *,
        model: type[_T] | Any,
        query: Mapping[str, object] | None = None,
        body: object = None,
        method: str = "GET",
        options: RequestOptions | Mapping[str, Any] | None = None,
        page: type[AsyncPage[Any]] | None = None,
    ) -> Any:
        """A page to ``await`` (first page) or ``async for`` over (every item of every page)."""
        from ._pagination import AsyncPage

        q = _clean_query(query)
        page_cls = page or AsyncPage
        if self._mode is None:
            return page_cls(self, model, q, method, path, body, options)
        return self._raw_list(model, q, method, path, body, options, page_cls)

    async def _raw_list(
        self,
        model: Any,
        q: dict[str, object],
        method: str,
        path: str,
        body: object,
        options: Any,
        page_cls: type[AsyncPage[Any]],
    ) -> Any:
        """``await client.with_raw_response.<list op>()``: the first page's response, ``parse()`` -> page."""
        from ._pagination import page_model
        from ._response import AsyncAPIResponse, LegacyAPIResponse

        prep = self._prepare(
            method,
            path,
            body=body,
            query=q,
            files=None,
            headers=None,
            stream=self._mode == "stream",
            options=options,
        )
        plain = self._view_with_mode(None)

        def first_page(r: Response) -> AsyncPage[Any]:
            return page_cls(
                plain, model, q, method, path, body, options, parse_response(r, page_model(model))
            )

        async def finish(r: Response) -> AsyncPage[Any]:
            await r.aread()
            return first_page(r)

        response = await self._send(prep)
        if self._mode == "raw":
            await response.aread()
            return LegacyAPIResponse(response, first_page, retries_taken=prep.retries_taken)
        return AsyncAPIResponse(response, finish, retries_taken=prep.retries_taken)

    async def get(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return await self.request("GET", path, cast_to=cast_to, **kwargs)

    async def post(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return await self.request("POST", path, cast_to=cast_to, **kwargs)

    async def put(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return await self.request("PUT", path, cast_to=cast_to, **kwargs)

    async def patch(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return await self.request("PATCH", path, cast_to=cast_to, **kwargs)

    async def delete(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return await self.request("DELETE", path, cast_to=cast_to, **kwargs)

    async def close(self) -> None:
        if self._is_view:
            return
        self._holder.closed = True
        if self._holder.created:
            await self._holder.get().aclose()

    @property
    def with_streaming_response(self) -> AsyncOpenAI:
        """``async with client.with_streaming_response.files.content(...) as response``: the body is read
        only when asked (each call is also awaitable)."""
        from ._resource import async_streaming_view

        return cast("AsyncOpenAI", async_streaming_view(self._view_with_mode("stream")))

    async def __aenter__(self) -> AsyncOpenAI:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


#: the official SDK's other names for the clients
Client = OpenAI
AsyncClient = AsyncOpenAI
