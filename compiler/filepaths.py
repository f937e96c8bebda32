"""Which files a spec may read and write: every role its own file, inside the project.

In:  a ``Spec`` (its path and every path it names), the compiled-output folder, and whether the
user allowed paths outside the project (``--allow-outside``).
Out: diagnostics, before any file is read or written:

* F320: a path with glob characters (``*?[]{}``): DuckDB would read every file the pattern matches,
  while the run manifest hashes the one named; or with a NUL character, which no file name holds;
* F321: a source or archive outside the project (the git work tree the spec is in, else the spec's
  folder), or anywhere in ``/proc``,
  ``/dev`` or ``/sys`` even when allowed: any readable file could otherwise become a source and
  its content (``/proc/self/environ`` holds the DSN) a PR comment; and a target there (a run
  would replace ``/dev/null`` with its database);
* F322: two roles on one file (an archive that is a source export, the spec, the target or in
  ``generated/``; a target that is a source; a decision file that is any other file or in
  ``generated/``), or an archive path that is a folder.

An I/O edge like ``sources``: it resolves symbolic links to see where a path really leads.
"""

from __future__ import annotations

import os
from pathlib import Path

from compiler.errors import Diagnostic, Span
from compiler.model import Spec

_GLOB = set("*?[]{}")
_SYSTEM = (Path("/proc"), Path("/dev"), Path("/sys"))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long for the file system: not a folder; writing it fails, located, later
        return False


def _resolved(base: Path, written: str) -> Path:
    return Path(os.path.realpath(base / written))


def project_root(spec_path: str) -> Path:
    """The git work tree the spec is in (its folder holds ``.git``), else the spec's own folder."""
    folder = Path(os.path.realpath(Path(spec_path).parent))
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def check_paths(spec: Spec, out: Path, allow_outside: bool = False) -> list[Diagnostic]:
    base = Path(spec.path).parent
    project = project_root(spec.path)
    found: list[Diagnostic] = []
    roles: dict[Path, str] = {_resolved(Path("."), spec.path): "the spec"}

    def place(written: str, span: Span, what: str, contained: bool = True, globs: bool = False) -> Path:
        if "\0" in written:  # the OS would refuse it (and os.path a ValueError): no file is named so
            found.append(Diagnostic("F320", f"{what} path '{written}' contains a NUL character", span,
                                    "remove it; a file name cannot hold NUL"))
            written = written.replace("\0", "")
        resolved = _resolved(base, written)
        if _GLOB & set(written) and not globs:
            found.append(Diagnostic("F320", f"{what} path '{written}' contains a glob character", span,
                                    "DuckDB would read every file the pattern matches: rename the file"))
        if any(_inside(resolved, system) for system in _SYSTEM):
            found.append(Diagnostic("F321", f"{what} path '{written}' is a system file ({resolved})", span,
                                    "sources, archives and the target are files of the migration, not of the system"))
        elif contained and not allow_outside and not _inside(resolved, project):
            found.append(Diagnostic("F321", f"{what} path '{written}' is outside the project ({project})", span,
                                    "move the file into the spec's folder, or pass --allow-outside"))
        return resolved

    for source in spec.sources:
        resolved = place(source.path, source.path_span, f"source '{source.name}'")
        roles.setdefault(resolved, f"source '{source.name}'")
    # The target may be anywhere but a system folder; DuckDB opens it by name, so glob characters are letters.
    target = place(spec.target.path, spec.target.span, "target", contained=False, globs=True)
    if target in roles:
        found.append(Diagnostic("F322", f"target path '{spec.target.path}' is {roles[target]}", spec.target.span,
                                "the target is a DuckDB file of its own"))
    roles.setdefault(target, "the target")
    generated = Path(os.path.realpath(out))
    for entity in spec.entities:
        if entity.filter is None or entity.filter.archive is None:
            continue
        written, span = entity.filter.archive, entity.filter.span
        resolved = place(written, span, f"archive of entity '{entity.name}'")
        if resolved in roles:
            found.append(Diagnostic("F322", f"archive path '{written}' is {roles[resolved]}", span,
                                    "write archives to a file of their own, e.g. build/archive/<entity>.parquet"))
        elif _inside(resolved, generated):
            found.append(Diagnostic("F322", f"archive path '{written}' is inside {out}/, which ferry compile owns",
                                    span, "write archives under build/"))
        elif _is_dir(resolved):
            found.append(Diagnostic("F322", f"archive path '{written}' is a folder", span,
                                    "name a file: .parquet or .csv"))
        roles.setdefault(resolved, f"the archive of entity '{entity.name}'")
    for entity in spec.entities:  # a decision file is read, like a source, and only read
        if entity.dedup is None or entity.dedup.decisions is None:
            continue
        written, span = entity.dedup.decisions, entity.dedup.decisions_span or entity.span
        resolved = place(written, span, f"decisions of entity '{entity.name}'")
        if resolved in roles or _inside(resolved, generated):
            found.append(Diagnostic("F322", f"decisions path '{written}' is "
                                    f"{roles.get(resolved, f'inside {out}/, which ferry compile owns')}", span,
                                    "keep decisions in a file of their own, e.g. review/contact_decisions.csv"))
        roles.setdefault(resolved, f"the decisions of entity '{entity.name}'")
    return sorted(found, key=lambda d: (d.span.line, d.span.col, d.code) if d.span else (0, 0, d.code))
