"""Broken and hostile specs, in process: each is accepted (and its run balances) or a located error.

In:  the example spec's mutations (spec_mutations.py), each written beside a copy of the example data.
Out: one test per mutation, through api.validate_spec, compile_spec_files and run_spec (harness.attempt).

``make test`` runs a seeded sample (FERRY_FUZZ_SEED, default 13) of about 100 that keeps every
YAML-level case, each injection string in one place drawn and each place with one string drawn, and
each shape mutation kind at two paths (a case that validates is compiled and run, ~3 s, so the sample
keeps the suite near its 90 s); ``FERRY_FUZZ=all`` runs every mutation (about 3,500; most of an hour).
"""

from __future__ import annotations

import os
import random
from collections import defaultdict

import pytest

from compiler import api
from tests.fuzz.harness import attempt, record
from tests.fuzz.spec_mutations import Mutation, spec_mutations
from tests.helpers import EXAMPLE

pytestmark = pytest.mark.fuzz

SEED = int(os.environ.get("FERRY_FUZZ_SEED", "13"))
EVERYTHING = os.environ.get("FERRY_FUZZ") == "all"
ALL = spec_mutations(EXAMPLE.read_text("utf-8"))

#: Per group of the sample: (what a mutation id is grouped by, how many of each group are drawn).
#: Ids read "family:kind:place".
SAMPLE = {"yaml": (None, 0), "inject": ((1, 2), 1), "shape": ((1,), 2)}

#: Cases that fail for a known reason not fixed here; each one strict, so a fix shows up.
KNOWN: dict[str, str] = {}


def sample(mutations: tuple[Mutation, ...], seed: int) -> tuple[Mutation, ...]:
    """Every YAML-level case; of the others, ``n`` drawn per kind and per place (ids 'family:kind:place')."""
    rng = random.Random(seed)
    chosen: dict[str, Mutation] = {}
    for family, (axes, n) in SAMPLE.items():
        members = [m for m in mutations if m.id.split(":", 1)[0] == family]
        if axes is None:
            chosen.update((m.id, m) for m in members)
            continue
        for axis in axes:
            groups = defaultdict(list)
            for m in members:
                groups[m.id.split(":")[axis]].append(m)
            for key in sorted(groups):
                chosen.update((m.id, m) for m in rng.sample(groups[key], min(n, len(groups[key]))))
    return tuple(m for m in mutations if m.id in chosen)


CASES = ALL if EVERYTHING else sample(ALL, SEED)


def _param(m: Mutation):
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN[m.id])] if m.id in KNOWN else []
    return pytest.param(m, id=m.id, marks=marks)


@pytest.mark.parametrize("mutation", [_param(m) for m in CASES])
def test_spec_mutation(fresh_project, mutation):
    spec = fresh_project
    if isinstance(mutation.text, bytes):
        spec.write_bytes(mutation.text)
    else:
        spec.write_text(mutation.text, encoding="utf-8")
    folder = spec.parent.parent
    try:
        outcome = attempt(spec, api.Options(out=folder / "generated"), folder)
    except BaseException:
        record("spec", "failure")
        raise
    record("spec", outcome)


def test_the_unmutated_example_is_accepted(fresh_project):
    """The control: the harness accepts the example as it is (else every case above is an error)."""
    folder = fresh_project.parent.parent
    assert attempt(fresh_project, api.Options(out=folder / "generated"), folder) == "accepted"


def test_the_sample_covers_every_family_kind_and_place():
    families = {m.id.split(":")[0] for m in CASES}
    kinds = {m.id.split(":")[1] for m in CASES if not m.id.startswith("yaml:")}
    places = {m.id.split(":")[2] for m in CASES if m.id.startswith("inject:")}
    assert families == {"yaml", "inject", "shape"}
    assert kinds == {m.id.split(":")[1] for m in ALL if not m.id.startswith("yaml:")}
    assert places == {m.id.split(":")[2] for m in ALL if m.id.startswith("inject:")}
