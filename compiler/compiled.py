"""Reading what ``ferry compile`` wrote for a target other than the embedded one.

``targets.postgres.push`` (PostgreSQL) and ``targets.bundles`` (Salesforce, HubSpot) both start from
``generated/<name>/manifest.json``: the target's entry and its files, each
checked against the sha256 the compile recorded, so an edited file is refused
instead of executed. Callers turn the two failures into their own located errors.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


class NotCompiled(Exception):
    """The manifest, the target's entry or one of its files is missing or unreadable."""


class Edited(Exception):
    """A file differs from what the compile recorded; ``args[0]`` is its path."""


def read_target(directory: Path, kind: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The whole compile manifest, the target's entry, and the text of each of its files (verified)."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    except OSError:
        raise NotCompiled("no manifest.json") from None
    except ValueError:
        raise NotCompiled("manifest.json is not JSON") from None
    try:
        entry = manifest["targets"][kind]
        texts = {name: (directory / name).read_text("utf-8") for name in entry["files"]}
    except OSError as exc:
        raise NotCompiled(f"cannot read {exc.filename}") from None
    except (KeyError, TypeError):
        raise NotCompiled(f"the spec was compiled without a {kind} target") from None
    for name, text in texts.items():
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != entry["files"][name]:
            raise Edited(directory / name)
    return manifest, entry, texts
