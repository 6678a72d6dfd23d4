"""`assistant check`: the self-check from the command line (one profile, or JSON lines on stdin)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..settings import Settings
from ..store import IndexNotFound
from .check import CheckError, DocsOnly, run_check
from .profile import ProfileError

VERDICT_TEXT = {"eligible": "符合条件", "not_eligible": "不符合条件", "need_info": "尚需补充信息"}
STATUS_MARK = {"met": "✓", "unmet": "✗", "unknown": "?", "review": "…"}


def render_text(result: dict) -> str:
    lines = [f"核对日期：{result['as_of']}"]
    for prog in result["programs"]:
        lines.append("")
        lines.append(f"【{prog['program']}】{VERDICT_TEXT[prog['verdict']]}")
        for c in prog["conditions"]:
            cite = c["citation"]
            number = f"（{cite['doc_number']}）" if cite["doc_number"] else ""
            note = f" —— {c['note']}" if c["note"] and c["status"] != "review" else ""
            kind = {"exclusion": "［不得申报情形］", "preference": "［优先］", "review": "［由评审认定］"}.get(c["kind"], "")
            lines.append(f"  {STATUS_MARK[c['status']]} {kind}{c['text']}{note}")
            lines.append(f"      《{cite['title']}》{number} {cite['section']}")
        if prog["need_fields"]:
            lines.append("  需补充：" + "、".join(f["label"] for f in prog["need_fields"]))
        if prog["reward"]:
            lines.append(f"  支持内容：{prog['reward']['text']}（《{prog['reward']['citation']['title']}》{prog['reward']['citation']['section']}）")
        if prog["deadline"]:
            passed = "（已截止）" if prog["deadline"].get("passed") else ""
            lines.append(f"  申报时间：{prog['deadline']['text']}{passed}")
        if prog["where"]:
            lines.append(f"  受理地点：{prog['where']['text']}")
    return "\n".join(lines)


def _open_db(settings: Settings):
    path = Path(settings.data_dir) / "assistant.sqlite3"
    if not path.exists():
        return None  # no service database: checks run on the rules as extracted
    from ..db import open_database

    return open_database(Path(settings.data_dir))


def run_cli(args, settings: Settings) -> int:
    try:
        index = DocsOnly.open(settings.index_dir.resolve())
    except IndexNotFound as exc:
        print(str(exc), file=sys.stderr)
        return 2
    db = _open_db(settings)
    try:
        if args.profile:
            try:
                data = json.loads(Path(args.profile).read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                print(f"无法读取画像文件 {args.profile}：{exc}", file=sys.stderr)
                return 2
            try:
                result = run_check(index, data, args.as_of, args.program, db)
            except (ProfileError, CheckError) as exc:
                print(f"画像有误：{exc}", file=sys.stderr)
                return 2
            print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else render_text(result))
            return 0
        status = 0
        for n, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                result = run_check(index, json.loads(line), args.as_of, args.program, db)
                out = {"as_of": result["as_of"], "programs": result["programs"]}
            except json.JSONDecodeError as exc:
                out, status = {"line": n, "error": {"message": f"第 {n} 行不是有效的 JSON：{exc.msg}"}}, 1
            except ProfileError as exc:
                out, status = {"line": n, "error": {"message": f"画像有误：{exc}", "fields": exc.errors}}, 1
            except CheckError as exc:
                out, status = {"line": n, "error": {"message": str(exc), "field": exc.field}}, 1
            print(json.dumps(out, ensure_ascii=False), flush=True)
        return status
    finally:
        if db is not None:
            db.close()
