"""A spec as it was at a git revision: (spec path, revision) -> a copy of the spec and its data in a folder.

In:  the spec file in the working tree, a git revision, an empty work folder.
Out: the path of the spec at that revision, written under the folder at the same
repository-relative place, with each source file it names: the revision's version
when the file is in git there, else the working tree's (data are often not in git),
else nothing (``Checkout.missing``). git is only read: ``git show`` and ``git cat-file``,
never ``checkout``, ``stash`` or ``worktree``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from compiler.errors import Diagnostic, FerryError, Span
from compiler.load import load
from compiler.validate import to_spec


@dataclass(frozen=True, slots=True)
class Checkout:
    root: Path  # the repository's top folder
    commit: str  # the revision, resolved
    spec: Path  # the base spec, under the work folder
    from_git: tuple[str, ...]  # source files taken from the revision (repository-relative)
    from_worktree: tuple[str, ...]  # source files not in git at the revision, taken from the working tree
    missing: tuple[str, ...]  # source files found in neither


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True)
    except OSError as exc:
        raise FerryError(Diagnostic("F810", f"cannot run git: {exc.strerror or exc}", Span(str(root)),
                                    "install git, or compare by hand with `ferry compile --out`")) from None


def repository(spec: Path) -> Path:
    """The top folder of the git repository holding ``spec``."""
    folder = spec.resolve().parent
    done = _git(folder, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise FerryError(Diagnostic("F810", f"{spec} is not in a git repository", Span(str(spec)),
                                    "`ferry diff --base` compares with a git revision; run it inside the repository"))
    return Path(done.stdout.decode().strip())


def resolve(root: Path, rev: str, spec: Path) -> str:
    done = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if done.returncode != 0 or not rev or rev.startswith("-"):
        raise FerryError(Diagnostic("F811", f"unknown git revision '{rev}'", Span(str(spec)),
                                    "use a branch, tag or commit, e.g. --base origin/main or --base HEAD~1; "
                                    "in CI, fetch the base branch first (actions/checkout fetch-depth: 0)"))
    return done.stdout.decode().strip()


def _in_git(root: Path, commit: str, rel: str) -> bool:
    return _git(root, "cat-file", "-e", f"{commit}:{rel}").returncode == 0


def _write_blob(root: Path, commit: str, rel: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("wb") as fh:
        subprocess.run(["git", "-C", str(root), "cat-file", "blob", f"{commit}:{rel}"], stdout=fh, check=True)


def checkout(spec: Path, rev: str, workdir: Path) -> Checkout:
    """Write the spec at ``rev``, and the source files it names, under ``workdir``."""
    root = repository(spec)
    commit = resolve(root, rev, spec)
    rel = PurePosixPath(Path(os.path.relpath(spec.resolve(), root)).as_posix())
    if not _in_git(root, commit, str(rel)):
        raise FerryError(Diagnostic("F812", f"{rel} does not exist at revision '{rev}'", Span(str(spec)),
                                    "a spec new in this change has nothing to compare with; "
                                    "use `ferry plan` to see what it would load"))
    base_spec = workdir / rel
    _write_blob(root, commit, str(rel), base_spec)
    from_git, from_worktree, missing = [], [], []
    for source in to_spec(load(base_spec)).sources:
        file_rel = PurePosixPath(os.path.normpath(rel.parent / source.path))
        dest = workdir / file_rel
        if str(file_rel).startswith(".."):
            missing.append(str(file_rel))  # outside the repository: the base cannot have it
        elif _in_git(root, commit, str(file_rel)):
            _write_blob(root, commit, str(file_rel), dest)
            from_git.append(str(file_rel))
        elif (root / file_rel).is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(root / file_rel, dest)  # read only: the plan delta runs on it, nothing writes it
            from_worktree.append(str(file_rel))
        else:
            missing.append(str(file_rel))
    return Checkout(root, commit, base_spec, tuple(from_git), tuple(from_worktree), tuple(missing))
