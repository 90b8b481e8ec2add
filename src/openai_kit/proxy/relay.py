"""What both relays (HTTP in :mod:`.forward`, websocket in :mod:`.websocket`) hold: the configuration,
where requests go upstream, who may call, the per-token rate limit and the access log."""

from __future__ import annotations

from .access_log import AccessLog
from .auth import Authenticator
from .config import ProxyConfig
from .ratelimit import RateLimiter
from .upstream import Upstream

__all__ = ["Relay"]


class Relay:
    def __init__(
        self, config: ProxyConfig, auth: Authenticator, limiter: RateLimiter | None, access_log: AccessLog
    ) -> None:
        self.config = config
        self.upstream = Upstream(config)
        self.auth = auth
        self.limiter = limiter
        self.access_log = access_log
