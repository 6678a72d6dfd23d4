"""The web pages: / (chat), /helpdesk (help-desk drafting), /static/... — plain files from web/, no build step."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ..settings import PROJECT_ROOT
from .errors import ApiError

WEB_DIR = PROJECT_ROOT / "web"
STATIC_DIR = WEB_DIR / "static"

router = APIRouter(include_in_schema=False)

# Defence in depth behind textContent rendering: no inline script, nothing loaded from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                                "frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # revalidate so an upgraded service never runs an old script
}

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/css", ".css")
mimetypes.add_type("image/svg+xml", ".svg")


def _page(name: str) -> FileResponse:
    return FileResponse(WEB_DIR / name, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


@router.api_route("/", methods=["GET", "HEAD"])
def chat_page():
    return _page("index.html")


@router.api_route("/helpdesk", methods=["GET", "HEAD"])
def helpdesk_page():
    return _page("helpdesk.html")


@router.api_route("/static/{path:path}", methods=["GET", "HEAD"])
def static(path: str):
    root = STATIC_DIR.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file() or any(p.startswith(".") for p in Path(path).parts):
        raise ApiError(404, "not_found", "未找到该文件", f"static file {path!r} not found")
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if media_type.startswith("text/"):
        media_type += "; charset=utf-8"
    return FileResponse(target, media_type=media_type, headers=SECURITY_HEADERS)
