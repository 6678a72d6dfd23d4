"""How often the prompt-injection detector (assistant/ingest/injection.py) flags ordinary policy text.

Runs the detector over every sentence of the real corpora — ncp-policies (599 documents), quality-laws
(22 statutes), gd-gov-services (2,262 Guangdong service guides) — exactly as uploads and the composer
see them (the ingestion loaders' normalized text), and prints the flagged sentences so each can be read.
Also prints how many of the injection examples in tests/ingest/test_injection.py it catches.

    PYTHONPATH=. python benchmarks/injection_fp.py
"""

from __future__ import annotations

import csv
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "ingest"))

from common import REALDATA as DEFAULT_REALDATA  # noqa: E402

from assistant.ingest.injection import find_injections  # noqa: E402
from assistant.ingest.loaders import load_file  # noqa: E402
from assistant.text import normalize_document_text, split_sentences  # noqa: E402

REALDATA = Path(os.environ.get("ASSISTANT_REALDATA") or DEFAULT_REALDATA)
csv.field_size_limit(sys.maxsize)


def corpora() -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {"ncp-policies": [], "quality-laws": [], "gd-gov-services": []}
    with open(REALDATA / "ncp-policies" / "corpus.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            out["ncp-policies"].append((row["docid"], normalize_document_text(row["text"])))
    laws = REALDATA / "quality-laws"
    for path in sorted(laws.glob("*.md")):
        if path.name != "SOURCE.md":
            out["quality-laws"] += [(d.meta.source, d.text) for d in load_file(path, laws)]
    gd = REALDATA / "gd-gov-services"
    out["gd-gov-services"] = [(d.meta.source, d.text) for d in load_file(gd / "policy.jsonl", gd)]
    return out


def main() -> None:
    if not REALDATA.exists():
        sys.exit(f"skipped: {REALDATA} not found")
    started = time.perf_counter()
    total_sentences = total_flagged = 0
    for name, docs in corpora().items():
        sentences = sum(len(split_sentences(text)) for _, text in docs)
        flagged = [(src, f) for src, text in docs for f in find_injections(text)]
        kinds = Counter(f.kind for _, f in flagged)
        total_sentences += sentences
        total_flagged += len(flagged)
        print(f"{name:16} documents {len(docs):5}  sentences {sentences:7}  flagged {len(flagged):3} "
              f"({len(flagged) / max(sentences, 1):.5%}) documents flagged {len({s for s, _ in flagged}):3} "
              f"{dict(kinds)}")
        for src, f in flagged[:20]:
            print(f"    [{f.kind}] {src[:40]}: {f.text[:120]}")
    print(f"all              sentences {total_sentences}  flagged {total_flagged} "
          f"({total_flagged / max(total_sentences, 1):.5%})  in {time.perf_counter() - started:.1f} s")
    try:
        from test_injection import INJECTIONS
    except ImportError:
        return
    caught = [t for t in INJECTIONS if find_injections(normalize_document_text(t))]
    print(f"injection examples caught {len(caught)}/{len(INJECTIONS)}")
    for t in INJECTIONS:
        if t not in caught:
            print("    missed:", t)


if __name__ == "__main__":
    main()
