"""The section tree of both plans, as a reader of the plans would draw it."""

from index.document import Document


def headings(doc: Document, level: int) -> list[str]:
    return [s.heading for s in doc.sections if s.level == level]


def test_ynu_top_level_in_order(ynu: Document):
    top = [s for s in ynu.sections if s.level == 1 and s.number]
    assert [s.number for s in top] == ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "Ⅵ", "Ⅶ", "Ⅷ", "Ⅸ", "Ⅹ", "別表", "別紙"]
    assert top[0].title == "大学の教育研究等の質の向上に関する目標を達成するためにとるべき措置"
    assert top[6].title == "短期借入金の限度額"
    assert top[9].title == "その他"


def test_no_damaged_markers_in_headings(ynu: Document):
    for s in ynu.sections:
        assert not s.heading.startswith(("T ", "U ", "@", "(@)")), s.heading
        assert "@" not in s.label


def test_deep_section_with_its_items(ynu: Document):
    s = ynu.by_label("Ⅰ-1-(1)-1)-①")
    assert s.title == "教養教育の成果に関する具体的目標の設定"
    assert [i.marker for i in s.items] == ["1.", "2.", "3.", "4.", "5.", "6.", "7."]
    assert s.path[-2:] == ("学士課程における教育の成果に関する目標を達成するための措置", s.title)
    third = ynu.text[s.items[2].span.start : s.items[2].span.end]
    assert third.startswith("3. 国際化に対応して語学教育を充実するため")
    assert ynu.by_label("Ⅰ-1-(4)-2)").title == "生活相談・就職支援等に関する具体的方策"


def test_short_term_borrowing_limit(ynu: Document):
    s = ynu.by_label("Ⅶ-1")
    assert "23億円" in ynu.text[s.span.start : s.span.end]
    assert s.parent_id == ynu.by_label("Ⅶ").id


def test_siblings_continue_numbering(ynu: Document):
    assert ynu.by_label("Ⅹ-2").title == "人事に関する計画"  # "2人事…" is a heading, not "2 people"
    assert ynu.by_label("Ⅹ-3").title == "中期目標期間を超える債務負担"
    assert ynu.by_label("Ⅲ-1-1)-1").title == "研究活動面における自己収入確保・増大のための措置"
    assert [i.marker for i in ynu.by_label("Ⅲ-1-1)-1").items] == ["a.", "b.", "c.", "d.", "e."]
    assert [c for c in ynu.by_label("別紙").children] == [ynu.by_label(f"別紙-{n}").id for n in (1, 2, 3)]


def test_sub_items_stay_in_their_item(ynu: Document):
    s = ynu.by_label("Ⅱ-1-5)")
    assert [i.marker for i in s.items] == ["1.", "2.", "3."]
    second = ynu.text[s.items[1].span.start : s.items[1].span.end]
    assert "①" in second and "④" in second


def test_line_numbers_and_offsets(ynu: Document):
    s = ynu.by_label("Ⅰ")
    assert s.span.line_start == 39
    assert ynu.text.split("\n")[38].startswith("Ⅰ ")
    for section in ynu.sections:
        assert ynu.text[section.span.start :].startswith(section.number or section.title[:5])


def test_ids_are_unique_and_stable(ynu: Document, tohoku: Document):
    for doc in (ynu, tohoku):
        ids = [s.id for s in doc.sections]
        labels = [s.label for s in doc.sections]
        assert len(set(ids)) == len(ids) and len(set(labels)) == len(labels)
    assert ynu.by_label("Ⅰ-1-(1)-1)-①").id == "ynu-midterm-2004:2.1.1.1.1"


def test_tohoku_outline(tohoku: Document):
    top = [s.title for s in tohoku.sections if s.level == 1]
    assert top == [
        "東北大学における国際戦略の位置づけ",
        "変革期を迎えた世界",
        "国内外の課題と求められる対応",
        "東北大学のアイデンティティ",
        "国際戦略のプロセスとターゲット",
        "国際戦略のアクション：プロセス",
        "国際戦略の推進体制",
    ]
    actions = tohoku.by_label("国際戦略のアクション：プロセス")
    children = [tohoku.section(c) for c in actions.children]
    assert [c.number for c in children] == ["プロセス1", "プロセス2", "ターゲット1", "ターゲット3", "ターゲット2", "ターゲット4"]
    assert [len(c.items) for c in children] == [7, 5, 6, 5, 5, 3]
    assert children[2].heading == "ターゲット1. 世界的視野に立つ教育"
    summaries = tohoku.by_label("国際戦略のプロセスとターゲット")
    assert [tohoku.section(c).number for c in summaries.children] == [
        "プロセス1", "プロセス2", "ターゲット1", "ターゲット2", "ターゲット3", "ターゲット4"
    ]
    again = tohoku.by_label("国際戦略の推進体制")
    assert len(again.children) == 4


def test_bullets_keep_their_sub_bullets(tohoku: Document):
    s = tohoku.by_label("東北大学における国際戦略の位置づけ-国際戦略：")
    assert len(s.items) == 2
    first = tohoku.text[s.items[0].span.start : s.items[0].span.end]
    assert first.count("\n - ") == 2


def test_other_numbering_styles():
    """Chapters, full-width numbers and katakana items, as other plans print them."""
    from index.sections import parse_sections

    text = (
        "第1章 総則\n１ 目的\n（１）教育の充実\nア　学生の受入れを進める。\nイ　留学生を増やす。\n"
        "（２）研究の推進\n　研究を推進する。\n第2章 運営\n１ 組織の見直し\n　組織を見直す。\n"
    )
    sections = {s.label: s for s in parse_sections("x", text)}
    assert list(sections) == ["第1章", "第1章-１", "第1章-１-（１）", "第1章-１-（２）", "第2章", "第2章-１"]
    assert [i.marker for i in sections["第1章-１-（１）"].items] == ["ア", "イ"]
    assert sections["第2章-１"].title == "組織の見直し" and sections["第2章"].level == 1
