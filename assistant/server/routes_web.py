"""The web pages: / (chat), /helpdesk (help-desk drafting), /static/... — plain files from web/, no build step."""

from __future__ import annotations

import mimetypes
import re
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


# What a static file name may look like; anything else (NUL, control characters, a 300-byte name the
# file system refuses with ENAMETOOLONG) is a 404 before the path reaches the file system.
_STATIC_PATH = re.compile(r"[A-Za-z0-9_.-]{1,100}(/[A-Za-z0-9_.-]{1,100}){0,7}")


@router.api_route("/static/{path:path}", methods=["GET", "HEAD"])
def static(path: str):
    not_found = ApiError(404, "not_found", "未找到该文件", f"static file {ascii(path[:120])} not found")
    if not _STATIC_PATH.fullmatch(path) or any(p.startswith(".") for p in path.split("/")):
        raise not_found
    root = STATIC_DIR.resolve()
    try:
        target = (root / path).resolve()
        found = target.is_relative_to(root) and target.is_file()
    except (OSError, ValueError):  # still never a 500 for a name the file system cannot take
        found = False
    if not found:
        raise not_found
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if media_type.startswith("text/"):
        media_type += "; charset=utf-8"
    return FileResponse(target, media_type=media_type, headers=SECURITY_HEADERS)


@router.get("/docs")
def api_docs():
    from fastapi.openapi.docs import get_swagger_ui_html

    return get_swagger_ui_html(openapi_url="/openapi.json", title="质量政策助手 API",
                               swagger_js_url="/vendor/swagger/swagger-ui-bundle.js",
                               swagger_css_url="/vendor/swagger/swagger-ui.css",
                               swagger_favicon_url="/static/favicon.svg")


@router.get("/vendor/swagger/{name}")
def swagger_asset(name: str):
    import swagger_ui_bundle

    if name not in ("swagger-ui-bundle.js", "swagger-ui.css"):
        raise ApiError(404, "not_found", "未找到该文件", f"asset {name!r} not found")
    media_type = "text/javascript" if name.endswith(".js") else "text/css"
    return FileResponse(Path(swagger_ui_bundle.swagger_ui_path) / name, media_type=media_type)
