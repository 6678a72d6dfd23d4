"""Peak memory and time to refuse compression bombs whose headers lie (issue 11, item 2).

Builds the hostile files of tests/hostile_files.py in memory (a real Word package whose document.xml
declares 2 KB and inflates to 300 MB; a PDF whose FlateDecode page stream inflates to 100 MB) and loads
each with the ingestion loaders under tracemalloc. Compare code trees by putting the other first on
PYTHONPATH:

    PYTHONPATH=. python benchmarks/bomb_memory.py
    PYTHONPATH=/tmp/base python benchmarks/bomb_memory.py
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from hostile_files import flate_bomb_pdf, lying_docx  # noqa: E402

from assistant.ingest import loaders  # noqa: E402


def main() -> None:
    print(f"code: {Path(loaders.__file__).parents[2]}")
    print("| file | size | result | peak memory | time |")
    print("| --- | ---: | --- | ---: | ---: |")
    for name, data, load in (("DOCX declaring 2 KB, inflating to 300 MB", lying_docx(300, 2048), loaders.load_docx),
                             ("PDF with a 100 MB FlateDecode stream", flate_bomb_pdf(100), loaders.load_pdf)):
        tracemalloc.start()
        started = time.perf_counter()
        try:
            load(data)
            result = "loaded"
        except Exception as exc:  # noqa: BLE001 (reported)
            result = f"{type(exc).__name__}: {str(exc)[:40]}"
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"| {name} | {len(data) // 1024} KB | {result} | {peak / 1e6:.1f} MB | {seconds:.2f} s |")


if __name__ == "__main__":
    main()
