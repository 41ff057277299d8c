"""Flattened tables rebuilt into rows, with the arithmetic of the plan holding."""

import re

from index.document import Document


def rows(doc: Document, label: str) -> dict[str, str]:
    return {r.label: r.value for t in doc.by_label(label).tables for r in t.rows}


def test_budget_table(ynu: Document):
    budget = rows(ynu, "別紙-1")
    assert budget["収入 / 運営費交付金"] == "53,301"
    assert budget["収入 / 計"] == "98,854"
    assert budget["収入 / 自己収入 / 雑収入"] == "722"
    assert budget["収入 / 船舶建造費補助金"] == ""
    assert budget["支出 / 業務費"] == "89,465"
    assert budget["支出 / 計"] == "98,854"
    table = ynu.by_label("別紙-1").tables[0]
    assert table.unit == "百万円"
    assert str(table.rows[0]) == "収入 / 運営費交付金: 53,301 百万円"


def test_every_value_of_the_budget_is_in_a_row(ynu: Document):
    section = ynu.by_label("別紙-1")
    tables = section.tables
    block = ynu.text[tables[0].span.start : tables[-1].span.end]
    printed = re.findall(r"(?m)^\d[\d,]*$", block)
    in_rows = [r.value for t in tables for r in t.rows if r.value]
    assert sorted(printed) == sorted(in_rows)


def test_income_statement_and_cash_flow(ynu: Document):
    income = rows(ynu, "別紙-2")
    assert income["費用の部 / 経常費用 / 業務費"] == "91,788"
    assert income["収入の部 / 経常収益 / 運営費交付金"] == "52,359"
    cash = rows(ynu, "別紙-3")
    assert cash["資金収入 / 業務活動による収入 / 運営費交付金による収入"] == "53,301"
    assert cash["資金支出"] == "100,277"


def test_enrolment_capacity_by_year(ynu: Document):
    tables = ynu.by_label("別表").tables
    assert len(tables) == 12
    first = {r.label: r.value for r in tables[0].rows}
    assert tables[0].title.endswith("平成16年度")
    assert first["工学部"] == "2,840人"
    assert first["教育人間科学部"] == "1,840人 (うち教員養成に係る分野920人)"
    grad = {r.label: r.value for r in tables[1].rows}
    assert grad["国際社会科学研究科"].startswith("389人 (うち博士課程(前期)234人)")
    last = {r.label: r.value for r in tables[-2].rows}
    assert tables[-2].title.endswith("平成21年度") and last["工学部"] == "2,720人"


def test_tables_only_where_tables_are(ynu: Document, tohoku: Document):
    with_tables = {s.label for s in ynu.sections if s.tables}
    assert with_tables == {"別表", "別紙-1", "別紙-2", "別紙-3"}
    assert not any(s.tables for s in tohoku.sections)
