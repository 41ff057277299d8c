"""The corpus catalog: `catalog.toml` in the plans folder describes each plan file."""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CATALOG_FILE = "catalog.toml"


class CatalogError(Exception):
    pass


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    file: str
    title: str = ""  # "": the plan's own header gives it (index.header), else its file name
    title_en: str = ""
    institution: str = ""
    institution_en: str = ""
    period: str = ""
    language: str = "ja"
    versions: tuple[str, ...] = field(default_factory=tuple)
    aliases: tuple[str, ...] = field(default_factory=tuple)  # what users call the institution: YNU, 横国

    @property
    def names(self) -> tuple[str, ...]:
        """The names a question may use for this plan's institution."""
        return tuple(dict.fromkeys(n for n in (*self.aliases, self.institution, self.institution_en) if n))


def document_id(name: str) -> str:
    """An id for a file the catalog does not list: its stem, reduced to [a-z0-9-]."""
    stem = re.sub(r"[^a-z0-9]+", "-", Path(name).stem.lower()).strip("-")
    return stem or "document"


def read_catalog(plans_dir: Path) -> dict[str, CatalogEntry]:
    """Entries keyed by file name; an absent catalog is an empty one."""
    path = plans_dir / CATALOG_FILE
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        entries = [CatalogEntry(**{**d, "versions": tuple(d.get("versions", ())), "aliases": _aliases(d)})
                   for d in data.get("document", [])]
    except (tomllib.TOMLDecodeError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path.name}: {exc}") from exc
    ids = [e.id for e in entries]
    if len(ids) != len(set(ids)):
        raise CatalogError(f"{path.name}: duplicate document ids")
    return {e.file: e for e in entries}


def _aliases(document: dict) -> tuple[str, ...]:
    aliases = document.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise ValueError(f"document {document.get('id', '?')!r}: aliases must be a list of names, such as [\"YNU\"]")
    return tuple(a.strip() for a in aliases)


def entry_for(file: Path, catalog: dict[str, CatalogEntry]) -> CatalogEntry:
    """The catalog's entry for a file, or one with only an id: the title then comes from the text."""
    return catalog.get(file.name) or CatalogEntry(id=document_id(file.name), file=file.name)


def add_entry(plans_dir: Path, entry: CatalogEntry) -> None:
    """Append `entry` to the catalog (created if absent): what an uploader says of a plan that
    its text cannot, such as an English title or the names users call its institution."""
    fields = {"id": entry.id, "file": entry.file, "title": entry.title, "title_en": entry.title_en,
              "language": entry.language, "aliases": list(entry.aliases)}
    block = "\n[[document]]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in fields.items() if v)
    path = plans_dir / CATALOG_FILE
    _write(path, (path.read_text(encoding="utf-8") if path.exists() else "") + block)


def remove_entry(plans_dir: Path, file: str) -> str | None:
    """Drop the catalog's entry for `file`; return the catalog's text before, to put it back."""
    path = plans_dir / CATALOG_FILE
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    head, *blocks = re.split(r"(?m)^(?=\[\[document\]\]\s*$)", text)
    kept = [b for b in blocks if tomllib.loads(b).get("document", [{}])[0].get("file") != file]
    if len(kept) == len(blocks):
        return None
    _write(path, head + "".join(kept))
    return text


def restore(plans_dir: Path, text: str | None) -> None:
    """Put back the catalog `remove_entry` changed."""
    if text is not None:
        _write(plans_dir / CATALOG_FILE, text)


def _toml(value: str | list[str]) -> str:
    # A JSON string is a TOML basic string: the same quotes and escapes.
    return json.dumps(value, ensure_ascii=False)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
