"""The lexicon layers: names from the plans, the dictionary, the curated tables over it."""

import pytest

from index.glossary import Entry, Glossary
from index.lexicon import bridge, names_glossary

NAMES = {"hokkaido-plan": ("国立大学法人北海道大学", "北海道大学", "北大", "Hokkaido University", "Hokkaido"),
         "x": ("みなと大学",)}


def test_a_plans_english_names_search_its_japanese_name():
    glossary = names_glossary(NAMES)
    assert glossary.lookup_en("Hokkaido University") == ("北海道大学",) and glossary.lookup_en("Hokkaido") == ("北海道大学",)
    assert [m.ja_terms for m in glossary.to_japanese("What is Hokkaido University's budget?")] == [("北海道大学",)]
    assert glossary.lookup_en("Minato") == ()  # a plan with no English name adds nothing


def test_the_curated_layer_overrides_what_it_renders_and_keeps_the_rest():
    curated = Glossary([Entry("単位", ("credit",), "education")])
    dictionary = Glossary([Entry("信用", ("credit", "trust"), "general"), Entry("授業料", ("tuition",), "general")])
    both = curated.over(dictionary)
    assert both.lookup_en("credit") == ("単位",)  # the plans' sense, not the dictionary's 信用
    assert both.lookup_en("trust") == ("信用",) and both.lookup_en("tuition") == ("授業料",)


def test_layers_are_chosen_and_an_unknown_one_is_refused():
    glossary, thesaurus = bridge([], {}, "", NAMES)
    assert glossary.lookup_en("Hokkaido") == ("北海道大学",) and thesaurus.plan_terms("先生の数") == ()
    glossary, thesaurus = bridge(["curated"], {}, "", NAMES)
    assert thesaurus.plan_terms("先生の数") == ("教員数",) and glossary.lookup_en("Hokkaido") == ("北海道大学",)
    assert glossary.lookup_en("short-term borrowing")
    with pytest.raises(ValueError, match="unknown lexicon layer"):
        bridge(["wordnet"], {}, "", NAMES)
