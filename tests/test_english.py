"""Values, dates and section titles as an English reader is told them (assistant/english.py)."""

import pytest

from assistant.english import in_english, section_in_english, title_gloss
from index.glossary import Entry, Glossary


@pytest.mark.parametrize(("japanese", "english"), [
    ("平成30年度", "FY2018"), ("令和4年3月31日", "31 March 2022"), ("平成元年", "1989"), ("２０３０年度", "FY2030"),
    ("平成16年度〜21年度", "FY2004〜FY2009"),  # the second year is of the first one's era
    ("53,301百万円", "¥53,301 million"), ("23億円", "¥2.3 billion"), ("1.5億円", "¥150 million"), ("10万円", "¥100,000"),
    ("△1,423百万円", "−¥1,423 million"), ("60%程度", "about 60%"), ("60％程度", "about 60%"), ("15件以上", "15 or more"),
    ("1,200人", "1,200 people"), ("3割", "30%"), ("△1%", "−1%"), ("授業料", "授業料"),
])
def test_values_and_dates(japanese, english):
    assert in_english(japanese) == english


def test_a_title_is_glossed_term_by_term_in_its_order_and_left_alone_when_unknown():
    glossary = Glossary([Entry("就職支援", ("career support",), "student"), Entry("生活相談", ("life counseling",), "student")])
    assert title_gloss("生活相談・就職支援等に関する具体的方策", glossary) == "life counseling, career support"
    assert section_in_english("Ⅰ-1-(4)-2) 生活相談・就職支援等", "生活相談・就職支援等", glossary) == \
        "Ⅰ-1-(4)-2) 生活相談・就職支援等 (life counseling, career support)"
    assert section_in_english("Ⅹ その他", "その他", glossary) == "Ⅹ その他"
