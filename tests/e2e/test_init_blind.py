"""`ferry init` on an export written without reading its detector (issue 16).

The export (tests/e2e/fixtures/blind_export.py) is a French wholesaler's: clients in cp1252 with
';', contacts as UTF-8-BOM tab-separated text, orders in an xlsx under a title row, invoices as a
JSON array. tests/e2e/data/blind/blind.yaml is the spec written for it by hand from the README;
the generator knows the accounting it must reach. init's spec must validate and run with every row
accounted; its read options per file and its transforms per column are compared with the hand
spec's: since the fixes of issue 16 (README, `ferry init`) every one agrees, so any change a
detector rule makes to this export fails here.
"""

from __future__ import annotations

import difflib
import importlib.util
import shutil
from pathlib import Path

import pytest
import yaml

from compiler import api

pytestmark = pytest.mark.slow
BLIND = Path(__file__).parent / "data" / "blind"
FILES = ("clients.csv", "contacts.txt", "commandes.xlsx", "factures.json")


def _generator():
    spec = importlib.util.spec_from_file_location("blind_export", Path(__file__).parent / "fixtures" / "blind_export.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def truth(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("blind_generated")
    return out, _generator().generate(out)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("blind") / "blind"
    shutil.copytree(BLIND / "data", root / "data")
    for measured in (BLIND / "measured").glob("*.yaml"):   # beside data/, as init wrote it
        (root / measured.name).write_text(measured.read_text("utf-8").replace('"../data/', '"data/'), "utf-8")
    shutil.copy(BLIND / "blind.yaml", root / "blind.yaml")
    return root


def run_counts(spec: Path, out: Path) -> dict[str, dict[str, int]]:
    options = api.Options(out=out / "generated", target=out / "target.duckdb")
    api.compile_spec_files(spec, options)
    manifest = api.run_spec(spec, options)
    return {c.entity: {"read": c.read, "loaded": c.loaded, "merged": c.merged, "archived": c.archived,
                       "rejected": c.rejected} for c in manifest.entities}


@pytest.fixture(scope="module")
def init(project) -> tuple[Path, dict, object]:
    path, found = api.init_spec((project / "data",), "blind_init", project / "blind_init.yaml")
    return path, yaml.safe_load(path.read_text("utf-8")), found


def test_the_generator_writes_the_committed_files(truth):
    out, _ = truth
    for name in FILES:
        assert (out / name).read_bytes() == (BLIND / "data" / name).read_bytes(), name


def test_the_hand_written_spec_reaches_the_generators_accounting(project, truth, tmp_path):
    assert run_counts(project / "blind.yaml", tmp_path) == truth[1]


def test_init_spec_validates_and_runs_with_every_row_accounted(project, init, truth, tmp_path):
    path, spec, _ = init
    api.validate_spec(path)
    counts = run_counts(path, tmp_path)
    sources = {e["source"]: e for e in spec["entities"].values()}
    assert set(sources) == {"clients", "contacts", "commandes", "factures"}
    reads = {entity: c["read"] for entity, c in truth[1].items()}
    for entity, c in counts.items():
        assert c["read"] == c["loaded"] + c["merged"] + c["archived"] + c["rejected"], entity
    # one entity per file, reading every row of it (the hand spec's entity names are French singulars)
    assert sorted(c["read"] for c in counts.values()) == sorted(reads.values())


#: file -> what reading it takes: the hand spec's source, as a user checks it against the file
READ = {
    "clients.csv": {"format": "csv", "id": "code_client", "delimiter": ";", "encoding": "cp1252"},
    "contacts.txt": {"format": "csv", "id": "id_contact", "delimiter": "\t", "encoding": "utf-8"},
    "commandes.xlsx": {"format": "xlsx", "id": "N° commande", "sheet": "Commandes", "header_row": 3},
    "factures.json": {"format": "json", "id": "numero"},
}


@pytest.mark.parametrize("name,key", [(n, k) for n, want in READ.items() for k in want])
def test_init_reads_each_file_as_the_hand_spec_does(init, name, key):
    _, spec, found = init
    (source,) = [s for s in spec["sources"].values() if s["path"].endswith("/" + name)]
    (detected,) = [s.format for s in found.sources if s.format.path.endswith("/" + name)]
    written = {"format": detected.format, "id": source["id"], **source.get("options", {})}
    assert written.get(key) == READ[name][key]
    if key == "encoding":
        assert detected.encoding == READ[name][key]


def signature(field: dict | str) -> tuple:
    """What a field does to its values' shape: type, phone region, date formats, separator, validators."""
    if isinstance(field, str):
        field = {"from": field}
    kind, region, formats, separator, checks = field.get("type", "string"), None, (), None, set()
    for t in field.get("transforms", []):
        name, args = (t, None) if isinstance(t, str) else next(iter(t.items()))
        if name == "phone":
            region = args["region"]
        elif name in ("date", "timestamp"):
            formats = tuple(args)
        elif name == "decimal":
            separator = args["separator"]
        elif name in ("email", "vat_id", "digits", "nip", "regon"):
            checks.add(name)
    if kind == "date" and not formats:
        formats = ("%Y-%m-%d",)                       # the type alone reads ISO dates
    return kind, region, formats, separator, tuple(sorted(checks))


def fields_by_column(spec: dict) -> dict[tuple[str, str], tuple]:
    out = {}
    for entity in spec["entities"].values():
        for field in entity["fields"].values():
            column = field if isinstance(field, str) else field.get("from")
            if isinstance(column, str):
                out[(entity["source"], column)] = signature(field)
    return out


def test_init_transforms_agree_with_the_hand_spec_at_least_as_when_measured(init):
    hand = fields_by_column(yaml.safe_load((BLIND / "blind.yaml").read_text("utf-8")))
    mine = fields_by_column(init[1])
    wrong = {k: (mine.get(k), v) for k, v in hand.items() if mine.get(k) != v}
    shaped = [k for k, v in hand.items() if v != ("string", None, (), None, ())]
    shaped_right = [k for k in shaped if k not in wrong]
    # Measured (0fd4478): 25 of 31 columns, 12 of the 17 with a shape (siret a phone, no vat_id, code_postal
    # integer, cree_le and newsletter text, Montant HT separator '.'); after the fixes of issue 16: 31 of 31, 17 of 17.
    assert len(hand) == 31 and len(shaped) == 17
    assert not wrong, wrong
    assert len(shaped_right) == 17


def test_init_finds_the_hand_specs_references(init):
    hand = yaml.safe_load((BLIND / "blind.yaml").read_text("utf-8"))

    def refs(spec: dict) -> set[tuple[str, str, str]]:
        return {(e["source"], r["from"], spec["entities"][r["entity"]]["source"])
                for e in spec["entities"].values() for r in e.get("references", {}).values()}

    assert len(refs(hand)) == 5
    assert refs(init[1]) == refs(hand)


def test_the_measured_edit_of_init_spec_gives_the_hand_specs_accounting(project, truth, tmp_path):
    """The README's count: 6 lines of init's spec changed and 2 added (measured/init_accounting.yaml)."""
    base = (project / "init.yaml").read_text("utf-8").splitlines()
    edited = (project / "init_accounting.yaml").read_text("utf-8").splitlines()
    changes = [line for line in difflib.unified_diff(base, edited, lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert (sum(c.startswith("-") for c in changes), sum(c.startswith("+") for c in changes)) == (6, 8)
    counts = run_counts(project / "init_accounting.yaml", tmp_path)
    by_source = {c["read"]: c for c in counts.values()}
    for expected in truth[1].values():
        assert by_source[expected["read"]] == expected
