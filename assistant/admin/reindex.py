"""Background re-index jobs in the service: one at a time, progress visible, the chat served from the last
good index throughout (the indexer builds aside and switches CURRENT atomically; the engine swaps in one
assignment), then the golden evaluation, compared with the previous job's figures.

Job state lives in the database, so several workers (or processes) act as one service: at most one row is
'running' (a unique index), its owner (host:pid) writes progress and a heartbeat there, any worker reports
it, and a job whose owner died is marked interrupted by whoever looks next."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import time
from pathlib import Path

from ..db import Database
from ..engine import Engine
from ..indexer import STAGE_LABELS as BUILD_STAGE_LABELS, IndexBusy, build_index
from ..settings import Settings
from ..store import current_build_dir
from .errors import AdminError, not_found
from .library import Library

log = logging.getLogger(__name__)

STAGE_LABELS = {"queued": "准备中", **BUILD_STAGE_LABELS, "write": "写入索引", "swap": "切换索引",
                "eval": "运行评测", "done": "已完成", "failed": "失败", "interrupted": "已中断"}
BUSY_MESSAGE = "还有一个索引任务正在进行，请等它完成后再试"
PROGRESS_S = 0.5  # how often the running job writes its progress and heartbeat
STALE_S = 30.0  # a running job without a heartbeat this long is dead (owner hung, or on another host)


def worker_name() -> str:
    """This process as recorded in a job's owner column: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def job_alive(owner: str, heartbeat_at: float | None, now: float | None = None) -> bool:
    """Whether the process running a job is still at it: on this host its pid must exist (a SIGKILLed
    worker is noticed at once); anywhere, its heartbeat must be recent."""
    host, _, pid = (owner or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
    return heartbeat_at is not None and (now or time.time()) - heartbeat_at < STALE_S


def index_locked(index_dir: Path) -> bool:
    """Whether some process (the CLI, another service) holds the build lock right now."""
    path = index_dir / "build.lock"
    if not path.exists():
        return False
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def _sync_eligibility(db: Database, index, actor: str) -> dict:
    """Rules of new document versions stored, stale corrections flagged (assistant/eligibility)."""
    from ..eligibility.store import sync_rules

    try:
        return sync_rules(db, index, actor)
    except Exception as exc:  # rule extraction must never fail a good index build
        log.exception("eligibility rule sync failed")
        return {"error": f"{type(exc).__name__}: {exc}"}


def _metrics(result: dict) -> dict:
    source = result.get("metrics") if isinstance(result.get("metrics"), dict) else result
    return {k: v for k, v in source.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _compact_question(q: dict) -> dict:
    out = {}
    for key, value in q.items():
        if isinstance(value, str):
            out[key] = value[:300]
        elif isinstance(value, (int, float, bool)) or value is None:
            out[key] = value
        elif isinstance(value, list) and len(value) <= 10 and all(isinstance(v, (str, int, float)) for v in value):
            out[key] = value
    return out


def summarize_eval(result: dict) -> dict:
    """What is kept of an evaluation run: the figures and a compact line per question."""
    questions = result.get("questions") or []
    return {"metrics": _metrics(result),
            "questions": [_compact_question(q) for q in questions if isinstance(q, dict)]}


def compare_eval(current: dict, previous: dict | None) -> dict:
    """Figures side by side with the previous run, and the questions that got worse (passed before, fail now)."""
    metrics = current.get("metrics", {})
    prev_metrics = (previous or {}).get("metrics", {})
    rows = [{"name": name, "value": value, "previous": prev_metrics.get(name),
             "delta": (round(value - prev_metrics[name], 6) if isinstance(prev_metrics.get(name), (int, float)) else None)}
            for name, value in metrics.items()]
    prev_ok = {str(q.get("id")): bool(q.get("ok")) for q in (previous or {}).get("questions", []) if "id" in q}
    regressions, improved = [], []
    for q in current.get("questions", []):
        qid = str(q.get("id"))
        if qid not in prev_ok:
            continue
        if prev_ok[qid] and not q.get("ok"):
            regressions.append(q)
        elif not prev_ok[qid] and q.get("ok"):
            improved.append(q)
    return {"metrics": rows, "regressions": regressions, "improved": improved,
            "questions": len(current.get("questions", [])), "has_previous": previous is not None}


class ReindexManager:
    def __init__(self, settings: Settings, engine: Engine, db: Database, library: Library) -> None:
        self.settings = settings
        self.engine = engine
        self.db = db
        self.library = library
        self.index_dir = Path(settings.index_dir).resolve()
        self._lock = threading.Lock()
        self._active = False  # a job of this process is running (guarded by _lock)
        self._thread: threading.Thread | None = None
        self._live: dict | None = None  # progress of this process's job, written to the db every PROGRESS_S

    # --- lifecycle -------------------------------------------------------------------------------

    def _reap(self, conn) -> dict | None:
        """Mark running jobs whose owner died as interrupted (inside a transaction); the live one, if any."""
        now, live = time.time(), None
        for row in conn.execute("SELECT id, owner, heartbeat_at FROM index_jobs WHERE state='running'").fetchall():
            if job_alive(row["owner"], row["heartbeat_at"], now):
                live = dict(row)
            else:
                conn.execute("UPDATE index_jobs SET state='interrupted', finished_at=? WHERE id=?", (now, row["id"]))
        return live

    def recover(self) -> int:
        """Jobs still 'running' whose process died (a previous run, a killed worker): mark them interrupted.
        A job that another live worker is running is left alone."""
        with self.db.transaction() as conn:
            before = conn.execute("SELECT COUNT(*) FROM index_jobs WHERE state='running'").fetchone()[0]
            live = self._reap(conn)
        return before - (1 if live else 0)

    @property
    def running(self) -> bool:
        """A job is running in this process or in any other worker sharing the database."""
        if self._active:
            return True
        rows = self.db.query("SELECT owner, heartbeat_at FROM index_jobs WHERE state='running'")
        return any(job_alive(r["owner"], r["heartbeat_at"]) for r in rows)

    @property
    def running_here(self) -> bool:
        return self._active

    def start(self, actor: str) -> dict:
        """Start a re-index now; 409 if one is already running (here, in another worker, or the CLI)."""
        return self._begin(actor, queue=False)

    def request(self, actor: str) -> dict:
        """Start a re-index after an admin change; if one is already running (in any worker), run once more
        when it finishes (the running build may have listed the library before the change)."""
        return self._begin(actor, queue=True)

    def _begin(self, actor: str, queue: bool) -> dict:
        with self._lock:
            busy = queued = False
            job_id = None
            with self.db.transaction() as conn:  # BEGIN IMMEDIATE: one worker at a time decides
                live = self._reap(conn)
                if live is not None and queue:
                    conn.execute("UPDATE index_jobs SET rerun_by=? WHERE id=?", (actor, live["id"]))
                    queued = True
                elif live is not None or self._active or index_locked(self.index_dir):
                    busy = True
                else:
                    job_id = self._insert(conn, actor)
            if queued:
                return {"queued": True, "message": "当前索引任务完成后，会自动再索引一次以包含这次修改"}
            if busy:
                raise AdminError(409, "reindex_running", BUSY_MESSAGE, "an index build is already running")
            self._active = True
            self._launch(job_id, actor)
        return self.job(job_id)

    def _insert(self, conn, actor: str) -> int:
        previous = current_build_dir(self.index_dir)
        now = time.time()
        cur = conn.execute("INSERT INTO index_jobs (started_at, state, actor, report, owner, heartbeat_at, progress) "
                           "VALUES (?,?,?,?,?,?,?)",
                           (now, "running", actor, json.dumps({"previous_build": previous.name if previous else ""}),
                            worker_name(), now, json.dumps({"stage": "queued", "done": 0, "total": 0})))
        return int(cur.lastrowid)

    def _launch(self, job_id: int, actor: str) -> None:
        """Start the thread of a recorded job (self._lock held, self._active already set)."""
        try:
            self.db.audit(actor, "reindex_start", None, None, job_id=job_id)
            self._live = {"id": job_id, "stage": "queued", "done": 0, "total": 0}
            self._thread = threading.Thread(target=self._run, args=(job_id, actor), name=f"reindex-{job_id}", daemon=True)
            self._thread.start()
        except BaseException:
            self._active = False
            raise

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._active and (deadline is None or time.monotonic() < deadline):
            thread = self._thread
            if thread is not None:
                thread.join(0.1)
        return not self._active

    # --- the job ---------------------------------------------------------------------------------

    def _progress(self, stage: str, done: int, total: int) -> None:
        last_vectors = "sentences" if self.settings.sentence_vectors else "embed"
        if stage == last_vectors and total and done >= total:
            stage = "write"  # vectors done; the vector store and BM25 are written next
        self._live = {**(self._live or {}), "stage": stage, "done": done, "total": total}

    def _beat(self, job_id: int, stop: threading.Event) -> None:
        """Progress and heartbeat into the database, for the other workers (and to prove we are alive)."""
        while not stop.wait(PROGRESS_S):
            live = self._live or {}
            try:
                self.db.execute("UPDATE index_jobs SET progress=?, heartbeat_at=? WHERE id=? AND state='running'",
                                (json.dumps({k: live.get(k) for k in ("stage", "done", "total")}), time.time(), job_id))
            except Exception:  # a busy database delays one beat, it does not stop the build
                log.warning("could not record re-index progress", exc_info=True)

    def _run(self, job_id: int, actor: str) -> None:
        report: dict = {}
        evaluation: dict = {}
        state = "failed"
        stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job_id, stop), name=f"reindex-{job_id}-beat", daemon=True)
        beat.start()
        try:
            # Smaller batches: chat queries share the embedding model (and its lock) with the build.
            build_settings = self.settings.model_copy(update={"embedding_batch_size": max(
                1, min(self.settings.embedding_batch_size, self.settings.reindex_embedding_batch_size))})
            build = self._build(build_settings)
            report = {k: v for k, v in build.__dict__.items() if k != "skipped"}
            report["skipped"] = [list(s) for s in build.skipped]
            report["summary"] = build.summary()
            self._progress("swap", 0, 1)
            self.engine.load()
            report["served_build"] = self.engine.index.build_id
            report["eligibility"] = _sync_eligibility(self.db, self.engine.index, actor)
            if self.settings.reindex_eval:
                self._progress("eval", 0, 0)
                evaluation = self._evaluate()
            state = "done"
        except IndexBusy:
            report["error"] = BUSY_MESSAGE
        except Exception as exc:  # the job fails, the service keeps serving the last good index
            log.exception("re-index job %s failed", job_id)
            report["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            stop.set()
            beat.join()
            try:
                self._finish(job_id, actor, state, report, evaluation)
            except Exception:  # never leave this process believing a job still runs
                log.exception("could not record the end of re-index job %s", job_id)
                with self._lock:
                    self._live = None
                    self._active = False

    def _finish(self, job_id: int, actor: str, state: str, report: dict, evaluation: dict) -> None:
        with self._lock:
            next_id = None
            with self.db.transaction() as conn:
                row = conn.execute("SELECT report, rerun_by FROM index_jobs WHERE id=?", (job_id,)).fetchone()
                merged = {**json.loads(row["report"] if row else "{}"), **report}
                conn.execute("UPDATE index_jobs SET state=?, finished_at=?, report=?, eval=?, progress='{}' WHERE id=?",
                             (state, time.time(), json.dumps(merged, ensure_ascii=False, default=str),
                              json.dumps(evaluation, ensure_ascii=False, default=str), job_id))
                again = row["rerun_by"] if row else None
                if again:  # handed straight to the next job, so `running` never blinks off in between
                    next_id = self._insert(conn, again)
            self.db.audit(actor, "reindex_done" if state == "done" else "reindex_failed", None, None, job_id=job_id,
                          build_id=report.get("build_id", ""), error=report.get("error", ""))
            self._live = None
            if next_id is not None:
                self._launch(next_id, again)
            else:
                self._active = False

    def _build(self, build_settings: Settings):
        # The library is read under a shared lock until embedding starts, so no admin change is half-seen.
        lock = self.library.locked(shared=True)
        lock.__enter__()
        held = [True]

        def progress(stage: str, done: int, total: int) -> None:
            if stage != "parse" and held[0]:
                held[0] = False
                lock.__exit__(None, None, None)
            self._progress(stage, done, total)

        try:
            return build_index([self.library.root], self.index_dir, build_settings, progress)
        finally:
            if held[0]:
                lock.__exit__(None, None, None)

    def _evaluate(self) -> dict:
        golden = Path(self.settings.eval_golden)
        if not golden.exists():
            return {"skipped": f"评测集不存在：{golden.name}"}
        try:
            from ..evaluation import run_eval
        except ImportError:
            return {"skipped": "评测模块尚未就绪"}
        try:
            return summarize_eval(run_eval(self.engine, golden))
        except Exception as exc:  # a broken evaluation must not turn a good index build into a failure
            log.exception("evaluation failed")
            return {"error": f"{type(exc).__name__}: {exc}"}

    # --- reading ---------------------------------------------------------------------------------

    def _present(self, row: dict, with_compare: bool = True) -> dict:
        report = json.loads(row["report"] or "{}")
        evaluation = json.loads(row["eval"] or "{}")
        job = {"id": row["id"], "state": row["state"], "actor": row["actor"], "worker": row.get("owner") or "",
               "started_at": row["started_at"], "finished_at": row["finished_at"], "report": report, "error": report.get("error", ""),
               "stage": row["state"], "done": 0, "total": 0}
        if row["state"] == "running":
            live = self._live
            if not (live and live.get("id") == row["id"]):  # another worker's job: what it last recorded
                live = json.loads(row.get("progress") or "{}")
            job.update(stage=live.get("stage") or "queued", done=live.get("done") or 0, total=live.get("total") or 0)
        job["stage_label"] = STAGE_LABELS.get(job["stage"], job["stage"])
        if evaluation.get("metrics") is not None:
            previous = None
            if with_compare:
                prev = self.db.query("SELECT eval FROM index_jobs WHERE id < ? AND state='done' AND eval LIKE '%\"metrics\"%' "
                                     "ORDER BY id DESC LIMIT 1", (row["id"],))
                previous = json.loads(prev[0]["eval"]) if prev else None
            job["eval"] = compare_eval(evaluation, previous)
        elif evaluation:
            job["eval"] = {"skipped": evaluation.get("skipped", ""), "error": evaluation.get("error", "")}
        return job

    def job(self, job_id: int) -> dict:
        rows = self.db.query("SELECT * FROM index_jobs WHERE id=?", (job_id,))
        if not rows:
            raise not_found("索引任务")
        return self._present(rows[0])

    def current(self) -> dict | None:
        """The running job, else the latest one (None before the first)."""
        running = self.db.query("SELECT owner, heartbeat_at FROM index_jobs WHERE state='running'")
        if any(not job_alive(r["owner"], r["heartbeat_at"]) for r in running):
            self.recover()  # a job whose worker died shows as interrupted, not running forever
        rows = self.db.query("SELECT * FROM index_jobs ORDER BY (state='running') DESC, id DESC LIMIT 1")
        return self._present(rows[0]) if rows else None

    def history(self, limit: int = 20) -> list[dict]:
        rows = self.db.query("SELECT * FROM index_jobs ORDER BY id DESC LIMIT ?", (max(1, min(limit, 200)),))
        return [self._present(r, with_compare=False) for r in rows]
