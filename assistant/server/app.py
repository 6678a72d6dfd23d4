"""The FastAPI application factory: wires settings, the engine, the database and the routes."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from ..db import open_database
from ..engine import Engine
from ..settings import PROJECT_ROOT, Settings, get_settings

log = logging.getLogger(__name__)
WEB_DIR = PROJECT_ROOT / "web"


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or Engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            engine.load()
        except Exception as exc:  # the service starts and reports not-ready instead of dying
            log.warning("index not loaded: %s", exc)
        yield
        app.state.db.close()

    # /docs is served by routes_web from a local copy of Swagger UI (the default loads it from a CDN).
    app = FastAPI(title="质量政策助手 API", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.db = open_database(Path(settings.data_dir))

    from . import routes_health

    app.include_router(routes_health.router)
    from . import errors, routes_chat, routes_feedback, routes_openai, routes_search, routes_web

    errors.install(app)
    app.include_router(routes_chat.router)
    app.include_router(routes_search.router)
    app.include_router(routes_feedback.router)
    app.include_router(routes_openai.router)
    app.include_router(routes_web.router)
    from . import routes_admin

    app.include_router(routes_admin.router)  # /admin page and /api/admin/* (assistant/admin)
    from . import routes_eligibility

    app.include_router(routes_eligibility.router)  # /check, /api/eligibility, /api/admin/eligibility/*
    routes_eligibility.use_database(app.state.db)  # admin corrections apply in the chat's self-check too
    return app
