"""Operators' endpoints: ``/healthz`` (the process is up), ``/readyz`` (it can do its job) and
``/metrics`` (Prometheus, from the daemon's own registry, gauges refreshed at scrape time)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from acd.metrics import Metrics

Readiness = Callable[[], Awaitable[dict[str, Any]]]


def ops_routes(
    metrics: Metrics, readiness: Readiness, before_scrape: Callable[[], None]
) -> web.RouteTableDef:
    routes = web.RouteTableDef()

    @routes.get("/healthz")
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    @routes.get("/readyz")
    async def readyz(request: web.Request) -> web.Response:
        checks = await readiness()
        ready = all(bool(v) for k, v in checks.items() if not k.endswith("_detail"))
        return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)

    @routes.get("/metrics")
    async def metrics_endpoint(request: web.Request) -> web.Response:
        before_scrape()
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return routes
