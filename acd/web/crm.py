"""Who is calling: the built-in CRM (``cc_customers``), then an external HTTP CRM, cached.

Nothing here may delay an offer. The engine's ``call.offered`` goes out as it is; the live stream
adds ``customer`` to it only when the answer is already cached, and otherwise starts a lookup in
the background. When the lookup finds the caller, a ``call.customer`` message
(``{"call_id", "number", "customer"}``) follows on the agent's topic, through the hub, so it is
also replayed to a page that reconnects. A page that loads later asks
``GET /api/customers/lookup``, which uses the same cache.

Order: the built-in table first; when it has no such number and ``web.crm_url_template`` is set,
the external CRM is asked (``template.format(number=<url-quoted number>)``, at most
``web.crm_timeout`` seconds). It may answer the customer object itself, ``{"customer": {...}}``,
``{"customer": null}`` or 404 (not found). Found and not-found answers are cached for a few
minutes; a failure (timeout, error, unreadable answer) for a few seconds, so a CRM that is down is
not asked again for every call. Everything a CRM says is data: the page shows it as text only.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Coroutine
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from acd.engine.hub import LiveHub
from acd.logging import get_logger
from acd.store.customers import find_by_number
from acd.store.numbers import normalise_number
from acd.web import database
from acd.web.deps import WebDeps
from acd.web.errors import ApiError

log = get_logger(__name__)

FOUND_TTL = 300.0
NOT_FOUND_TTL = 60.0
FAILURE_TTL = 10.0
CACHE_SIZE = 10_000
BUILTIN_TIMEOUT = 1.5
_MAX_TEXT = 10_000


class Unavailable(Exception):
    """No source could answer (the database is down and no external CRM is configured)."""


class ExternalCustomer(BaseModel):
    """What we take from an external CRM's answer (other fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    name: str = ""
    account: str | None = None
    notes: str = ""
    tags: list[str] = []


def customer_json(number: str, fields: dict[str, Any], source: str) -> dict[str, Any]:
    tags = fields.get("tags") or []
    return {
        "number": number,
        "name": str(fields.get("name") or "")[:_MAX_TEXT],
        "account": None if fields.get("account") is None else str(fields["account"])[:_MAX_TEXT],
        "notes": str(fields.get("notes") or "")[:_MAX_TEXT],
        "tags": [str(t)[:200] for t in list(tags)[:50]],
        "source": source,
    }


class CustomerService:
    """Lookups with a TTL cache, and the background lookups started by offers."""

    def __init__(self, deps: WebDeps, hub: LiveHub, http: aiohttp.ClientSession | None) -> None:
        self.deps = deps
        self.hub = hub
        self.http = http
        self.template = deps.settings.web.crm_url_template
        self.timeout = deps.settings.web.crm_timeout
        self._cache: OrderedDict[str, tuple[float, dict[str, Any] | None]] = OrderedDict()
        self._inflight: dict[str, asyncio.Task[dict[str, Any] | None]] = {}
        self._announced: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------ cache

    def cached(self, number: str) -> tuple[bool, dict[str, Any] | None]:
        entry = self._cache.get(number)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def _remember(self, number: str, customer: dict[str, Any] | None, ttl: float) -> None:
        self._cache[number] = (time.monotonic() + ttl, customer)
        self._cache.move_to_end(number)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    # ------------------------------------------------------------ lookups

    async def lookup(self, raw_number: str) -> dict[str, Any] | None:
        """The customer of ``raw_number`` or None; :class:`Unavailable` when nobody could say."""
        try:
            number = normalise_number(raw_number)
        except ValueError:
            return None
        hit, customer = self.cached(number)
        if hit:
            return customer
        task = self._inflight.get(number)
        if task is None:
            task = self._spawn(self._fetch(number))
            self._inflight[number] = task
            task.add_done_callback(lambda _t: self._inflight.pop(number, None))
        return await asyncio.shield(task)

    async def _fetch(self, number: str) -> dict[str, Any] | None:
        builtin_ok = True
        try:
            row = await asyncio.wait_for(self._builtin(number), BUILTIN_TIMEOUT)
        except (ApiError, TimeoutError) as exc:
            log.info("crm.builtin_unavailable", error=str(exc) or type(exc).__name__)
            builtin_ok, row = False, None
        if row is not None:
            customer = customer_json(number, row, "builtin")
            self._remember(number, customer, FOUND_TTL)
            return customer
        if self.template is None or self.http is None:
            if not builtin_ok:
                raise Unavailable("the customer database is not reachable")
            self._remember(number, None, NOT_FOUND_TTL)
            return None
        try:
            external = await self._external(number)
        except Exception as exc:  # noqa: BLE001 - any CRM failure means "unknown for now"
            log.warning("crm.external_failed", error=str(exc) or type(exc).__name__)
            self._remember(number, None, FAILURE_TTL)
            return None
        self._remember(number, external, FOUND_TTL if external else NOT_FOUND_TTL)
        return external

    async def _builtin(self, number: str) -> dict[str, Any] | None:
        async with database.connection(self.deps, timeout=BUILTIN_TIMEOUT) as conn:
            return await find_by_number(conn, number)

    async def _external(self, number: str) -> dict[str, Any] | None:
        assert self.template is not None and self.http is not None
        url = self.template.format(number=quote(number, safe=""))
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with self.http.get(url, timeout=timeout, headers={"Accept": "application/json"}) as resp:
            if resp.status == 404:
                return None
            resp.raise_for_status()
            data = await resp.json(content_type=None)
        if isinstance(data, dict) and "customer" in data:
            data = data["customer"]
        if data is None:
            return None
        try:
            fields = ExternalCustomer.model_validate(data)
        except ValidationError as exc:
            raise ValueError(f"unreadable CRM answer: {exc.error_count()} problem(s)") from exc
        return customer_json(number, fields.model_dump(), "external")

    # ------------------------------------------------------------ offers

    def on_offer(self, agent_id: str, offer: dict[str, Any]) -> dict[str, Any] | None:
        """The cached customer of an offered call (never waits); else look it up in the background."""
        raw = str(offer.get("caller_number") or "")
        call_id = str(offer.get("call_id") or "")
        try:
            number = normalise_number(raw)
        except ValueError:
            return None
        hit, customer = self.cached(number)
        if hit:
            return customer
        key = (agent_id, call_id)
        if key not in self._announced:
            self._announced[key] = None
            while len(self._announced) > CACHE_SIZE:
                self._announced.popitem(last=False)
            self._spawn(self._announce(agent_id, call_id, number))
        return None

    async def _announce(self, agent_id: str, call_id: str, number: str) -> None:
        try:
            customer = await self.lookup(number)
        except Unavailable:
            return
        if customer is not None:
            self.hub.publish(
                f"agent:{agent_id}",
                "call.customer",
                {"call_id": call_id, "number": number, "customer": customer},
            )

    # ------------------------------------------------------------ tasks

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name="crm-lookup")
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            if not isinstance(exc, Unavailable):
                log.error("crm.task_failed", error=repr(exc))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


CUSTOMERS = web.AppKey("customers", CustomerService)
