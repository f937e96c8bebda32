"""Broken data files under a spec that ran before: each run is accepted (and balances) or a located
error that leaves the target as it was.

In:  the example project, compiled and run once (conftest ``baseline``), copied per case with one data
file changed (data_mutations.py).
Out: one test per mutation, through api.run_spec (which validates the spec against the files first).

``make test`` runs a seeded sample of two per family (the part of the id before ':'), and every
family; ``FERRY_FUZZ=all`` runs every mutation.
"""

from __future__ import annotations

import os
import random
import shutil
from collections import defaultdict

import pytest

from compiler import api
from tests.fuzz.data_mutations import DATA_MUTATIONS
from tests.fuzz.harness import attempt, record
from tests.helpers import EXAMPLE

pytestmark = pytest.mark.fuzz

SEED = int(os.environ.get("FERRY_FUZZ_SEED", "13"))
PER_FAMILY = 2

#: Cases that fail for a known reason not fixed here; each one strict, so a fix shows up.
KNOWN: dict[str, str] = {}


def sample(ids: list[str], seed: int) -> list[str]:
    rng = random.Random(seed)
    families = defaultdict(list)
    for name in ids:
        families[name.split(":")[0]].append(name)
    chosen = {n for f in sorted(families) for n in rng.sample(families[f], min(PER_FAMILY, len(families[f])))}
    return [n for n in ids if n in chosen]


IDS = list(DATA_MUTATIONS) if os.environ.get("FERRY_FUZZ") == "all" else sample(list(DATA_MUTATIONS), SEED)


@pytest.mark.parametrize("name", [pytest.param(n, id=n, marks=[pytest.mark.xfail(strict=True, reason=KNOWN[n])]
                                               if n in KNOWN else []) for n in IDS])
def test_data_mutation(baseline, tmp_path, name):
    folder = tmp_path / "case"
    shutil.copytree(baseline, folder, symlinks=True)
    spec = folder / "p" / EXAMPLE.name
    target = folder / "p" / "build" / "legacy_crm.duckdb"
    before = target.read_bytes()
    DATA_MUTATIONS[name](folder / "p" / "data")
    try:
        outcome = attempt(spec, api.Options(out=folder / "generated"), folder, compiled=True)
        if outcome != "accepted":
            assert target.read_bytes() == before
    except BaseException:
        record("data", "failure")
        raise
    record("data", outcome)


def test_the_unmutated_data_runs_again(baseline, tmp_path):
    """The control: a copy of the baseline, unchanged, is accepted (else every case above is an error)."""
    shutil.copytree(baseline, tmp_path / "case", symlinks=True)
    spec = tmp_path / "case" / "p" / EXAMPLE.name
    assert attempt(spec, api.Options(out=tmp_path / "case" / "generated"), tmp_path / "case", compiled=True) == "accepted"
