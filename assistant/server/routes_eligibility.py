"""Eligibility self-check over HTTP: POST /api/eligibility, GET /api/eligibility/form, the /check page,
and /api/admin/eligibility/* (rules beside their source text, corrections) behind the admin sign-in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..admin.errors import AdminError
from ..eligibility.check import CheckError, rulebook_for, run_check, use_database, used_fields  # noqa: F401
from ..eligibility.profile import FIELD_LABELS, ProfileError, form_fields
from ..eligibility.store import RuleEditError, revert_correction, rules_for_document, save_correction, sync_rules
from .routes_admin import _AdminRoute, _actor, admin_service
from .routes_chat import require_engine
from .routes_web import _page

router = APIRouter(tags=["eligibility"])
admin = APIRouter(prefix="/api/admin/eligibility", route_class=_AdminRoute, tags=["admin"])


class EligibilityRequest(BaseModel):
    profile: dict[str, Any] = Field(description="企业画像（字段见 GET /api/eligibility/form；缺少的字段视为未知）")
    as_of: str | None = Field(None, max_length=10, description="按此日期计算时间条件，YYYY-MM-DD，默认今天")
    program: str | None = Field(None, max_length=50, description="只看此项目（如 青岛优品）")


def _error_response(exc: Exception) -> JSONResponse:
    """The service's error shape, plus `fields` naming each bad profile field."""
    if isinstance(exc, ProfileError):
        body = {"code": "invalid_profile", "message": f"企业画像有误：{exc}",
                "detail": "; ".join(f"{'.'.join(e['path'])}: {e['message']}" for e in exc.errors), "fields": exc.errors}
        return JSONResponse({"error": body}, status_code=422)
    field = getattr(exc, "field", "") or "request"
    body = {"code": f"invalid_{field}", "message": str(exc), "detail": f"bad {field}", "fields": [
        {"field": field, "path": [field], "message": str(exc)}]}
    return JSONResponse({"error": body}, status_code=404 if field == "program" else 422)


@router.post("/api/eligibility", summary="政策体检：按企业画像逐项核对各项目的申报条件（每项条件带出处）")
def eligibility(body: EligibilityRequest, request: Request):
    engine = require_engine(request)
    try:
        return run_check(engine.index, body.profile, body.as_of, body.program, request.app.state.db)
    except (ProfileError, CheckError) as exc:
        return _error_response(exc)


@router.get("/api/eligibility/form", summary="体检表单：规则用到的画像字段（分组、中文名称、输入方式）")
def eligibility_form(request: Request):
    engine = require_engine(request)
    programmes = rulebook_for(engine.index, request.app.state.db)
    return {"fields": form_fields(["name", *used_fields(programmes)]), "programs": sorted(p.name for p in programmes)}


@router.api_route("/check", methods=["GET", "HEAD"], include_in_schema=False)
def check_page():
    return _page("check.html")


# --- admin: rules beside the source text, corrections ------------------------------------------

def _index(request: Request):
    engine = admin_service(request.app).engine
    if not engine.ready:
        raise AdminError(503, "index_not_ready", "索引尚未加载", "index not loaded")
    return engine.index


@admin.get("/documents/{library_id}/rules")
def document_rules(request: Request, library_id: int):
    """The index documents of one library document (a JSON-lines file holds several), their text and rules."""
    svc = admin_service(request.app)
    doc = svc.library.get_document(library_id)
    index = _index(request)
    sync_rules(svc.db, index, _actor(request))  # an index built elsewhere (CLI) gets its rules stored too
    source = doc.get("source", "")
    out = []
    for doc_id, rec in index.docs.items():
        if rec.meta.source == source or rec.meta.source.startswith(source + "#"):
            out.append({"doc_id": doc_id, "title": rec.meta.title, "status": rec.meta.status, "text": rec.text,
                        "rules": rules_for_document(svc.db, index, doc_id)})
    return {"documents": out, "fields": {k: v[0] for k, v in FIELD_LABELS.items()}}


def _save(request: Request, rule_key: str, changes: dict, note: str = "") -> dict:
    svc = admin_service(request.app)
    try:
        return save_correction(svc.db, _index(request), rule_key, changes, _actor(request), note)
    except KeyError:
        raise AdminError(404, "rule_not_found", "未找到该条件，索引可能已更新", f"rule {rule_key} not found") from None
    except RuleEditError as exc:
        raise AdminError(400, "invalid_rule", str(exc), str(exc)) from None
    except ValueError as exc:  # the corrected rule does not validate
        raise AdminError(400, "invalid_rule", f"更正后的条件无效：{exc}", str(exc)) from None


@admin.put("/rules/{rule_key}")
def correct_rule(request: Request, rule_key: str, body: dict = Body(...)):
    changes = body.get("changes", body)
    note = str(body.get("note") or "") if isinstance(body, dict) else ""
    if isinstance(changes, dict):
        changes = {k: v for k, v in changes.items() if k != "note"}
    return _save(request, rule_key, changes, note)


@admin.post("/rules/{rule_key}/review")
def mark_review(request: Request, rule_key: str, body: dict | None = Body(None)):
    return _save(request, rule_key, {"kind": "review"}, str((body or {}).get("note") or ""))


@admin.delete("/rules/{rule_key}/correction")
def revert_rule(request: Request, rule_key: str):
    svc = admin_service(request.app)
    if not revert_correction(svc.db, rule_key, _actor(request)):
        raise AdminError(404, "correction_not_found", "该条件没有人工更正", f"no correction for {rule_key}")
    return {"rule_key": rule_key, "reverted": True}


router.include_router(admin)
