"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request):
    engine = request.app.state.engine
    if not engine.ready:
        return JSONResponse(status_code=503, content={"ready": False, "message": "索引尚未加载", "detail": "index not loaded"})
    index = engine.index
    return {"ready": True, "build_id": index.build_id, "documents": len(index.docs), "chunks": len(index.chunks)}
