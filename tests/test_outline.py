"""Answers from the section tree: a plan's parts, a section's parts, how many, a section by its
label, and 「2つ目は？」 after a list; on the real plans and index."""
# ruff: noqa: F811

import re

import pytest

from assistant.chain import AnswerChain, Request
from assistant.conversation import Turn, listed, ordinal
from assistant.llm import chat_model
from assistant.retrieve import Searcher
from tests.openai_server import openai_server  # noqa: F401


@pytest.fixture(scope="module")
def chain(searcher: Searcher) -> AnswerChain:
    return AnswerChain(searcher)


def _headings_in_order(text: str, titles: list[str]) -> bool:
    at = 0
    for title in titles:
        at = text.find(title, at)
        if at < 0:
            return False
        at += len(title)
    return True


def test_an_overview_lists_every_top_level_section_in_order_each_cited(chain, ynu):
    answer = chain.invoke(Request("横国の中期計画の主な柱を教えて"))
    top = [s for s in ynu.sections if s.parent_id is None]
    assert answer.found and len(top) >= 10
    first_line = answer.text.splitlines()[0]
    assert f"{len(top)}項目" in first_line
    assert _headings_in_order(first_line, [s.title for s in top])
    assert [c.section_id for c in answer.citations] == [s.id for s in top]
    assert all(c.verified for c in answer.citations)
    assert all(ynu.text[c.start:c.end] == c.passage and c.path[-1] in c.passage for c in answer.citations)


def test_a_count_names_the_kind_of_parts_asked_for_and_only_those(chain, tohoku):
    answer = chain.invoke(Request("東北大の国際戦略のターゲットはいくつある？"))
    lead = answer.text.splitlines()[0]
    assert "4項目" in lead
    assert _headings_in_order(lead, ["ターゲット1.", "ターゲット2.", "ターゲット3.", "ターゲット4."])
    assert [c.label.rsplit("-", 1)[-1] for c in answer.citations] == ["ターゲット1", "ターゲット2", "ターゲット3", "ターゲット4"]
    assert "プロセス1." not in lead  # the section's other parts are not targets
    assert all(c.verified and c.document_id == "tohoku-intl-strategy" for c in answer.citations)


def test_an_english_count_leads_in_english_with_the_headings_as_evidence(chain):
    answer = chain.invoke(Request("How many targets does Tohoku's international strategy set?"))
    lead = answer.text.splitlines()[0]
    assert answer.language == "en" and lead.startswith("Section ")
    assert "of the Tohoku University International Strategy has 4 parts: ターゲット1. 世界的視野に立つ教育 (" in lead
    assert re.search(r"ターゲット4\. 社会課題を解決して世界に貢献 \([a-z ,]+\) \[4\]\.$", lead)  # its title glossed


def test_a_section_named_by_its_label_lists_its_parts(chain, ynu):
    answer = chain.invoke(Request("Ⅱ-1には何が書いてある？"))
    section = ynu.by_label("Ⅱ-1")
    parts = [s for s in ynu.sections if s.parent_id == section.id]
    assert len(parts) >= 5
    assert f"{len(parts)}項目" in answer.text and _headings_in_order(answer.text, [s.title for s in parts])
    assert [c.label for c in answer.citations] == [s.label for s in parts]


def test_a_section_without_parts_named_by_its_label_is_quoted(chain):
    answer = chain.invoke(Request("What does section Ⅶ-1 say?"))
    assert answer.found and answer.citations[0].label == "Ⅶ-1" and answer.citations[0].verified
    assert "23億円" in answer.text and answer.text.startswith("Section Ⅶ-1 短期借入金の限度額 (borrowing limit) of the ")


def test_the_second_one_after_a_list_asks_about_the_second_part(chain):
    first = chain.invoke(Request("東北大の国際戦略のターゲットはいくつある？"))
    history = (Turn("user", first.question), Turn("assistant", first.text))
    second = chain.invoke(Request("2つ目は？", history))
    assert second.standalone.startswith("ターゲット2. 世界最先端の研究")
    assert second.found and all("ターゲット2" in c.label for c in second.citations[:1])
    assert "ターゲット1" not in second.citations[0].label
    english = chain.invoke(Request("And the last one?", (Turn("user", "q"), Turn("assistant", first.text))))
    assert english.standalone == "What does ターゲット4. 社会課題を解決して世界に貢献 say?"
    assert english.found and "ターゲット4" in english.citations[0].label


def test_a_plans_period_names_the_plan_and_topics_falling_under_a_section_are_its_parts(chain, ynu):
    period = chain.invoke(Request("横国の第1期中期計画の構成は？"))  # 第1期: which plan, not what about it
    assert [c.section_id for c in period.citations] == [s.id for s in ynu.sections if s.parent_id is None]
    topics = chain.invoke(Request("What topics fall under links with society and international exchange in the YNU plan?"))
    assert topics.text.startswith("Section Ⅰ-3-(1) ") and {c.label for c in topics.citations} == {
        s.label for s in ynu.sections if s.parent_id == ynu.by_label("Ⅰ-3-(1)").id}


def test_questions_about_something_in_a_section_are_not_answered_by_its_outline(chain):
    support = chain.invoke(Request("留学生の支援には何がある？"))
    assert "項目からなります" not in support.text
    assert "チューター制度" in support.text and support.citations[0].verified
    limit = chain.invoke(Request("短期借入金の限度額は？"))
    assert limit.text.startswith("短期借入金の限度額は23億円です")


def test_an_outline_answer_does_not_ask_the_model(searcher, openai_server):
    settings = searcher.settings.model_copy(update={"llm_base_url": openai_server.base_url, "llm_model": "m"})
    answer = AnswerChain(searcher, chat_model(settings)).invoke(Request("What are the main parts of YNU's mid-term plan?"))
    assert openai_server.requests == []
    assert answer.answerer == "offline" and re.match(r"The Yokohama National University Mid-term Plan has 1\d parts: Ⅰ ", answer.text)


@pytest.mark.parametrize(("question", "n"), [
    ("2つ目は？", 2), ("二番目は？", 2), ("最後のは？", -1), ("では3つ目について教えて", 3), ("The second one?", 2),
    ("what about the third?", 3), ("number 2?", 2), ("一般入試は？", None), ("2030年は？", None),
    ("What is the first goal of the plan?", None),
])
def test_ordinals(question, n):
    assert ordinal(question) == n


def test_listed_reads_the_items_of_a_list_answer_and_of_quoted_lines():
    assert listed("Xは次の2項目からなります：Ⅵ 予算(人件費の見積もりを含む。),収支計画 [1]、別紙 予算、収支計画 [2]。") == [
        "Ⅵ 予算(人件費の見積もりを含む。),収支計画", "別紙 予算、収支計画"]
    assert listed("計画には次のように書かれています。\n\n■ Ⅰ-1\n・「チューター制度」 [1]\n・「相談窓口」 [2]") == ["「チューター制度」", "「相談窓口」"]
    assert listed("The plans do not say.") == []
    titled = "Xの「国際戦略のアクション：プロセス」は次の2項目からなります：プロセス1. 国際協働の深化 [1]、プロセス2. 包括的国際化の推進 [2]。"
    assert listed(titled) == ["プロセス1. 国際協働の深化", "プロセス2. 包括的国際化の推進"]  # the title's colon is not the list's
    english = "Section 国際戦略のアクション：プロセス (process) of the T has 2 parts: プロセス1. 国際協働の深化 (a) [1]; プロセス2. 包括 (b) [2]."
    assert listed(english) == ["プロセス1. 国際協働の深化 (a)", "プロセス2. 包括 (b)"]
