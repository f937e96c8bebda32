"""What the ``phone`` transform's SQL reads of phonenumbers' metadata, per region.

In:  a region code ('PL').
Out: ``Region``: its calling code, international and national prefixes, whether its numbers are
     read in SQL, and its patterns as RE2 reads them (tests/fidelity/test_phone.py checks that
     they mean in DuckDB what they mean in Python's ``re``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

#: The number types ``is_valid_number`` accepts, as phonenumbers' metadata names them.
TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail",
         "fixed_line", "mobile")


@dataclass(frozen=True, slots=True)
class Region:
    """The metadata of one region that the SQL route reads."""

    region: str
    code: str  # calling code
    idd: str | None  # international prefix: digits, a pattern, or None (none)
    prefix: str | None  # national prefix for parsing, when it is plain digits
    own: bool  # national numbers read in SQL: the code is this region's alone and the prefix plain
    general: str  # national-number pattern of every number
    lengths: tuple[int, ...]  # possible national-number lengths
    local: tuple[int, ...]  # lengths dialled only locally (never stripped to)
    typed: str  # the number types' patterns, over 'LL:digits' (LL: the length, when the type allows it)


@lru_cache(maxsize=None)
def metadata(region: str) -> Region:
    import phonenumbers  # compile-time metadata only

    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = meta.national_prefix_for_parsing or None
    plain_prefix = prefix is None or (prefix.isdigit() and not meta.national_prefix_transform_rule)
    groups: dict[tuple[int, ...], list[str]] = {}
    for name in TYPES:
        desc = getattr(meta, name)
        # With the same mobile and fixed-line pattern, phonenumbers looks at the fixed line only.
        if desc is None or not desc.national_number_pattern or (name == "mobile" and meta.same_mobile_and_fixed_line_pattern):
            continue
        groups.setdefault(tuple(sorted(desc.possible_length)), []).append(desc.national_number_pattern)
    return Region(
        region=region,
        code=str(meta.country_code),
        idd=meta.international_prefix or None,
        prefix=prefix if plain_prefix else None,
        own=len(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[meta.country_code]) == 1 and plain_prefix,
        general=meta.general_desc.national_number_pattern,
        lengths=tuple(sorted(meta.general_desc.possible_length)),
        local=tuple(sorted(meta.general_desc.possible_length_local_only)),
        typed="|".join(f"(?:{_lengths(lengths)}):(?:{'|'.join(f'(?:{p})' for p in patterns)})"
                       for lengths, patterns in sorted(groups.items())) or "$.",
    )


def _lengths(lengths: tuple[int, ...]) -> str:
    """The two-digit labels of ``lengths`` as an alternation; any length when there are none."""
    return "|".join(f"{n:02d}" for n in lengths) if lengths else r"\d\d"
