"""What a question asks for, from general question words and JMdict (assistant/asking.py)."""

import pytest

from assistant.asking import Asked, asking


@pytest.mark.parametrize("question", [
    "寮費は？",  # not in any list: JMdict glosses it "boarding-expense"
    "入学料ってどのくらい？",  # not in JMdict: its ending 料 is ("fee")
    "留学生の数は？",
    "倍率ってどのくらい？",
    "What is the monthly rent in the dormitories?",
    "What minimum score do students need?",
    "How many partner universities are there?",
    "授業料の収入はどれくらいの見込み？",  # 収入: income
])
def test_a_noun_or_phrase_that_names_a_value_asks_for_one(question):
    assert asking(question).value


@pytest.mark.parametrize("question", [
    "評価は？",  # evaluation: JMdict's "rating" is not a value noun
    "資料は？",  # materials, data
    "奨学金は？",  # a scholarship, not its amount
    "目指す大学の姿って？",  # 姿: "figure" as in shape
    "What is the fee waiver policy?",
    "目標って何？",
])
def test_a_noun_that_names_no_value_asks_for_none(question):
    assert asking(question) == Asked()


def test_how_much_asks_for_an_amount_and_how_many_for_a_count():
    assert asking("授業料はいくら？") == Asked(value=True, amount=True)
    assert asking("How much is the tuition?").amount
    assert asking("何人受け入れる？") == Asked(value=True, counter="人")  # ... counted in people
    assert asking("何か国と協定を結ぶ？").counter == "か国" and asking("女性教員の割合は何%？").counter == "%"
    assert asking("授業料はいくら？").counter == ""
    assert asking("How many joint research projects are planned?").counter == "件"
    assert asking("How many students will go abroad?").counter == "人" and asking("How many beds?").counter == ""
    # Counting students is asking for a number, not for a plan's parts; counting targets is.
    assert not asking("How many international students does the university aim to have?").outline
    assert asking("How many targets does Tohoku's strategy set?").outline
    assert not asking("How many students?").amount


def test_time_person_and_total_are_told_apart():
    assert asking("いつまでに達成する？") == Asked(time=True)
    assert asking("By when will it be done?").time
    assert asking("学長は誰？") == Asked(person=True)
    assert asking("Who is the president of the university?").person
    assert not asking("What does the president do?").person
    assert asking("予算の合計は？") == Asked(value=True, total=True)
    # a number asked for is not a time, even when the question names a year
    assert asking("2030年度に何人にする？") == Asked(value=True, counter="人")
