"""The one error every layer raises for a refused request: an HTTP status, a stable code, a Chinese message
for the user and an English detail. It lives below `server/` and `admin/` so that both (and the CLI) can
raise it; server/errors.py turns it into {"error": {code, message, detail}} responses."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail

    def body(self) -> dict:
        return error_body(self.code, self.message, self.detail)


def error_body(code: str, message: str, detail: str) -> dict:
    return {"error": {"code": code, "message": message, "detail": detail}}
