"""Repair of the Shift_JIS row-13 damage, read from context."""

from index.repair import has_row13_damage, repair
from tests.conftest import PLANS

DAMAGED = (PLANS / "ynu-midterm-plan-2004.txt").read_text(encoding="utf-8")


def test_markers_repaired_in_context():
    text = repair(DAMAGED).text
    assert "Ⅰ 大学の教育研究等の質の向上" in text
    assert "①教養教育の成果に関する具体的目標の設定" in text
    assert "(①)教育理念等に応じた教育課程" in text
    assert "研究に加え,①「安心・安全」の科学" in text
    assert "3,892.55㎡" in text
    assert "Ⅹ その他" in text and "Ⅷ 重要な財産" in text and "Ⅸ 剰余金の使途" in text


def test_formulas_and_real_letters_unchanged():
    text = repair(DAMAGED).text
    for formula in ("A(y)=D(y)+E(y)+F(y)+G(y)−H(y)", "B(y)=I(y)−J(y)", "C(y)=L(y)+M(y)", "[K(y)=J’(y)×λ(係数)−J’(y)]"):
        assert formula in text
    # References to the circled items inside the formulas' notes are repaired, the variables are not.
    assert "D(y):学部・大学院教育研究経費(②,⑦)" in text
    assert "[人件費の見積り]" in text and "[注]施設費" in text  # real brackets stay
    # The plan's own Latin letters (T, A, F … are also what the damage leaves), each kept as
    # often as the file prints it.
    for acronym in ("GPA", "TA,RA", "TAの配置", "COE", "FD", "IMF", "AO", "IT技術", "PRTR"):
        assert DAMAGED.count(acronym) and text.count(acronym) == DAMAGED.count(acronym), acronym


def test_every_repair_is_counted_and_lines_are_kept():
    result = repair(DAMAGED)
    assert result.counts() == {"roman-numeral": 13, "circled-number": 55, "square-metre": 1}
    assert result.text.count("\n") == DAMAGED.count("\n")
    first = result.repairs[0]
    assert (first.kind, first.line, first.before, first.after) == ("roman-numeral", 39, "T", "Ⅰ")


def test_clean_text_is_left_alone():
    clean = "T 社のA案について\nGPAとTA\n@example\n"
    assert not has_row13_damage(clean)
    assert repair(clean).text == clean
    tohoku = (PLANS / "tohoku-international-strategy.txt").read_text(encoding="utf-8")
    assert repair(tohoku).repairs == []


def test_lookalikes_and_page_furniture():
    result = repair("⼤学の⽬標\n- 3 -\n本文\n")
    assert result.text == "大学の目標\n\n本文\n"
    assert result.counts() == {"kangxi-radical": 2, "page-furniture": 1}
