"""Small directed-graph helpers shared by validation and load ordering.

In:  a graph as ``{node: tuple of nodes it depends on}``.
Out: cycles as node chains, and a deterministic topological order.

Kept apart from ``order.py`` so that ``validate`` (which reports cycles) does
not import a later stage.
"""

from __future__ import annotations

from typing import Mapping, Sequence

Graph = Mapping[str, Sequence[str]]


def find_cycles(graph: Graph) -> tuple[tuple[str, ...], ...]:
    """Every elementary cycle found by a depth-first walk, each as a closed chain.

    A chain is rotated to start at its smallest node, so the same cycle is
    always reported the same way: ``('contact', 'deal', 'contact')``.

    >>> find_cycles({"a": ["b"], "b": ["a"], "c": []})
    (('a', 'b', 'a'),)
    """
    seen: set[tuple[str, ...]] = set()
    found: list[tuple[str, ...]] = []
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                loop = stack[stack.index(dep):]
                start = loop.index(min(loop))
                chain = tuple(loop[start:] + loop[:start])
                if chain not in seen:
                    seen.add(chain)
                    found.append(chain + (chain[0],))
            elif state.get(dep) is None:
                visit(dep, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return tuple(found)


def toposort(graph: Graph, prefer: Sequence[str] = ()) -> tuple[str, ...]:
    """Dependencies first. Among nodes that are ready, ``prefer`` order wins, then name.

    Raises ``ValueError`` on a cycle; callers validate first.

    >>> toposort({"deal": ["contact"], "contact": ["company"], "company": []})
    ('company', 'contact', 'deal')
    """
    rank = {n: i for i, n in enumerate(prefer)}
    remaining = {n: {d for d in deps if d in graph and d != n} for n, deps in graph.items()}
    out: list[str] = []
    while remaining:
        ready = [n for n, deps in remaining.items() if not deps]
        if not ready:
            raise ValueError(f"cycle among {sorted(remaining)}")
        ready.sort(key=lambda n: (rank.get(n, len(rank)), n))
        node = ready[0]
        out.append(node)
        del remaining[node]
        for deps in remaining.values():
            deps.discard(node)
    return tuple(out)
