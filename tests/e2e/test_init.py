"""`ferry init`: the starter spec validates, compiles, runs and plans on the files it came from —
the example's exports and a second, unlike export (tests/e2e/fixtures/other_export.py) — and
says why it chose what it chose."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from compiler import api
from compiler.errors import FerryError
from tests.e2e.fixtures import other_export
from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def start(data: Path, name: str) -> tuple[Path, str]:
    spec = data.parent / f"{name}.yaml"
    api.init_spec((data,), name, spec)
    return spec, spec.read_text("utf-8")


def runs(spec: Path) -> dict:
    options = api.Options(out=spec.parent / "generated")
    api.validate_spec(spec, options)
    api.compile_spec_files(spec, options)
    manifest = api.run_spec(spec, options)
    plan = api.plan_spec(spec, options, 0)
    assert not plan.has_changes  # a plan right after the run: nothing left to do
    return manifest


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[Path, str]:
    project = tmp_path_factory.mktemp("init")
    shutil.copytree(ROOT / "specs" / "legacy_crm" / "data", project / "data")
    return start(project / "data", "crm")


def test_example_spec_runs(example):
    spec, text = example
    manifest = runs(spec)
    counts = {e.entity: (e.read, e.loaded + e.merged + e.archived + e.rejected) for e in manifest.entities}
    assert counts == {"activities": (263, 263), "companies": (105, 105), "contacts": (300, 300), "deals": (195, 195),
                      "owners": (12, 12)}


def test_example_choices_and_evidence(example):
    _, text = example
    spec = yaml.safe_load(text)
    assert spec["sources"]["companies"]["options"] == {"delimiter": ";", "encoding": "cp1250"}
    assert spec["sources"]["owners"]["options"] == {"sheet": "Users", "header_row": 3}
    assert spec["sources"]["deals"]["options"] == {"record": "/export/deals/deal"}
    contacts = spec["entities"]["contacts"]
    assert contacts["fields"]["created_at"]["transforms"] == [{"date": ["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y"]}]
    assert contacts["fields"]["phone"]["transforms"][0]["phone"]["region"] == "PL"
    assert contacts["references"]["company_id"] == {"entity": "companies", "from": "company_id"}
    assert contacts["dedup"] == {"keys": [["email"], ["phone"]]}
    assert spec["entities"]["companies"]["key"] == ["nip"]
    assert "# 54% yyyy-mm-dd, 29% dd.mm.yyyy, 17% mm/dd/yyyy; 100% accepted" in text
    assert "# encoding cp1250: these bytes are letters in cp1250" in text


def test_other_export_runs(tmp_path):
    other_export.write(tmp_path / "data", 300)
    spec, text = start(tmp_path / "data", "shop")
    parsed = yaml.safe_load(text)
    assert parsed["sources"]["kunden"]["options"] == {"delimiter": "\t", "encoding": "latin-1"}
    fields = parsed["entities"]["kunden"]["fields"]
    assert fields["telefon"]["transforms"][0]["phone"]["region"] == "DE"
    assert fields["umsatz"]["transforms"] == [{"decimal": {"separator": ","}}]
    assert parsed["entities"]["bestellungen"]["fields"]["bestellt_am"]["transforms"] == [{"date": ["%d/%m/%Y"]}]
    manifest = runs(spec)
    assert {e.entity: e.read for e in manifest.entities} == {"kunden": 306, "bestellungen": 600}


def test_refuses_to_overwrite(example):
    spec, _ = example
    with pytest.raises(FerryError) as caught:
        api.init_spec((spec.parent / "data",), "crm", spec)
    assert caught.value.diagnostics[0].code == "F805"


def test_cli(tmp_path):
    shutil.copytree(ROOT / "specs" / "legacy_crm" / "data", tmp_path / "data")
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "compiler", "init", str(tmp_path / "data"), "--name", "9bad"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 1 and "F806" in done.stderr and "Traceback" not in done.stderr
    done = subprocess.run([sys.executable, "-m", "compiler", "init", str(tmp_path / "data"), "--name", "crm"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "crm.yaml").is_file()


def test_cli_in_the_data_folder_writes_the_spec_there_and_it_validates(tmp_path):
    """`ferry init .` from inside the exports' folder: the spec lands in that folder (not its parent, outside
    the project), and it validates against the files beside it."""
    shutil.copytree(ROOT / "specs" / "legacy_crm" / "data", tmp_path / "exports")
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "PYTHONPATH": str(ROOT)}
    here = tmp_path / "exports"
    done = subprocess.run([sys.executable, "-m", "compiler", "init", ".", "--name", "crm"],
                          capture_output=True, text=True, env=env, cwd=here)
    assert done.returncode == 0, done.stderr
    assert (here / "crm.yaml").is_file() and not (tmp_path / "crm.yaml").exists()
    checked = subprocess.run([sys.executable, "-m", "compiler", "validate", "crm.yaml"],
                             capture_output=True, text=True, env=env, cwd=here)
    assert checked.returncode == 0, checked.stderr
