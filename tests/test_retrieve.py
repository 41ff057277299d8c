"""Hybrid retrieval over the real plans, Japanese and English."""

import pytest

from assistant.question import QueryError, kinded_plans, named_plans, plan_kinds
from assistant.retrieve import PlanRetriever, Searcher
from index.analyze import detect_language


def labels(hits) -> list[str]:
    return [h.label for h in hits]


def test_japanese_question_finds_the_section(searcher: Searcher):
    _, hits = searcher.search("短期借入金はいくらまで借りられますか？")
    assert hits[0].label == "Ⅶ-1"
    assert "23億円" in hits[0].chunks[0].text


def test_compound_words_are_found_by_their_parts(searcher: Searcher):
    _, hits = searcher.search("留学生の受け入れについて何と書いてある？", k=10)
    assert any("留学生" in c.text for h in hits[:3] for c in h.chunks)


def test_english_question_through_the_glossary(searcher: Searcher):
    query, hits = searcher.search("What is the limit on short-term borrowing?")
    assert query.language == "en" and "短期借入金" in query.added_terms
    assert "Ⅶ-1" in labels(hits[:3])


def test_english_question_in_everyday_words(searcher: Searcher):
    # No glossary phrase in it: its words are the glossary's everyday words (international → 国際, residence → 居住).
    query, hits = searcher.search("What international residence is planned?")
    assert {"国際", "居住"} <= set(query.added_terms)
    assert hits and "留学生居住施設" in hits[0].chunks[0].text


def test_sections_holding_the_whole_question_are_ranked_first(searcher: Searcher):
    # Ⅰ-3-(2)-4) trains school teachers (研修, 教職員 in its title) and fuses best from the two
    # searches; the two sections on training administrative staff hold both 事務職員 and 研修.
    _, hits = searcher.search("事務職員の研修は？")
    assert {"Ⅹ-2-5)", "Ⅱ-3-5)"} <= set(labels(hits[:3])) and hits[0].label != "Ⅰ-3-(2)-4)"


def test_asking_words_do_not_find_sections(searcher: Searcher):
    # 「…する予定は？」 asks about intent; Ⅷ-2 (担保に供する計画の予定はない) and Ⅹ-3 (…債務負担の予定は
    # していない) hold the word 予定 and nothing else these questions name.
    found = {}
    for question in ("教員を減らす予定は？", "建物を建て替える予定は？", "学部を新しく作る予定は？"):
        _, hits = searcher.search(question)
        assert hits[0].label not in {"Ⅷ-2", "Ⅹ-3"}, question
        found[question] = hits
    # What they do name leads: the sections on 教員 and on 学部 by their titles, the plan for
    # facilities near the top.
    assert "教員" in found["教員を減らす予定は？"][0].path[-1] and "学部" in found["学部を新しく作る予定は？"][0].path[-1]
    assert "Ⅹ-1" in labels(found["建物を建て替える予定は？"][:3])
    # Asked about what they say, Ⅷ-2 and Ⅹ-3 come first, 予定 and all.
    assert searcher.search("担保に供する予定は？")[1][0].label == "Ⅷ-2"
    assert searcher.search("債務負担の予定は？")[1][0].label == "Ⅹ-3"


def test_the_plan_a_question_names_is_preferred(searcher: Searcher):
    names = searcher.names
    assert named_plans("How does Tohoku recruit?", names) == {"tohoku-intl-strategy"}
    assert named_plans("横国と東北大の違いは？", names) == {"tohoku-intl-strategy", "ynu-midterm-2004"}
    assert named_plans("ＹＮＵの予算は？", names) == {"ynu-midterm-2004"}  # full width
    assert named_plans("What is a Tohokuan?", names) == set()  # a name inside a longer word is not a name
    query, hits = searcher.search("What does Tohoku say about international exchange agreements?")
    _, unnamed = searcher.search("What do the plans say about international exchange agreements?")
    assert query.named == {"tohoku-intl-strategy"}
    # YNU's item on 学術交流協定 holds the question best; naming Tohoku puts Tohoku's sections first.
    assert hits[0].document_id == "tohoku-intl-strategy" != unnamed[0].document_id


def test_a_plan_is_named_by_a_short_form_its_names_do_not_give():
    names = {"osaka": ("大阪大学", "大阪大", "Osaka University"), "tohoku": ("東北大学", "東北大", "Tohoku University"),
             "titech": ("東京工業大学",)}
    assert named_plans("阪大の予算は？", names) == {"osaka"}  # JMnedict: 阪大 abbreviates Osaka University
    assert named_plans("東工大の研究は？", names) == {"titech"}  # its first character and others in order
    assert named_plans("東大の予算は？", names) == set()  # JMnedict: Tokyo University, though 東 … 大 fits 東北大学
    assert named_plans("東北大の予算は？", names) == {"tohoku"}


def test_a_plan_is_known_by_the_kind_its_title_says():
    # A plan's kinds are its title's compound nouns once the institution is taken out.
    assert plan_kinds("国立大学法人みなと大学 中期計画", ("国立大学法人みなと大学", "みなと大学")) == (("中期", "計画"),)
    vision = plan_kinds("さくら大学将来構想 ―さくら大学ビジョン2040―", ("さくら大学",))
    assert vision == (("将来", "構想"), ("ビジョン",))
    kinds = {"minato": (("中期", "計画"),), "sakura": vision}
    assert kinded_plans("このビジョンの中間評価はいつ？", kinds) == {"sakura"}
    assert kinded_plans("中期計画の期間は？", kinds) == {"minato"}
    # A compound kind's head alone is everyday Japanese, not the plan's name: 計画 names no plan.
    assert kinded_plans("留学生を増やす計画はある？", kinds) == set()


def test_a_question_naming_a_plans_kind_is_steered_to_it(searcher: Searcher):
    # Tohoku's 国内外の課題 holds 国際 and 交流 best; 「中期計画の」 is YNU's plan, whose Ⅰ-3-(1) is on exchange.
    query, hits = searcher.search("中期計画の国際交流の取り組みは？")
    assert query.kinded == {"ynu-midterm-2004"} and not query.named
    assert hits[0].document_id == "ynu-midterm-2004" and hits[0].label == "Ⅰ-3-(1)"
    # A question naming its institution is steered by the name alone; an English one by no kind.
    assert not searcher.search("東北大の中期計画の国際交流は？")[0].kinded
    assert not searcher.search("What does the mid-term plan say about international exchange?")[0].kinded


def test_one_hit_per_section(searcher: Searcher):
    _, hits = searcher.search("GPA制度", k=10)
    sections = [h.section_id for h in hits]
    assert len(sections) == len(set(sections))
    assert all(h.score >= n.score for h, n in zip(hits, hits[1:]))


def test_document_filter(searcher: Searcher):
    _, hits = searcher.search("国際共同研究", documents=["tohoku-intl-strategy"])
    assert hits and {h.document_id for h in hits} == {"tohoku-intl-strategy"}
    with pytest.raises(QueryError, match="unknown document"):
        searcher.search("国際共同研究", documents=["nope"])


def test_bad_questions(searcher: Searcher):
    with pytest.raises(QueryError, match="empty"):
        searcher.search("   ")
    with pytest.raises(QueryError, match="limit is 2000"):
        searcher.search("あ" * 2001)
    assert searcher.search("대학의 예산은 얼마입니까")[1] == []  # another script: an honest empty result
    assert searcher.search("zxqv wibble frobnicate")[1] == []  # words the plans do not have
    # Within the limit, but 18 times longer once NFKC-normalized: no error, and the words still count.
    assert searcher.search("あ" + "ﷺ" * 1999)[1] == []
    assert searcher.search("短期借入金の限度額は？" + "ﷺ" * 1989)[1][0].label == "Ⅶ-1"


def test_language_is_the_grammars():
    """An English question quoting the plans' Japanese terms is English; a Japanese one quoting
    an English name is Japanese."""
    assert detect_language("What is the 収容定員 of the 工学部 in FY2009?") == "en"
    assert detect_language("What about 留学生?") == "en"
    assert detect_language("TOEICの点数は？") == "ja"
    assert detect_language("Society 5.0 for SDGsについて何と書いてある？") == "ja"
    assert detect_language("留学生") == "ja"


def test_langchain_retriever(searcher: Searcher):
    docs = PlanRetriever(searcher=searcher, k=3).invoke("収容定員 工学部")
    assert len(docs) <= 3 and docs[0].metadata["label"] == "別表"
    assert {"section_id", "document_id", "label", "path", "score", "chunk_ids"} <= docs[0].metadata.keys()


def test_a_follow_ups_own_words_lead_the_reranking(searcher: Searcher):
    standalone = "What is Process 1 of Tohoku's international strategy? What about Process 2?"
    plain = [h.label for h in searcher.search(standalone, 3)[1]]
    led = [h.label for h in searcher.search(standalone, 3, follow_up="What about Process 2?")[1]]
    assert sum(label.endswith("プロセス2") for label in led) > sum(label.endswith("プロセス2") for label in plain)
