"""Mutations of the example spec: the example's text -> named broken (or odd) spec texts.

In:  the text of specs/legacy_crm/legacy_crm.yaml.
Out: ``spec_mutations(text)``: a tuple of ``Mutation(id, text)``, in a fixed order:
  * ``shape``: at every key path, the key dropped, or its value replaced by a number, a list, a
    mapping, null, an empty string or a 100k-character string;
  * ``inject``: hostile strings (SQL, quotes, NUL and control characters, paths, globs, RTL marks,
    emoji, combining marks) in every name (sources, entities, fields, checks, keys of a value map)
    and every place that holds SQL, a pattern, a format or a path;
  * ``yaml``: documents that are not specs at all (alias bombs, deep nesting, raw NUL bytes,
    unclosed quotes, tabs, another encoding, several documents).

Mutated specs are dumped with ``yaml.safe_dump``: comments go, and control characters in values
come back escaped in double quotes, so the loader hands the raw character to ferry.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import yaml

Path_ = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Mutation:
    """A named spec; its text is made when a case asks for it (making all of them takes a minute)."""

    id: str
    make: Callable[[], str | bytes]

    @property
    def text(self) -> str | bytes:
        return self.make()


LONG = "x" * 100_000
REPLACEMENTS: dict[str, Any] = {
    "number": 42,
    "list": [1, "x"],
    "mapping": {"x": 1},
    "null": None,
    "empty": "",
    "long": LONG,
}

INJECTIONS: dict[str, str] = {
    "sql_drop": "'; DROP TABLE x; --",
    "dquote": '"',
    "dollars": "$$",
    "comment": "/*",
    "unclosed_single": "it's",
    "unclosed_double": 'a "b',
    "nul": "a\x00b",
    "control": "a\x01\x1b[31mb\x7f",
    "line_breaks": "a\nb\r\nc\u2028d\x85e",
    "dotdot": "../..",
    "proc": "/proc/self/environ",
    "glob": "data/*.c[sv]?",
    "rtl": "\u202enaf\u200f",
    "emoji": "\U0001F469\u200d\U0001F469\u200d\U0001F467",
    "combining": "e\u0301\u0327\u20dd",
    "backslash": "\\",
    "format": "%s%n{0}%Q",
}


class _Loader(yaml.SafeLoader):
    """Reads `on:`, `yes:` and `no:` as text, as ferry does (YAML 1.1 would make them booleans)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _paths(value: Any, path: Path_ = ()) -> Iterator[Path_]:
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, path + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, path + (i,))


def _get(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def _set(data: Any, path: Path_, value: Any) -> Any:
    out = copy.deepcopy(data)
    _get(out, path[:-1])[path[-1]] = value
    return out


def _drop(data: Any, path: Path_) -> Any:
    out = copy.deepcopy(data)
    del _get(out, path[:-1])[path[-1]]
    return out


def _rename_key(data: Any, path: Path_, new: str) -> Any:
    """The mapping at path[:-1] with key path[-1] renamed in place (order kept)."""
    out = copy.deepcopy(data)
    parent = _get(out, path[:-1])
    items = [(new if k == path[-1] else k, v) for k, v in parent.items()]
    parent.clear()
    parent.update(items)
    return out


def _rename(data: Any, places: tuple[tuple[str, Path_], ...], new: str) -> Any:
    """Rename a name at each place: ``("key", path)`` where it is defined or a target section maps it,
    ``("value", path)`` where it is referred to."""
    out = data
    for kind, path in places:
        out = _rename_key(out, path, new) if kind == "key" else _set(out, path, new)
    return out


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path) or "<root>"


def shape_mutations(data: dict) -> Iterator[Mutation]:
    for path in _paths(data):
        if not path:
            continue
        yield Mutation(f"shape:drop:{_dotted(path)}", lambda path=path: dump(_drop(data, path)))
        for kind, value in REPLACEMENTS.items():
            yield Mutation(f"shape:{kind}:{_dotted(path)}", lambda path=path, value=value: dump(_set(data, path, value)))


def _with_extras(data: dict) -> dict:
    """The example plus the places it does not use: a `replace` transform, a `regex` rule, a target
    schema and table prefix."""
    out = copy.deepcopy(data)
    city = out["entities"]["company"]["fields"]["city"]
    city["transforms"] = [*city["transforms"], {"replace": {"pattern": "^ul\\. ", "with": ""}}]
    city["rules"] = [{"regex": "[^0-9]*"}]
    out["target"]["schema"] = "main"
    out["target"]["table_prefix"] = "crm_"
    return out


#: Values to replace: (label, key path).
VALUE_PLACES: tuple[tuple[str, Path_], ...] = (
    ("spec_name", ("name",)),
    ("description", ("description",)),
    ("source_path", ("sources", "companies", "path")),
    ("source_id", ("sources", "companies", "id")),
    ("delimiter", ("sources", "companies", "options", "delimiter")),
    ("encoding", ("sources", "companies", "options", "encoding")),
    ("xml_record", ("sources", "deals", "options", "record")),
    ("sheet", ("sources", "owners", "options", "sheet")),
    ("entity_source", ("entities", "company", "source")),
    ("key_column", ("entities", "company", "key", 0)),
    ("match_on", ("entities", "company", "match", "on", 0)),
    ("field_from", ("entities", "company", "fields", "name", "from")),
    ("field_from_list", ("entities", "contact", "fields", "full_name", "from", 1)),
    ("shorthand_from", ("entities", "owner", "fields", "region")),
    ("date_format", ("entities", "company", "fields", "created_on", "transforms", 0, "date", 0)),
    ("timestamp_format", ("entities", "activity", "fields", "occurred_at", "transforms", 0, "timestamp", 1)),
    ("map_value", ("entities", "company", "fields", "status", "transforms", 1, "map", "values", "aktywny")),
    ("replace_pattern", ("entities", "company", "fields", "city", "transforms", 1, "replace", "pattern")),
    ("replace_with", ("entities", "company", "fields", "city", "transforms", 1, "replace", "with")),
    ("regex_rule", ("entities", "company", "fields", "city", "rules", 0, "regex")),
    ("phone_region", ("entities", "company", "fields", "phone", "transforms", 0, "phone", "region")),
    ("dedup_block", ("entities", "contact", "dedup", "fuzzy", 0, "block", 0)),
    ("dedup_key", ("entities", "contact", "dedup", "keys", 0, 0)),
    ("survivor", ("entities", "contact", "dedup", "survivor", 1, "oldest")),
    ("sql_field", ("entities", "activity", "fields", "tags", "sql")),
    ("check", ("entities", "deal", "checks", "won_deals_have_a_date")),
    ("filter_keep", ("entities", "deal", "filter", "keep")),
    ("archive_path", ("entities", "deal", "filter", "archive")),
    ("reference_entity", ("entities", "deal", "references", "owner_id", "entity")),
    ("reference_from", ("entities", "deal", "references", "owner_id", "from")),
    ("target_path", ("target", "path")),
    ("target_schema", ("target", "schema")),
    ("table_prefix", ("target", "table_prefix")),
    ("sf_external_id", ("target", "salesforce", "external_id")),
    ("sf_timezone", ("target", "salesforce", "timezone")),
    ("sf_field", ("target", "salesforce", "objects", "company", "fields", "name")),
)

#: Names to rename: (label, places: ("key", path) where defined or mapped, ("value", path) where referred to).
NAME_PLACES: tuple[tuple[str, tuple[tuple[str, Path_], ...]], ...] = (
    ("source_name", (("key", ("sources", "activities")), ("value", ("entities", "activity", "source")))),
    ("entity_name", (("key", ("entities", "owner")), ("value", ("entities", "deal", "references", "owner_id", "entity")))),
    ("field_name", (("key", ("entities", "owner", "fields", "region")),)),
    ("reference_name", (("key", ("entities", "deal", "references", "contact_id")),
                        ("key", ("target", "salesforce", "objects", "deal", "fields", "contact_id")))),
    ("check_name", (("key", ("entities", "deal", "checks", "won_deals_have_a_date")),)),
    ("map_key", (("key", ("entities", "deal", "fields", "stage", "transforms", 2, "map", "values", "nowa")),)),
    ("sf_object_key", (("key", ("target", "salesforce", "objects", "activity")),)),
)


def inject_mutations(data: dict) -> Iterator[Mutation]:
    base = _with_extras(data)
    yield Mutation("inject:none:extras", lambda: dump(base))
    for label, path in VALUE_PLACES:
        for name, text in INJECTIONS.items():
            yield Mutation(f"inject:{name}:{label}", lambda path=path, text=text: dump(_set(base, path, text)))
    for label, places in NAME_PLACES:
        for name, text in INJECTIONS.items():
            yield Mutation(f"inject:{name}:{label}", lambda places=places, text=text: dump(_rename(base, places, text)))


def _fixed(id: str, text: str | bytes) -> Mutation:
    return Mutation(id, lambda: text)


def _nested(depth: int) -> str:
    return "{a: " * depth + "1" + "}" * depth


def yaml_mutations(text: str) -> Iterator[Mutation]:
    bomb = "version: 1\nname: bomb\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
    yield _fixed("yaml:alias_bomb", bomb)
    yield _fixed("yaml:alias_bomb_in_spec", text.replace("description:", "bomb_base: &a [x, x, x, x, x, x, x, x]\n"
                                                           "bomb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                                                           "bomb2: [*b, *b, *b, *b, *b, *b, *b, *b]\n"
                                                           "description:", 1))
    yield _fixed("yaml:alias_cycle_merge", "version: 1\nbase: &b {x: 1}\nother: {<<: *b, <<: *b}\n")
    yield _fixed("yaml:deep_nesting_flow", "version: 1\nname: deep\ndescription: " + _nested(5000) + "\n")
    yield _fixed("yaml:deep_nesting_100", text.replace("description: ", "description: " + _nested(100) + "\n# ", 1))
    yield _fixed("yaml:deep_list", "version: 1\nsources: " + "[" * 3000 + "]" * 3000 + "\n")
    yield _fixed("yaml:raw_nul", text.replace("name: legacy_crm", "name: legacy\x00crm", 1))
    yield _fixed("yaml:raw_escape", text.replace("name: legacy_crm", "name: legacy\x1bcrm", 1))
    yield _fixed("yaml:unclosed_double_quote", text.replace('{delimiter: ";"', '{delimiter: ";', 1))
    yield _fixed("yaml:unclosed_single_quote", text.replace("keep: \"stage <> 'lost'", "keep: 'stage <> \"lost\"", 1))
    yield _fixed("yaml:unclosed_flow", text.replace("key: [nip]", "key: [nip", 1))
    yield _fixed("yaml:tab_indent", text.replace("\n  companies:", "\n\tcompanies:", 1))
    yield _fixed("yaml:duplicate_key", text.replace("  contacts:\n", "  companies:\n    path: x.csv\n  contacts:\n", 1))
    yield _fixed("yaml:two_documents", text + "\n---\nversion: 1\n")
    yield _fixed("yaml:empty", "")
    yield _fixed("yaml:only_comments", "# nothing here\n")
    yield _fixed("yaml:scalar", "legacy_crm\n")
    yield _fixed("yaml:list", "- version: 1\n")
    yield _fixed("yaml:binary_garbage", bytes(range(256)) * 4)
    yield _fixed("yaml:cp1250", text.encode("cp1250", errors="replace"))
    yield _fixed("yaml:utf16", text.encode("utf-16"))
    yield _fixed("yaml:bom_mid", text.replace("\nsources:", "\n\ufeffsources:", 1))
    yield _fixed("yaml:python_tag", text.replace("name: legacy_crm", "name: !!python/object/apply:os.system [id]", 1))
    yield _fixed("yaml:binary_tag", text.replace("name: legacy_crm", "name: !!binary aGVsbG8=", 1))
    yield _fixed("yaml:timestamp_value", text.replace("name: legacy_crm", "name: 2024-01-01", 1))
    yield _fixed("yaml:complex_key", text.replace("  companies:\n", "  ? [a, b]\n  : {path: x}\n  companies:\n", 1))
    yield _fixed("yaml:truncated", text[: len(text) // 2])


def spec_mutations(text: str) -> tuple[Mutation, ...]:
    data = yaml.load(text, Loader=_Loader)
    return (*yaml_mutations(text), *inject_mutations(data), *shape_mutations(data))
