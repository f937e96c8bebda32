"""Running one fuzz case and judging its outcome.

In:  a project folder (a spec beside its data) and ``api.Options``.
Out: ``attempt(spec, options)``: the outcome, ``"accepted"`` or ``"F123"`` (the first code of the
located error), after asserting the promise: a run that is accepted balances, and an error is a
``FerryError`` whose every diagnostic formats to one line with a code and a location (a line
number when it points into the spec), with the project's files as they were before the failing
step. Anything else (another exception, a hang) fails the case. ``TALLY`` counts the outcomes
for the summary that conftest.py prints.

A hang is guarded by ``guard`` (SIGALRM after 60 s, raising in the case), a guard and not a speed
assertion; faulthandler ends the process if even that cannot interrupt it.
"""

from __future__ import annotations

import contextlib
import faulthandler
import hashlib
import re
import signal
from collections import Counter
from pathlib import Path
from typing import Iterator

from compiler import api
from compiler.errors import FerryError

HANG_SECONDS = 60
TALLY: dict[str, Counter] = {}
CODE = re.compile(r"F\d{3}")


class Hang(Exception):
    pass


@contextlib.contextmanager
def guard(seconds: int = HANG_SECONDS) -> Iterator[None]:
    def ring(signum, frame):
        raise Hang(f"no outcome after {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    faulthandler.dump_traceback_later(seconds * 3, exit=True)
    try:
        yield
    finally:
        signal.alarm(0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, previous)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (symlinks as their target's name), by content hash."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = "-> " + str(path.readlink())
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def check_located(error: FerryError, spec: Path) -> None:
    """Every diagnostic: one line, a code, a file; a line number when it points into the spec."""
    assert error.diagnostics, "a FerryError without diagnostics"
    for d in error.diagnostics:
        text = d.format()
        assert len(text.splitlines()) == 1 and "\n" not in text, f"not one line: {text!r}"
        assert CODE.fullmatch(d.code), f"no code: {text!r}"
        assert d.span is not None and d.span.file, f"no location: {text!r}"
        assert text.startswith(f"{d.span}: error: "), text
        if Path(d.span.file).resolve() == spec.resolve():
            assert d.span.line >= 1, f"points into the spec without a line: {text!r}"


def _failing(step, spec: Path, folder: Path) -> str | None:
    """Run one step; None when it succeeds, else the first code, with the folder unchanged."""
    before = snapshot(folder)
    try:
        step()
    except FerryError as error:
        check_located(error, spec)
        assert not changed(before, snapshot(folder)), f"a failed step changed files: {changed(before, snapshot(folder))}"
        return error.diagnostics[0].code
    return None


def attempt(spec: Path, options: api.Options, folder: Path, compiled: bool = False) -> str:
    """Validate, compile and run ``spec`` (only run, which validates first, when it is ``compiled``
    already); the outcome, asserted as the module docstring says. ``folder`` holds the spec's project
    and ``options.out``: what a failing step must not change."""
    result: list = []
    steps = [lambda: api.validate_spec(spec, options), lambda: api.compile_spec_files(spec, options)]
    with guard():
        for step in [*([] if compiled else steps), lambda: result.append(api.run_spec(spec, options))]:
            code = _failing(step, spec, folder)
            if code is not None:
                return code
    (manifest,) = result
    unbalanced = [c for c in manifest.entities if not c.balanced]
    assert not unbalanced, f"accepted, but the accounting does not balance: {unbalanced}"
    assert manifest.entities, "accepted, but no entity was run"
    return "accepted"


def record(suite: str, outcome: str) -> None:
    TALLY.setdefault(suite, Counter())[outcome] += 1
