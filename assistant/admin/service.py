"""The admin side of a running service: sign-in, library and re-index jobs wired to one engine and
database, plus start-up work (seed an empty library, repair it, mark dead jobs) and an index watcher."""

from __future__ import annotations

import logging
import threading

from ..db import Database
from ..engine import Engine
from ..settings import Settings
from ..store import IndexNotFound
from .auth import AdminAuth
from .library import Library
from .reindex import ReindexManager

log = logging.getLogger(__name__)


class AdminService:
    def __init__(self, settings: Settings, engine: Engine, db: Database) -> None:
        self.settings = settings
        self.engine = engine
        self.db = db
        self.auth = AdminAuth(settings, db)
        self.library = Library(settings, db)
        self.jobs = ReindexManager(settings, engine, db, self.library)
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def startup(self) -> None:
        try:
            added = self.library.ensure_seeded(self.settings.corpus_dirs)
            if added:
                log.info("library seeded with %d files from %s", added, self.settings.corpus_dirs)
            self.library.reconcile()
        except Exception:  # the chat must come up even if the library cannot be prepared
            log.exception("library start-up failed")
        self.jobs.recover()
        ended = self.auth.end_stale_sessions()
        if ended:
            log.warning("ended %d admin sessions created with a credential that is no longer configured", ended)
        if self.settings.index_watch_s > 0 and self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="index-watcher", daemon=True)
            self._watcher.start()

    def shutdown(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        """Serve an index built by another process (`assistant index`, `assistant docs reindex`, another
        worker's re-index) without a restart."""
        while not self._stop.wait(self.settings.index_watch_s):
            if self.jobs.running_here:  # this process swaps to its own build itself
                continue
            try:
                if self.engine.load():
                    log.info("now serving index build %s", self.engine.index.build_id)
            except IndexNotFound:
                pass
            except Exception:
                log.exception("could not load the new index; still serving the previous one")

    def manifest_files(self) -> dict:
        return self.engine.index.manifest.get("files", {}) if self.engine.ready else {}
