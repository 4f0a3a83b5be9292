"""PostgreSQL for the web API: a connection from the pool, or a clear 503 when it is down.

The pool is created with ``min_size=0`` so it exists while PostgreSQL is down; acquiring then
fails fast (bounded by ``timeout``) and the request answers 503 instead of hanging. Engine-side
endpoints never come here, so they keep working during an outage.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from acd.web.deps import WebDeps
from acd.web.errors import database_unavailable

#: Exceptions that mean "the database cannot be reached now", not "the query is wrong".
DB_DOWN: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.InvalidAuthorizationSpecificationError,
)


@asynccontextmanager
async def connection(deps: WebDeps, *, timeout: float = 3.0) -> AsyncIterator[Any]:  # noqa: ASYNC109
    """A pooled connection; :func:`~acd.web.errors.database_unavailable` (503) when there is none."""
    if deps.pool is None:
        raise database_unavailable()
    try:
        async with deps.pool.acquire(timeout=timeout) as conn:
            yield conn
    except DB_DOWN as exc:
        raise database_unavailable() from exc
