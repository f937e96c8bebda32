"""Semantic checks on a built ``Spec``: one module per family, one function per rule.

In:  ``Context`` (the spec plus what was read from the source files' headers).
Out: diagnostics. ``CHECKS`` is the complete, ordered registry; nothing
registers itself at import time.

Each check's docstring shows a bad and a good snippet. Test cases live in
``tests/cases/checks/<family>.yml``.
"""

from __future__ import annotations

from typing import Callable, Iterable

from compiler.errors import Diagnostic
from compiler.validate.checks import (dedup, delta, fields, importers, linkmodel, multisource, phones, references, rules,
                                      sources, transforms)
from compiler.validate.checks.context import Context, Header

Check = Callable[[Context], Iterable[Diagnostic]]

CHECKS: tuple[Check, ...] = (
    sources.check_readable,
    sources.check_options,
    sources.check_id_column,
    sources.check_field_columns,
    sources.check_reference_columns,
    delta.check_export_dates,
    delta.check_gone_parents,
    references.check_entity_source,
    references.check_referenced_entity,
    multisource.check_source_overrides,
    multisource.check_reference_sources,
    multisource.check_source_preferences,
    references.check_cycles,
    references.check_load_order,
    fields.check_target_names,
    fields.check_natural_key,
    fields.check_tables,
    fields.check_case_clashes,
    fields.check_on_error,
    fields.check_decimal_digits,
    references.check_deferred_on_missing,
    rules.check_regexes,
    rules.check_bounds,
    rules.check_expressions,
    rules.check_filter,
    rules.check_field_sql,
    dedup.check_dedup_fields,
    dedup.check_strategies,
    dedup.check_blocks,
    dedup.check_match_fields,
    dedup.check_dedup_has_a_rule,
    dedup.check_q_needs_jaccard,
    linkmodel.check_blocking,
    linkmodel.check_comparisons,
    linkmodel.check_levels,
    linkmodel.check_level_methods,
    linkmodel.check_swapped,
    linkmodel.check_thresholds,
    rules.check_phone_regions,
    transforms.check_time_directives,
    transforms.check_time_formats,
    transforms.check_boolean_words,
    phones.check_region_from_columns,
    phones.check_region_from_sql,
    importers.check_export_entities,
    importers.check_export_fields,
    importers.check_export_references,
    importers.check_export_names,
    importers.check_export_clashes,
    importers.check_export_timezone,
    importers.check_target_schema,
)

#: code -> the check that emits it, for the meta-test that every code has cases.
CODES: dict[str, Check] = {
    "F201": references.check_entity_source,
    "F202": references.check_referenced_entity,
    "F203": references.check_cycles,
    "F204": references.check_load_order,
    "F205": references.check_load_order,
    "F301": sources.check_readable,
    "F305": sources.check_readable,
    "F306": sources.check_readable,
    "F307": sources.check_readable,
    "F308": sources.check_readable,
    "F309": sources.check_options,
    "F310": sources.check_readable,
    "F311": sources.check_readable,
    "F312": sources.check_readable,
    "F326": sources.check_readable,
    "F319": sources.check_readable,
    "F324": sources.check_readable,
    "F325": sources.check_readable,
    "F313": sources.check_field_columns,
    "F314": sources.check_field_columns,
    "F315": sources.check_field_columns,
    "F316": sources.check_field_columns,
    "F302": sources.check_id_column,
    "F303": sources.check_field_columns,
    "F304": sources.check_reference_columns,
    "F401": fields.check_target_names,
    "F402": fields.check_natural_key,
    "F403": fields.check_tables,
    "F404": fields.check_case_clashes,
    "F440": fields.check_on_error,
    "F425": fields.check_decimal_digits,
    "F426": fields.check_decimal_digits,
    "F206": references.check_deferred_on_missing,
    "F406": rules.check_regexes,
    "F407": rules.check_expressions,
    "F408": rules.check_bounds,
    "F409": rules.check_filter,
    "F410": rules.check_phone_regions,
    "F411": rules.check_field_sql,
    "F412": dedup.check_dedup_fields,
    "F413": dedup.check_strategies,
    "F414": dedup.check_blocks,
    "F415": dedup.check_match_fields,
    "F416": dedup.check_dedup_has_a_rule,
    "F417": dedup.check_q_needs_jaccard,
    "F450": linkmodel.check_blocking,
    "F451": linkmodel.check_blocking,
    "F452": linkmodel.check_blocking,
    "F453": linkmodel.check_comparisons,
    "F454": linkmodel.check_comparisons,
    "F455": linkmodel.check_levels,
    "F456": linkmodel.check_thresholds,
    "F457": linkmodel.check_levels,
    "F462": linkmodel.check_blocking,
    "F463": linkmodel.check_level_methods,
    "F464": linkmodel.check_swapped,
    "F465": linkmodel.check_swapped,
    "F466": linkmodel.check_comparisons,
    "F467": linkmodel.check_levels,
    "F430": transforms.check_time_directives,
    "F431": transforms.check_time_formats,
    "F432": transforms.check_boolean_words,
    "F420": phones.check_region_from_columns,
    "F421": phones.check_region_from_sql,
    "F720": importers.check_export_entities,
    "F721": importers.check_export_fields,
    "F722": importers.check_export_references,
    "F723": importers.check_export_names,
    "F724": importers.check_export_clashes,
    "F730": importers.check_export_entities,
    "F731": importers.check_export_fields,
    "F732": importers.check_export_references,
    "F733": importers.check_export_names,
    "F734": importers.check_export_clashes,
    "F725": importers.check_export_timezone,
    "F735": importers.check_export_timezone,
    "F441": importers.check_target_schema,
    "F470": multisource.check_source_overrides,
    "F471": multisource.check_source_overrides,
    "F473": multisource.check_reference_sources,
    "F474": multisource.check_reference_sources,
    "F475": multisource.check_source_overrides,
    "F476": multisource.check_source_preferences,
    "F477": multisource.check_source_preferences,
}

__all__ = ["CHECKS", "CODES", "Check", "Context", "Header", "run_checks"]


def run_checks(context: Context) -> tuple[Diagnostic, ...]:
    found = [d for check in CHECKS for d in check(context)]
    return tuple(sorted(found, key=lambda d: (d.span.file, d.span.line, d.span.col, d.code) if d.span else ("", 0, 0, d.code)))
