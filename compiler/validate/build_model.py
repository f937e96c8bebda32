"""Building a ``MatchModel`` from ``dedup.model`` (schema-valid), with a span on every node.

In:  the ``Document`` and the key path of ``dedup.model``.
Out: ``MatchModel``: comparisons sorted by name (the order of the compiled SQL), levels in the
order written (the first that holds is the pair's level), blocking rules in the order written
(a pair is counted for the first rule that finds it).
"""

from __future__ import annotations

from typing import Any

from compiler.load import Document, KeyPath
from compiler.matchmodel import Blocking, Comparison, Level, MatchModel


def _level(doc: Document, at: KeyPath, raw: str | dict[str, Any]) -> Level:
    if isinstance(raw, str):
        return Level("exact", None, doc.span(at))
    methods = [k for k in raw if k != "q"]  # one, unless the spec is wrong (F463 says so)
    kind = methods[0] if methods else ""
    if kind in ("swapped", "transposed"):
        return Level(kind, None, doc.span(at), written=tuple(methods), q_written="q" in raw, other=str(raw[kind]))
    return Level(kind, float(raw[kind]) if kind else None, doc.span(at), int(raw.get("q", 2)), tuple(methods),
                 "q" in raw)


def _comparison(doc: Document, at: KeyPath, name: str, raw: list[Any] | dict[str, Any]) -> Comparison:
    spec = {"levels": raw} if isinstance(raw, list) else raw
    levels_at = at if isinstance(raw, list) else at + ("levels",)
    return Comparison(
        name=name,
        fields=tuple(spec.get("fields") or (name,)),
        levels=tuple(_level(doc, levels_at + (i,), level) for i, level in enumerate(spec["levels"])),
        span=doc.key_span(at),
        frequency=spec.get("frequency", False) in (True, "all"),
        frequency_span=doc.span(at + ("frequency",)) if "frequency" in spec else None,
        frequency_similar=spec.get("frequency") == "all",
    )


def _blocking(doc: Document, at: KeyPath, raw: str | dict[str, Any]) -> Blocking:
    if isinstance(raw, str):
        return Blocking(raw, doc.span(at))
    return Blocking(raw["on"], doc.span(at + ("on",)), bool(raw.get("train", True)))


def build_model(doc: Document, at: KeyPath, raw: dict[str, Any] | None) -> MatchModel | None:
    if not raw:
        return None
    estimate = raw.get("estimate") or {}
    return MatchModel(
        block=tuple(_blocking(doc, at + ("block", i), rule) for i, rule in enumerate(raw["block"])),
        compare=tuple(_comparison(doc, at + ("compare", name), name, spec)
                      for name, spec in sorted(raw["compare"].items())),
        threshold=float(raw["threshold"]),
        span=doc.key_span(at),
        review=float(raw["review"]) if "review" in raw else None,
        max_block=int(raw.get("max_block", 1000)),
        sample=int(estimate.get("sample", 1_000_000)),
        seed=int(estimate.get("seed", 0)),
        iterations=int(estimate.get("iterations", 100)),
        tolerance=float(estimate.get("tolerance", 1e-6)),
        threshold_span=doc.span(at + ("threshold",)),
        review_span=doc.span(at + ("review",)) if "review" in raw else None,
    )


__all__ = ["build_model"]
