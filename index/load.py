"""Loaders: a plan file's bytes to text, per format, with a one-line error for bad input.

University documents come as UTF-8, Shift_JIS or EUC-JP text, PDF, Word and HTML. Shift_JIS
is always decoded as CP932: the NEC row-13 characters (①..⑳, Ⅰ..Ⅹ, ㎡) exist only there,
and decoding them as plain Shift_JIS is what loses them in the first place.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bs4 import BeautifulSoup


class LoadError(Exception):
    """A file that cannot be read: `str(err)` is "<file name>: <reason>"."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


@dataclass(frozen=True)
class LoadedText:
    path: Path
    text: str  # newlines normalised to "\n"
    format: str  # "txt" | "md" | "pdf" | "docx" | "html"
    encoding: str | None  # the codec used, for text formats


_FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}
SUPPORTED_SUFFIXES = frozenset(_FORMATS)
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff01-\uff5e、。]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)
_CODECS = {"shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "windows-31j": "cp932",
           "euc-jp": "euc_jp", "euc_jp": "euc_jp", "utf-8": "utf-8", "utf8": "utf-8"}


def load(path: Path) -> LoadedText:
    """Read a plan file from disk."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LoadError(path, "file not found") from None
    except OSError as exc:
        raise LoadError(path, f"cannot read ({exc.strerror})") from None
    return load_bytes(data, path)


def load_bytes(data: bytes, name: Path | str) -> LoadedText:
    """Read a plan from bytes (an upload); the name gives the format, the bytes must agree."""
    path = Path(name)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoadError(path, f"unsupported file type '{path.suffix or path.name}' (supported: {supported})")
    if not data:
        raise LoadError(path, "empty file")
    _check_kind(data, fmt, path)
    text, encoding = _READERS[fmt](data, path)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    if not text.strip():
        raise LoadError(path, "no text")
    return LoadedText(path, text, fmt, encoding)


def _check_kind(data: bytes, fmt: str, path: Path) -> None:
    """Sniff the bytes, so that a renamed file is named for what it is."""
    is_pdf, is_zip = data.startswith(b"%PDF-"), data.startswith(b"PK\x03\x04")
    if fmt == "pdf" and not is_pdf:
        raise LoadError(path, "not a PDF (the content does not start with %PDF-)")
    if fmt == "docx" and not is_zip:
        raise LoadError(path, "not a DOCX (the content is not a zip package)")
    if fmt in ("txt", "md", "html") and (is_pdf or is_zip or b"\x00" in data[:4096]):
        raise LoadError(path, "not a text file (binary data)")


def decode(data: bytes, path: Path, declared: str | None = None) -> tuple[str, str]:
    """UTF-8 if it decodes strictly; else CP932 or EUC-JP, whichever decodes to more Japanese."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    candidates = ["utf-8", "cp932", "euc_jp"]
    if declared and _CODECS.get(declared.lower()) in candidates:
        candidates.remove(_CODECS[declared.lower()])
        candidates.insert(0, _CODECS[declared.lower()])
    decoded = []
    for codec in candidates:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec == candidates[0]:
            return text, codec
        decoded.append((len(_JAPANESE.findall(text)) / max(1, len(text)), text, codec))
    if not decoded:
        raise LoadError(path, "cannot decode as UTF-8, Shift_JIS or EUC-JP")
    _, text, codec = max(decoded, key=lambda d: d[0])
    return text, codec


def _text(data: bytes, path: Path) -> tuple[str, str | None]:
    return decode(data, path)


def _pdf(data: bytes, path: Path) -> tuple[str, str | None]:
    from pdfminer.high_level import extract_text

    try:
        text = extract_text(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many kinds of error on a damaged file
        raise LoadError(path, f"damaged PDF ({type(exc).__name__})") from None
    text = text.replace("\x0c", "\n")
    if not text.strip():
        raise LoadError(path, "no extractable text (scanned PDF?)")
    return text, None


def _docx(data: bytes, path: Path) -> tuple[str, str | None]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(path, f"damaged DOCX ({exc})") from None
    lines = []
    for block in document.iter_inner_content():  # paragraphs and tables, in document order
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines.extend("\t".join(cell.text for cell in row.cells) for row in block.rows)
    return "\n".join(lines), None


_BLOCKS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "br", "section", "article", "pre", "table")


def _html(data: bytes, path: Path) -> tuple[str, str | None]:
    declared = _META_CHARSET.search(data[:4096])
    text, encoding = decode(data, path, declared.group(1).decode("ascii") if declared else None)
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "nav", "head", "noscript", "template"]):
        tag.decompose()
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in soup.get_text().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n", encoding


_READERS: dict[str, Callable[[bytes, Path], tuple[str, str | None]]] = {
    "txt": _text,
    "md": _text,
    "pdf": _pdf,
    "docx": _docx,
    "html": _html,
}
