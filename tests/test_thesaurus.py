"""The thesaurus: its data file against the real plans, Japanese variants found in questions,
English variants added to the glossary, and the search it widens."""

import unicodedata
from pathlib import Path

import pytest

from assistant.question import prepare
from assistant.retrieve import Searcher
from index.analyze import normalized_words
from index.glossary import Entry, Glossary, load_glossary
from index.thesaurus import Thesaurus, ThesaurusError, load_thesaurus, parse_thesaurus

PLANS = Path(__file__).resolve().parents[1] / "plans"
HEADER = "term\tja\ten\n"


@pytest.fixture(scope="module")
def corpus_text() -> str:
    return "\n".join(f.read_text(encoding="utf-8") for f in sorted(PLANS.glob("*.txt")))


def test_every_term_occurs_verbatim_in_the_plans(corpus_text):
    thesaurus = load_thesaurus()
    terms = {t for ts in thesaurus.ja.values() for t in ts} | set(thesaurus.en)
    assert len(terms) >= 200
    assert sorted(t for t in terms if t not in corpus_text) == []


def test_no_variant_is_the_plans_own_word(corpus_text):
    # A word the plans use is searched as it is: standing for other terms as well, it would only
    # widen the search (作る, used by the plans, would add 創出, 建造 …).
    written = unicodedata.normalize("NFKC", corpus_text)
    words = normalized_words(corpus_text)
    thesaurus = load_thesaurus()
    longest = max(len(normalized_words(v)) for v in thesaurus.ja)
    used = {tuple(words[i : i + n]) for n in range(1, longest + 1) for i in range(len(words) - n + 1)}
    assert sorted(v for v in thesaurus.ja if v in written or tuple(normalized_words(v)) in used) == []


def test_japanese_variants_name_plan_terms_longest_first():
    thesaurus = parse_thesaurus(HEADER + "任期制\t任期付き | 期限付き雇用\t\n雇用\t雇う\t\n就職支援\tキャリア相談 | キャリア\t\n")
    assert thesaurus.plan_terms("期限付き雇用の先生はいる？") == ("任期制",)  # not 雇用 as well: no overlaps
    assert thesaurus.plan_terms("学生のキャリア相談ってある？") == ("就職支援",)
    assert thesaurus.plan_terms("ｷｬﾘｱ相談は？") == ("就職支援",)  # NFKC: half-width katakana
    assert thesaurus.plan_terms("任期制と任期付きの違いは") == ()  # the plan's own term is already searched
    assert thesaurus.plan_terms("短期借入金の限度額") == ()


def test_a_variant_is_found_however_the_question_inflects_it():
    thesaurus = parse_thesaurus(HEADER + "資格取得\t資格を取る\t\n盗難防止\t盗まれない\t\n")
    assert thesaurus.plan_terms("資格を取った学生への支援は？") == ("資格取得",)  # 取っ: the written variant is not in it
    assert thesaurus.plan_terms("自転車が盗まれなくなる対策は？") == ("盗難防止",)
    assert thesaurus.plan_terms("資格の取り方") == ()  # the words of the variant, not in its order


def test_a_one_character_variant_is_found_only_as_a_word():
    thesaurus = parse_thesaurus(HEADER + "居住施設\t寮\t\n")
    assert thesaurus.plan_terms("留学生の寮は増える？") == ("居住施設",)
    assert thesaurus.plan_terms("寮母さんはいる？") == ()  # 寮母 is another word


def test_a_latin_variant_is_found_only_as_a_word():
    thesaurus = parse_thesaurus(HEADER + "アドミッション・ポリシー\tAP | 入試方針\t\n")
    assert thesaurus.plan_terms("APはどこに書いてある？") == ("アドミッション・ポリシー",)
    assert thesaurus.plan_terms("JAPANの戦略は？") == ()


def test_english_variants_extend_the_glossary():
    glossary = Glossary([Entry("任期制", ("fixed-term system",), "personnel")])
    thesaurus = parse_thesaurus(HEADER + "任期制\t任期付き\ttenure track | fixed-term appointment | fixed-term system\n"
                                "安全衛生\t\toccupational safety\n")
    extended = thesaurus.extend(glossary)
    assert extended.get("任期制").en == ("fixed-term system", "tenure track", "fixed-term appointment")
    assert extended.get("任期制").kind == "personnel" and extended.get("安全衛生").gloss == "occupational safety"
    found = {ja for m in extended.to_japanese("Is there a tenure track or a fixed-term appointment?") for ja in m.ja_terms}
    assert found == {"任期制"}


@pytest.mark.parametrize(("body", "message"), [
    ("任期制\t任期付き\n", "expected 3 tab-separated columns"),
    ("\t任期付き\t\n", "empty term"),
    ("任期制\t\t---\n", "has no words"),
])
def test_malformed_lines_name_the_line(body, message):
    with pytest.raises(ThesaurusError, match=rf"<thesaurus>:2: .*{message}"):
        parse_thesaurus(HEADER + body)


def test_bad_header_and_missing_file(tmp_path):
    with pytest.raises(ThesaurusError, match="header"):
        parse_thesaurus("ja\ten\n")
    with pytest.raises(ThesaurusError, match="cannot read"):
        load_thesaurus(tmp_path / "none.tsv")


def test_a_japanese_question_is_searched_with_the_plan_terms():
    thesaurus = parse_thesaurus(HEADER + "任期制\tテニュア | 期限付き雇用\t\n")
    query = prepare("テニュアの先生は増える？", load_glossary(), thesaurus, 2000)
    assert query.added_terms == ("任期制",) and query.expansion == "任期制"


def test_the_searcher_finds_a_section_by_a_users_word(searcher: Searcher):
    """キャリア相談 is nowhere in the plans; through the thesaurus it reaches the section on 就職支援."""
    original = searcher.thesaurus
    try:
        searcher.thesaurus = Thesaurus({}, {})
        _, before = searcher.search("学生のキャリア相談はどうなる？")
        searcher.thesaurus = parse_thesaurus(HEADER + "就職支援\tキャリア相談\t\n")
        query, after = searcher.search("学生のキャリア相談はどうなる？")
    finally:
        searcher.thesaurus = original
    assert query.added_terms == ("就職支援",)
    assert "就職支援" in after[0].path[-1]
    assert "就職支援" not in before[0].path[-1]
