"""The Spark engine's errors (F920-F928, F935), one broken case each, from tests/cases/runs/spark.yml.

Every case: exit 1 (or a FerryError through the API), one located line with a hint and the
expected code, the words it must say, no traceback, and the target's bytes as they were. A case
without ``jvm`` runs the real CLI in a child process (no Spark session starts: each is refused
before one would). A ``jvm`` case computes on the tests' shared session (``spark`` fixture,
skipped with its reason without pyspark or Java), through ``publish.execute``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from compiler import api
from compiler.engines.spark import publish
from compiler.engines.spark import runner, session as spark_session
from compiler.errors import FerryError
from tests.helpers import CASES, ROOT, project_with_data

pytestmark = pytest.mark.slow

CASE_FILE = CASES / "runs" / "spark.yml"
ALL = yaml.safe_load(CASE_FILE.read_text("utf-8"))
#: One located line: ``file[:line:col]: error: ... [Fnnn] (hint: ...)``.
LINE = re.compile(r"^\S+?(:\d+:\d+)?: error: .+ \[(F\d{3})\] \(hint: .+\)$")
CODES = {f"F{n}" for n in range(920, 929)} | {"F935"}


def project(tmp_path: Path, case: dict) -> tuple[Path, Path, Path]:
    """The case's spec over the case data, compiled and run once with the DuckDB engine: (spec, generated, target)."""
    folder = project_with_data(tmp_path / "p")
    spec = folder / "spec.yaml"
    spec.write_text(case["spec"], encoding="utf-8")
    out = folder / "generated"
    target = folder / "out" / "tiny.duckdb"
    if case["command"][0] == "run":
        options = api.Options(out=out)
        api.compile_spec_files(spec, options)
        api.run_spec(spec, options)
    return spec, out / "tiny", target


def rehash(generated: Path, name: str) -> None:
    """The manifest's hash of a Spark step file, as if the compiler had written the file as it now is."""
    path = generated / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    manifest["engines"]["spark"]["files"][name] = hashlib.sha256((generated / name).read_bytes()).hexdigest()
    path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def damage(generated: Path, what) -> None:
    if what in (None, "change_target"):
        return
    if what == "unsupported":
        path = generated / "manifest.json"
        manifest = json.loads(path.read_text("utf-8"))
        manifest["engines"]["spark"] = {"unsupported": "a construct Spark cannot express"}
        path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    elif "delete" in what:
        (generated / what["delete"]).unlink()
    elif "append" in what:
        name, text = what["append"]
        with (generated / name).open("a", encoding="utf-8") as fh:
            fh.write(text)
    elif "replace" in what:
        name, old, new = what["replace"]
        text = (generated / name).read_text("utf-8")
        assert old in text, f"{name} no longer holds {old!r}: update the case"
        (generated / name).write_text(text.replace(old, new), encoding="utf-8")
        rehash(generated, name)
    else:
        raise AssertionError(f"unknown break {what!r}")


def digest(target: Path) -> str | None:
    return hashlib.sha256(target.read_bytes()).hexdigest() if target.exists() else None


def check(lines: list[str], case: dict) -> None:
    assert len(lines) == 1, lines
    match = LINE.match(lines[0])
    assert match, lines[0]
    assert match.group(2) == case["expect"]
    assert [w for w in case.get("says", []) if w not in lines[0]] == [], lines[0]


def ferry(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "400", **env}, timeout=600)


def without_jvm(name: str, case: dict, tmp_path: Path, monkeypatch) -> None:
    spec, generated, target = project(tmp_path, case)
    damage(generated, case.get("break"))
    before = digest(target)
    command, *options = case["command"]
    args = [command, str(spec), *options]
    if command == "run":
        args += ["--out", str(generated.parent)]
    env = {}
    if case.get("connect_client") == "missing":  # a grpc that cannot be imported: the client is missing
        shadow = tmp_path / "shadow" / "grpc"
        shadow.mkdir(parents=True)
        (shadow / "__init__.py").write_text("raise ImportError('grpc is shadowed by the test')\n")
        env["PYTHONPATH"] = str(shadow.parent)
    if case.get("break") == "change_target":  # in process: Spark's side replaced by another writer
        def meddling(spec, manifest, directory, ready, out, master, report, session=None):
            con = duckdb.connect(str(target))
            con.execute("CREATE TABLE someone_else (x INT)")
            con.close()
            return runner.Computed({}, {}, {})
        monkeypatch.setattr(runner, "compute", meddling)
        with pytest.raises(FerryError) as info:
            api.run_spec(spec, api.Options(out=generated.parent), engine="spark")
        check([d.format() for d in info.value.diagnostics], case)
        con = duckdb.connect(str(target), read_only=True)
        assert con.execute("SELECT count(*) FROM _ferry.runs").fetchone()[0] == 1  # the DuckDB run's only
        con.close()
        return
    result = ferry(args, spec.parent, **env)
    assert result.returncode == 1, result
    assert "Traceback" not in result.stdout + result.stderr
    check(result.stderr.strip().splitlines(), case)
    assert digest(target) == before


NO_JVM = sorted(name for name, case in ALL.items() if not case.get("jvm"))
JVM = sorted(name for name, case in ALL.items() if case.get("jvm"))


@pytest.mark.parametrize("name", NO_JVM)
def test_refused_before_spark_starts(name, tmp_path, monkeypatch):
    without_jvm(name, ALL[name], tmp_path, monkeypatch)


@pytest.mark.parametrize("name", JVM)
def test_refused_by_spark(name, tmp_path, spark):
    case = ALL[name]
    spec_path, generated, target = project(tmp_path, case)
    damage(generated, case.get("break"))
    before = digest(target)
    spec = api.validate_spec(spec_path, api.Options(out=generated.parent), read_rows=False)
    with pytest.raises(FerryError) as info:
        publish.execute(spec, generated, target, session=spark)
    check([d.format() for d in info.value.diagnostics], case)
    assert digest(target) == before
    assert not (target.parent / ".ferry-tmp").exists() or not any((target.parent / ".ferry-tmp").iterdir())


def test_every_code_has_a_case():
    assert {case["expect"] for case in ALL.values()} == CODES


def test_the_connect_case_shadows_a_client_this_machine_may_have():
    """Where the Connect client is missing here, ``problem`` says F935 without the shadow too."""
    found = spark_session.problem("sc://127.0.0.1:15002")
    if spark_session._missing("pyspark"):  # the client is pyspark itself too
        assert found is not None and found.code == "F935" and "pyspark" in found.message.split("needs ")[1]
    elif any(spark_session._unimportable(m) for m, _ in spark_session.CONNECT_MODULES):
        assert found is not None and found.code == "F935" and "pyspark[connect]" in found.hint
    else:
        assert found is None
