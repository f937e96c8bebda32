"""A command imports only what it needs: `ferry --help` and `ferry validate` start without the
libraries and stages they never use (each costs tens of milliseconds at every start).

Each command runs in a fresh interpreter that then lists the modules it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Runs the CLI in this interpreter, then prints the imported modules' names as JSON on the last line.
PROBE = """
import json, sys
from compiler.cli import app
try:
    app(sys.argv[1:], prog_name="ferry")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""

#: Never needed to print help or to validate a spec.
NEITHER = ("jinja2", "email_validator", "psycopg", "pandas", "pyarrow", "openpyxl", "compiler.render", "compiler.run", "compiler.plan", "compiler.targets",
           "compiler.functions", "compiler.accounting", "compiler.diff", "compiler.profile",
           "compiler.starter", "compiler.lineage", "compiler.lineage_render", "compiler.lineage_trace")
# validate reads every CSV row as the run does (sources.csvrows: the same read_csv, from
# sqlgen.stage), without the stages that compile entities; the example's small files with \r line
# ends are scanned without numpy (sources.lines uses it for large files only).
# Nor phonenumbers (F410 reads compiler.phoneregions), nor sqlglot's optimizer passes (validate parses
# and binds expressions; it neither qualifies nor types them).
NOT_FOR_VALIDATE = NEITHER + ("rich.progress", "numpy", "compiler.sqlgen.load", "compiler.sqlgen.entity",
                              "compiler.sqlgen.dedup", "phonenumbers", "sqlglot.optimizer.qualify",
                              "sqlglot.optimizer.annotate_types", "sqlglot.optimizer.optimizer", "sqlglot.executor")
#: Help needs neither the engine nor the spec's parsers.
NOT_FOR_HELP = NEITHER + ("duckdb", "sqlglot", "jsonschema", "numpy", "compiler.sqlgen", "phonenumbers", "compiler.validate",
                          "compiler.sources")


def imported(args: list[str], cwd: Path) -> set[str]:
    out = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.splitlines()[-1]))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


def test_help_imports_no_engine():
    modules = imported(["--help"], ROOT)
    assert "typer" in modules  # the probe ran the CLI
    assert loaded(modules, NOT_FOR_HELP) == []


def test_validate_imports_only_the_checks():
    """The example reads an xlsx sheet too: its header is read without openpyxl (sources.xlsxheader)."""
    modules = imported(["validate", "specs/legacy_crm/legacy_crm.yaml"], ROOT)
    assert {"duckdb", "sqlglot", "jsonschema", "compiler.validate.bind"} <= modules  # it did validate
    assert loaded(modules, NOT_FOR_VALIDATE) == []



def test_registering_the_functions_loads_no_library_until_called():
    """A run registers ferry's SQL functions; phonenumbers and email-validator load at their first call."""
    probe = ("import json, sys, duckdb\nfrom compiler import functions\ncon = functions.register(duckdb.connect())\n"
             "before = sorted(sys.modules)\ncon.execute(\"SELECT ferry_email('a@b.pl')\").fetchall()\n"
             "print(json.dumps([before, sorted(sys.modules)]))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    before, after = (set(m) for m in json.loads(out.stdout.splitlines()[-1]))
    assert loaded(before, ("phonenumbers", "email_validator")) == []
    assert loaded(after, ("email_validator",)) == ["email_validator"]  # the call did run the library
