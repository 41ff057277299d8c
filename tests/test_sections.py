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
    assert ynu.by_label("Ⅰ-1-(1)-1)-①").id == "ynu-midterm-2004:1.1.1.1.1"


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


# A plan in the current (第4期) style, written for these tests: a header block, 第1 / 1 / (1) / ア,
# ○ measures, a 第4 that follows a 第3 with deep sections.
FOURTH_TERM = """国立大学法人みなと大学 中期計画
Minato University Mid-term Plan
令和4年3月30日
文部科学大臣認可

第1 大学の教育研究等の質の向上に関する目標を達成するためにとるべき措置
1 教育
(1) 学士課程
ア 学修成果の可視化
○ 全学の学修成果を可視化する仕組みを整える。
○ 数理・データサイエンス教育を全学生に提供する。
イ 入学者選抜
○ 総合型選抜の募集人員を拡大する。
2 研究
○ 国際共著論文の割合を30%に高める。
第2 業務運営の改善及び効率化に関する目標を達成するためにとるべき措置
○ 学長の下で戦略的に資源を配分する。
○ 事務の電子化を進める。
第3 財務内容の改善に関する目標を達成するためにとるべき措置
1 外部資金の獲得
○ 寄附金の受入れを増やす。
2 国際化
(1) 留学生の受入れ
○ 留学生を1,000人受け入れる。
第4 短期借入金の限度額
1 短期借入金の限度額
 31億円
"""


def _outline(text: str, header: set[int] = frozenset()) -> dict[str, object]:
    from index.sections import parse_sections

    return {s.label: s for s in parse_sections("x", text, header)}


def test_a_fourth_term_plan_keeps_its_divisions_and_measures():
    from index.header import read_header

    header = read_header(FOURTH_TERM.split("\n"))
    assert (header.title, header.title_en, header.dates, header.authority) == (
        "国立大学法人みなと大学 中期計画", "Minato University Mid-term Plan", ["令和4年3月30日"], "文部科学大臣認可")
    assert header.institution == "国立大学法人みなと大学" and header.lines == {0, 1, 2, 3}
    sections = _outline(FOURTH_TERM, header.lines)
    assert [s.label for s in sections.values() if s.level == 1] == ["第1", "第2", "第3", "第4"]
    assert sections["第4"].title == "短期借入金の限度額" and sections["第4-1"].parent_id == sections["第4"].id
    assert list(sections)[:5] == ["第1", "第1-1", "第1-1-(1)", "第1-1-(1)-ア", "第1-1-(1)-イ"]
    assert [i.marker for i in sections["第1-1-(1)-ア"].items] == ["○", "○"]
    assert len(sections["第2"].items) == 2 and sections["第3-2-(1)"].items  # the ○ measures are items
    assert not any("みなと大学 中期計画" in s.title for s in sections.values())  # the header is not a section


def test_hierarchical_numbers_and_preamble_blocks():
    text = (
        "（前文）大学の基本的な目標\n本学は地域と共に歩む。\n\n"
        "Ⅰ 教育\n1 国際化の推進\n1-1 留学生の受入れ\n・ 受入れ体制を整える。\n1-1-1 奨学金の充実\n"
        "　奨学金を充実する。\n1-2 海外派遣\n　派遣を増やす。\n2 研究\n2-1 国際共同研究\n"
        "(ア) 共同研究の推進\n　共同研究を進める。\n(イ) 若手研究者の派遣\n　派遣する。\n"
        "【推進体制】国際戦略本部\n　本部が統括する。\n"
    )
    sections = _outline(text)
    assert list(sections) == ["（前文）", "Ⅰ", "Ⅰ-1", "Ⅰ-1-1", "Ⅰ-1-1-1", "Ⅰ-1-2", "Ⅰ-2", "Ⅰ-2-1",
                              "Ⅰ-2-1-(ア)", "Ⅰ-2-1-(イ)", "Ⅰ-2-1-(イ)-【推進体制】"]
    assert sections["（前文）"].title == "大学の基本的な目標" and sections["Ⅰ"].level == 1
    assert sections["Ⅰ-1-2"].parent_id == sections["Ⅰ-1"].id and sections["Ⅰ-2-1"].parent_id == sections["Ⅰ-2"].id
    assert sections["Ⅰ-2-1-(ア)"].title == "共同研究の推進"
    assert [i.marker for i in sections["Ⅰ-1-1"].items] == ["・"]


def test_notes_counts_and_units_in_parentheses_are_not_headings():
    text = ("Ⅰ 予算\n1 予算\n(単位:百万円)\n区分 金額\n(参考) 人件費総額見込み 66,073百万円\n"
            "(注1) 金額は見込みである。\n2 収支計画\n　収支を示す。\n")
    assert list(_outline(text)) == ["Ⅰ", "Ⅰ-1", "Ⅰ-2"]


def test_a_plan_that_opens_with_its_first_heading_has_no_header():
    from index.header import read_header

    lines = "東北大学における国際戦略の位置づけ\n\n研究第一\n\n門戸開放\n".split("\n")
    assert read_header(lines).lines == set()


def test_a_heading_after_the_header_is_not_part_of_it():
    from index.header import read_header

    lines = ("国立大学法人みなと大学 中期目標\n平成28年3月1日\n文部科学大臣提示\n\n（前文）大学の基本的な目標\n本学は…。\n"
             "Ⅰ 教育研究の質の向上\n1 教育\n(1) 学士課程\n　充実する。\n").split("\n")
    header = read_header(lines)
    assert header.lines == {0, 1, 2} and header.authority == "文部科学大臣提示"
    assert list(_outline("\n".join(lines), header.lines)) == ["（前文）", "Ⅰ", "Ⅰ-1", "Ⅰ-1-(1)"]


def test_series_headings_are_the_words_a_document_numbers_its_headings_with():
    from index import markers

    lines = ["アクション1 留学生の受入れ", "- 受け入れる", "アクション2 海外派遣", "- 派遣する", "目標3 は本文の語"]
    series = markers.series_words(lines)
    assert series == {"アクション"}  # 目標 starts one line with 3: not a series of this document
    assert markers.match(lines[2], series).kind == "アクションN" and markers.match(lines[2], series).number == 2
    assert markers.match(lines[4], series) is None and markers.match(lines[0]) is None
