"""Durable file writes shared by the index (its CURRENT pointer) and the document library."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write aside (a dot-name that the indexer and the library ignore), fsync, rename over, fsync the
    folder: a reader sees the old content or the new, never a torn file, even after a crash.
    `mode` (e.g. 0o600 for stored data) is the file's permission from its creation on; folders created
    for it are then owner-only too."""
    if mode is None:
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.parent / f".tmp-{uuid.uuid4().hex}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        with os.fdopen(os.open(tmp, flags, 0o666 if mode is None else mode), "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
