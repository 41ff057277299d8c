"""Loaders on real files that the tests make: PDF, DOCX, Shift_JIS, EUC-JP, HTML, and bad input."""

from pathlib import Path

import docx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from index.load import LoadError, load, load_bytes

EXCERPT = [
    "Ⅰ 大学の教育研究等の質の向上に関する目標を達成するためにとるべき措置",
    " 1教育に関する目標を達成するための措置",
    "  1. 社会の多様化に対応し得る基礎学力を育成する。",
    "Ⅶ 短期借入金の限度額 23億円",
]


def make_pdf(path: Path, lines: list[str]) -> Path:
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("HeiseiMin-W3", 10)
    for n, line in enumerate(lines):
        c.drawString(40, 800 - 16 * n, line)
    c.showPage()
    c.drawString(40, 800, "")
    c.setFont("HeiseiMin-W3", 10)
    c.drawString(40, 800, "2ページ目の本文")
    c.save()
    return path


def test_pdf(tmp_path: Path):
    loaded = load(make_pdf(tmp_path / "plan.pdf", EXCERPT))
    assert loaded.format == "pdf"
    for phrase in ("大学の教育研究等の質の向上", "社会の多様化に対応し得る基礎学力", "23億円", "2ページ目の本文"):
        assert phrase in loaded.text
    assert "\x0c" not in loaded.text


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path):
    document = docx.Document()
    document.add_paragraph("別紙 予算")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "運営費交付金", "53,301"
    table.cell(1, 0).text, table.cell(1, 1).text = "計", "98,854"
    document.add_paragraph("以上")
    document.save(tmp_path / "plan.docx")
    loaded = load(tmp_path / "plan.docx")
    assert loaded.text.split("\n") == ["別紙 予算", "運営費交付金\t53,301", "計\t98,854", "以上"]


@pytest.mark.parametrize("codec,expected", [("cp932", "cp932"), ("euc_jp", "euc_jp"), ("utf-8-sig", "utf-8")])
def test_japanese_encodings(tmp_path: Path, codec: str, expected: str):
    text = "中期計画\n教養教育の成果に関する具体的目標の設定\n留学生の受入れを推進する。\n"  # EUC-JP has no ①
    if codec != "euc_jp":
        text += "① 教養教育\nⅠ 大学の教育研究\n3,892.55㎡\n"
    path = tmp_path / "plan.txt"
    path.write_bytes(text.encode(codec))
    loaded = load(path)
    assert (loaded.text, loaded.encoding) == (text, expected)


def test_shift_jis_row_13_survives(tmp_path: Path):
    path = tmp_path / "sjis.txt"
    path.write_bytes("Ⅰ 大学の教育研究\n①教養教育\n".encode("cp932"))
    assert "Ⅰ" in load(path).text and "①" in load(path).text


def test_html(tmp_path: Path):
    html = '<html><head><meta charset="shift_jis"><title>x</title><style>p{}</style></head>' \
           "<body><script>alert(1)</script><h1>国際戦略</h1><p>門戸開放の理念</p><ul><li>研究第一</li></ul></body></html>"
    path = tmp_path / "plan.html"
    path.write_bytes(html.encode("cp932"))
    loaded = load(path)
    assert loaded.text.split() == ["国際戦略", "門戸開放の理念", "研究第一"]
    assert loaded.encoding == "cp932"


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"  \n\n ", "no text"),
        ("binary.txt", b"\x00\x01\x02abc", "not a text file (binary data)"),
        ("latin.txt", bytes(range(0x80, 0x100)) * 3, "cannot decode as UTF-8, Shift_JIS or EUC-JP"),
        ("image.png", b"\x89PNG\r\n", "unsupported file type '.png'"),
        ("fake.pdf", b"hello", "not a PDF"),
        ("fake.docx", b"%PDF-1.4", "not a DOCX"),
        ("zip.txt", b"PK\x03\x04rest", "not a text file"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path: Path, name: str, data: bytes, reason: str):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(LoadError) as err:
        load(path)
    assert str(err.value).startswith(f"{name}: {reason}")
    assert "\n" not in str(err.value)


def test_damaged_pdf_and_docx(tmp_path: Path):
    pdf = make_pdf(tmp_path / "whole.pdf", EXCERPT).read_bytes()
    with pytest.raises(LoadError, match="^cut.pdf: (damaged PDF|no extractable text)"):
        load_bytes(pdf[: len(pdf) // 3], "cut.pdf")
    with pytest.raises(LoadError, match="^cut.docx: damaged DOCX"):
        load_bytes(b"PK\x03\x04" + b"\x00" * 100, "cut.docx")
    with pytest.raises(LoadError, match="file not found"):
        load(tmp_path / "missing.txt")
