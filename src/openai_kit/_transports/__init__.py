"""Transports: the only code that talks to the network.

A transport turns a :class:`Request` into a :class:`Response`. The defaults are chosen on measured CPU
cost per request (see ``benchmarks/RESULTS.md``): urllib3 for the sync client, aiohttp for the async
client. A caller-supplied ``httpx.Client`` / ``httpx.AsyncClient`` is served by the httpx adapters.
"""

from ._base import AsyncTransport, Request, Response, SyncTransport

__all__ = ["AsyncTransport", "Request", "Response", "SyncTransport"]
