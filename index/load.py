"""Loaders: a plan file's bytes to text, per format, with a one-line error for bad input.

University documents come as UTF-8, Shift_JIS or EUC-JP text, PDF, Word and HTML. Shift_JIS
is always decoded as CP932: the NEC row-13 characters (①..⑳, Ⅰ..Ⅹ, ㎡) exist only there,
and decoding them as plain Shift_JIS is what loses them in the first place.
"""

from __future__ import annotations

import bisect
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Callable


class LoadError(Exception):
    """A file that cannot be read: `str(err)` is "<file name>: <reason>"."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


class TooLarge(LoadError):
    """A file whose content unpacks to more than the limits allow (a zip bomb, a huge PDF)."""


@dataclass(frozen=True)
class Limits:
    """How much a file may unpack to. Checked before extraction, from the zip's own directory
    and by inflating a PDF's streams into nothing, so a bomb costs a bounded amount of work."""

    max_pages: int = 2000  # a PDF's pages
    max_unpacked_bytes: int = 256 * 1024 * 1024  # a DOCX's members, or a PDF's compressed streams, inflated
    max_ratio: int = 200  # a DOCX member's inflated size over its compressed size (XML is ~10)
    max_members: int = 10_000  # files in a DOCX


LIMITS = Limits()


@dataclass(frozen=True)
class LoadedText:
    path: Path
    text: str  # newlines normalised to "\n"
    format: str  # "txt" | "md" | "pdf" | "docx" | "html"
    encoding: str | None  # the codec used, for text formats


_FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}
SUPPORTED_SUFFIXES = frozenset(_FORMATS)
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff01-\uff5e、。]")
_HTML_TAG = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|title|p|div|h[1-6]|table|ul|ol|li|br|section|article)\b",
                       re.IGNORECASE)
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


def load_bytes(data: bytes, name: Path | str, limits: Limits = LIMITS) -> LoadedText:
    """Read a plan from bytes (an upload); the name gives the format, the bytes must agree."""
    path = Path(name)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoadError(path, f"unsupported file type '{path.suffix or path.name}' (supported: {supported})")
    if not data:
        raise LoadError(path, "empty file")
    _check_kind(data, fmt, path)
    text, encoding = _READERS[fmt](data, path, limits)
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
    if fmt == "html" and not _HTML_TAG.search(data[:65536]):
        raise LoadError(path, "not HTML (no HTML tag such as <html>, <body> or <p> near the start)")


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


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff]")
MAX_CONTROL_SHARE = 0.02  # plans have none; binary data read as CP932 (which decodes any byte) has ~10%


def _readable(data: bytes, path: Path, declared: str | None = None) -> tuple[str, str]:
    """Decoded text that reads as text: a binary file renamed .txt decodes (CP932 takes any byte)
    but is mostly control and private-use characters."""
    text, encoding = decode(data, path, declared)
    if len(_CONTROL.findall(text)) > MAX_CONTROL_SHARE * len(text):
        raise LoadError(path, f"not a text file (control characters after decoding as {encoding})")
    return text, encoding


def _text(data: bytes, path: Path, limits: Limits) -> tuple[str, str | None]:
    return _readable(data, path)


_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_CHUNK = 1 << 16


def _inflated_size(data: bytes, budget: int) -> int:
    """What a PDF's deflated streams inflate to, counted up to just past `budget`, a chunk at a
    time and never held (pdfminer would inflate each stream whole, in memory)."""
    view, total = memoryview(data), 0
    ends = [m.start() for m in re.finditer(rb"endstream", data)]
    for match in _STREAM.finditer(data):
        after = bisect.bisect_left(ends, match.end())
        stream = view[match.end():ends[after] if after < len(ends) else len(data)]
        inflater = zlib.decompressobj()
        try:
            for start in range(0, len(stream), _CHUNK):
                chunk: bytes | memoryview = stream[start:start + _CHUNK]
                while chunk and not inflater.eof:  # at the end, zlib leaves what follows as "unconsumed"
                    total += len(inflater.decompress(chunk, _CHUNK))
                    if total > budget:
                        return total
                    chunk = inflater.unconsumed_tail
                if inflater.eof:
                    break
        except zlib.error:
            continue  # not deflated, or damaged: pdfminer judges it
    return total


def _pdf(data: bytes, path: Path, limits: Limits) -> tuple[str, str | None]:
    from pdfminer.high_level import extract_text
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    if _inflated_size(data, limits.max_unpacked_bytes) > limits.max_unpacked_bytes:
        raise TooLarge(path, f"the PDF's content unpacks to more than {limits.max_unpacked_bytes} bytes")
    try:
        pages = PDFPage.create_pages(PDFDocument(PDFParser(io.BytesIO(data))))
        too_many = sum(1 for _ in islice(pages, limits.max_pages + 1)) > limits.max_pages
        text = "" if too_many else extract_text(io.BytesIO(data), maxpages=limits.max_pages)
    except Exception as exc:  # pdfminer raises many kinds of error on a damaged file
        raise LoadError(path, f"damaged PDF ({type(exc).__name__})") from None
    if too_many:
        raise TooLarge(path, f"the PDF has more than {limits.max_pages} pages")
    text = text.replace("\x0c", "\n")
    if not text.strip():
        raise LoadError(path, "no extractable text (scanned PDF?)")
    return text, None


def _check_package(data: bytes, path: Path, limits: Limits) -> None:
    """A DOCX is a zip holding word/document.xml, whose directory promises no bomb (zipfile
    never inflates a member past the size the directory gives it)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise LoadError(path, f"damaged DOCX ({exc})") from None
    if "word/document.xml" not in {m.filename for m in members}:
        raise LoadError(path, "not a DOCX (the zip package holds no word/document.xml)")
    if len(members) > limits.max_members:
        raise TooLarge(path, f"the DOCX holds {len(members)} files; the limit is {limits.max_members}")
    unpacked = sum(m.file_size for m in members)
    if unpacked > limits.max_unpacked_bytes:
        raise TooLarge(path, f"the DOCX unpacks to {unpacked} bytes; the limit is {limits.max_unpacked_bytes}")
    for m in members:
        if m.file_size > 1024 * 1024 and m.file_size > limits.max_ratio * max(1, m.compress_size):
            raise TooLarge(path, f"the DOCX member {m.filename} unpacks {m.file_size // max(1, m.compress_size)} "
                                 f"times its size (a zip bomb?); the limit is {limits.max_ratio}")


def _docx(data: bytes, path: Path, limits: Limits) -> tuple[str, str | None]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    _check_package(data, path, limits)
    lines = []
    try:
        for block in docx.Document(io.BytesIO(data)).iter_inner_content():  # paragraphs and tables, in order
            if isinstance(block, Paragraph):
                lines.append(block.text)
            elif isinstance(block, Table):
                lines.extend("\t".join(cell.text for cell in row.cells) for row in block.rows)
    except Exception as exc:  # python-docx and lxml raise many kinds of error on a damaged package
        raise LoadError(path, f"damaged DOCX ({type(exc).__name__}: {exc})") from None
    return "\n".join(lines), None


_BLOCKS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "br", "section", "article", "pre", "table")


def _html(data: bytes, path: Path, limits: Limits) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup

    declared = _META_CHARSET.search(data[:4096])
    text, encoding = _readable(data, path, declared.group(1).decode("ascii") if declared else None)
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "nav", "head", "noscript", "template"]):
        tag.decompose()
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in soup.get_text().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n", encoding


_READERS: dict[str, Callable[[bytes, Path, Limits], tuple[str, str | None]]] = {
    "txt": _text,
    "md": _text,
    "pdf": _pdf,
    "docx": _docx,
    "html": _html,
}
