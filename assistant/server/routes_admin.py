"""Admin API (/api/admin/*) and page (/admin): thin routes over assistant/admin.

Every /api/admin route except sign-in checks the admin before FastAPI reads the body, so an anonymous
client gets 401 (403 when no admin is configured) without its upload being parsed or spooled."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from typing import Callable
from urllib.parse import quote

from fastapi import APIRouter, Body, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from ..admin.auth import COOKIE_NAME, Principal, check_csrf, check_origin, csrf_token
from ..admin.errors import AdminError
from ..admin.reindex import worker_name
from ..admin.service import AdminService
from ..admin.uploads import DOC_TYPES, check_upload
from ..ingest.loaders import SUPPORTED_SUFFIXES
from ..ingest.metadata import PROGRAMS
from ..models import STATUSES
from .errors import parse_json
from .params import Offset, PageSize, RowId
from .routes_web import SECURITY_HEADERS, WEB_DIR

_service_lock = threading.Lock()


def admin_service(app) -> AdminService:
    """The app's AdminService, created on first use (also when the lifespan did not run, e.g. in tests)."""
    svc = getattr(app.state, "admin", None)
    if svc is None:
        with _service_lock:
            svc = getattr(app.state, "admin", None)
            if svc is None:
                svc = app.state.admin = AdminService(app.state.settings, app.state.engine, app.state.db)
    return svc


@asynccontextmanager
async def _lifespan(app):
    svc = admin_service(app)
    svc.startup()
    yield
    svc.shutdown()


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _error(exc: AdminError) -> JSONResponse:
    retry = exc.extra.get("retry_after")
    return JSONResponse(exc.payload(), status_code=exc.status, headers={"Retry-After": str(retry)} if retry else None)


def require_admin(request: Request) -> Principal:
    """The one gate of every /api/admin route (the route class below applies it to each route of `api`, so
    new routes inherit it): a signed-in admin, and for a cookie-authenticated change, proof that it comes
    from the admin page itself (same origin + the session's anti-CSRF token). Bearer calls from scripts
    need no CSRF token: browsers never attach that header to another site's request."""
    svc = admin_service(request.app)
    principal = svc.auth.authenticate(_bearer(request), request.cookies.get(COOKIE_NAME))
    check_csrf(principal, request.method, request.headers, request.headers.get("host", ""))
    request.state.admin = principal
    return principal


class _AdminRoute(APIRoute):
    """Authenticates before the body is parsed; renders AdminError with its extra fields."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                require_admin(request)
                return await handler(request)
            except AdminError as exc:
                return _error(exc)

        return route


class _PublicRoute(APIRoute):
    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except AdminError as exc:
                return _error(exc)

        return route


router = APIRouter(lifespan=_lifespan)
public = APIRouter(route_class=_PublicRoute, include_in_schema=False)
sign_in = APIRouter(route_class=_PublicRoute, tags=["admin"])  # public, and documented in the OpenAPI schema


class LoginRequest(BaseModel):
    """Username and password, or the admin token instead."""

    username: str = ""
    password: str = ""
    token: str = ""


class LoginResponse(BaseModel):
    username: str
    expires_at: float
    token: str
    ttl_s: int
api = APIRouter(prefix="/api/admin", route_class=_AdminRoute, tags=["admin"])


def _svc(request: Request) -> AdminService:
    return admin_service(request.app)


def _actor(request: Request) -> str:
    principal: Principal = request.state.admin
    return principal.username


# --- page and sign-in --------------------------------------------------------------------------

@public.api_route("/admin", methods=["GET", "HEAD"])
def admin_page(request: Request):
    """The page is static and holds no data; it is served with 401/403 until an admin is signed in."""
    svc = _svc(request)
    status = 200
    try:
        svc.auth.authenticate(_bearer(request), request.cookies.get(COOKIE_NAME))
    except AdminError as exc:
        status = exc.status
    return FileResponse(WEB_DIR / "admin.html", status_code=status, media_type="text/html; charset=utf-8",
                        headers=SECURITY_HEADERS)


@sign_in.post("/api/admin/login", response_model=LoginResponse, summary="管理员登录",
              responses={400: {"description": "缺少用户名和密码"}, 401: {"description": "用户名或密码错误"},
                         403: {"description": "未配置管理员密码或令牌"}, 429: {"description": "尝试次数过多"}})
def login(request: Request, body: LoginRequest):
    """Sign in with username and password (or the admin token). The session token comes back in the body
    and as an HttpOnly cookie; send it as `Authorization: Bearer …` or rely on the cookie."""
    svc = _svc(request)
    # A browser may sign in only from our own page (no login CSRF); scripts send no Origin.
    check_origin(request.headers, request.headers.get("host", ""))
    # The peer address; X-Forwarded-For counts only from settings.trusted_proxies (cli.proxy_options).
    client = request.client.host if request.client else "unknown"
    username, password, token = body.username, body.password, body.token
    if not token and not (username and password):
        svc.auth.require_configured()
        raise AdminError(400, "missing_credentials", "请输入用户名和密码", "username and password (or token) required")
    session = svc.auth.login(client, username=username, password=password, token=token)
    response = JSONResponse({"username": session["username"], "expires_at": session["expires_at"],
                             "token": session["token"], "ttl_s": session["ttl_s"], "csrf_token": session["csrf_token"]})
    response.set_cookie(COOKIE_NAME, session["token"], max_age=session["ttl_s"], httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


@api.post("/logout")
def logout(request: Request):
    _svc(request).auth.logout(request.state.admin)
    response = JSONResponse({"ok": True})
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


@api.post("/logout-everywhere")
def logout_everywhere(request: Request):
    """Sign out every admin session, in every browser and on every worker (this one included)."""
    ended = _svc(request).auth.logout_everywhere(request.state.admin)
    response = JSONResponse({"ok": True, "ended": ended})
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


@api.get("/me")
def me(request: Request):
    svc = _svc(request)
    principal: Principal = request.state.admin
    engine = svc.engine
    return {"username": principal.username, "via": principal.via,
            # the page's anti-CSRF token (readable by our own origin only: no CORS here)
            "csrf_token": csrf_token(principal.cookie) if principal.cookie else "",
            "limits": {"upload_max_bytes": svc.settings.upload_max_bytes, "upload_max_files": svc.settings.upload_max_files,
                       # the service's body limit for admin requests (assistant/server/errors.py BodySizeLimit)
                       "request_max_bytes": svc.settings.upload_max_bytes + 1024 * 1024,
                       "suffixes": list(SUPPORTED_SUFFIXES)},
            "statuses": list(STATUSES), "programs": list(PROGRAMS), "doc_types": list(DOC_TYPES),
            "folders": svc.library.folders(),
            "index": {"ready": engine.ready, "build_id": engine.index.build_id if engine.ready else "",
                      "stale_lexicon": engine.stale_lexicon}}  # built with another dictionary: rebuild it


# --- documents ---------------------------------------------------------------------------------

@api.get("/documents")
def list_documents(request: Request, status: str | None = None, program: str | None = None,
                   date_from: str | None = None, date_to: str | None = None, q: str | None = None,
                   folder: str | None = None, include_deleted: bool = False):
    svc = _svc(request)
    docs = svc.library.list_documents(status=status or None, program=program or None, date_from=date_from or None,
                                      date_to=date_to or None, q=q, folder=folder or None,
                                      include_deleted=include_deleted, manifest_files=svc.manifest_files())
    pending = sum(1 for d in svc.library.list_documents(manifest_files=svc.manifest_files()) if not d.get("indexed"))
    return {"documents": docs, "total": len(docs), "pending_index": pending}


@api.get("/documents/{doc_id}")
def get_document(request: Request, doc_id: RowId):
    svc = _svc(request)
    return svc.library.get_document(doc_id, manifest_files=svc.manifest_files())


@api.get("/documents/{doc_id}/versions/{version}/file")
def version_file(request: Request, doc_id: RowId, version: RowId):
    name, data = _svc(request).library.version_file(doc_id, version)
    # Always a download, never rendered here: uploaded HTML must not run on our origin.
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                             "X-Content-Type-Options": "nosniff"})


def _read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    return upload.file.read(max_bytes + 1)  # one byte over the limit is enough to refuse it


def _check_files(request: Request, files: list[UploadFile]):
    """Every file checked; all refused together if any fails (nothing is saved then)."""
    svc = _svc(request)
    limit = svc.settings.upload_max_bytes
    if not files:
        raise AdminError(400, "no_files", "请选择要上传的文件", "no files in request")
    if len(files) > svc.settings.upload_max_files:
        raise AdminError(400, "too_many_files", f"一次最多上传 {svc.settings.upload_max_files} 个文件",
                         "too many files")
    checked, errors = [], []
    for upload in files:
        try:
            checked.append(check_upload(_read_upload(upload, limit), upload.filename or "", limit))
        except AdminError as exc:
            if exc.code == "zip_bomb":  # a hostile file: stop here rather than check the rest
                raise
            errors.append((upload.filename or "", exc))
    if errors:
        if len(files) == 1:
            raise errors[0][1]
        statuses = {exc.status for _, exc in errors}
        raise AdminError(statuses.pop() if len(statuses) == 1 else 422, "upload_rejected",
                         "以下文件未通过检查，本次上传的文件均未保存：" + "；".join(exc.message for _, exc in errors),
                         f"{len(errors)} of {len(files)} files refused",
                         {"files": [{"filename": name, "code": exc.code, "message": exc.message} for name, exc in errors]})
    return checked


def _json_field(raw: str, default, what: str):
    if not raw:
        return default
    try:
        return parse_json(raw)
    except ValueError as exc:
        raise AdminError(400, "invalid_metadata", f"{what}不是有效的 JSON", f"invalid JSON in {what}: {exc}") from exc


def _annotated(svc: AdminService, doc: dict) -> dict:
    return svc.library.annotate(doc, svc.manifest_files())


def _maybe_reindex(svc: AdminService, request: Request, wanted: bool) -> dict | None:
    if not wanted:
        return None
    try:
        return svc.jobs.request(_actor(request))
    except AdminError as exc:  # the change is saved; the admin can start the re-index later
        return {"error": exc.payload()["error"]}


@api.post("/uploads/inspect")
def inspect_uploads(request: Request, files: list[UploadFile] = File(...)):
    """Check files and return what would be saved (metadata inferred from the text) without saving."""
    svc = _svc(request)
    limit = svc.settings.upload_max_bytes
    if len(files) > svc.settings.upload_max_files:
        raise AdminError(400, "too_many_files", f"一次最多上传 {svc.settings.upload_max_files} 个文件", "too many files")
    results = []
    for upload in files:
        try:
            checked = check_upload(_read_upload(upload, limit), upload.filename or "", limit)
            meta = checked.metadata
            results.append({"ok": True, **checked.summary(),
                            "folder": svc.library.check_folder(None, meta)})
        except AdminError as exc:
            if exc.code == "zip_bomb":  # a hostile file: refuse the request, do not go on to the next one
                raise
            results.append({"ok": False, "filename": upload.filename or "", **exc.payload()})
    return {"files": results}


@api.post("/documents", status_code=201)
def upload_documents(request: Request, files: list[UploadFile] = File(...), metadata: str = Form(""),
                     folder: str = Form(""), reindex: bool = Form(False)):
    """Save new documents (metadata: a JSON list aligned with the files; each item may name a folder)."""
    svc = _svc(request)
    checked = _check_files(request, files)
    items = _json_field(metadata, [], "元数据")
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or len(items) not in (0, len(checked)):
        raise AdminError(400, "invalid_metadata", "元数据的数量应与文件数量一致", "metadata list must align with files")
    plan = []
    for i, c in enumerate(checked):
        edits = dict(items[i]) if items and isinstance(items[i], dict) else {}
        plan.append((c, str(edits.pop("folder", "") or folder or ""), edits))
    docs = svc.library.add_documents(plan, _actor(request))
    return {"documents": [_annotated(svc, d) for d in docs], "reindex": _maybe_reindex(svc, request, reindex)}


@api.post("/documents/{doc_id}/replace")
def replace_document(request: Request, doc_id: RowId, file: UploadFile = File(...), metadata: str = Form(""),
                     reindex: bool = Form(False)):
    svc = _svc(request)
    checked = _check_files(request, [file])[0]
    edits = _json_field(metadata, {}, "元数据")
    doc = _annotated(svc, svc.library.replace_document(doc_id, checked, edits if isinstance(edits, dict) else {}, _actor(request)))
    return {"document": doc, "reindex": _maybe_reindex(svc, request, reindex)}


@api.patch("/documents/{doc_id}")
def edit_document(request: Request, doc_id: RowId, body: dict = Body(...)):
    svc = _svc(request)
    edits = body.get("metadata", body)
    doc = _annotated(svc, svc.library.update_metadata(doc_id, edits if isinstance(edits, dict) else {}, _actor(request)))
    return {"document": doc, "reindex": _maybe_reindex(svc, request, bool(body.get("reindex")))}


@api.post("/documents/{doc_id}/retire")
def retire_document(request: Request, doc_id: RowId, body: dict | None = Body(None)):
    svc = _svc(request)
    body = body or {}
    doc = _annotated(svc, svc.library.set_status(doc_id, "已废止", _actor(request), note=str(body.get("note") or "")[:2000]))
    return {"document": doc, "reindex": _maybe_reindex(svc, request, bool(body.get("reindex")))}


@api.post("/documents/{doc_id}/injection/confirm")
def confirm_injection(request: Request, doc_id: RowId, body: dict | None = Body(None)):
    """The admin read the sentences flagged as addressing the assistant and keeps the document (audited)."""
    svc = _svc(request)
    note = str((body or {}).get("note") or "")
    return {"document": _annotated(svc, svc.library.confirm_injection(doc_id, _actor(request), note=note))}


@api.post("/documents/{doc_id}/reinstate")
def reinstate_document(request: Request, doc_id: RowId, body: dict | None = Body(None)):
    svc = _svc(request)
    body = body or {}
    doc = _annotated(svc, svc.library.set_status(doc_id, "现行", _actor(request)))
    return {"document": doc, "reindex": _maybe_reindex(svc, request, bool(body.get("reindex")))}


@api.delete("/documents/{doc_id}")
def delete_document(request: Request, doc_id: RowId, reindex: bool = False):
    svc = _svc(request)
    doc = _annotated(svc, svc.library.delete_document(doc_id, _actor(request)))
    return {"document": doc, "reindex": _maybe_reindex(svc, request, reindex)}


# --- index jobs and audit ----------------------------------------------------------------------

@api.post("/index/jobs", status_code=202)
def start_reindex(request: Request):
    return _svc(request).jobs.start(_actor(request))


@api.get("/index/jobs/current")
def current_job(request: Request):
    svc = _svc(request)
    job = svc.jobs.current()
    engine = svc.engine
    return {"job": job, "running": svc.jobs.running,
            "served_build": engine.index.build_id if engine.ready else "",
            "worker": worker_name()}  # which worker answered (several share one database; compare job owner)


@api.get("/index/jobs")
def list_jobs(request: Request, limit: PageSize = 20):
    return {"jobs": _svc(request).jobs.history(limit)}


@api.get("/index/jobs/{job_id}")
def get_job(request: Request, job_id: RowId):
    return _svc(request).jobs.job(job_id)


@api.get("/audit")
def audit(request: Request, limit: PageSize = 100, offset: Offset = 0, action: str | None = None, actor: str | None = None,
          document_id: RowId | None = None):
    return _svc(request).library.audit_log(limit=limit, offset=offset, action=action, actor=actor,
                                           document_id=document_id)


router.include_router(public)
router.include_router(sign_in)
router.include_router(api)
