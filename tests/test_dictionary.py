"""The JMdict layer: English questions reach a corpus's own Japanese words; names get their English."""

import pytest

from index.dictionary import MIN_IDF, dictionary_glossary, romanized_names
from index.glossary import phrase_key
from index.keyword import KeywordIndex

# A small plan of our own: 大学 is in every passage (too common to mean anything), the rest in one or two.
PASSAGES = [
    "本学は、経済的な理由で修学が難しい学生のために、授業料の免除を拡充する。大学の財政基盤を確かにする。",
    "大学は優秀な留学生を受け入れるため、宿舎を整備し、日本語教育を充実させる。",
    "大学独自の奨学金を新設し、成績優秀な学生に給付する。",
    "産学連携を推進し、大学の研究成果を地域の企業に還元する。",
    "他大学で修得した単位の認定を行い、大学の教育の質を高める。",
    "大学の図書館を夜間も開館し、学生の自習の場を確保する。",
]
TEXT = "\n".join(PASSAGES)


def vocabulary_of(passages: list[str]) -> dict[str, float]:
    index = KeywordIndex.build([str(i) for i in range(len(passages))], passages)
    return {term: index.idf(term) for term in index.vocabulary}


@pytest.fixture(scope="module")
def glossary():
    return dictionary_glossary(vocabulary_of(PASSAGES), TEXT)


def terms_for(glossary, question: str) -> set[str]:
    return {ja for m in glossary.to_japanese(question) for ja in m.ja_terms}


# --- the glossary ----------------------------------------------------------------------------------


def test_plain_english_reaches_the_corpus_words(glossary):
    assert "授業料" in terms_for(glossary, "How much is the tuition?")  # JMdict: "tuition fee"
    assert "奨学金" in terms_for(glossary, "Are there scholarships?")
    assert "留学生" in terms_for(glossary, "housing for international students")  # via 外国人留学生
    assert "図書館" in terms_for(glossary, "When is the library open?")
    assert "産学" in glossary.lookup_en("industry-university")  # 産学連携, which Sudachi splits


def test_a_sense_the_corpus_does_not_use_is_not_offered(glossary):
    assert glossary.lookup_en("credit") == ("単位",)
    assert glossary.get("信用") is None
    # Partner: a corpus that speaks of 信用 (and not 単位) is offered 信用 for the same word.
    other = ["金融機関からの信用を得るため、財務情報を公開する。", "地域の図書館と連携する。"]
    credit = dictionary_glossary(vocabulary_of(other), "\n".join(other)).lookup_en("credit")
    assert "信用" in credit and "単位" not in credit


def test_only_words_of_the_corpus(glossary):
    assert len(glossary) > 10
    for entry in glossary:
        assert entry.ja in TEXT or entry.ja in vocabulary_of(PASSAGES), entry
        assert entry.kind == "general"
        assert all(phrase_key(r) for r in entry.en), entry
    assert glossary.get("学費") is None  # JMdict's word for "tuition", absent here
    assert glossary.lookup_en("tuition") == ("授業料",)


def test_too_common_words_and_grammar_are_left_out(glossary):
    vocab = vocabulary_of(PASSAGES)
    assert vocab["大学"] < MIN_IDF  # in every passage
    assert glossary.get("大学") is None
    assert glossary.lookup_en("university") == ()  # and no rarer word stands for it
    for word in ("the", "it", "do", "of", "and", "to", "be"):
        assert glossary.lookup_en(word) == (), word


def test_glosses_are_written_as_questions_say_them(glossary):
    renderings = [r for entry in glossary for r in entry.en]
    assert not [r for r in renderings if r.lower().startswith("to ") or "(" in r]
    assert "高める" in glossary.lookup_en("enhance")  # JMdict: "to enhance"
    assert "高める" in terms_for(glossary, "How will they enhance the quality?")


def test_at_most_three_words_per_phrase(glossary):
    counts = {}
    for entry in glossary:
        for r in entry.en:
            counts.setdefault(phrase_key(r), set()).add(entry.ja)
    assert max(len(v) for v in counts.values()) <= 3


def test_empty_corpus():
    assert len(dictionary_glossary({}, "")) == 0


# --- names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("北海道大学", ("Hokkaido University", "Hokkaido")),
        ("国立大学法人横浜国立大学", ("Yokohama National University", "Yokohama")),
        ("東北大学", ("Tohoku University", "Tohoku")),
    ],
)
def test_romanized_names(name, expected):
    assert romanized_names(name) == expected


def test_romanized_names_by_parts_and_by_reading():
    assert any("Ochanomizu" in n for n in romanized_names("お茶の水女子大学"))
    assert "Ochanomizu Women's University" in romanized_names("お茶の水女子大学")
    # Not in JMnedict as a whole: JMnedict's place + JMdict's common words.
    assert romanized_names("公立大学法人横浜市立大学")[-1] == "Yokohama"
    # Known to no dictionary: the reading, romanized, and the common part from JMdict.
    hibari = romanized_names("ひばり女子大学")
    assert hibari[-1] == "Hibari" and any("Women's" in n for n in hibari)


def test_romanized_names_are_as_commonly_written():
    for name in ("東北大学", "九州大学", "大分大学", "神戸大学"):
        for english in romanized_names(name):
            assert english.isascii() and "ou" not in english.lower() and "uu" not in english.lower(), english
    assert romanized_names("九州大学")[0] == "Kyushu University"
    assert romanized_names("神戸大学")[-1] == "Kobe"  # こうべ, not one of 神戸's surname readings
    assert "Tokyo" in romanized_names("国立大学法人東京大学")
    assert not any("Corporation" in n or "法人" in n for n in romanized_names("国立大学法人東京大学"))


def test_romanized_names_of_nothing():
    assert romanized_names("") == ()
    assert romanized_names("  ") == ()
