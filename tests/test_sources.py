"""How a citation is named (assistant/api/sources.py): label, title and the titles above it each
once, one Sources line per section however many markers cite it, a table's rows as a table.
The labels and paths are those the parser gives the two bundled plans."""

from assistant.api.sources import sources_text
from assistant.citation import context, heading
from assistant.citation import Answer, Citation

YNU, TOHOKU = "国立大学法人横浜国立大学 中期計画", "東北大学 国際戦略"
ANNEX = ("予算(人件費の見積りを含む。)、収支計画及び資金計画", "予 算", "特定運営費交付金対象事業費", "特定運営費交付金対象収入")


def _cite(marker: int, label: str, path: tuple[str, ...], document: str = YNU, rows: tuple[str, ...] = ()) -> Citation:
    return Citation(marker, "doc", document, f"doc:{marker}", label, path, "text", 0, 4, 1, 1, 1.0, rows)


def _words(text: str, *words: str) -> list[int]:
    return [text.count(w) for w in words]


def test_a_numbered_label_with_its_title_and_the_titles_above():
    assert heading("Ⅶ-1", ("短期借入金の限度額", "短期借入金の限度額")) == "Ⅶ-1 短期借入金の限度額"
    assert context("Ⅶ-1", ("短期借入金の限度額", "短期借入金の限度額")) == []  # a title repeated by its child: once
    assert heading("Ⅶ-2", ("短期借入金の限度額", "想定される理由")) == "Ⅶ-2 想定される理由"
    assert context("Ⅶ-2", ("短期借入金の限度額", "想定される理由")) == ["短期借入金の限度額"]


def test_a_label_made_of_titles_is_said_once():
    label, path = "国際戦略のアクション：プロセス-ターゲット2", ("国際戦略のアクション：プロセス", "ターゲット2. 世界最先端の研究")
    assert heading(label, path) == "ターゲット2. 世界最先端の研究"  # not 「…プロセス-ターゲット2 ターゲット2. …」
    assert context(label, path) == ["国際戦略のアクション：プロセス"]
    assert heading("東北大学のアイデンティティ", ("東北大学のアイデンティティ",)) == "東北大学のアイデンティティ"


def test_a_bracketed_title_in_the_label_is_not_repeated():
    label = "別紙-1-Ⅱ-〔特定運営費交付金対象収入〕"
    assert heading(label, ANNEX) == label
    assert context(label, ANNEX) == list(ANNEX[:3])
    assert heading("Ⅰ-ターゲット2", ("ターゲット2. 世界最先端の研究",)) == "Ⅰ-ターゲット2 世界最先端の研究"
    assert heading("Ⅱ-1", ("1,000人の受入れ",)) == "Ⅱ-1 1,000人の受入れ"  # a number is not a label's part


def test_sources_one_line_per_section_label_path_and_title_once():
    target = ("国際戦略のアクション：プロセス", "ターゲット2. 世界最先端の研究")
    answer = Answer("q", "q", "ja", True, "a [1][2][3][4]", citations=[
        _cite(1, "Ⅶ-1", ("短期借入金の限度額", "短期借入金の限度額")),
        _cite(2, "Ⅶ-2", ("短期借入金の限度額", "想定される理由")),
        _cite(3, "国際戦略のアクション：プロセス-ターゲット2", target, TOHOKU),
        _cite(4, "国際戦略のアクション：プロセス-ターゲット2", target, TOHOKU),
    ])
    text = sources_text(answer)
    assert text.splitlines() == [
        "Sources:",
        f"[1] Ⅶ-1 短期借入金の限度額 ({YNU})",
        f"[2] Ⅶ-2 想定される理由 — 短期借入金の限度額 ({YNU})",
        f"[3][4] ターゲット2. 世界最先端の研究 — 国際戦略のアクション：プロセス ({TOHOKU})",
    ]
    assert _words(text, "ターゲット2", "国際戦略のアクション：プロセス", "想定される理由") == [1, 1, 1]
    lines = text.splitlines()
    assert len(lines) == len(set(lines))


def test_a_table_source_is_shown_as_a_table():
    rows = ("収入 / 運営費交付金: 53,301 百万円", "収入 / 船舶建造費補助金: -", "収入 / 計: 98,854 百万円")
    answer = Answer("q", "q", "ja", True, "a [1][2]", citations=[
        _cite(1, "別紙-1", ANNEX[:2], rows=rows), _cite(2, "Ⅶ-1", ("短期借入金の限度額",))])
    text = sources_text(answer)
    assert "| 収入 / 運営費交付金 | 53,301 百万円 |" in text and "| 収入 / 計 | 98,854 百万円 |" in text
    assert text.index("[1] 別紙-1 予 算") < text.index("| --- | --- |") < text.index("[2] Ⅶ-1")
    assert text.count("| --- | --- |") == 1  # the section without a table has none


def test_related_sections_when_the_plans_do_not_answer():
    answer = Answer("q", "q", "ja", False, "not in the plans", related=[
        _cite(1, "Ⅶ-1", ("短期借入金の限度額",)), _cite(2, "Ⅶ-1", ("短期借入金の限度額",))])
    assert sources_text(answer).splitlines() == ["Related sections:", f"- Ⅶ-1 短期借入金の限度額 ({YNU})"]
    assert sources_text(Answer("q", "q", "ja", False, "x")) == ""
