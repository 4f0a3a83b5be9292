"""The agent page (``/``), the wallboard (``/wallboard``) and their files (``/ui/...``).

Files come only from ``deps.static_dir`` (no ``..``, no hidden files). JavaScript is served as
``text/javascript`` so browsers accept it as an ES module. Pages and app files are revalidated on
every load (``no-cache`` with ETag/Last-Modified), so a deploy shows at once; ``vendor/`` files
carry their version in their name and are cached for a year.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from acd.web.deps_key import DEPS
from acd.web.errors import ApiError

CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".txt": "text/plain; charset=utf-8",
}
REVALIDATE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"


def _file(root: Path, relative: str, cache: str) -> web.FileResponse:
    parts = [p for p in relative.split("/") if p]
    if not parts or any(p.startswith(".") or "\\" in p for p in parts):
        raise ApiError(404, "not-found", "no such file")
    base = root.resolve()
    path = base.joinpath(*parts).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        raise ApiError(404, "not-found", "no such file")
    headers = {"Cache-Control": cache}
    content_type = CONTENT_TYPES.get(path.suffix.lower())
    if content_type is not None:
        headers["Content-Type"] = content_type
    return web.FileResponse(path, headers=headers)


async def agent_page(request: web.Request) -> web.FileResponse:
    return _file(request.app[DEPS].static_dir, "index.html", REVALIDATE)


async def wallboard(request: web.Request) -> web.FileResponse:
    return _file(request.app[DEPS].static_dir, "wallboard.html", REVALIDATE)


async def ui_file(request: web.Request) -> web.FileResponse:
    relative = request.match_info["path"]
    cache = IMMUTABLE if relative.startswith("vendor/") else REVALIDATE
    return _file(request.app[DEPS].static_dir, relative, cache)


def static_routes() -> list[web.RouteDef]:
    return [
        web.get("/", agent_page),
        web.get("/wallboard", wallboard),
        web.get("/ui/{path:.+}", ui_file),
    ]
