"""A delta's scope for an entity that dedups, as sqlglot trees: which rows' clusters can change.

In:  an ``Entity`` with ``dedup`` (exact keys and fuzzy rules), the names of its checked rows, blocks and
pairs (``sqlgen.dedup``), the row hashes' classification (``sqlgen.scope.classified``) and what the last
run stored per row (``store_table``). Out: trees that ``compiler.scope_dedup`` executes. Pure.

What a row brings to dedup is, per rule, one value: an exact key's parts, or a fuzzy rule's blocking
keys (NULL when the row is not valid, lacks a part, or has no compared text). Two rows pair only when
they share a rule's value; a fuzzy rule's block pairs nothing when it holds more than ``max_block`` rows.
Every run stores each row's values and how many of the run's pairs it holds on the lower side (``n_i``,
for ``dedup_stats``), beside the row hashes.

The closure. The seeds are the rows the hashes put in scope (new, changed, unsettled, sharing an old id,
deleted in the target, referring to an old id whose mapping changed) and the rows gone from the export.
The scope is the smallest set S holding the seeds and closed under:

1. every row sharing a rule's value with a seed, the seed's value in this export or in the last run's
   (a key group or block a seed joins or leaves: its size and pairs may change, over ``max_block`` too);
2. every member of a cluster (a record, by the crosswalk) of the last run that holds a row of S or a
   gone row (survivorship, merged values and the stable id depend on every member);
3. every row whose self-reference names an old id of S or a gone one (its mapping may change);
4. every row of a fuzzy block over ``max_block`` that holds a row of S (a block cut by the scope could
   fall under the bound and pair rows the whole export never pairs).

Why the rest keeps its cluster, survivor, id and crosswalk rows: a row u outside S is unchanged, so
its values are the stored ones, and no seed shares a value with it (1), so every group or block it is
in holds only unchanged rows, the same ones as last run: its pairs are last run's. Each such pair joins
two members of one stored cluster, which (2) keeps wholly in or wholly out of S: no pair crosses S's
edge, so S's clusters and the others' are computed apart and the others are last run's. Inside S, a
block is either whole (it holds a seed's value, 1, or is over the bound, 4) or, untouched by seeds and
within the bound, pairs in the scope exactly what it pairs in the whole export. Steps 2 to 4 add rows
whose own values do not change, so only 4 can add blocks: the loop ends when a round adds no row.
A row order that changed within a kept cluster could change a survivor tie: then the entity is
computed whole (``order_changed``), as it is with a decisions file or a match model.
"""

from __future__ import annotations

from typing import Sequence

from sqlglot import exp

from compiler.model import Entity
from compiler.sqlgen import blocks, ledgers, names
from compiler.sqlgen.conditions import not_null, valid_row
from compiler.sqlgen.dedup import rule_label

KEY, ROW = names.KEY, names.ROW


def _col(name: str, table: str | None = None) -> exp.Column:
    return names.col(name, table)


def _lit(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _in(column: exp.Expression, query: exp.Expression) -> exp.In:
    return exp.In(this=column, query=exp.Subquery(this=query.copy()))


def rules(entity: Entity) -> list[tuple[str, int | None]]:
    """Per rule, in ``sqlgen.dedup``'s order: its label and, for a fuzzy rule, its ``max_block``."""
    assert entity.dedup is not None
    d = entity.dedup
    return [(rule_label(entity, i), None if i < len(d.keys) else d.fuzzy[i - len(d.keys)].max_block)
            for i in range(len(d.keys) + len(d.fuzzy))]


def store_table(entity: str) -> exp.Table:
    return names.table(f"{entity}_rowdedup", "_ferry")


def store_columns(entity: Entity) -> list[tuple[str, str]]:
    n = len(rules(entity))
    return [("spec", "VARCHAR"), ("source_key", "VARCHAR"), *((f"v_{i}", "VARCHAR") for i in range(n)),
            *((f"n_{i}", "BIGINT") for i in range(n))]


def _as_value(parts: Sequence[exp.Expression], when: exp.Expression) -> exp.Expression:
    """A rule's value as one comparable text: the parts as a JSON list (no two lists collide)."""
    listed = exp.Array(expressions=[exp.cast(p.copy(), "VARCHAR") for p in parts])
    return exp.Case().when(exp.and_(when, *(not_null(p.copy()) for p in parts)), exp.func("to_json", listed))


def _key_parts(entity: Entity, index: int, table: str | None) -> list[exp.Expression]:
    assert entity.dedup is not None
    out = []
    for f in entity.dedup.keys[index]:
        value = _col(f, table)
        field = entity.field(f)
        out.append(exp.Nullif(this=value, expression=_lit("")) if field is not None and field.type == "string"
                   else value)
    return out


def new_values(entity: Entity, checked: exp.Table) -> exp.Select:
    """Per checked row: its values (any row, valid or not: a superset of the rows that pair is safe)."""
    assert entity.dedup is not None
    d, c = entity.dedup, "c"
    values = [_as_value(_key_parts(entity, i, c), exp.true()) for i in range(len(d.keys))]
    for rule in d.fuzzy:
        text = blocks._compared_text(rule.fields)
        for column in text.find_all(exp.Column):
            column.set("table", names.ident(c))
        keys = [b.transform(lambda n: _col(n.name, c) if isinstance(n, exp.Column) else n)
                for b in blocks._block_values(rule)]
        values.append(_as_value(keys, not_null(text)))
    return exp.select(_col(ROW, c), _col(KEY, c), *(exp.alias_(v, f"v_{i}", quoted=True) for i, v in enumerate(values))
                      ).from_(checked.copy().as_(c, quoted=True))


def captured(entity: Entity) -> exp.Select:
    """After the entity's rules ran (its checked rows, blocks and pairs still there): per row, the values it
    paired by and the pairs it holds on the lower side, per rule (what the next delta reads)."""
    assert entity.dedup is not None
    d, c, b, p = entity.dedup, "c", "b", "p"
    values = [_as_value(_key_parts(entity, i, c), valid_row(c)) for i in range(len(d.keys))]
    for rule in d.fuzzy:
        text = _col(blocks._text_column(d, rule), b)
        values.append(_as_value([_col(k, b) for k in blocks._key_columns(d, rule)], not_null(text)))
    labels = [label for label, _ in rules(entity)]
    held = (exp.select(exp.alias_(_col("a"), "node", quoted=True),
                       *(exp.alias_(exp.func("count_if", _col("rule").eq(_lit(label))), f"n_{i}", quoted=True)
                         for i, label in enumerate(labels)))
            .from_(names.pairs_table(entity)).group_by(_col("a")))
    query = (exp.select(_col(ROW, c), _col(KEY, c), *(exp.alias_(v, f"v_{i}", quoted=True) for i, v in enumerate(values)),
                        *(exp.alias_(exp.func("coalesce", _col(f"n_{i}", p), exp.Literal.number(0)), f"n_{i}", quoted=True)
                          for i in range(len(labels))))
             .from_(names.checked_table(entity).as_(c, quoted=True))
             .join(held.subquery(names.ident(p)), join_type="LEFT", on=_col("node", p).eq(_col(ROW, c))))
    if d.fuzzy:
        query = query.join(names.blocks_table(entity).as_(b, quoted=True), join_type="LEFT",
                           on=_col(ROW, b).eq(_col(ROW, c)))
    return query


def long(table: exp.Expression, n: int, row: str = ROW) -> exp.Expression:
    """A table of values (``row``, ``v_0``...) as (row, rule, value), one row per value present."""
    selects = [exp.select(exp.alias_(_col(row), "r", quoted=True), exp.alias_(exp.Literal.number(i), "rule", quoted=True),
                          exp.alias_(_col(f"v_{i}"), "v", quoted=True)).from_(table.copy())
               .where(not_null(_col(f"v_{i}"))) for i in range(n)]
    out: exp.Expression = selects[0]
    for s in selects[1:]:
        out = exp.union(out, s, distinct=False)
    return out


def stored(spec: str, entity: Entity) -> exp.Select:
    cols = [c for c, _ in store_columns(entity)][1:]
    return exp.select(*(_col(c) for c in cols)).from_(store_table(entity.name)).where(_col("spec").eq(_lit(spec)))


def current(classes: exp.Table, new: exp.Table, old: exp.Table, n: int) -> exp.Select:
    """Every row of this export with its values now: a seed's as computed, another's as stored (unchanged)."""
    vs = [f"v_{i}" for i in range(n)]
    seeds = exp.select(_col(ROW, "s"), *(_col(v, "s") for v in vs)).from_(new.copy().as_("s", quoted=True))
    kept = (exp.select(_col(ROW, "k"), *(_col(v, "o") for v in vs)).from_(classes.copy().as_("k", quoted=True))
            .join(old.copy().as_("o", quoted=True), on=_col("source_key", "o").eq(_col(KEY, "k")))
            .where(exp.not_(_col("scoped", "k"))))
    return exp.union(seeds, kept, distinct=False)


def seed_values(new: exp.Table, old: exp.Table, classes: exp.Table, gone: exp.Table, n: int) -> exp.Expression:
    """(rule, value) of every seed, now and last run, and of every gone row (last run)."""
    was = (exp.select(*(_col(f"v_{i}", "o") for i in range(n)), exp.alias_(exp.Literal.number(0), ROW, quoted=True))
           .from_(old.copy().as_("o", quoted=True))
           .where(exp.or_(_in(_col("source_key", "o"), exp.select(_col(KEY)).from_(classes.copy()).where(_col("scoped"))),
                          _in(_col("source_key", "o"), exp.select(_col("source_key")).from_(gone.copy())))))
    both = exp.union(exp.select(*(_col(f"v_{i}") for i in range(n)), _col(ROW)).from_(new.copy()), was, distinct=False)
    return exp.select(_col("rule"), _col("v")).from_(long_of(both, n)).distinct()


def long_of(query: exp.Expression, n: int) -> exp.Subquery:
    """``long`` over a query rather than a table."""
    return long(query.subquery(names.ident("q")), n).subquery(names.ident("l"))


def sharing(values_long: exp.Table, chosen: exp.Table) -> exp.Select:
    """Rows holding any of the chosen (rule, value) pairs."""
    return (exp.select(_col("r", "l")).from_(values_long.copy().as_("l", quoted=True))
            .join(chosen.copy().as_("v", quoted=True), on=exp.and_(_col("rule", "l").eq(_col("rule", "v")),
                                                                   _col("v", "l").eq(_col("v", "v")))).distinct())


def cluster_mates(classes: exp.Table, crosswalk: exp.Table, scope: exp.Table, gone: exp.Table, source: str) -> exp.Select:
    """Rows of this export that were in a stored cluster (a record) with a row of the scope or a gone row."""
    mine = exp.and_(_col("source", "x").eq(_lit(source)), _col("status", "x").isin(_lit(names.LOADED), _lit(names.MERGED)))
    keys = exp.union(exp.select(_col(KEY)).from_(classes.copy()).where(_in(_col(ROW), exp.select(_col("r")).from_(
        scope.copy()))), exp.select(_col("source_key")).from_(gone.copy()), distinct=False)
    touched = (exp.select(_col(names.ID, "x")).from_(crosswalk.copy().as_("x", quoted=True))
               .where(exp.and_(mine.copy(), _in(_col("source_key", "x"), keys))))
    return (exp.select(_col(ROW, "k")).from_(classes.copy().as_("k", quoted=True))
            .join(crosswalk.copy().as_("x", quoted=True), on=exp.and_(_col("source_key", "x").eq(_col(KEY, "k")), mine))
            .where(_in(_col(names.ID, "x"), touched)))


def referrers(h: exp.Table, classes: exp.Table, scope: exp.Table, gone: exp.Table, ref: int) -> exp.Select:
    """Rows whose self-reference (``r_<ref>`` of the hashed rows) names an old id in the scope or gone."""
    keys = exp.union(exp.select(_col(KEY)).from_(classes.copy()).where(_in(_col(ROW), exp.select(_col("r")).from_(
        scope.copy()))), exp.select(_col("source_key")).from_(gone.copy()), distinct=False)
    return exp.select(_col(ROW)).from_(h.copy()).where(_in(_col(f"r_{ref}"), keys))


def big_blocks(values_long: exp.Table, fuzzy: Sequence[tuple[int, int]]) -> exp.Select:
    """(rule, value) of every fuzzy block over its rule's ``max_block`` rows, this export's values."""
    sizes = (exp.select(_col("rule"), _col("v"), exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True))
             .from_(values_long.copy()).group_by(_col("rule"), _col("v")))
    big = exp.or_(*(exp.and_(_col("rule").eq(exp.Literal.number(i)), exp.GT(this=_col("n"), expression=exp.Literal.number(m)))
                    for i, m in fuzzy))
    return exp.select(_col("rule"), _col("v")).from_(sizes.subquery(names.ident("z"))).where(big)


def oversized(values_long: exp.Table, rows: exp.Table, chosen: exp.Table, big: exp.Table) -> exp.Select:
    """(rule, value) of the blocks over ``max_block`` (``big``) that hold one of ``rows``, not yet chosen."""
    same = exp.and_(_col("rule", "b").eq(_col("rule", "l")), _col("v", "b").eq(_col("v", "l")))
    taken = exp.and_(_col("rule", "c").eq(_col("rule", "l")), _col("v", "c").eq(_col("v", "l")))
    return (exp.select(_col("rule", "l"), _col("v", "l")).from_(values_long.copy().as_("l", quoted=True))
            .join(big.copy().as_("b", quoted=True), on=same)
            .join(chosen.copy().as_("c", quoted=True), join_type="LEFT", on=taken)
            .where(exp.and_(_in(_col("r", "l"), exp.select(_col("r")).from_(rows.copy())),
                            exp.Is(this=_col("rule", "c"), expression=exp.null()))).distinct())


def order_changed(classes: exp.Table, duplicates: exp.Table) -> exp.Select:
    """Kept clusters (rows of the duplicates table, last run's ``source_row``) whose members' order in this
    export differs from last run's: a survivor tie could fall otherwise. A count."""
    joined = (exp.select(_col("cluster", "d"), _col("source_row", "d"), exp.alias_(_col(ROW, "k"), "now", quoted=True))
              .from_(duplicates.copy().as_("d", quoted=True))
              .join(classes.copy().as_("k", quoted=True), on=_col(KEY, "k").eq(_col("source_key", "d"))))

    def rank(by: str) -> exp.Window:
        return exp.Window(this=exp.RowNumber(), partition_by=[_col("cluster")],
                          order=exp.Order(expressions=[exp.Ordered(this=_col(by))]))
    ranked = exp.select(exp.alias_(rank("source_row"), "a", quoted=True), exp.alias_(rank("now"), "b", quoted=True)
                        ).from_(joined.subquery(names.ident("j")))
    return exp.select(exp.Count(this=exp.Star())).from_(ranked.subquery(names.ident("q"))).where(
        exp.NEQ(this=_col("a"), expression=_col("b")))


def kept_duplicates(spec: str, duplicates: exp.Table, out_keys: exp.Select) -> exp.Select:
    """Last run's rows of the duplicates table for the clusters the scope leaves as they are."""
    return exp.select(exp.Star()).from_(duplicates.copy()).where(exp.and_(
        _col(ledgers.OWNER).eq(_lit(spec)), _in(_col("source_key"), out_keys)))


def restore_duplicates(duplicates: exp.Table, kept: exp.Table, h: exp.Table, columns: Sequence[str]) -> exp.Insert:
    """The kept clusters' rows back, numbered by this export's rows (``source_row``; ``cluster``: the
    smallest row of the cluster, as ``sqlgen.dedup`` numbers clusters)."""
    now = _col(ROW, "h")
    replaced = {"source_row": now.copy(),
                "cluster": exp.Window(this=exp.Min(this=now.copy()), partition_by=[_col("cluster", "d")])}
    query = (exp.select(*(exp.alias_(replaced[c], c, quoted=True) if c in replaced else _col(c, "d") for c in columns))
             .from_(kept.copy().as_("d", quoted=True))
             .join(h.copy().as_("h", quoted=True), on=_col(KEY, "h").eq(_col("source_key", "d"))))
    return exp.insert(query, duplicates.copy(), columns=[names.ident(c) for c in columns])


def fixed_stats(spec: str, entity: Entity, final: exp.Table, out_held: exp.Table) -> list[exp.Update]:
    """The entity's rows of ``dedup_stats`` as over the whole export: the scope's pairs plus the pairs the
    kept clusters held last run; a fuzzy rule's comparisons and skipped rows from every row's block."""
    out = []
    for i, (label, max_block) in enumerate(rules(entity)):
        matched = exp.Add(this=_col("pairs_matched"), expression=exp.Subquery(this=exp.select(
            exp.func("coalesce", exp.Sum(this=_col(f"n_{i}")), exp.Literal.number(0))).from_(out_held.copy())))
        sets = [exp.EQ(this=_col("pairs_matched"), expression=matched)]
        if max_block is not None:
            sizes = (exp.select(exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True)).from_(final.copy())
                     .where(not_null(_col(f"v_{i}"))).group_by(_col(f"v_{i}")))
            n = _col("n")
            pairs = exp.Div(this=exp.paren(exp.Mul(this=n.copy(), expression=exp.paren(
                exp.Sub(this=n.copy(), expression=exp.Literal.number(1))))), expression=exp.Literal.number(2), typed=True)
            small = exp.Between(this=n.copy(), low=exp.Literal.number(2), high=exp.Literal.number(max_block))
            big = exp.GT(this=n.copy(), expression=exp.Literal.number(max_block))

            def total(when: exp.Expression, value: exp.Expression) -> exp.Expression:
                summed = exp.Sum(this=exp.If(this=when, true=value, false=exp.Literal.number(0)))
                return exp.Subquery(this=exp.select(exp.cast(exp.func("coalesce", summed, exp.Literal.number(0)), "BIGINT"))
                                    .from_(sizes.subquery(names.ident("z"))))
            sets += [exp.EQ(this=_col("pairs_compared"), expression=total(small, pairs)),
                     exp.EQ(this=_col("rows_in_skipped_blocks"), expression=total(big, n.copy()))]
        out.append(exp.Update(this=names.dedup_stats_table(), expressions=sets, where=exp.Where(this=exp.and_(
            _col("spec").eq(_lit(spec)), _col("entity").eq(_lit(entity.name)), _col("rule").eq(_lit(label))))))
    return out
