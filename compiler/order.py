"""Load order: a validated ``Spec`` -> ``LoadOrder``, the sequence of steps a load runs.

In:  ``Spec`` (already checked: no cycles, stated order consistent).
Out: ``LoadOrder``: a tuple of steps, each of which becomes one numbered
compiled file:

* ``StageStep``: read a source into a staging table, just before the first
  entity that needs it;
* ``LoadStep``: map, check, merge and load one entity, after every entity it
  references (non-deferred);
* ``LinkStep``: set an entity's deferred references (self-references, and
  references that break a cycle) once every entity they point at is loaded:
  the second pass of a two-pass load.

Entities are ordered by their references; ties follow the stated
``load_order`` if any, then the entity name, so the order never depends on
the order of keys in the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.dag import toposort
from compiler.model import Entity, Spec


@dataclass(frozen=True, slots=True)
class StageStep:
    source: str


@dataclass(frozen=True, slots=True)
class LoadStep:
    entity: str


@dataclass(frozen=True, slots=True)
class LinkStep:
    entity: str
    references: tuple[str, ...]  # names of the deferred references set here


Step = StageStep | LoadStep | LinkStep


@dataclass(frozen=True, slots=True)
class LoadOrder:
    steps: tuple[Step, ...]

    @property
    def entities(self) -> tuple[str, ...]:
        return tuple(s.entity for s in self.steps if isinstance(s, LoadStep))


def build_order(spec: Spec) -> LoadOrder:
    entities = toposort(spec.dependencies(), prefer=spec.load_order or ())
    steps: list[Step] = []
    staged: set[str] = set()
    loaded: set[str] = set()
    pending: list[Entity] = []  # entities with deferred references not yet linked
    for name in entities:
        entity = spec.entity(name)
        for source in entity.source_names:
            if source not in staged:
                steps.append(StageStep(source))
                staged.add(source)
        steps.append(LoadStep(name))
        loaded.add(name)
        if entity.deferred_references:
            pending.append(entity)
        # Link as early as possible: as soon as everything a deferred reference points at is loaded.
        still: list[Entity] = []
        for waiting in pending:
            if all(r.entity in loaded for r in waiting.deferred_references):
                steps.append(LinkStep(waiting.name, tuple(r.name for r in waiting.deferred_references)))
            else:
                still.append(waiting)
        pending = still
    return LoadOrder(tuple(steps))
