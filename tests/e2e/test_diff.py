"""`ferry diff SPEC --base REV` in a throwaway git repository holding a copy of the example."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from compiler import api, diff
from compiler.errors import FerryError
from tests.helpers import EXAMPLE, ROOT

pytestmark = pytest.mark.slow
SPEC = "legacy_crm/legacy_crm.yaml"
ENV = {"PATH": "/usr/bin:/bin", "COLUMNS": "120", "PYTHONPATH": str(ROOT), "GIT_CONFIG_NOSYSTEM": "1",
       "HOME": "/nonexistent"}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(repo), *args],
                   check=True, capture_output=True, env=ENV)


def ferry(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler", *args], capture_output=True, text=True, cwd=cwd, env=ENV)


@pytest.fixture(scope="module")
def committed(tmp_path_factory) -> Path:
    """The example (spec and data) committed; its target built with `ferry run`. Once per module: each test
    copies it (``repo``), as test_plan copies its migrated example (a compile and a run are seconds)."""
    folder = tmp_path_factory.mktemp("diff") / "repo"
    shutil.copytree(EXAMPLE.parent, folder / "legacy_crm", ignore=shutil.ignore_patterns("build"))
    git(folder, "init", "-q")
    git(folder, "add", "legacy_crm")
    git(folder, "commit", "-q", "-m", "base")
    options = api.Options(out=folder / "generated")
    api.compile_spec_files(folder / SPEC, options)
    api.run_spec(folder / SPEC, options)
    return folder


@pytest.fixture
def repo(committed, tmp_path) -> Path:
    """A copy of ``committed``; then a change to the spec."""
    tmp_path = tmp_path / "repo"
    shutil.copytree(committed, tmp_path)
    spec = tmp_path / SPEC
    text = spec.read_text("utf-8").replace("city: {from: miasto, transforms: [squish]}",
                                           "city: {from: miasto, transforms: [squish, upper]}")
    text = text.replace("      region: region\n", "      region: region\n      team: {from: region, transforms: [lower]}\n")
    spec.write_text(text.replace("# Example migration", "# An edited comment does not count"), "utf-8")
    return tmp_path


def test_diff_shows_semantics_sql_and_plan_delta(repo):
    result = api.diff_spec(repo / SPEC, api.Options(out=repo / "generated"), "HEAD")
    changes = {(c.kind, c.what): c.detail for c in result.changes}
    assert changes == {("changed", "entity company / field city"): "transforms: [squish] -> [squish, upper]",
                       ("added", "entity owner / field team"): "{name: team, columns: [region], type: string, "
                                                                "transforms: [lower], rules: [], join: \" \", sql: null, "
                                                                "on_error: reject, precision: null, scale: null}"}
    files = {f.name: f for f in result.files}
    assert set(files) >= {"020_company.sql", "080_owner.sql", "000_prelude.sql", "manifest.json"}
    assert '+    UPPER(TRIM(REGEXP_REPLACE("s"."miasto"' in files["020_company.sql"].diff
    outcomes = {o.entity: o for o in result.outcomes}
    assert outcomes["company"].changed_outcome == 0 and outcomes["company"].records.update == 101
    assert outcomes["owner"].records.columns_added == ("team",) and outcomes["owner"].records.update == 11
    assert outcomes["contact"].records.changed is False
    assert "5 base data files from git" in result.note


def test_diff_counts_rows_that_change_outcome(repo):
    spec = repo / SPEC
    spec.write_text(spec.read_text("utf-8").replace('keep: "stage <> \'lost\' OR close_date >= DATE \'2024-01-01\'"',
                                                    'keep: "stage <> \'lost\'"'), "utf-8")
    result = api.diff_spec(spec, api.Options(out=repo / "generated"), "HEAD")
    deal = next(o for o in result.outcomes if o.entity == "deal")
    moved = deal.head["archived"] - deal.base["archived"]
    # Their records are gone from what the run produces: kept, the default `delta: {gone: keep}`.
    assert moved > 0 and deal.changed_outcome == moved and deal.records.delete == 0
    assert dict(deal.records.gone) == {"keep": moved}


def test_cli_text_and_markdown(repo):
    text = ferry("diff", SPEC, "--base", "HEAD", "--no-plan", cwd=repo)
    assert text.returncode == 0, text.stderr
    assert "~ entity company / field city: transforms: [squish] -> [squish, upper]" in text.stdout
    assert "+ entity owner / field team" in text.stdout and "--- base/020_company.sql" in text.stdout
    touched = text.stdout.split("target fields touched:\n")[1].split("\n\n")[0].splitlines()
    assert touched == ["  ~ company.city: companies.miasto (squish) -> companies.miasto (squish, upper)",
                       "  + owner.team: owners.region (lower)"]  # from the lineage of both compiled versions
    assert "lineage.json" not in text.stdout  # documentation, not SQL: not in the SQL diff
    md = ferry("diff", SPEC, "--base", "HEAD", "--format", "markdown", cwd=repo)
    assert md.returncode == 0, md.stderr
    tokens = MarkdownIt("commonmark").enable("table").parse(md.stdout)
    fences = [t for t in tokens if t.type == "fence"]
    assert fences and all(t.info == "diff" for t in fences)
    assert any("UPPER(TRIM" in t.content for t in fences)
    assert "- ~ **company\\.city**: `companies.miasto (squish) -> companies.miasto (squish, upper)`" in md.stdout
    assert sum(t.type == "table_open" for t in tokens) == 1
    assert sum(t.type == "html_block" and "<details>" in t.content for t in tokens) == len(fences)


def test_a_shrunk_export_stops_the_diff_as_it_stops_the_run_unless_confirmed(repo):
    """The working tree's contacts lost most rows since the run: both scratch runs stop at F610 as `ferry run`
    would, and `--allow-shrink` shows what the confirmed run changes (the base reads the committed file)."""
    contacts = repo / "legacy_crm" / "data" / "contacts.csv"
    contacts.write_text("".join(contacts.read_text("utf-8").splitlines(keepends=True)[:60]), "utf-8")
    stopped = ferry("diff", SPEC, "--base", "HEAD", cwd=repo)
    assert stopped.returncode == 1 and "[F610]" in stopped.stderr and "Traceback" not in stopped.stderr
    assert len(stopped.stderr.strip().splitlines()) == 1
    result = api.diff_spec(repo / SPEC, api.Options(out=repo / "generated"), "HEAD", allow_shrink=True)
    contact = next(o for o in result.outcomes if o.entity == "contact")
    # a delta run keeps records gone from the export (the default `gone: keep`): reported, not deleted
    assert contact.head["loaded"] < contact.base["loaded"] - 150 and dict(contact.records.gone)["keep"] > 150


@pytest.mark.parametrize("case", ["not_a_repo", "unknown_rev", "new_spec", "no_base"])
def test_errors_are_one_line_with_exit_1(repo, tmp_path, case):
    cwd, args = repo, ["diff", SPEC, "--base", "HEAD"]
    if case == "not_a_repo":
        shutil.rmtree(repo / ".git")
    elif case == "unknown_rev":
        args[-1] = "no-such-branch"
    elif case == "new_spec":
        shutil.copy(repo / SPEC, repo / "legacy_crm" / "other.yaml")
        args[1] = "legacy_crm/other.yaml"
    else:
        args = args[:2]
    result = ferry(*args, cwd=cwd)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    code = {"not_a_repo": "[F810]", "unknown_rev": "[F811]", "new_spec": "[F812]"}.get(case)
    if code:
        assert len(result.stderr.strip().splitlines()) == 1 and code in result.stderr and "hint:" in result.stderr


def test_show_leaves_out_positions():
    with pytest.raises(FerryError):
        api.diff_spec(Path("/nonexistent/spec.yaml"), api.Options(), "HEAD")
    assert diff.show((1, "a", None)) == "[1, a, null]"
