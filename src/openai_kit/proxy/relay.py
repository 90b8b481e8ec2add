"""What both relays (HTTP in :mod:`.forward`, websocket in :mod:`.websocket`) hold: the configuration,
where requests go upstream, the admission of a request (who may call, the per-token rate limit and the
per-token concurrency limit, written once in :meth:`Relay.admit`) and the access log."""

from __future__ import annotations

from collections.abc import Mapping

from . import errors
from .access_log import AccessLog
from .auth import Authenticator, token_id
from .config import ProxyConfig
from .ratelimit import RateLimiter
from .shared import SharedLimits
from .upstream import Upstream

__all__ = ["Admission", "Relay"]


class Admission:
    """Shared by both relays of one app: authentication, the rate limiter and the number of requests
    (and websockets) each token id has in flight; or, with ``shared``, both limits kept in Redis for
    every proxy process."""

    def __init__(
        self,
        auth: Authenticator,
        limiter: RateLimiter | None,
        max_per_token: int | None,
        shared: SharedLimits | None = None,
    ) -> None:
        self.auth = auth
        self.limiter = limiter
        self.max_per_token = max_per_token
        self.shared = shared
        self.active: dict[str, int] = {}


class Relay:
    def __init__(self, config: ProxyConfig, admission: Admission, access_log: AccessLog) -> None:
        self.config = config
        self.upstream = Upstream(config)
        self.admission = admission
        self.auth = admission.auth
        self.access_log = access_log

    async def admit(self, headers: Mapping[str, str]) -> str:
        """Check the token, the rate limit and the concurrency limit; returns the token id, which must be
        given back with :meth:`leave` when the request ends. Raises :class:`~.errors.ProxyError` (401, 429;
        503 when the shared limits' Redis does not answer), having taken nothing."""
        admission = self.admission
        tid = token_id(await admission.auth.check(headers))
        if admission.shared is not None:
            await admission.shared.admit(tid)
            return tid
        active = admission.active
        count = active.get(tid, 0)
        # concurrency first: a refusal there must not spend the token's rate budget (as the shared path)
        if admission.max_per_token is not None and count >= admission.max_per_token:
            raise errors.too_many_concurrent(admission.max_per_token)
        if admission.limiter is not None:
            wait = admission.limiter.acquire(tid)
            if wait > 0:
                raise errors.rate_limited(wait)
        active[tid] = count + 1
        return tid

    def leave(self, tid: str) -> None:
        if self.admission.shared is not None:
            self.admission.shared.leave(tid)
            return
        active = self.admission.active
        count = active.get(tid, 0) - 1
        if count > 0:
            active[tid] = count
        else:
            active.pop(tid, None)
