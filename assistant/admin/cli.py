"""`assistant docs add|replace|retire|reinstate|delete|list|versions|audit|reindex`: the admin page's
operations for scripts, on the same library and database as the service."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from pathlib import Path

from ..settings import Settings, get_settings


def _settings(args: argparse.Namespace) -> Settings:
    updates = {}
    if getattr(args, "data", None):
        updates["data_dir"] = Path(args.data)
    if getattr(args, "index", None):
        updates["index_dir"] = Path(args.index)
    if getattr(args, "corpus", None):
        updates["corpus_dirs"] = [Path(c) for c in args.corpus]
    settings = get_settings()
    return settings.model_copy(update=updates) if updates else settings


def prepare_library(settings: Settings) -> int:
    """Seed an empty library from the shipped corpus and repair it; returns files added by seeding."""
    from ..db import open_database
    from .library import Library

    db = open_database(Path(settings.data_dir))
    try:
        library = Library(settings, db)
        added = library.ensure_seeded(settings.corpus_dirs)
        library.reconcile()
        return added
    finally:
        db.close()


def build_library_index(settings: Settings):
    """Build the index from the library (what the service's re-index does), with progress on stderr."""
    from ..db import open_database
    from ..indexer import STAGE_LABELS, build_index
    from .library import Library

    db = open_database(Path(settings.data_dir))
    try:
        library = Library(settings, db)
        last = {"stage": None, "t": 0.0}

        def progress(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            if stage != last["stage"] or done >= total or now - last["t"] > 2:
                print(f"{STAGE_LABELS.get(stage, stage)} {done}/{total}", file=sys.stderr, flush=True)
                last.update(stage=stage, t=now)

        with library.locked(shared=True):  # nobody changes the library while it is read
            report = build_index([library.root], settings.index_dir, settings, progress)
        from ..eligibility.store import sync_index_dir

        sync_index_dir(db, settings.index_dir.resolve(), "cli")  # eligibility rules of the new versions
        return report
    finally:
        db.close()


class _Context:
    def __init__(self, args: argparse.Namespace) -> None:
        from ..db import open_database
        from .library import Library

        self.settings = _settings(args)
        self.db = open_database(Path(self.settings.data_dir))
        self.library = Library(self.settings, self.db)
        self.library.ensure_seeded(self.settings.corpus_dirs)  # a first `docs add` must not hide the shipped corpus
        self.actor = getattr(args, "actor", None) or f"cli:{getpass.getuser()}"

    def __enter__(self) -> "_Context":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()


def _metadata_from_args(args: argparse.Namespace) -> dict:
    meta = {}
    for key in ("title", "doc_number", "issuer", "issue_date", "effective_date", "expiry_date", "status", "region",
                "doc_type", "note"):
        value = getattr(args, key, None)
        if value is not None:
            meta[key] = value
    if getattr(args, "program", None):
        meta["programs"] = args.program
    return meta


def _line(doc: dict) -> str:
    meta = doc["metadata"]
    when = meta.get("issue_date") or meta.get("effective_date") or "—"
    number = f" {meta['doc_number']}" if meta.get("doc_number") else ""
    deleted = " 已删除" if doc.get("deleted") else ""
    return (f"{doc['id']:>4}  [{doc['status']}]{deleted} 《{doc['title']}》{number}  {when}  v{doc['version']}  "
            f"{doc['source']}  项目：{'、'.join(meta.get('programs', [])) or '—'}")


def _reindex_after(ctx: _Context, args: argparse.Namespace) -> int:
    if not getattr(args, "reindex", False):
        print("提示：运行 `assistant docs reindex`（或在管理页面点“重新索引”）后，问答才会用到这些变更。", file=sys.stderr)
        return 0
    from ..indexer import IndexBusy

    try:
        report = build_library_index(ctx.settings)
    except IndexBusy as exc:
        print(str(exc), file=sys.stderr)
        return 4
    print(report.summary())
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from .uploads import check_upload

    with _Context(args) as ctx:
        meta = _metadata_from_args(args)
        if len(args.files) > 1 and "title" in meta:
            print("--title 只能用于单个文件", file=sys.stderr)
            return 2
        limit = ctx.settings.upload_max_bytes
        checked = []
        for name in args.files:
            path = Path(name)
            if not path.is_file():
                print(f"文件不存在：{name}", file=sys.stderr)
                return 2
            with open(path, "rb") as fh:
                checked.append(check_upload(fh.read(limit + 1), path.name, limit))
        if args.replace:
            if len(checked) != 1:
                print("--replace 只能配一个文件", file=sys.stderr)
                return 2
            docs = [ctx.library.replace_document(ctx.library.resolve(args.replace), checked[0], meta, ctx.actor)]
        else:
            docs = ctx.library.add_documents([(c, args.folder, meta) for c in checked], ctx.actor)
        for doc in docs:
            print(("已替换 " if args.replace else "已添加 ") + _line(doc))
        return _reindex_after(ctx, args)


def cmd_status(args: argparse.Namespace, status: str) -> int:
    with _Context(args) as ctx:
        for ref in args.sources:
            doc = ctx.library.set_status(ctx.library.resolve(ref), status, ctx.actor, note=getattr(args, "note", "") or "")
            print(("已废止 " if status == "已废止" else "已恢复为现行 ") + _line(doc))
        return _reindex_after(ctx, args)


def cmd_delete(args: argparse.Namespace) -> int:
    with _Context(args) as ctx:
        for ref in args.sources:
            doc = ctx.library.delete_document(ctx.library.resolve(ref), ctx.actor)
            print("已删除（历史版本仍保留）" + _line(doc))
        return _reindex_after(ctx, args)


def cmd_list(args: argparse.Namespace) -> int:
    with _Context(args) as ctx:
        docs = ctx.library.list_documents(status=args.status, program=args.program, date_from=args.date_from,
                                          date_to=args.date_to, q=args.q, include_deleted=args.deleted)
        if args.json:
            print(json.dumps(docs, ensure_ascii=False, indent=1))
        else:
            for doc in docs:
                print(_line(doc))
            print(f"共 {len(docs)} 个文档", file=sys.stderr)
        return 0


def cmd_versions(args: argparse.Namespace) -> int:
    with _Context(args) as ctx:
        doc = ctx.library.get_document(ctx.library.resolve(args.source))
        print(_line(doc))
        for v in doc["history"]:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(v["created_at"]))
            link = f" → v{v['replaced_by_version']}" if v["replaced_by_version"] else ""
            print(f"  v{v['version']} [{v['status']}]{link} {v['filename']} {v['size']} 字节 {when} {v['created_by']} "
                  f"sha256:{v['sha256'][:12]}")
        return 0


def cmd_audit(args: argparse.Namespace) -> int:
    with _Context(args) as ctx:
        log = ctx.library.audit_log(limit=args.limit)
        for item in log["items"]:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(item["at"]))
            version = f" v{item['version']}" if item["version"] else ""
            print(f"{when} {item['actor']} {item['action']} {item['source']}{version} {item['title']}")
        return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from ..indexer import IndexBusy

    settings = _settings(args)
    prepare_library(settings)
    try:
        report = build_library_index(settings)
    except IndexBusy as exc:
        print(str(exc), file=sys.stderr)
        return 4
    print(report.summary())
    return 3 if report.skipped else 0


def _run(func):
    """AdminError (bad upload, unknown document…) → its Chinese message and exit status 1."""
    from .errors import AdminError

    def wrapped(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except AdminError as exc:
            print(f"错误：{exc.message}", file=sys.stderr)
            return 1

    return wrapped


def register(sub) -> None:
    """Add `docs …` to the `assistant` command line (called from assistant/cli.py)."""
    docs = sub.add_parser("docs", help="管理文档库（添加、替换、废止、删除、列出、重新索引）")
    dsub = docs.add_subparsers(dest="docs_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", help="数据目录（文档库、数据库）")
        p.add_argument("--index", help="索引目录")
        p.add_argument("--corpus", action="append", help="首次使用时用来初始化文档库的语料目录")
        p.add_argument("--actor", help="审计日志中记录的操作人（默认 cli:当前用户）")

    p = dsub.add_parser("add", help="添加文档（或用 --replace 替换某文档为新版本）")
    p.add_argument("files", nargs="+", help="文档文件（md、txt、html、pdf、docx、jsonl）")
    p.add_argument("--title")
    p.add_argument("--doc-number", dest="doc_number", help="文号")
    p.add_argument("--issuer", help="发文机关")
    p.add_argument("--issue-date", dest="issue_date", help="发布日期 YYYY-MM-DD")
    p.add_argument("--effective-date", dest="effective_date", help="施行日期")
    p.add_argument("--expiry-date", dest="expiry_date", help="失效日期")
    p.add_argument("--status", choices=("现行", "已修订", "已废止"))
    p.add_argument("--region")
    p.add_argument("--doc-type", dest="doc_type")
    p.add_argument("--note")
    p.add_argument("--program", action="append", help="适用项目（可多次指定）")
    p.add_argument("--folder", help="文档库中的目录（默认按文件类型：policies / guides / faq）")
    p.add_argument("--replace", metavar="SOURCE", help="替换此文档（编号或路径），旧版本保留为“已修订”")
    p.add_argument("--reindex", action="store_true", help="完成后立即重新索引")
    common(p)
    p.set_defaults(func=_run(cmd_add))

    for name, status, text in (("retire", "已废止", "废止文档（仍保留在索引中，回答时会注明已废止）"),
                               ("reinstate", "现行", "把文档恢复为现行")):
        p = dsub.add_parser(name, help=text)
        p.add_argument("sources", nargs="+", metavar="SOURCE", help="文档编号或路径，如 policies/某办法.md")
        if name == "retire":
            p.add_argument("--note", help="备注（如废止依据）")
        p.add_argument("--reindex", action="store_true", help="完成后立即重新索引")
        common(p)
        p.set_defaults(func=_run(lambda a, s=status: cmd_status(a, s)))

    p = dsub.add_parser("delete", help="从文档库删除文档（历史版本与审计记录保留）")
    p.add_argument("sources", nargs="+", metavar="SOURCE")
    p.add_argument("--reindex", action="store_true")
    common(p)
    p.set_defaults(func=_run(cmd_delete))

    p = dsub.add_parser("list", help="列出文档")
    p.add_argument("--status", choices=("现行", "已修订", "已废止"))
    p.add_argument("--program", help="适用项目")
    p.add_argument("--from", dest="date_from", help="发布日期不早于 YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", help="发布日期不晚于 YYYY-MM-DD")
    p.add_argument("--q", help="按标题、文号、发文机关、路径查找")
    p.add_argument("--deleted", action="store_true", help="包括已删除的文档")
    p.add_argument("--json", action="store_true")
    common(p)
    p.set_defaults(func=_run(cmd_list))

    p = dsub.add_parser("versions", help="查看文档的历史版本")
    p.add_argument("source", metavar="SOURCE")
    common(p)
    p.set_defaults(func=_run(cmd_versions))

    p = dsub.add_parser("audit", help="查看审计日志")
    p.add_argument("--limit", type=int, default=50)
    common(p)
    p.set_defaults(func=_run(cmd_audit))

    p = dsub.add_parser("reindex", help="根据文档库重新建立索引（服务会自动切换到新索引）")
    common(p)
    p.set_defaults(func=_run(cmd_reindex))
