"""Hostile files built in memory for the tests (issue 11, item 2): compression bombs whose headers lie.

Importable from any test (pytest puts tests/ on sys.path). Built by streaming, so making a 300 MB bomb
never holds 300 MB."""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

_MB = 1024 * 1024


def _deflate_stream(head: bytes, fill: bytes, total: int, raw: bool) -> tuple[bytes, bytes]:
    """(compressed bytes, the first 64 KB of the output) of head + fill repeated to `total` bytes."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15 if raw else 15)
    out = [comp.compress(head)]
    block = fill * (_MB // len(fill))
    left = total - len(head)
    prefix = (head + block)[:65536]
    while left > 0:
        piece = block[:left]
        out.append(comp.compress(piece))
        left -= len(piece)
    out.append(comp.flush())
    return b"".join(out), prefix


def _zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip from (name, deflated data, declared size, declared crc, method) without zipfile's checks."""
    local, central = [], []
    offset = 0
    for name, data, size, crc, method in members:
        fn = name.encode()
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(data), size, len(fn), 0) + fn
        local.append(header + data)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, len(data), size,
                                   len(fn), 0, 0, 0, 0, 0, offset) + fn)
        offset += len(header) + len(data)
    cd = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(cd), offset, 0)
    return b"".join(local) + cd + end


def _blank_docx_members() -> list[tuple[str, bytes]]:
    """The parts of an empty Word document as python-docx writes it (content types, relationships, styles)."""
    import io
    import zipfile

    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    with zipfile.ZipFile(buf) as zf:
        return [(name, zf.read(name)) for name in zf.namelist()]


@lru_cache(maxsize=4)
def lying_docx(inflated_mb: int = 300, declared: int = 2048) -> bytes:
    """A real Word package whose word/document.xml inflates to `inflated_mb` MB while its local and central
    headers declare `declared` bytes, with the CRC of exactly those first bytes (so a reader that stops at
    the declared size sees a valid member), and a compressed size within every ratio check."""
    members = []
    for name, content in _blank_docx_members():
        if name == "word/document.xml":
            data, prefix = _deflate_stream(b"<w:document>", b" ", inflated_mb * _MB, raw=True)
            members.append((name, data, declared, zlib.crc32(prefix[:declared]), 8))
        else:
            comp = zlib.compressobj(9, zlib.DEFLATED, -15)
            members.append((name, comp.compress(content) + comp.flush(), len(content), zlib.crc32(content), 8))
    return _zip(members)


def honest_zip(size_mb: int) -> bytes:
    """A zip whose one member really is `size_mb` MB and says so (text of 16 letters: ~2:1, under every
    ratio check)."""
    import random

    block = bytes(b"abcdefghijklmnop"[x & 15] for x in random.Random(0).randbytes(_MB))
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    parts, crc = [], 0
    for _ in range(size_mb):
        parts.append(comp.compress(block))
        crc = zlib.crc32(block, crc)
    parts.append(comp.flush())
    return _zip([("word/document.xml", b"".join(parts), size_mb * _MB, crc, 8)])


@lru_cache(maxsize=4)
def flate_bomb_pdf(inflated_mb: int = 100, pages: int = 1) -> bytes:
    """A one-stream PDF whose page content (FlateDecode) inflates to `inflated_mb` MB; every page shows it."""
    data, _ = _deflate_stream(b"BT /F1 12 Tf 72 712 Td (x) Tj ET\n", b" ", inflated_mb * _MB, raw=False)
    kids = " ".join(f"{5 + i} 0 R" for i in range(pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream"]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
             b"/Contents 4 0 R >>"] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
