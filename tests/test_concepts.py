"""What a question asks for against the plans' words: Sudachi's synonym groups for a Japanese
word the plans never use, the words inside a plan's compound terms, a glossary rendering of
several words held in share, an English word's clitics."""

from assistant.chain import AnswerChain, Request
from assistant.concepts import Lexicon, Wanted, concepts, passage_words
from assistant.retrieve import Searcher
from index.analyze import parts
from index.glossary import Entry, Glossary
from index.synonyms import Synonyms

PLAN_WORDS = ["教員", "宿舎", "給与", "学生", "GPA"]


def _idf(term: str) -> float:
    """The plans' idf for a toy vocabulary: a word in none of them weighs the most."""
    return 1.0 if term in PLAN_WORDS else 9.0


LEXICON = Lexicon(Glossary([]), _idf, Synonyms(PLAN_WORDS))


def test_a_word_the_plans_never_use_finds_their_synonym_of_it():
    synonyms = Synonyms(PLAN_WORDS)
    assert synonyms("先生") == {"教員"}
    assert synonyms("寮") == {"宿舎"}
    assert synonyms("賃金") == {"給与"}
    assert synonyms("教員") == frozenset()  # itself is not its synonym
    assert synonyms("図書館") == frozenset()


def test_the_words_inside_compound_terms():
    assert "方向" in parts("教育研究組織の見直しの方向性")
    assert "借り入れ" in parts("短期借入金の限度額")
    assert parts("学生") == []


def test_a_japanese_question_word_is_held_by_its_synonym_and_inside_a_compound():
    wanted = Wanted(tuple(concepts("先生の方向", "ja", LEXICON)), frozenset(), _idf)
    teachers, direction = wanted.concepts
    assert teachers.terms == {"先生", "教員"} and teachers.weight == 1.0  # stands for the plans' word
    assert passage_words("教員の研修").hold(teachers) == 1.0
    assert passage_words("組織の見直しの方向性").hold(direction) == 1.0
    assert wanted.coverage(passage_words("教員の研修の方向性")) == 1.0


def test_an_english_question_term_is_held_only_as_a_whole_word():
    lexicon = Lexicon(Glossary([Entry("方向", ("direction",), "word")]), _idf)
    wanted = Wanted(tuple(concepts("direction", "en", lexicon)), frozenset(), _idf)
    assert [c.terms for c in wanted.concepts] == [{"方向"}]  # the glossary's rendering, a plan word as written
    assert wanted.coverage(passage_words("方向")) == 1.0
    assert wanted.coverage(passage_words("見直しの方向性")) == 0.0


def test_an_answer_quotes_the_plans_word_for_the_users(searcher: Searcher):
    answer = AnswerChain(searcher, None).invoke(Request("職員の賃金はどう決める？", ()))
    assert answer.found
    assert any("給与" in c.passage for c in answer.citations)


def test_a_rendering_of_several_terms_is_held_in_the_share_of_them_a_passage_holds():
    lexicon = Lexicon(Glossary([Entry("附属学校", ("attached school",), "general")]), _idf)
    wanted = Wanted(tuple(concepts("attached school", "en", lexicon)), frozenset(), _idf)
    assert wanted.coverage(passage_words("附属学校の運営")) == 1.0
    assert wanted.coverage(passage_words("附属病院の運営")) == 0.5


def test_a_possessive_or_negation_is_the_word_itself():
    wanted = Wanted(tuple(concepts("Doesn't the university's plan say?", "en", LEXICON)), frozenset(), _idf)
    assert wanted.concepts == ()  # does, university and plan are words of asking


def test_a_word_the_plans_never_use_weighs_by_how_common_it_is_in_japanese():
    zipf = {"今日": 5.9, "駐輪場": 3.4, "テレワーク": 3.9, "バイト": 4.8, "部活": 4.2}.get
    lexicon = Lexicon(Glossary([]), _idf, Synonyms(PLAN_WORDS), lambda w: ("アルバイト",) if w == "部活" else (), zipf)
    weights = {c.terms: c.weight for c in concepts("学生の今日のテレワークとバイトと部活の駐輪場", "ja", lexicon)}
    assert weights[frozenset({"学生"})] == 1.0  # the question's average known term
    assert weights[frozenset({"今日"})] == 0.5  # an everyday word: incidental to the question
    assert weights[frozenset({"テレワーク"})] == 3.0  # a specific one: likely what it asks about
    assert weights[frozenset({"駐輪場"})] == 3.0
    assert weights[frozenset({"バイト"})] == 1.0  # neither
    assert weights[frozenset({"部活"})] == 1.0  # the thesaurus infers what the plans call it
