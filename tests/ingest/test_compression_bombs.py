"""Compression bombs whose headers lie (issue 11, item 2): refused with bounded memory, because members
and streams are inflated in a stream under a hard cap on the bytes actually produced."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from assistant.ingest import loaders
from assistant.ingest.loaders import CompressionBombError, LoadError, inflate_zip, load_file
from hostile_files import flate_bomb_pdf, honest_zip, lying_docx

MB = 1024 * 1024


def peak_while(fn) -> tuple[int, float, BaseException | None]:
    """Peak bytes Python allocated, seconds taken and the exception raised while running fn."""
    tracemalloc.start()
    started = time.perf_counter()
    error = None
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001 (returned to the test)
        error = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, time.perf_counter() - started, error


def test_docx_whose_headers_declare_2_kb_but_inflate_to_300_mb(tmp_path):
    data = lying_docx(300, 2048)
    assert len(data) < 400 * 1024  # a small upload
    path = tmp_path / "政策.docx"
    path.write_bytes(data)
    peak, seconds, error = peak_while(lambda: load_file(path, tmp_path))
    assert isinstance(error, CompressionBombError), error
    assert "压缩炸弹" in str(error)
    assert peak < 8 * MB, peak  # refused one chunk past the declared size, not after inflating 300 MB
    assert seconds < 5


def test_honest_sizes_over_the_cap_stop_at_the_cap():
    data = honest_zip(12)  # really 12 MB, declared 12 MB, under the ratio check
    peak, _, error = peak_while(lambda: inflate_zip(data, "DOCX", max_bytes=4 * MB))
    assert isinstance(error, CompressionBombError), error
    assert peak < 8 * MB, peak
    assert len(inflate_zip(data, "DOCX", max_bytes=32 * MB)["word/document.xml"]) == 12 * MB


def test_pdf_flate_stream_inflating_to_100_mb():
    data = flate_bomb_pdf(100)
    assert len(data) < 200 * 1024
    peak, _, error = peak_while(lambda: loaders.load_pdf(data))
    assert isinstance(error, CompressionBombError), error
    # pypdf's own per-stream default (75 MB) would hold ~150 MB here; ours stops at 16 MB per stream.
    assert peak < 48 * MB, peak


def test_pdf_total_decoded_content_is_capped(monkeypatch):
    # Each page's stream is under the per-stream limit; together they pass the per-file cap.
    monkeypatch.setattr(loaders, "MAX_INFLATED_BYTES", 20 * MB)
    with pytest.raises(CompressionBombError):
        loaders.load_pdf(flate_bomb_pdf(8, pages=4))


def test_corrupt_member_is_refused_as_corrupt():
    data = bytearray(honest_zip(1))
    data[60:70] = b"\xff" * 10  # damage the deflate stream
    with pytest.raises(LoadError):
        inflate_zip(bytes(data), "DOCX")
