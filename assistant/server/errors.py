"""One error shape for every 4xx/5xx the service returns, so pages and API clients handle errors alike:

    {"error": {"code": "question_empty", "message": "中文说明", "detail": "English detail"}}

Also: input checks shared by the routes, and a request body size limit (ASGI middleware)."""

from __future__ import annotations

import json
import logging
import re
import unicodedata

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import ApiError, error_body  # noqa: F401  (re-exported for the routes)

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str, detail: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content=error_body(code, message, detail), headers=headers)


# --- shared input checks ---------------------------------------------------------------------------

# Tab, newline and carriage return are ordinary in pasted text; every other control character is not.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


FIELD_LABELS = {"message": "问题", "question": "问题", "query": "检索内容", "comment": "反馈内容", "answer": "回答"}


def check_text(text: str, field: str, max_chars: int, *, required: bool = True) -> str:
    """Stripped text, or an ApiError naming the problem in Chinese and English."""
    label = FIELD_LABELS.get(field, field)
    if not isinstance(text, str):
        raise ApiError(422, "invalid_type", f"{label}必须是文本", f"{field} must be a string")
    if _CONTROL.search(text) or any(unicodedata.category(c) == "Cs" for c in text):
        raise ApiError(400, "control_characters", f"{label}中含有不允许的控制字符，请删除后重试",
                       f"{field} contains control characters")
    text = text.strip()
    if required and not text:
        message = "问题不能为空，请输入您要咨询的内容" if field == "message" else f"{label}不能为空"
        raise ApiError(400, f"{field}_empty", message, f"{field} is empty or whitespace only")
    if len(text) > max_chars:
        raise ApiError(400, f"{field}_too_long", f"{label}过长（{len(text)} 字），请精简到 {max_chars} 字以内",
                       f"{field} has {len(text)} characters; the limit is {max_chars}")
    return text


def check_id(value: str, field: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise ApiError(400, f"invalid_{field}", f"{field} 格式不正确", f"{field} must match [A-Za-z0-9_-]{{1,64}}")
    return value


def parse_json(raw: str | bytes):
    """json.loads whose every failure is a ValueError: bad syntax, invalid UTF-8, and nesting so deep that
    the decoder runs out of stack (RecursionError, e.g. 50,000 '[')."""
    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


def index_not_ready() -> ApiError:
    return ApiError(503, "index_not_ready", "索引尚未加载，请稍后再试或联系管理员建立索引", "index not loaded")


# --- exception handlers ----------------------------------------------------------------------------

_HTTP_MESSAGES = {
    400: ("bad_request", "请求不正确"),
    401: ("unauthorized", "需要登录"),
    403: ("forbidden", "没有权限"),
    404: ("not_found", "未找到请求的内容"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("body_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
}


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, exc.detail)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if isinstance(exc.detail, dict) and "error" in exc.detail:  # a route already built our shape
        return JSONResponse(status_code=exc.status_code, content=exc.detail, headers=exc.headers)
    code, message = _HTTP_MESSAGES.get(exc.status_code, ("http_error", "请求失败"))
    if isinstance(exc.detail, str) and exc.detail and not exc.detail.isascii():
        message = exc.detail  # a Chinese detail from a route is the better message
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return error_response(exc.status_code, code, message, detail, headers=getattr(exc, "headers", None))


def _loc(err: dict) -> str:
    parts = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "invalid_json", "请求内容不是有效的 JSON", "request body is not valid JSON")
    first = errors[0] if errors else {}
    field, kind = _loc(first), first.get("type", "")
    if kind == "missing":
        message = f"缺少必填字段：{field}"
    elif kind in ("string_too_long", "too_long"):
        message = f"字段 {field} 过长"
    elif kind == "model_attributes_type" or kind == "dict_type":
        message = "请求体必须是 JSON 对象"
    else:
        message = f"字段 {field} 的值不正确"
    detail = "; ".join(f"{_loc(e)}: {e.get('msg', '')}" for e in errors[:5])
    return error_response(422, "validation_error", message, detail)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "服务器内部错误，请稍后重试", "internal server error")


# --- body size limit -------------------------------------------------------------------------------

class _TooLarge(HTTPException):
    """An HTTPException so that FastAPI's body parsing passes it on instead of turning it into a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=error_body("body_too_large", f"请求内容过大（上限 {limit // 1024} KB）",
                                                f"request body exceeds {limit} bytes"))


class BodySizeLimit:
    """Rejects request bodies over a limit with 413, by Content-Length at once or by counting a chunked body.
    Admin uploads (paths with an /admin segment) get the larger upload limit."""

    def __init__(self, app, max_bytes: int, upload_max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes

    def _limit(self, path: str) -> int:
        if path.startswith("/admin") or "/admin/" in path or path.endswith("/admin"):
            return self.upload_max_bytes + 1024 * 1024  # multipart framing on top of the file itself
        return self.max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope.get("path", ""))
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_large = int(value) > limit
                except ValueError:
                    too_large = False
                if too_large:
                    await self._reject(send, limit)
                    return
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send, limit)

    @staticmethod
    async def _reject(send, limit: int) -> None:
        response = JSONResponse(status_code=413, content=_TooLarge(limit).detail)
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


def install(app: FastAPI) -> None:
    """Error handlers and the body size limit for the whole app."""
    settings = app.state.settings
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(BodySizeLimit, max_bytes=settings.request_max_bytes,
                       upload_max_bytes=settings.upload_max_bytes)
