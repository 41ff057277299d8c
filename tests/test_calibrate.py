"""The threshold sweep runs the offline answerer's own decision at each threshold."""

from eval.calibrate import markdown, sweep
from eval.retrieval import Question


def _question(qid: str, text: str, sections: tuple[str, ...]) -> Question:
    return Question(qid, qid, "ja", None, text, sections, None, "fact")


def test_sweep_refuses_more_as_the_threshold_rises(searcher):
    questions = [_question("a", "短期借入金の限度額は？", ("Ⅵ",)),
                 _question("u", "教職員のテレワークの制度はある？", ())]
    table = sweep(searcher, questions, thresholds=(0.0, 0.4, 1.01))
    rows = table["ja"]["rows"]
    assert (table["ja"]["answerable"], table["ja"]["unanswerable"]) == (1, 1)
    assert [r["answerable_not_found"] for r in rows] == [0.0, 0.0, 1.0]  # no sentence holds more than all of it
    assert rows[1]["unanswerable_not_found"] == 1.0  # refused at the answerer's own threshold
    assert "| 0.40 (now) | 1.000 | 0.000 |" in markdown(table)
