"""The scratch folder beside a run's target, and the check that the target is a DuckDB file or nothing yet.

In:  the target path. Out: ``check_target`` (F602), ``scratch`` (a context manager yielding the folder).
Moved out of ``run`` unchanged; an I/O edge like it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Iterator

from compiler.errors import Diagnostic, FerryError, Span

_WHERE = "check the path (`target.path` or --target): a file in a folder ferry can write"


def _fail(code: str, message: str, span: Span, hint: str | None = None) -> FerryError:
    return FerryError(Diagnostic(code, message, span, hint))


def check_target(target: Path) -> None:
    """The target is a DuckDB database or nothing yet: DuckDB opens any other file (a CSV) as an empty
    in-memory database, and the run would "succeed" and save nothing."""
    try:  # a name longer than the system takes (ENAMETOOLONG), a folder inside a file, a symbolic link loop
        target.parent.mkdir(parents=True, exist_ok=True)  # as the run would, before its scratch folder
        target.exists()
    except OSError as exc:
        raise _fail("F602", f"cannot use target {target}: {exc.strerror}", Span(str(target)), _WHERE) from None
    if target.is_dir():
        raise _fail("F602", f"target {target} is a folder", Span(str(target)), "set `target.path` to a .duckdb file")
    if target.is_file() and target.stat().st_size:
        with target.open("rb") as fh:
            head = fh.read(12)
        if head[8:12] != b"DUCK":
            raise _fail("F602", f"target {target} exists and is not a DuckDB database", Span(str(target)),
                        "`target.path` must name a .duckdb file (or one that does not exist yet)")


@contextlib.contextmanager
def scratch(target: Path) -> Iterator[Path]:
    """A scratch folder beside the target (transcoded sources, a first run's database), removed on
    every exit; one a killed run left behind (its process is gone) is removed by the next run."""
    root = target.parent / ".ferry-tmp"
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob("run-*"):
        pid = old.name.removeprefix("run-")
        if pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    work = run_folder(target)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            root.rmdir()  # only when empty: another run may be using it


def run_folder(target: Path) -> Path:
    """This process's scratch folder for ``target`` (``scratch`` makes and removes it)."""
    return target.parent / ".ferry-tmp" / f"run-{os.getpid()}"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
