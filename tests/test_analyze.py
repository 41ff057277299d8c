"""The Japanese analyzer, with the real Sudachi dictionary (sudachidict_core)."""

import threading

import pytest

from index.analyze import (MAX_SUDACHI_BYTES, _pieces, _tokenizer, bigrams, names_a_person, normalize, nouns, terms,
                           without_asking_words)


def test_normalize_is_nfkc_lowercase():
    assert normalize("ＧＰＡ　ｶﾀｶﾅ ＳＤＧｓ") == "gpa カタカナ sdgs"


def test_mode_b_splits_compounds_so_ryugakusei_matches():
    # Mode C would keep 外国人留学生 whole, and 留学生 would not find it.
    assert "留学生" in terms("外国人留学生の受入れを推進する。")
    assert "外国人" in terms("外国人留学生の受入れを推進する。")
    assert "留学生" in terms("質の高い留学生の受入れを推進する。")
    # ... but keeps the words people search for whole (mode A gives 借入 + 金).
    assert terms("短期借入金の限度額") == ["短期", "借入金", "限度額"]


@pytest.mark.parametrize(
    "text",
    ["留学生の受入れを推進する", "留学生の受け入れを推進する", "留学生の受入及び派遣"],
)
def test_spelling_variants_share_a_normalized_form(text):
    # Sudachi's normalized form of 受入れ / 受入 / 受け入れ (as nouns) is 受け入れ.
    assert "受け入れ" in terms(text)


def test_question_and_passage_meet_on_content_words():
    question = terms("留学生の受け入れについて何と書いてある？")
    passage = terms("大学間学術交流協定等に基づいた質の高い留学生の受入れを推進する。")
    assert {"留学生", "受け入れ"} <= set(question) & set(passage)


def test_function_words_are_dropped():
    tokens = terms("教育の質を向上させるため、全学的に検討することとする。また、及び又は")
    for particle in ("の", "を", "に", "と", "は", "、", "。"):
        assert particle not in tokens
    for stopword in ("為る", "する", "為", "ため", "こと", "事", "及び", "又"):
        assert stopword not in tokens
    assert {"教育", "質", "向上", "検討"} <= set(tokens)


def test_english_tokens_are_kept_lowercase():
    text = (
        "GPA制度を利用する。国際目標(SDGs)への取組。B-U-B（Business-University-Business）モデル。"
        "TA,RAを配置する。e-learningなどを活用する。21世紀COEプログラム。"
    )
    tokens = terms(text)
    for word in ("gpa", "sdgs", "b-u-b", "ta", "ra", "e-learning", "coe", "business", "university"):
        assert word in tokens, word
    assert "b" not in tokens  # B-U-B stays one token
    assert terms("ＧＰＡ") == ["gpa"]  # full width too


def test_numbers_are_kept():
    tokens = terms("短期借入金の限度額 23億円")
    assert {"23", "億", "円"} <= set(tokens)
    assert "1000" in terms("１，０００人")
    assert "2" in terms("平成2年")


def test_bigrams_stay_inside_japanese_runs():
    tokens = bigrams("外国人留学生、受入れ GPA 23億円")
    assert tokens[:5] == ["外国", "国人", "人留", "留学", "学生"]
    assert "生、" not in tokens and "生受" not in tokens  # no pair across punctuation
    assert "受入" in tokens and "入れ" in tokens
    assert "gpa" in tokens and "23" in tokens and "億円" in tokens


def test_bigrams_skip_hiragana_only_pairs():
    tokens = bigrams("推進するための措置")
    assert "推進" in tokens and "措置" in tokens
    assert "する" not in tokens and "ため" not in tokens


def test_empty_input():
    assert terms("") == [] and terms(" \n\u3000") == []
    assert bigrams("") == [] and bigrams("。、 ") == []


def test_input_over_sudachi_limit_is_analyzed_to_the_end():
    body = "大学間交流協定を充実し、留学生の受入れを推進する。\n" * 1500
    text = body + "最後に短期借入金の限度額を定める。"
    assert len(text.encode("utf-8")) > 49_149
    tokens = terms(text)
    assert tokens[-5:] == ["最後", "短期", "借入金", "限度額", "定める"]
    assert tokens.count("留学生") == 1500
    assert bigrams(text)[-4:] == ["度額", "額を", "を定", "定め"]


def test_single_line_over_limit_is_split_further():
    text = "留学生の受入れを推進する。" * 3000 + "短期借入金"  # no line break at all
    assert terms(text)[-2:] == ["短期", "借入金"]
    text = "留" * 20_000 + "。借入金"  # nothing to cut at but 。: cut between characters
    assert terms(text)[-1] == "借入金"


def test_pieces_fit_the_limit_and_lose_nothing():
    text = ("留学生の受入れ。" * 2000 + "\n") * 3 + "あ" * 30_000 + "\nend"
    pieces = list(_pieces(text))
    assert "".join(pieces) == text
    assert len(pieces) > 3
    assert all(0 < len(p.encode("utf-8")) <= MAX_SUDACHI_BYTES for p in pieces)


def test_tokenizer_is_created_once_per_thread():
    assert _tokenizer() is _tokenizer()
    result = {}

    def work():
        result["terms"] = terms("外国人留学生")
        result["same"] = _tokenizer() is _tokenizer()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert result == {"terms": ["外国人", "留学生"], "same": True}


def test_asking_words_are_blanked_from_questions_only():
    assert without_asking_words("人件費を減らす予定は？") == "人件費を減らす は?"  # normalized (NFKC)
    assert without_asking_words("外注の話ってある？具体的には？") == "外注の ってある? には?"
    assert "予定" in terms("担保に供する計画の予定はない。")  # a plan's own use of the word is indexed
    # the words of a number question ask for the number: a passage need not hold them
    assert nouns(without_asking_words("工学部の定員はいくつ？何人？")) == ["工学部", "定員"]
    assert nouns(without_asking_words("合格率は何%？")) == ["合格率"]


def test_pronouns_and_auxiliary_stems_name_nothing():
    assert nouns("組織の見直しはどっちの方向で進める？") == ["組織", "見直し", "方向"]
    assert terms("ディーンズリストみたいなのはある？") == ["ディーンズリスト"]


def test_names_a_person_needs_a_surname_and_a_given_name():
    assert names_a_person("学長 大野英男は述べた") and names_a_person("鈴木一郎学長")
    assert not names_a_person("出島のハブとなる") and not names_a_person("学長のリーダーシップ機能を整備する")


def test_proper_nouns_are_whole_names_of_places_and_institutions_not_people():
    from index.analyze import proper_nouns

    assert proper_nouns("地域の大学,特に横浜市立大学との共同研究") == {"横浜市立大学"}
    assert proper_nouns("仙台とボストンに拠点を置く") == {"仙台", "ボストン"}
    assert proper_nouns("日本と韓国", countries=False) == frozenset() and proper_nouns("日本と韓国") == {"日本", "韓国"}
    assert proper_nouns("海外拠点や大学間コンソーシアムを有効に活用する") == frozenset()
