"""Errors raised by admin operations. They are the service's ApiError (assistant/errors.py), so
every route, dependency and the CLI report them the same way: {"error": {code, message, detail}}."""

from __future__ import annotations

from ..errors import ApiError


class AdminError(ApiError):
    """A refused admin request: HTTP status, stable code, Chinese message for the admin, English detail,
    and optional extra fields for the page (e.g. the id of the document a duplicate clashes with)."""

    def __init__(self, status: int, code: str, message: str, detail: str = "", extra: dict | None = None) -> None:
        super().__init__(status, code, message, detail or code)
        self.extra = extra or {}

    def payload(self) -> dict:
        body = self.body()
        body["error"].update(self.extra)
        return body


def not_found(what: str = "文档") -> AdminError:
    return AdminError(404, "not_found", f"{what}不存在或已删除", f"{what} not found")
