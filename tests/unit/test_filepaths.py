"""Every file role its own file, inside the project: F320-F322, before anything is read."""

from __future__ import annotations

import pytest

from compiler import api
from compiler.errors import FerryError

SPEC = """\
version: 1
name: paths
sources:
  people: {{path: "{source}", id: id}}
entities:
  person:
    source: people
    fields: {{name: name}}
    filter: {{keep: "name IS NOT NULL", archive: "{archive}"}}
target: {{path: "{target}"}}
"""


def validate(tmp_path, source="people.csv", archive="build/archived.csv", target="build/out.duckdb",
             allow_outside=False) -> list[tuple[str, int]]:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "people.csv").write_text("id,name\n1,Ann\n", encoding="utf-8")
    (project / "build" / "folder.csv").mkdir(parents=True, exist_ok=True)
    (tmp_path / "elsewhere.csv").write_text("id,name\n1,Bob\n", encoding="utf-8")
    spec = project / "paths.yaml"
    spec.write_text(SPEC.format(source=source, archive=archive, target=target), encoding="utf-8")
    try:
        api.validate_spec(spec, api.Options(out=project / "generated", allow_outside=allow_outside))
    except FerryError as exc:
        return [(d.code, d.span.line) for d in exc.diagnostics]
    return []


def test_a_spec_whose_files_each_have_one_role_passes(tmp_path):
    assert validate(tmp_path) == []


@pytest.mark.parametrize("kwargs,expected", [
    ({"source": "/proc/self/environ"}, [("F321", 4)]),
    ({"source": "/dev/stdin"}, [("F321", 4)]),
    ({"source": "../elsewhere.csv"}, [("F321", 4)]),
    ({"source": "peo[pl]e.csv"}, [("F320", 4)]),
    ({"source": "*.csv"}, [("F320", 4)]),
    ({"archive": "people.csv"}, [("F322", 9)]),  # the archive would overwrite the export
    ({"archive": "build/same.csv", "target": "build/same.csv"}, [("F322", 9)]),
    ({"archive": "generated/x.csv"}, [("F322", 9)]),
    ({"archive": "build/folder.csv"}, [("F322", 9)]),  # a folder
    ({"archive": "/tmp/x.csv"}, [("F321", 9)]),
    ({"target": "people.csv"}, [("F322", 10)]),
    # found by tests/fuzz: a NUL was a ValueError, and a target in /dev or /proc reached the run
    ({"source": "peo\\0ple.csv"}, [("F320", 4)]),
    ({"archive": "build/a\\0.csv"}, [("F320", 9)]),
    ({"target": "build/o\\0ut.duckdb"}, [("F320", 10)]),
    ({"target": "/dev/null"}, [("F321", 10)]),
    ({"target": "/proc/self/environ"}, [("F321", 10)]),
    ({"target": "build/out[1].duckdb"}, []),  # a target is opened by its name: brackets are letters
])
def test_overlapping_or_outside_paths_are_located_errors(tmp_path, kwargs, expected):
    assert validate(tmp_path, **kwargs) == expected


def test_outside_paths_can_be_allowed_but_system_files_never(tmp_path):
    assert validate(tmp_path, source="../elsewhere.csv", allow_outside=True) == []
    assert validate(tmp_path, source="/proc/self/environ", allow_outside=True) == [("F321", 4)]


def test_the_project_is_the_git_work_tree_the_spec_is_in(tmp_path):
    """Specs in specs/, exports in data/ at the repository's root: inside the project."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "project").mkdir()
    assert validate(tmp_path, source="../elsewhere.csv") == []
