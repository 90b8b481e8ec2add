"""Top-level resources of the clients (overwritten by the generator in codegen/)."""

from __future__ import annotations


class SyncRootResources:
    pass


class AsyncRootResources:
    pass
