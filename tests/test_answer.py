"""Answers with verified citations: the offline answerer on the real plans, the LLM answerer
through a real OpenAI-compatible HTTP server, follow-ups and "not in the plans"."""
# ruff: noqa: F811

import json
import re
from dataclasses import replace

import pytest

from assistant.chain import ASK_MODEL_SHARE, AnswerChain, Request
from assistant.citation import verify
from assistant.conversation import Turn, is_follow_up, standalone
from assistant.llm import chat_model
from assistant.offline import FOUND_COVERAGE
from assistant.question import QueryError
from assistant.retrieve import Searcher
from assistant.scope import unloaded
from tests.openai_server import openai_server  # noqa: F401


@pytest.fixture(scope="module")
def offline(searcher: Searcher) -> AnswerChain:
    return AnswerChain(searcher)


def llm_chain(searcher: Searcher, server, timeout: float = 5.0) -> AnswerChain:
    settings = searcher.settings.model_copy(update={"llm_base_url": server.base_url, "llm_model": "test-model",
                                                    "llm_timeout": timeout})
    return AnswerChain(searcher, chat_model(settings))


_SOURCE = re.compile(r'<source id="(\d+)" [^>]*>\n(.*?)\n</source>', re.DOTALL)


def sources_in(body: dict) -> dict[int, str]:
    """The passages an answering request put before the model, by their marker."""
    return {int(n): text for n, text in _SOURCE.findall(body["messages"][-1]["content"])}


def quotable(passage: str) -> str:
    """What a faithful model quotes of a passage: its longest stretch without a line break or a
    quotation bracket, as it stands."""
    return max(re.split(r"[\n「」]", passage), key=len).strip()


def quoting(lead: str, marker: int = 1):
    """A model that quotes the passage it cites: lead「…」 [n]。"""
    return lambda body: f"{lead}「{quotable(sources_in(body)[marker])}」 [{marker}]。"


def test_number_question_leads_with_the_value_and_cites_it(offline: AnswerChain):
    answer = offline.invoke(Request("短期借入金の限度額はいくら？"))
    assert answer.found and answer.text.startswith("短期借入金の限度額は23億円です [1]")
    first = answer.citations[0]
    assert (first.label, first.marker, first.verified) == ("Ⅶ-1", 1, True)
    assert "23億円" in first.passage and first.line_start <= first.line_end


def test_every_cited_passage_is_a_verbatim_slice_of_its_section(offline: AnswerChain, searcher: Searcher):
    for question in ("留学生の受け入れについて何と書いてある？", "What does the plan say about credit transfer?",
                     "収支計画で教員の人件費はいくら？"):
        answer = offline.invoke(Request(question))
        assert answer.citations and all(c.verified for c in answer.citations)
        for c in answer.citations:
            text = searcher.document_texts[c.document_id].text
            assert text[c.start:c.end] == c.passage
            assert f"[{c.marker}]" in answer.text


def test_a_citation_that_does_not_match_the_plan_is_not_verified(offline: AnswerChain, searcher: Searcher):
    answer = offline.invoke(Request("短期借入金の限度額はいくら？"))
    good = answer.citations[0]
    altered = replace(good, passage=good.passage.replace("23", "32"), verified=False)
    elsewhere = replace(good, section_id="ynu-midterm-2004:2", verified=False)  # a section it is not in
    verify([altered, elsewhere], searcher.document_texts)
    assert not altered.verified and not elsewhere.verified


def test_a_section_whose_heading_is_its_whole_statement_is_quoted(offline: AnswerChain):
    # Ⅷ-2 is one line, 「2担保に供する計画の予定はない。」: its heading is what the plan says.
    answer = offline.invoke(Request("担保に供する計画は？"))
    assert answer.found and answer.citations[0].label == "Ⅷ-2"
    assert "担保に供する計画の予定はない" in answer.citations[0].passage


def test_a_question_about_a_section_is_answered_by_its_items(offline: AnswerChain):
    # The items of 学校運営の改善 name neither 学校運営 nor 改善 each: they lean on the heading.
    answer = offline.invoke(Request("附属学校の学校運営はどう改善する？"))
    items = [c for c in answer.citations if c.label == "Ⅰ-3-(2)-2)"]
    assert len(items) == 5 and answer.citations[0].label == "Ⅰ-3-(2)-2)"


def test_how_many_and_what_share_are_number_questions(offline: AnswerChain):
    answer = offline.invoke(Request("研究科の収容定員はいくつ？"))
    assert answer.found and answer.text.startswith("別表(収容定員) 平成16年度の表では 教育学研究科: 260人")
    answer = offline.invoke(Request("What share of faculty members are women?"))  # no plan sentence gives that figure
    assert not answer.found and answer.evidence >= FOUND_COVERAGE["en"]
    answer = offline.invoke(Request("いくつかの海外の大学と交流協定を結ぶ？"))  # いくつかの: "some", not "how many"
    assert answer.found


def test_the_section_the_search_ranks_first_is_always_quoted(offline: AnswerChain, searcher: Searcher):
    # Sentences on publishing admission policies hold 公開 and 方法 (入学者選抜方法); the search
    # ranks first Ⅰ-2-(1)-3), whose 「研究成果の公開を推進する」 holds less of the question's words.
    question = "研究成果の公開方法は？"
    _, hits = searcher.search(question)
    answer = offline.invoke(Request(question))
    assert hits[0].label == "Ⅰ-2-(1)-3)" and answer.citations[0].label != "Ⅰ-2-(1)-3)"
    assert "研究成果の公開" in answer.citations[-1].passage


def test_a_question_about_a_price_fee_score_or_ratio_asks_for_a_value(offline: AnswerChain):
    # The plans discuss the library and the residences, and give no fee or rent: a quote
    # without a value answers nothing.
    for question in ("図書館の利用料金は？", "What is the rent for rooms at the international residence?"):
        answer = offline.invoke(Request(question))
        assert not answer.found and answer.evidence >= FOUND_COVERAGE[answer.language]
    for question in ("What can companies rent from the university?",  # rent, the verb
                     "What is the cost reduction plan?"):  # a plan, not a cost
        assert offline.invoke(Request(question)).found


def test_a_value_in_a_sentence_is_the_one_said_of_what_is_asked_in_the_plans_words(offline: AnswerChain):
    # 「…年間30件以上の特許の出願・年間\n15件以上の特許の取得目標値の設定…」: two numbers, one sentence.
    answer = offline.invoke(Request("特許の取得目標は年間何件？"))
    assert answer.text.startswith("15件以上：「年間 15件以上の特許の取得目標値")  # with what the plan says of it
    answer = offline.invoke(Request("特許の出願って年間何件が目標？"))  # was 「…研究水準を向上させるため,年間は30件です」
    assert answer.text.startswith("30件以上：「年間30件以上の特許の出願」 [1]")
    english = offline.invoke(Request("What employment rate is targeted for graduates of the teacher training course?"))
    # a long sentence gave no value at all; the value in English, where it was found, the plan's words
    assert english.text.startswith("In section Ⅰ-1-(1)-3) ") and "the plan gives about 60%: 「" in english.text.splitlines()[0]
    english = offline.invoke(Request("What is the target bar exam pass rate for YNU's law school?"))  # five words before "rate"
    assert "the plan gives about 70%: 「司法試験合格率を70%程度" in english.text.splitlines()[0]


def test_a_question_about_a_time_is_answered_by_one_or_not_at_all(offline: AnswerChain):
    answer = offline.invoke(Request("英語のリスニングテストはいつから全学部で実施するの？"))
    assert answer.found and answer.text.startswith("平成18年度：「平成18年度から,大学入試センター試験の英語のリスニングテストを全学部で実施する")  # when, and what then
    # The strategy gives its vision's year (2030), never the day it was adopted, nor any deadline.
    vision = "東北大学における国際戦略の位置づけ-東北大学ビジョン2030：最先端の創造、大変革への挑戦"
    for question in ("東北大学の国際戦略は何年に向けたビジョン？", "What year does Tohoku's international strategy vision look ahead to?"):
        answer = offline.invoke(Request(question))
        assert answer.found and answer.citations[0].label == vision, question
        assert "2030年に向けたビジョン" in answer.citations[0].passage and "2030年に向けたビジョン" in answer.text
        year = "2030年" if answer.language == "ja" else "gives 2030: 「"  # the year leads, then the plan's words
        assert answer.text.index(year) < answer.text.index("「") + (answer.language == "en") * len(year)
    for question in ("When was Tohoku University's international strategy adopted?",
                     "東北大学の国際戦略はいつ策定されましたか？"):  # led with 「2030年に向けたビジョン」
        answer = offline.invoke(Request(question))
        assert not answer.found and answer.related[0].document_id == "tohoku-intl-strategy", question
    assert not offline.invoke(Request("What is the application deadline for Tohoku's joint degree programmes?")).found
    answer = offline.invoke(Request("What joint degree programmes does Tohoku plan?"))
    assert answer.found and answer.citations[0].label == "国際戦略のアクション：プロセス-ターゲット1"
    assert "「国際共同大学院プログラムによる、世界最先端の研究" in answer.text.split("\n")[0]  # the lead quotes it


def test_a_question_about_who_holds_a_post_needs_a_person_named(offline: AnswerChain):
    # The plan describes the president's role (学長のリーダーシップ) and never names one.
    for question in ("この中期計画を作ったときの学長は誰？", "Who was the university president when the plan was written?",
                     "横浜国立大学の学長の名前は？"):
        assert not offline.invoke(Request(question)).found, question
    answer = offline.invoke(Request("インターンシップの受け入れ企業は誰が仲介するの？"))  # who acts: a body
    assert answer.found and answer.citations[0].label == "Ⅰ-1-(4)-2)"
    assert "「4. 横浜商工会議所などが仲介役を担うインターンシップ制度を導入し" in answer.text


def test_a_question_counting_rooms_needs_a_count_of_rooms(offline: AnswerChain):
    # 何室 counts rooms; the plans say how residences are run, never how many rooms they have.
    rooms = offline.invoke(Request("ユニバーシティハウスは何室あるの？"))
    target = "国際戦略のアクション：プロセス-ターゲット1"
    assert not rooms.found and rooms.related[0].label == target  # pointed to where it is named
    answer = offline.invoke(Request("ユニバーシティハウスは何に使うの？"))
    assert answer.found and answer.citations[0].label == target
    assert "国立大学最大の収容力を持つユニバーシティハウス（国際混住寮）などを有効活用し" in answer.text


def test_how_much_is_answered_by_an_amount_not_a_count(offline: AnswerChain):
    answer = offline.invoke(Request("年間の授業料はいくら？"))  # led with 「30件以上：「年間30件以上の特許の出願」」
    first = answer.text.splitlines()[0]
    assert "件" not in first and "授業料及入学金検定料による収入: 35,442 百万円" in first and "[1]" in first
    assert answer.citations[0].label == "別紙-3" and "授業料及入学金検定料による収入" in answer.citations[0].passage
    assert offline.invoke(Request("経営改善係数はいくら？")).text.startswith("λ(ラムダ)  :経営改善係数は2%です")  # a share is an amount


def test_a_number_under_a_heading_giving_its_unit_is_a_value(offline: AnswerChain):
    # 「施設・設備の内容 予定額(百万円) 財源」 above 「小規模改修 総額282 施設整備費補助金(282)」: no unit in the row.
    answer = offline.invoke(Request("小規模改修の予定額はいくら？"))
    assert answer.found and answer.text.startswith("282百万円：「小規模改修 総額282 施設整備費補助金(282)」 [1]")


def test_a_short_sentence_is_quoted_with_the_one_before_it_on_its_line(offline: AnswerChain):
    # The plan's line is 「α(アルファ) :効率化係数。△1%とする。」; 「△1%とする。」 alone says nothing, and △ is a minus.
    answer = offline.invoke(Request("効率化係数はいくつ？"))
    assert answer.found and answer.text.startswith("α(アルファ) :効率化係数は△1%です [1]")
    assert answer.citations[0].passage.endswith("α(アルファ) :効率化係数。△1%とする。")


def test_a_table_is_read_for_the_year_its_title_gives(offline: AnswerChain):
    # 別表 gives one table per year, the year in its title only: 「平成 / 21 / 年度」 above the rows.
    answer = offline.invoke(Request("平成21年度の工学部の収容定員は何人？"))
    assert answer.found and answer.text.startswith("別表(収容定員) 平成21年度の表では 工学部: 2,720人")
    assert "〔別表(収容定員) 平成21年度〕 工学部: 2,720人" in answer.text  # each table's rows shown under its title


def test_a_question_about_a_total_reads_the_total_row(offline: AnswerChain):
    answer = offline.invoke(Request("予算の収入は全部でいくら？"))  # 「収入 / 計」: the row no question word names
    assert answer.found and answer.text.startswith("平成16年度〜21年度 予算（単位:百万円）の表では 収入 / 計: 98,854 百万円")


def test_an_english_table_answer_reads_the_yen(offline: AnswerChain):
    answer = offline.invoke(Request("How much operating grant income does the budget table show?"))
    assert answer.found and "収入 / 運営費交付金: 53,301 百万円 (¥53,301 million)" in answer.text.splitlines()[0]


def test_a_follow_up_to_a_question_about_a_total_reads_the_total_row(offline: AnswerChain):
    answer = offline.invoke(Request("支出は？", (Turn("user", "予算の合計はいくら？"),)))
    assert "支出 / 計: 98,854 百万円" in answer.text


def test_a_follow_up_naming_another_thing_asks_the_earlier_question_again(offline: AnswerChain):
    first = (Turn("user", "What is the enrollment capacity of the Faculty of Engineering in FY2004?"),)
    answer = offline.invoke(Request("And in FY2009?", first))  # a value again, of the other year
    assert answer.text.startswith("Section 別表 収容定員 (enrollment capacity) of the Yokohama National University Mid-term Plan "
                                  "gives, in its table 別表(収容定員) FY2009: 工学部: 2,720人 (2,720 people)")


def test_a_number_in_an_english_question_names_what_it_asks_about(offline: AnswerChain):
    first = (Turn("user", "What is Process 1 of Tohoku's international strategy?"),)
    answer = offline.invoke(Request("What about Process 2?", first))  # answered Process 1 again
    assert answer.citations[0].label.endswith("プロセス2")


def test_a_follow_up_naming_another_row_reads_that_row(offline: AnswerChain):
    first = (Turn("user", "平成16年度の教育人間科学部の収容定員は何人？"),)
    answer = offline.invoke(Request("経済学部は？", first))  # repeated 教育人間科学部's 1,840人
    assert answer.text.startswith("別表(収容定員) 平成16年度の表では 経済学部: 1,010人 です")


def test_table_question_gives_the_rows(offline: AnswerChain):
    answer = offline.invoke(Request("収支計画で教員人件費はいくら？"))
    assert answer.found and "教員人件費: 53,233 百万円" in answer.text
    assert any(c.rows and c.label == "別紙-2" for c in answer.citations)


def test_a_question_not_about_a_value_is_answered_by_sentences_before_a_table(offline: AnswerChain):
    # The table of enrolment limits names 博士課程 in every row, as much as the plan's sentences do.
    answer = offline.invoke(Request("博士課程ではどんな教育をする？"))
    assert answer.found and not answer.citations[0].rows and "博士課程" in answer.citations[0].passage


def test_english_question_is_framed_in_english_with_japanese_quotes_and_glosses(offline: AnswerChain):
    answer = offline.invoke(Request("What is the limit on short-term borrowing?"))
    assert answer.language == "en" and answer.found
    assert answer.text.startswith("Section Ⅶ-1 短期借入金の限度額 (borrowing limit) of the Yokohama National University "
                                  "Mid-term Plan gives ¥2.3 billion (23億円) [1].")
    assert "Ⅶ-1" in answer.text and "Key terms:" in answer.text and "短期借入金 = " in answer.text


def test_an_english_question_quoting_the_plans_terms_is_answered_in_english_by_them(offline: AnswerChain):
    # International readers paste the plans' terms; the question is still English.
    answer = offline.invoke(Request("What is Tohoku's 門戸開放 principle?"))
    assert answer.language == "en" and answer.found
    lead = answer.text.splitlines()[0]
    assert lead.startswith("Section プロセス2. 包括的国際化の推進 (") and " says: 「「門戸開放」の理念に基づき、" in lead
    assert "門戸開放" in answer.citations[0].passage


def test_a_sentence_the_plan_repeats_in_another_section_is_quoted_once(offline: AnswerChain):
    answer = offline.invoke(Request("人件費の削減目標はどうなってる？"))  # Ⅱ-3-6) and Ⅹ-2-6) say it word for word
    assert answer.found and answer.text.count("概ね4%の人件費の削減を図る") == 1
    assert "・（[1]と同じ文） [2]" in answer.text and [c.label for c in answer.citations] == ["Ⅱ-3-6)", "Ⅹ-2-6)"]


def test_a_section_labelled_by_its_title_is_headed_once(offline: AnswerChain):
    answer = offline.invoke(Request("東北大学のアイデンティティは？"))
    assert "■ 東北大学のアイデンティティ（東北大学 国際戦略）" in answer.text  # was 「…アイデンティティ 東北大学のアイデンティティ」


def test_key_terms_are_the_plans_terms_not_everyday_words(offline: AnswerChain):
    # improve → 改善/向上 and quality → 質 are searched, but a gloss of them tells the reader nothing.
    answer = offline.invoke(Request("How will the university improve the quality of education?"))
    terms = answer.text.split("Key terms: ")[1]
    assert "評価委員会 = " in terms and not any(f"{ja} = " in terms for ja in ("改善", "向上", "質"))


def test_not_in_the_plans_says_so_and_points_to_the_nearest_sections(offline: AnswerChain):
    answer = offline.invoke(Request("学生寮の家賃は月いくら？"))
    assert not answer.found and answer.citations == []
    assert answer.text.startswith("計画にはこの質問に答える記載が見つかりませんでした")
    english = offline.invoke(Request("What time does the campus cafeteria open on weekends?"))
    assert not english.found and english.text.startswith("The plans do not say")
    assert english.related and all(c.verified for c in english.related)


def test_a_specific_thing_the_plans_never_name_is_not_answered_by_the_rest_of_the_question(offline: AnswerChain):
    # 教職員 and 制度, 学生 and 対策 are everywhere in the plans; テレワーク and インフルエンザ nowhere.
    for question in ("教職員のテレワークの制度はある？", "学生のインフルエンザ対策は？"):
        answer = offline.invoke(Request(question))
        assert not answer.found and answer.related, question


def test_a_question_naming_a_plan_is_answered_from_that_plan_first(offline: AnswerChain):
    # Yokohama's 「実践性」「先進性」… principles hold more of the question's words than anything of Tohoku's.
    answer = offline.invoke(Request("What are the three guiding principles of Tohoku University?"))
    assert answer.found and answer.citations[0].document_id == "tohoku-intl-strategy"


def test_the_nearest_sections_of_a_question_naming_a_plan_are_that_plans_first(offline: AnswerChain):
    # The search ranks the other plan's sections on international students higher.
    answer = offline.invoke(Request("東北大学は留学生を何人受け入れる目標なの？"))
    assert not answer.found and answer.related[0].document_id == "tohoku-intl-strategy"


def test_a_table_leads_a_question_asking_no_value_only_when_its_title_holds_the_question(offline: AnswerChain):
    # The 予算 table's 補助金 row holds お金の補助 weakly; the plan's sentence on conference travel answers it.
    answer = offline.invoke(Request("博士課程の学生が学会発表するとき、お金の補助はある？"))
    assert answer.text.startswith("計画では「後期課程大学院生の学会発表を促進するため,財政的支援措置を導入する。」")
    assert "の表では" not in answer.text.splitlines()[0]
    budget = offline.invoke(Request("平成16年度の予算の収入は？"))  # the table its title names leads with its rows
    assert budget.text.startswith("平成16年度〜21年度 予算（単位:百万円）の表では 収入 / 運営費交付金: 53,301 百万円")


def test_answer_language_can_be_chosen(offline: AnswerChain):
    answer = offline.invoke(Request("短期借入金の限度額はいくら？", language="en"))
    assert answer.language == "en" and answer.text.startswith("Section Ⅶ-1 ") and "gives ¥2.3 billion (23億円)" in answer.text


def test_follow_up_is_resolved_against_the_earlier_question(offline: AnswerChain):
    history = (Turn("user", "短期借入金の限度額はいくら？"), Turn("assistant", "23億円です [1]"))
    answer = offline.invoke(Request("その理由は？", history))
    assert answer.standalone == "短期借入金の限度額はいくら？ その理由は？"
    assert answer.found and answer.citations[0].label == "Ⅶ-2"
    english = offline.invoke(Request("And why would it be needed?",
                                     (Turn("user", "What is the limit on short-term borrowing?"),)))
    assert english.found and english.citations[0].label == "Ⅶ-2"


def test_a_follow_ups_answer_is_about_what_the_conversation_is_about(offline: AnswerChain):
    # Ⅶ-2 「想定される理由」 gives the reasons for short-term borrowing, not for the cut in personnel costs.
    answer = offline.invoke(Request("その理由は？", (Turn("user", "人件費はどのくらい削減する？"),)))
    assert "Ⅶ-2" not in [c.label for c in answer.citations]
    # The plan gives no reason for the cut: the nearest are the sections on personnel costs.
    assert not answer.found and [c.label for c in answer.related[:2]] == ["Ⅹ-2-6)", "Ⅱ-3-6)"]
    assert all("人件費の削減を図る" in c.passage for c in answer.related[:2])
    borrowing = offline.invoke(Request("その理由は？", (Turn("user", "短期借入金はいくらまで？"),)))
    assert borrowing.found and borrowing.citations[0].label == "Ⅶ-2"
    assert "運営費交付金の受入の遅延及び予見しがたい事故等のために緊急に必要となる対策費" in borrowing.text


def test_follow_up_detection():
    assert is_follow_up("その中で住居に関するものは？") and is_follow_up("Which fields specifically?")
    assert not is_follow_up("短期借入金の限度額と借入の理由はどう書かれていますか")
    assert is_follow_up("平成21年度は？")  # a year is no subject of its own
    assert is_follow_up("And in the fiscal year 2009 budget table?") and is_follow_up("教員養成課程の卒業生の就職率のほうは？")
    assert is_follow_up("What about the enrolment quotas of 工学部 and 教育人間科学部 in 平成21年度?")  # English, quoting terms
    first = [Turn("user", "留学生の支援について教えて")]
    assert standalone("大学院の入試制度と定員の考え方は？", first) == "大学院の入試制度と定員の考え方は？"


def test_streaming_gives_the_offline_text_then_the_answer(offline: AnswerChain):
    events = list(offline.stream(Request("短期借入金の限度額はいくら？")))
    deltas = [e["text"] for e in events if e["type"] == "delta"]
    assert len(deltas) == 1 and events[-1]["type"] == "answer"  # written whole: one piece
    assert deltas[0] == events[-1]["answer"].text


def test_bad_questions_raise_a_clear_error(offline: AnswerChain):
    with pytest.raises(QueryError, match="empty"):
        offline.invoke(Request("   "))
    with pytest.raises(QueryError, match="unknown document"):
        offline.invoke(Request("留学生", documents=("no-such-plan",)))


def test_llm_answer_streams_cites_and_drops_an_unknown_marker(searcher: Searcher, openai_server):
    openai_server.reply = "短期借入金の限度額は23億円です [1]。また別の話もあります [9]。"
    chain = llm_chain(searcher, openai_server)
    events = list(chain.stream(Request("短期借入金の限度額はいくら？")))
    answer = events[-1]["answer"]
    assert len([e for e in events if e["type"] == "delta"]) > 1  # the model's stream, passed through
    assert answer.answerer == "llm:test-model" and answer.found
    assert answer.removed_markers == [9] and "[9]" not in answer.text and "また別の話もあります。" in answer.text
    assert [c.marker for c in answer.citations] == [1] and answer.citations[0].verified
    assert answer.citations[0].label == "Ⅶ-1" and "23億円" in answer.citations[0].passage
    assert any(n.startswith("removed marker") and "[9]" in n for n in answer.notes)
    sent = json.dumps(openai_server.requests[-1], ensure_ascii=False)
    assert "<source" in sent and "23億円" in sent


def test_llm_timeout_falls_back_to_the_offline_answer_and_says_so(searcher: Searcher, openai_server):
    openai_server.reply, openai_server.delay = "遅すぎる回答 [1]", 2.0
    answer = llm_chain(searcher, openai_server, timeout=0.5).invoke(Request("短期借入金の限度額はいくら？"))
    assert answer.answerer == "offline" and answer.found and "23億円" in answer.text
    assert any("オフライン" in n for n in answer.notes)


def test_llm_is_not_asked_when_the_plans_do_not_answer(searcher: Searcher, openai_server):
    answer = llm_chain(searcher, openai_server).invoke(Request("学食のメニューは？"))
    assert not answer.found and openai_server.requests == []


def test_llm_is_asked_when_the_offline_answerer_nearly_answers(searcher: Searcher, openai_server):
    question = "入試問題のチェック体制は？"  # the offline answerer refuses it, holding part of the evidence it needs
    offline = AnswerChain(searcher).invoke(Request(question))
    assert not offline.found and ASK_MODEL_SHARE * FOUND_COVERAGE["ja"] <= offline.evidence < FOUND_COVERAGE["ja"]
    openai_server.reply = quoting("計画は")
    answer = llm_chain(searcher, openai_server).invoke(Request(question))
    assert answer.found and answer.answerer == "llm:test-model" and len(openai_server.requests) == 1
    quote = quotable(sources_in(openai_server.requests[-1])[1])
    _, hits = searcher.search(question)
    cited = answer.citations[0]
    assert [c.marker for c in answer.citations] == [1] and cited.verified and cited.label == hits[0].label
    assert quote in cited.passage and f"「{quote}」 [1]" in answer.text and answer.unsupported == []
    openai_server.reply = "計画にはこの質問に答える記載が見つかりませんでした。"  # the model finds the plans silent too
    answer = llm_chain(searcher, openai_server).invoke(Request(question))
    assert not answer.found and answer.citations == []
    assert [c.label for c in answer.related] == [c.label for c in offline.related] and all(c.verified for c in answer.related)


def test_llm_quotes_are_kept_when_verbatim_and_removed_when_not(searcher: Searcher, openai_server):
    invented = "計画は「短期借入金の限度額は50億円とする」と定めています [1]。"  # the plan says 23億円
    openai_server.reply = lambda body: f"{quoting('限度額について計画は')(body)}\n{invented}"
    answer = llm_chain(searcher, openai_server).invoke(Request("短期借入金の限度額はいくら？"))
    quote = quotable(sources_in(openai_server.requests[-1])[1])
    cited = answer.citations[0]
    assert [c.marker for c in answer.citations] == [1] and cited.verified and cited.label == "Ⅶ-1"
    assert quote in cited.passage and f"限度額について計画は「{quote}」 [1]。" in answer.text
    assert answer.unsupported == [invented]  # flagged: 50億円 is in no source it cites ...
    assert "50億円" not in answer.text  # ... and not shown as the plan's words
    assert [n for n in answer.notes if n.startswith("removed, quoting")] == [
        f"removed, quoting what its source does not say: {invented}"]


def test_a_model_answer_citing_nothing_where_the_plans_answer_gives_the_offline_answer(searcher: Searcher, openai_server):
    openai_server.reply = "<source id=\"1\">計画には多くのことが書かれています。</source> 計画には多くのことが書かれています。"
    answer = llm_chain(searcher, openai_server).invoke(Request("短期借入金の限度額はいくら？"))
    assert len(openai_server.requests) == 1 and answer.answerer == "offline" and answer.found
    assert answer.text.startswith("短期借入金の限度額は23億円です [1]") and answer.citations[0].verified
    assert "多くのこと" not in answer.text and any("引用していなかった" in n for n in answer.notes)


def test_llm_condenses_a_follow_up(searcher: Searcher, openai_server):
    rewrite = "短期借入金を借りる理由は？"
    answering = quoting("理由は")

    def reply(body):
        return rewrite if "Rewrite the last question" in json.dumps(body, ensure_ascii=False) else answering(body)
    openai_server.reply = reply
    history = (Turn("user", "短期借入金の限度額はいくら？"), Turn("assistant", "23億円です"))
    answer = llm_chain(searcher, openai_server).invoke(Request("その理由は？", history))
    asked = openai_server.requests[-1]["messages"][-1]["content"]  # the answering request: the rewrite is what was searched
    assert answer.standalone == rewrite and rewrite in asked and "その理由は？" not in asked
    cited = answer.citations[0]
    assert cited.label == "Ⅶ-2" and cited.verified and "予見しがたい事故等" in cited.passage
    assert f"「{quotable(sources_in(openai_server.requests[-1])[1])}」 [1]" in answer.text and answer.unsupported == []


def test_a_question_in_another_script_is_told_which_languages_work(offline: AnswerChain):
    answer = offline.invoke(Request("Что говорит план о студентах?"))
    assert not answer.found and answer.language == "en" and "Japanese or English" in answer.text


def test_a_question_naming_a_plan_is_answered_from_it(offline: AnswerChain, searcher: Searcher):
    """Named, a plan answers from itself: the Tohoku question is searched in Tohoku's plan only."""
    _, hits = searcher.search("東北大学の国際混住寮について教えて")
    assert hits and {h.document_id for h in hits} == {"tohoku-intl-strategy"}
    _, hits = searcher.search("国際混住寮について教えて")  # unnamed: every plan may answer
    assert len({h.document_id for h in hits}) == 2
    answer = offline.invoke(Request("横国の短期借入金の限度額は？"))
    assert answer.found and answer.citations[0].document_id == "ynu-midterm-2004" and "23億円" in answer.text
    assert not answer.text.startswith("国立大学法人横浜国立大学 中期計画には")  # its own plan says: no label


@pytest.mark.parametrize("question, lead", [
    ("東北大学の短期借入金の限度額は？", "東北大学 国際戦略には、この質問に答える記載が見当たりません。ほかの計画には"),
    ("What is Tohoku University's short-term borrowing limit?", "Tohoku University International Strategy does not say. Another plan does:"),
])
def test_when_the_named_plan_does_not_say_another_plans_answer_is_labelled_as_theirs(offline: AnswerChain, question, lead):
    answer = offline.invoke(Request(question))
    assert answer.text.startswith(lead)
    assert answer.citations and {c.document_id for c in answer.citations} == {"ynu-midterm-2004"}
    assert "23億円" in answer.text and answer.citations[0].label == "Ⅶ-1"


def test_a_question_asking_where_is_answered_by_a_sentence_naming_a_place_or_not_at_all(offline: AnswerChain):
    named = offline.invoke(Request("横国が地域で特に連携する大学はどこの大学？"))
    assert named.found and "横浜市立大学" in named.text and named.citations[0].label == "Ⅰ-3-(1)-3)"
    assert named.citations[0].verified
    # The strategy speaks of its overseas offices and network, but names no city: not an answer to "which cities".
    for question in ("東北大の海外拠点って、どこの都市にあるの？", "In which cities are Tohoku University's overseas offices?"):
        answer = offline.invoke(Request(question))
        assert not answer.found, question
        assert answer.related[0].document_id == "tohoku-intl-strategy" and answer.related[0].verified


def test_a_question_naming_a_university_no_plan_covers_says_so_first(offline: AnswerChain, searcher: Searcher, openai_server):
    answer = offline.invoke(Request("京都大学の国際戦略で留学生の受け入れはどうなってる？"))
    assert answer.text.startswith("京都大学の計画は読み込まれていません。\n\n")
    assert answer.found and answer.citations[0].document_id == "tohoku-intl-strategy" and answer.citations[0].verified
    english = offline.invoke(Request("What does Kyoto University's strategy say about international students?"))
    assert english.text.startswith("No plan of Kyoto University is loaded here.\n\n") and english.citations[0].verified
    # A university a plan speaks of is no stranger (YNU's plan names its partner), nor one a plan is named by.
    partner = offline.invoke(Request("横浜市立大学との連携は？"))
    assert "読み込まれていません" not in partner.text and "横浜市立大学" in partner.text
    assert partner.citations[0].label == "Ⅰ-3-(1)-3)"
    assert "読み込まれていません" not in offline.invoke(Request("東北大学の国際戦略のターゲットはいくつある？")).text
    openai_server.reply = quoting("計画は")  # the model's answer is begun the same way
    modelled = llm_chain(searcher, openai_server).invoke(Request("京都大学の国際戦略で留学生の受け入れはどうなってる？"))
    assert modelled.answerer == "llm:test-model" and modelled.text.startswith("京都大学の計画は読み込まれていません。\n\n")
    assert modelled.citations[0].verified


def test_a_question_on_a_loaded_plan_and_a_university_no_plan_mentions_is_not_answered(offline: AnswerChain, searcher: Searcher,
                                                                                        openai_server):
    # YNU's plan speaks of 横浜市立大学, its partner: asked about, it is answered from it.
    partner = offline.invoke(Request("横国は横浜市立大学と連携してる？"))
    assert partner.found and partner.citations[0].document_id == "ynu-midterm-2004" and "横浜市立大学" in partner.text
    # No plan mentions Arizona State or Illinois: what the question is about is in none of them, model or not.
    for question, head in (("横国はアリゾナ州立大学と協定を結んでる？", "アリゾナ州立大学に触れた計画はないため、計画からは答えられません。"),
                           ("Is the University of Illinois one of Tohoku University's partners?",
                            "The plans do not say: none of them mentions University of Illinois.")):
        for chain in (offline, llm_chain(searcher, openai_server)):
            answer = chain.invoke(Request(question))
            assert not answer.found and answer.text.startswith(head) and not answer.citations, question
            assert answer.related and answer.related[0].document_id in {"ynu-midterm-2004", "tohoku-intl-strategy"}
            assert answer.related[0].document_id == ("ynu-midterm-2004" if "横国" in question else "tohoku-intl-strategy")


def test_a_plan_named_by_a_short_form_is_listed_from_its_outline(sakura: AnswerChain):
    # 東工大: 東京工業大学's first character and others in order, a name its text does not give.
    answer = sakura.invoke(Request("東工大の国際戦略の柱は？"))
    assert answer.found and all(t in answer.text for t in ("研究者の国際交流", "留学生の受入れ", "主な数値目標"))


def test_a_short_name_the_text_does_not_give_is_not_taken_for_an_unloaded_university(searcher: Searcher, sakura: AnswerChain):
    documents = searcher.document_texts
    assert unloaded("東大の国際戦略は？", documents) == ["東大"]  # JMnedict: Tokyo University, not 東北大学
    assert unloaded("京都大学の国際戦略は？", documents) == ["京都大学"]
    assert unloaded("横浜国大の予算は？", documents) == []  # a name the plan gives
    assert unloaded("横浜大の予算は？", documents) == []  # one it does not: its first character and others in order
    assert unloaded("東北学院大学の留学生は？", documents) == ["東北学院大学"]  # 学院 is not in 東北大学
    # A plan with no English title still lets the answer say another university's plan is not loaded.
    answer = sakura.invoke(Request("京都大学は留学生を何人受け入れる？"))
    assert answer.text.startswith("京都大学の計画は読み込まれていません。\n\n")
    assert (answer.citations or answer.related)[0].document_id == "sakura-strategy"


def test_only_names_of_universities_count_as_universities_asked_about(searcher: Searcher):
    from assistant.scope import unloaded

    documents = searcher.document_texts
    assert unloaded("Is the University of Tokyo's strategy like Tohoku's?", documents) == ["University of Tokyo"]
    assert unloaded("京大と東北大の違いは？", documents) == ["京大"]
    assert unloaded("Which University plans mention tuition?", documents) == []  # a question's capital, no name
    assert unloaded("What does Yokohama National University plan for research?", documents) == []


SAKURA = """東京工業大学 国際戦略
令和6年4月1日

1 研究者の国際交流
・35歳以下の若手研究者を、2030年度までに累計120人以上海外の大学に派遣する。
・1件当たり500万円以上の国際共同研究を、2030年度までに25件とする。

2 留学生の受入れ
・外国人留学生の在籍者数を、2030年度までに800人とする。

3 主な数値目標
　指標                          現状            目標
　外国人留学生数                1,240人          1,800人
　海外派遣学生数（年間）          150人            600人
"""


@pytest.fixture(scope="module")
def sakura(tmp_path_factory) -> AnswerChain:
    """A plan of this suite's own (in its own words), whose sentences give several numbers each."""
    from index.build import build_index
    from index.settings import Settings

    plans = tmp_path_factory.mktemp("sakura-plans")
    (plans / "sakura-strategy.txt").write_text(SAKURA, encoding="utf-8")
    settings = Settings(plans_dir=plans, data_dir=tmp_path_factory.mktemp("sakura-data"))
    build_index(settings, progress=False)
    searcher = Searcher(settings)
    yield AnswerChain(searcher)
    searcher.close()


def test_a_count_asked_by_its_counter_leads_with_a_number_of_that_counter(sakura: AnswerChain):
    # 何人 counts people: 120人以上, not the age beside it (35歳以下); the clause keeps its year (2030年度, not 年度).
    people = sakura.invoke(Request("35歳以下の若手研究者は何人？"))
    assert people.found and people.text.startswith("120人以上：「2030年度までに累計120人以上海外の大学に派遣する」 [1]")
    # 何件 counts projects: 25件, not 「1件当たり」, the number a rate is per.
    projects = sakura.invoke(Request("国際共同研究は何件にする？"))
    assert projects.found and projects.text.startswith("25件：「2030年度までに25件とする」 [1]")
    assert "35歳" not in people.text.splitlines()[0] and "1件" not in projects.text.splitlines()[0]
    # In English, "how many researchers" counts people too.
    english = sakura.invoke(Request("How many researchers under 35 will be sent to universities abroad?")).text.splitlines()[0]
    assert "120 people" in english and "累計120人以上" in english and "35歳" not in english


def test_a_value_in_a_row_of_a_table_set_as_text_is_said_of_its_row(sakura: AnswerChain):
    # The row's name is what its values are said of: not 1,800人 of the row above (its clause ran on into the
    # next line), nor a clause cut at 1,240's comma.
    answer = sakura.invoke(Request("海外派遣学生数は何人？"))
    lead = answer.text.splitlines()[0]
    assert answer.found and lead.startswith("海外派遣学生数（年間）は150人です [1]")
    assert "1,800人" not in lead and "240人" not in lead
