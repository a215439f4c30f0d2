"""Writing files and folders atomically: build beside the target, then ``os.replace``.

A half-written file or folder never appears under its final name; an existing folder is
swapped out only once the new one is complete, and whatever was being built is removed if
the writing fails. File-system plumbing for the I/O edges (results folders, exports,
command outputs); it knows nothing of what is written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_file", "atomic_folder", "write_text_atomic"]


@contextmanager
def atomic_folder(out: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling folder to fill; on success it becomes ``out`` (replacing any old one)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling path (same suffix) to write; on success it replaces ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def check_writable(out: str | Path) -> Path:
    """Raise :class:`OSError` (with the path) unless ``out`` can be written as a file or folder.

    Creates the missing parent folders, as the atomic writers would, and writes and removes a
    probe file there; call it before long work whose result goes to ``out``.
    """
    out = Path(out)
    if out.exists() and not out.is_dir() and not out.is_file():
        raise OSError(f"{out}: exists and is neither a file nor a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.probe-", dir=out.parent)
    os.close(fd)
    os.unlink(name)
    return out
