"""The bilingual glossary: its data file against the real plans, and both lookup directions."""

from pathlib import Path

import pytest

from assistant.concepts import _EN_SCAFFOLD
from index.analyze import ASKING_WORDS

from index.glossary import (
    DEFAULT_PATH,
    Entry,
    KINDS,
    Glossary,
    GlossaryError,
    Match,
    fold_word,
    load_glossary,
    parse_glossary,
    phrase_key,
)

PLANS = Path(__file__).resolve().parents[1] / "plans"


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return load_glossary()


@pytest.fixture(scope="module")
def corpus_text() -> str:
    files = sorted(PLANS.glob("*.txt"))
    assert files, f"no plan files in {PLANS}"
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def ja_terms(glossary: Glossary, text: str) -> set[str]:
    return {ja for m in glossary.to_japanese(text) for ja in m.ja_terms}


# --- the data file ---------------------------------------------------------------------------


def test_every_ja_term_occurs_verbatim_in_the_plans(glossary, corpus_text):
    missing = [e.ja for e in glossary.entries if e.ja not in corpus_text]
    assert not missing, f"{len(missing)} glossary terms not found in {PLANS}: {missing}"


def test_size_and_no_duplicate_terms(glossary):
    assert len(glossary) >= 300
    terms = [e.ja for e in glossary.entries]
    dupes = sorted({t for t in terms if terms.count(t) > 1})
    assert not dupes, f"duplicate ja rows: {dupes}"


def test_every_line_is_well_formed():
    lines = DEFAULT_PATH.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "ja\ten\tkind"
    bad = []
    for number, line in enumerate(lines[1:], start=2):
        columns = line.split("\t")
        if (
            len(columns) != 3
            or any(not c.strip() or c != c.strip() for c in columns)
            or columns[2] not in KINDS
            or any(not part.strip() for part in columns[1].split("|"))
        ):
            bad.append((number, line))
    assert not bad, f"malformed lines: {bad}"


def test_everyday_words_are_not_words_of_asking(glossary):
    # "What measures…", "Give an overview of…": a word of asking that the glossary knew would
    # become a concept the answer must hold (措置, 概要), and pick the quotes by it.
    asking = {fold_word(w) for w in _EN_SCAFFOLD}
    everyday = [e for e in glossary if e.kind == "word"]
    assert len(everyday) >= 400
    assert [(e.ja, r) for e in everyday for r in e.en if phrase_key(r) in {(w,) for w in asking}] == []
    assert not {e.ja for e in everyday} & ASKING_WORDS


def test_default_load_is_cached(glossary):
    assert load_glossary() is glossary
    assert load_glossary(DEFAULT_PATH) is glossary


def test_entries_cover_both_plans(glossary):
    # Each plan's terms, found both ways: glossed in a sentence, and searched for by their English.
    for ja in ("門戸開放", "研究第一", "実学尊重", "包括的国際化", "国際混住寮", "災害科学", "B-U-B", "SDGs",  # Tohoku
               "中期計画", "運営費交付金", "短期借入金", "収容定員", "単位互換", "教養教育", "工学府", "環境情報学府"):  # YNU
        entry = glossary.get(ja)
        assert glossary.gloss(f"本学は{ja}を進める。") == [entry], ja
        assert ja_terms(glossary, f"What about the {entry.en[0]}?") == {ja}, (ja, entry.en[0])
    assert glossary.get("運営費交付金").en[0] == "operating grant"
    assert glossary.get("留学生").kind == "student"


# --- English to Japanese ---------------------------------------------------------------------


def test_international_students(glossary):
    assert "留学生" in ja_terms(glossary, "How many international students does the plan aim to accept?")
    assert "留学生" in ja_terms(glossary, "foreign student support")  # singular folds to plural


def test_operating_grant(glossary):
    assert "運営費交付金" in ja_terms(glossary, "How is the operating grant calculated?")
    assert "運営費交付金" in ja_terms(glossary, "Operating Grants from the national government")


def test_short_term_borrowing_limit(glossary):
    terms = ja_terms(glossary, "What is the short-term borrowing limit?")
    assert {"短期借入金", "限度額"} <= terms
    assert "短期借入金" in ja_terms(glossary, "short term borrowings")  # hyphen or space, plural


def test_multi_word_phrase_beats_its_parts(glossary):
    matches = glossary.to_japanese("Is there credit transfer with Yokohama City University?")
    credit = [m for m in matches if "credit" in m.phrase_en.lower()]
    assert len(credit) == 1 and credit[0].phrase_en == "credit transfer"
    assert "単位互換" in credit[0].ja_terms and "単位" not in credit[0].ja_terms
    assert "横浜市立大学" in ja_terms(glossary, "Is there credit transfer with Yokohama City University?")
    # the longest phrase wins even when a shorter one starts earlier
    assert ja_terms(glossary, "credit transfer system") == {"単位互換制度"}


def test_english_tokens_kept(glossary):
    terms = ja_terms(glossary, "How is the GPA used, and what about the SDGs and B-U-B?")
    assert {"GPA", "SDGs", "B-U-B"} <= terms
    assert "SDGs" in ja_terms(glossary, "sustainable development goals")
    assert "TA" in ja_terms(glossary, "TAs and RAs") and "RA" in ja_terms(glossary, "TAs and RAs")


def test_match_offsets_and_order(glossary):
    text = "Tuition fees, donations and the operating grant"
    assert glossary.to_japanese(text) == [
        Match("Tuition fees", ("授業料",), 0, 12), Match("donations", ("寄附金",), 14, 23),
        Match("operating grant", ("運営費交付金",), 32, 47),
    ]
    assert all(text[m.start : m.end] == m.phrase_en for m in glossary.to_japanese(text))


def test_shared_rendering_yields_all_terms(glossary):
    # 入学料 and 入学金 are both "admission fee" in the plans: both are searched
    assert {"入学料", "入学金"} <= ja_terms(glossary, "admission fee")
    assert {"大学院", "研究科", "学府"} <= ja_terms(glossary, "graduate schools")


def test_case_and_spelling_folding(glossary):
    assert "包括的国際化" in ja_terms(glossary, "COMPREHENSIVE INTERNATIONALISATION")
    assert "収容定員" in ja_terms(glossary, "enrolment capacity")
    assert "大学教育総合センター" in ja_terms(glossary, "the University Education Centre")
    assert fold_word("universities") == fold_word("university")
    assert fold_word("campuses") == fold_word("campus")
    assert fold_word("houses") == fold_word("house")
    assert fold_word("Tohoku's") == fold_word("Tohoku")
    # British plurals and -ise words: a plural is folded before and after the spelling
    assert fold_word("programmes") == fold_word("program")
    assert fold_word("centres") == fold_word("centers")
    assert fold_word("organisations") == fold_word("organization")
    assert fold_word("recognised") == fold_word("recognized")


def test_capital_only_acronyms(glossary):
    assert ja_terms(glossary, "What does it say?") == set()
    assert "情報技術" in ja_terms(glossary, "IT skills")
    # SET (student evaluation of teaching) spells a common word (wordfreq), so "set" is the verb
    evaluation = Glossary([Entry("学生による授業評価", ("SET", "student evaluation of teaching"), "education")])
    assert [m.ja_terms for m in evaluation.to_japanese("Is SET used?")] == [("学生による授業評価",)]
    assert evaluation.to_japanese("How many targets does the strategy set?") == []


def test_no_match(glossary):
    assert glossary.to_japanese("") == []
    assert glossary.to_japanese("Hello there, how are you?") == []


# --- Japanese to English ---------------------------------------------------------------------


def test_gloss_operating_grant(glossary):
    entries = glossary.gloss("運営費交付金の算定ルール")
    assert [(e.ja, e.gloss) for e in entries] == [("運営費交付金", "operating grant"), ("算定ルール", "calculation rules")]
    assert entries[0] == glossary.get("運営費交付金")


def test_gloss_longest_first_without_contained_terms(glossary):
    entries = [e.ja for e in glossary.gloss("留学生センターは,留学生のために学習支援を行う。")]
    assert entries[0] == "留学生センター"
    assert "留学生" in entries  # standalone at another place
    assert "留学" not in entries  # only inside 留学生センター / 留学生
    lengths = [len(e) for e in entries]
    assert lengths == sorted(lengths, reverse=True)
    assert [e.ja for e in glossary.gloss("運営費交付金算定ルール")] == ["運営費交付金算定ルール"]


def test_gloss_acronyms_need_word_boundaries(glossary):
    assert "TA" in [e.ja for e in glossary.gloss("TA,RAを演習に配置")]
    assert "TA" not in [e.ja for e in glossary.gloss("DATAの分析")]
    assert "GPA" in [e.ja for e in glossary.gloss("ＧＰＡの平均値")]  # full-width letters


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("留学生\tinternational students\n", 2, "3 tab-separated columns"),
        ("留学生\tinternational students\tstudent\textra\n", 2, "3 tab-separated columns"),
        ("留学生\tinternational students\tstudent\n単位\t\teducation\n", 3, "empty 'en'"),
        ("\tcredit\teducation\n", 2, "empty 'ja'"),
        ("単位\tcredit\t\n", 2, "empty 'kind'"),
        ("単位\tcredit | | unit\teducation\n", 2, "empty English rendering"),
        ("単位\tcredit\tcourses\n", 2, "unknown kind"),
        ("単位\tcredit\teducation\n留学生\tstudents\tstudent\n単位\tunit\teducation\n", 4, "duplicate"),
    ],
)
def test_malformed_lines_name_the_line(tmp_path, body, line, words):
    path = tmp_path / "glossary.tsv"
    path.write_text("ja\ten\tkind\n" + body, encoding="utf-8")
    with pytest.raises(GlossaryError) as info:
        load_glossary(path)
    assert f":{line}:" in str(info.value)
    assert words in str(info.value)


def test_bad_header_and_missing_file(tmp_path):
    with pytest.raises(GlossaryError, match=":1:"):
        parse_glossary("ja\ten\n単位\tcredit\teducation\n")
    with pytest.raises(GlossaryError, match="cannot read"):
        load_glossary(tmp_path / "nope.tsv")


def test_custom_file_and_reload(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text("ja\ten\tkind\n単位互換\tcredit transfer\teducation\n\n", encoding="utf-8")
    g = load_glossary(path)
    assert [e.ja for e in g.entries] == ["単位互換"]
    path.write_text("ja\ten\tkind\n単位互換\tcredit transfer\teducation\n単位\tcredit | credits\teducation\n", encoding="utf-8")
    g2 = load_glossary(path)  # edited file is read again
    assert len(g2) == 2
    assert ja_terms(g2, "credit") == {"単位"}


def test_verb_forms_fall_back_to_their_base_word_only_when_unknown():
    from index.glossary import load_glossary

    glossary = load_glossary()
    assert any("予算" in m.ja_terms for m in glossary.to_japanese("How much is budgeted for it?"))
    building = glossary.to_japanese("the building")
    assert building and building[0].phrase_en == "building"  # known as written: not read as "build"
