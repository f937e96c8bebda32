"""Writing compiled output: ``{name: text}`` -> ``generated/<spec name>/`` on disk.

In:  the rendered files and the output folder.
Out: a ``WriteResult`` (what changed), or, for ``--check``, the list of files
that differ from what is on disk.

The folder is replaced as a whole (written next to it, then renamed into
place), so an interrupted compile never leaves a mix of old and new files.
Everything in the folder belongs to ferry: files no longer produced are removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping


@dataclass(frozen=True, slots=True)
class WriteResult:
    directory: Path
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


def _on_disk(directory: Path) -> dict[str, bytes]:
    """Every file under the folder, by its relative POSIX path (other targets write into subfolders)."""
    if not directory.is_dir():
        return {}
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def stale_files(directory: Path, files: Mapping[str, str]) -> tuple[str, ...]:
    """Names that are missing, different, or no longer produced (for ``compile --check``)."""
    current = _on_disk(directory)
    changed = [n for n, text in files.items() if current.get(n) != text.encode("utf-8")]
    extra = [n for n in current if n not in files]
    return tuple(sorted(changed + extra))


def write_files(directory: Path, files: Mapping[str, str]) -> WriteResult:
    current = _on_disk(directory)
    written = tuple(n for n, t in files.items() if current.get(n) != t.encode("utf-8"))
    unchanged = tuple(n for n in files if n not in written)
    removed = tuple(n for n in current if n not in files)
    if not written and not removed:
        return WriteResult(directory, (), unchanged, ())
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        for name, text in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(text.encode("utf-8"))
        old = directory.with_name(f".{directory.name}.old")
        if old.exists():
            shutil.rmtree(old)
        if directory.exists():
            os.replace(directory, old)
        os.replace(staging, directory)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return WriteResult(directory, written, unchanged, removed)
