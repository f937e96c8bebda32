"""XML records per CPU second: ferry's pyexpat flattener against lxml (libxml2) readers, same NDJSON bytes.

    python bench/xmlreaders.py check                      # lxml's records == ferry's, on the hazard corpus
    python bench/xmlreaders.py rate DEALS.xml [ROUNDS]    # alternating rounds, one child process each

The question (issue 14): would a compiled streaming reader from a well-kept package convert an XML
export clearly faster per CPU second (>= 1.4x) than ``xmlflatten``'s pyexpat callbacks, with the same
records? lxml is not a ferry dependency; this script needs it installed (``pip install lxml``).

Readers, each writing the records with ferry's own NDJSON writer (``xmlflatten.ndjson``), one process,
one core (the split path runs the same reader in each part, so per-CPU rates carry over):

- ``expat``: ``xmlflatten.Flattener`` (what every part of ``xmlsplit`` runs today);
- ``iterparse``: ``lxml.etree.iterparse(tag="{*}deal")``, each record walked in Python into the same flat
  dict (``_walk``), then cleared and its earlier siblings deleted (memory stays flat);
- ``pull``: the same walk over ``etree.XMLPullParser`` fed 1 MiB chunks;
- ``expat-bare`` and ``lxml-bare``: each parser alone (no callbacks; iterparse yielding and clearing
  the records, no walk, nothing written): the floor under each route.

``rate`` prints one JSON line per run (CPU s of the child, records, records per CPU s, peak RSS), then
the medians and min-max per reader, and checks that ``iterparse`` and ``pull`` wrote ferry's bytes.

The walk matches ``Flattener`` on what the bench export holds; it does not carry every rule: namespace
declarations inside records (expat without namespace processing sees ``xmlns:x`` as an attribute, a
column; libxml2 takes it as a declaration) and byte-order marks in values (counted with the line of the
end tag: lxml has only the start tag's line) would need a fall-back to the expat path. ``check`` shows
which corpus documents differ, and so which fall-backs an adoption would need.

Measured (session 10, 1M bench export: deals.xml 187 MB, 650,000 records; one process each, two
alternating rounds, load average 7-15 on 2 cores, so CPU seconds; lxml 6.1.3 / libxml2 2.14.6):

    reader       CPU s (round 1, 2)   records per CPU s   vs expat (medians)
    expat        9.16, 10.94               59,405-70,961     1.00x
    iterparse    8.55, 8.23                76,061-78,939     1.20x (round by round 1.07x, 1.33x)
    pull         9.61, 9.39                67,609-69,213     1.06x
    expat-bare   1.39, 1.46           (no records built)
    lxml-bare    3.47, 3.28               187,526-198,335

The 50k-record sample (3 rounds): expat 0.89 CPU s median, iterparse 0.72 (1.24x), pull 0.78.
Peak RSS 51-67 MiB for every reader (round 1; round 2's 292 MiB was this script's parent, since fixed).
Where the time goes per record (50k sample, one process): libxml2 building the tree and iterparse
handing back each record ~4.5 us, the Python walk reading tags, attributes and text ~5 us, the
NDJSON line ~2.5 us; pyexpat with ferry's callbacks ~14 us all told. The walk and the writing are
Python either way, so lxml saves only the callbacks' share: 1.2x per CPU second at 1M (medians), short of
the 1.4x that would justify a new dependency. An XSLT (libxslt) writing the lines in C was slower
still: a stylesheet for the bench's flat records alone, without JSON escaping or repeated names,
took 8-10 us per record on top of the parse. Not adopted; ``xmlflatten`` stays.
"""

from __future__ import annotations

import filecmp
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

from compiler.sources import xmlflatten  # noqa: E402

RECORD = "/export/deals/deal"
READERS = ("expat", "iterparse", "pull", "expat-bare", "lxml-bare")
SEPARATOR, MARK = xmlflatten.SEPARATOR, xmlflatten.MARK


class _Names(dict):
    """``{urn:x}deal`` or ``crm:deal`` -> ``deal``, once per name."""

    def __missing__(self, tag: str) -> str:
        name = self[tag] = tag.rpartition("}")[2].rpartition(":")[2]
        return name


def _walk(elem, prefix: str, record: dict, names: _Names) -> None:
    """``elem``'s descendants into ``record`` as ``Flattener`` adds them: attributes when an element starts,
    its own text (its text and its children's tails) when it ends; whitespace-only is no value."""
    for child in elem:
        tag = child.tag
        if tag.__class__ is not str:  # a comment or processing instruction: only its tail counts (parent's)
            continue
        key = prefix + names[tag]
        attributes = child.items()
        if attributes:
            dotted = key + "."
            for attribute, value in attributes:
                if value and not value.isspace():
                    column = dotted + names[attribute]
                    if column in record:
                        record[column] += SEPARATOR + value
                    else:
                        record[column] = value
        if len(child):
            _walk(child, key + ".", record, names)
            value = (child.text or "") + "".join([c.tail or "" for c in child])
        else:
            value = child.text
        if value and MARK in value:  # removed as ``Flattener`` removes it (counted there, with its line)
            value = value.replace(MARK, "")
        if value and not value.isspace():
            if key in record:
                record[key] += SEPARATOR + value
            else:
                record[key] = value


class _Records:
    """Records from lxml ``end`` events of elements named like the record: path checked (absolute or
    relative, not inside another record), walked, emitted, then cleared with their earlier siblings."""

    def __init__(self, record_path: str, emit):
        self.absolute = record_path.startswith("/")
        self.want = record_path.strip("/").split("/")
        self.tag = "{*}" + self.want[-1]
        self.emit = emit
        self.names = _Names()
        self._parent = None
        self._parent_ok = False

    def _path_ok(self, parent) -> bool:
        """Whether a record-named child of ``parent`` is a record: its path matches and no ancestor's does."""
        stack = [self.names[self.want[-1]]]
        p = parent
        chain = []
        while p is not None:
            chain.append(p)
            p = p.getparent()
        chain.reverse()
        names = [self.names[p.tag] if isinstance(p.tag, str) else "" for p in chain]
        for depth in range(1, len(names) + 1):  # an ancestor that is itself a record: this one is a child
            if self._matches(names[:depth]):
                return False
        return self._matches(names + stack)

    def _matches(self, stack: list[str]) -> bool:
        return stack == self.want if self.absolute else stack[-len(self.want):] == self.want

    def take(self, elem) -> None:
        parent = elem.getparent()
        if parent is not self._parent:
            self._parent, self._parent_ok = parent, self._path_ok(parent)
        if not self._parent_ok:
            return
        names = self.names
        record: dict[str, str] = {}
        for attribute, value in elem.items():
            if value and not value.isspace():
                column = names[attribute]
                if column in record:
                    record[column] += SEPARATOR + value
                else:
                    record[column] = value
        _walk(elem, "", record, names)
        self.emit(record)
        elem.clear(keep_tail=False)
        while elem.getprevious() is not None:
            del parent[0]


def iterparse(path: str, record_path: str, emit) -> None:
    from lxml import etree

    records = _Records(record_path, emit)
    for _, elem in etree.iterparse(path, events=("end",), tag=records.tag,
                                   huge_tree=True):
        records.take(elem)


def pull(path: str, record_path: str, emit) -> None:
    from lxml import etree

    records = _Records(record_path, emit)
    parser = etree.XMLPullParser(events=("end",), tag=records.tag, huge_tree=True)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            parser.feed(chunk)
            for _, elem in parser.read_events():
                records.take(elem)
    parser.close()
    for _, elem in parser.read_events():
        records.take(elem)


def expat(path: str, record_path: str, emit) -> None:
    flattener = xmlflatten.Flattener(record_path, emit)
    parser = xmlflatten.parser(flattener)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)


def expat_bare(path: str) -> int:
    from xml.parsers import expat as pyexpat

    parser = pyexpat.ParserCreate()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    return 0


def lxml_bare(path: str, record_path: str) -> int:
    from lxml import etree

    n = 0
    for _, elem in etree.iterparse(path, events=("end",), tag="{*}" + record_path.rpartition("/")[2],
                                   huge_tree=True):
        n += 1
        elem.clear(keep_tail=False)
        while elem.getprevious() is not None:
            del elem.getparent()[0]
    return n


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def one(reader: str, path: str, out: str) -> dict:
    """One run in this process: the reader's CPU and wall seconds, records written, peak RSS."""
    t0, c0 = time.perf_counter(), _cpu()
    records = 0
    if reader == "expat-bare":
        expat_bare(path)
    elif reader == "lxml-bare":
        records = lxml_bare(path, RECORD)
    else:
        with open(out, "w", encoding="utf-8") as sink:
            {"expat": expat, "iterparse": iterparse, "pull": pull}[reader](path, RECORD, xmlflatten.ndjson(sink))
    cpu, wall = _cpu() - c0, time.perf_counter() - t0
    if reader not in ("expat-bare", "lxml-bare"):
        with open(out, "rb") as fh:
            records = sum(1 for _ in fh)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return {"reader": reader, "cpu_seconds": round(cpu, 3), "seconds": round(wall, 3), "records": records,
            "per_cpu_second": round(records / cpu) if records else None, "peak_rss_mib": peak}


def rate(path: str, rounds: int) -> None:
    results: dict[str, list[dict]] = {r: [] for r in READERS}
    with tempfile.TemporaryDirectory(prefix="xmlreaders-") as tmp:
        for k in range(rounds):
            order = READERS if k % 2 == 0 else READERS[::-1]  # alternating
            for reader in order:
                out = os.path.join(tmp, f"{reader}.ndjson")
                run = subprocess.run([sys.executable, __file__, "one", reader, path, out], check=True,
                                     capture_output=True, text=True)
                result = json.loads(run.stdout)
                print(json.dumps(result), flush=True)
                results[reader].append(result)
            # Compared in blocks: this process stays small (a child's peak RSS starts from its parent's).
            same = [r for r in ("iterparse", "pull")
                    if filecmp.cmp(Path(tmp, f"{r}.ndjson"), Path(tmp, "expat.ndjson"), shallow=False)]
            print(f"round {k + 1}: same NDJSON bytes as expat: {', '.join(same) or 'none'}", flush=True)
    base = statistics.median(r["cpu_seconds"] for r in results["expat"])
    for reader, runs in results.items():
        cpu = [r["cpu_seconds"] for r in runs]
        per = [r["per_cpu_second"] for r in runs if r["per_cpu_second"]]
        line = (f"{reader:11} CPU s median {statistics.median(cpu):7.2f} (min {min(cpu):.2f}, max {max(cpu):.2f})"
                f"  vs expat {base / statistics.median(cpu):4.2f}x  peak RSS {max(r['peak_rss_mib'] for r in runs)} MiB")
        if per:
            line += f"  records/CPU s median {statistics.median(per):,.0f} (min {min(per):,}, max {max(per):,})"
        print(line)


def check() -> int:
    """lxml's walk against ``Flattener`` on the split tests' hazard corpus: which documents give other bytes."""
    sys.path.insert(0, str(HERE.parent / "tests" / "unit"))
    from test_xml_split import document  # the corpus: CDATA, comments, nested records, marks, namespaces...

    differ = 0
    with tempfile.TemporaryDirectory(prefix="xmlreaders-") as tmp:
        for kind in ("utf-8", "cp1250", "namespaces", "parents", "bom", "same-line", "doctype"):
            for record in ("/export/deals/deal", "deal"):
                path = os.path.join(tmp, f"{kind}.xml")
                Path(path).write_bytes(document(kind))
                outputs = {}
                for name, reader in (("expat", expat), ("iterparse", iterparse), ("pull", pull)):
                    out = os.path.join(tmp, f"{name}.ndjson")
                    try:
                        with open(out, "w", encoding="utf-8") as sink:
                            reader(path, record, xmlflatten.ndjson(sink))
                        outputs[name] = Path(out).read_bytes()
                    except Exception as exc:  # noqa: BLE001 - reported, not hidden
                        outputs[name] = f"error: {type(exc).__name__}: {exc}".encode()
                for name in ("iterparse", "pull"):
                    same = outputs[name] == outputs["expat"]
                    differ += not same
                    if not same and _without_declarations(outputs["expat"]) == outputs[name]:
                        print(f"{kind:10} {record:20} {name:9} DIFFERS only by the namespace declared on records"
                              " (expat: a column 'ext'; lxml: a declaration)")
                        continue
                    print(f"{kind:10} {record:20} {name:9} {'same' if same else 'DIFFERS'}"
                          + ("" if same else f": {_first_difference(outputs['expat'], outputs[name])}"))
    return differ


def _without_declarations(ndjson: bytes) -> bytes:
    """``ndjson`` without the column the corpus's ``xmlns:ext`` declaration on a record gives under expat."""
    return ndjson.replace(b'"ext":"urn:ext",', b"")


def _first_difference(a: bytes, b: bytes) -> str:
    for n, (x, y) in enumerate(zip(a.splitlines(), b.splitlines()), start=1):
        if x != y:
            return f"line {n}: expat {x[:90]!r} / lxml {y[:90]!r}"
    return f"{len(a.splitlines())} lines / {len(b.splitlines())} lines"


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "one":
        print(json.dumps(one(*args)))
    elif command == "rate":
        rate(args[0], int(args[1]) if len(args) > 1 else 3)
    else:
        print(f"{check()} reader/document pairs differ")
