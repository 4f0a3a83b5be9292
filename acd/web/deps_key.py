"""The application key under which the server keeps its :class:`~acd.web.deps.WebDeps`."""

from __future__ import annotations

from aiohttp import web

from acd.web.deps import WebDeps

DEPS = web.AppKey("deps", WebDeps)
