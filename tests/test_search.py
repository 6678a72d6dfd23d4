"""Hybrid search on the shipped corpus: the JSON contract, batch mode, filters, query normalization."""

from __future__ import annotations

import json
import subprocess
import sys

from assistant.models import SearchFilters

from support import ROOT

HIT_FIELDS = {"rank", "score", "doc_id", "source", "title", "section", "text", "start", "end", "status"}


def run_cli(*args, stdin: str | None = None, settings=None) -> subprocess.CompletedProcess:
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "ASSISTANT_EMBEDDING_CACHE": str(settings.embedding_cache)}
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


def test_search_json_contract(shipped_index, engine):
    proc = run_cli("search", "青岛优品申报条件", "--index", str(shipped_index.index_dir), "--k", "5", "--json",
                   settings=shipped_index)
    assert proc.returncode == 0, proc.stderr
    hits = json.loads(proc.stdout)
    assert len(hits) == 5 and [h["rank"] for h in hits] == [1, 2, 3, 4, 5]
    for h in hits:
        assert HIT_FIELDS <= set(h)
        doc = engine.index.docs[h["doc_id"]]
        assert doc.text[h["start"]:h["end"]] == h["text"]
        assert doc.meta.source == h["source"]
    assert hits[0]["source"] == "guides/青岛优品申报指南.md"
    assert hits[0]["score"] >= hits[-1]["score"]


def test_batch_mode_reads_one_question_per_line(shipped_index):
    proc = run_cli("search", "--index", str(shipped_index.index_dir), "--k", "3",
                   stdin="区长质量奖奖多少\n\n首席质量官培训\n", settings=shipped_index)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["question"] for r in rows] == ["区长质量奖奖多少", "首席质量官培训"]
    assert all(len(r["hits"]) == 3 for r in rows)


def test_article_numbers_traditional_script_and_abbreviations(engine):
    top = engine.search("区长质量奖管理办法第14条", 3)[0]
    assert top.source == "policies/城阳区区长质量奖管理办法.md" and "第十四条" in top.text
    traditional = engine.search("區長質量獎獎勵多少", 3)
    assert "区长质量奖" in traditional[0].title
    nqi = engine.search("NQI一站式平台能办什么业务", 3)
    assert "质量基础设施" in nqi[0].title


def test_filters_by_status_and_program(engine):
    old = engine.search("区长质量奖奖励", 10, SearchFilters(status=["已修订"]))
    assert old and all(h.status == "已修订" for h in old)
    current = engine.search("区长质量奖奖励", 10, SearchFilters(current_only=True))
    assert current and all(h.status == "现行" for h in current)
    program = engine.search("奖励", 10, SearchFilters(program="青岛优品"))
    assert program and all("青岛优品" in engine.index.docs[h.doc_id].meta.programs for h in program)
    assert engine.search("奖励", 10, SearchFilters(program="不存在的项目")) == []
    assert engine.search("   ", 10) == []
