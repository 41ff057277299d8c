"""The bridge from a question's words to the plans' words, in layers.

- `names`: each plan's institution, its English names (romanized from its Japanese one, or the
  catalog's) rendered by its Japanese name, so "Hokkaido University" searches 北海道大学. Always on:
  it comes from the plans themselves.
- `dictionary`: JMdict's English glosses of the Japanese words the indexed plans use
  (`index.dictionary`): general, made for the language, fitted to no plan.
- `curated`: the hand-written glossary and thesaurus (`index/data/`), written from the bundled
  plans; over the dictionary, an override layer for what it gets wrong.

`PLAN_ASSISTANT_LEXICONS` chooses the layers (default: curated; see the README for why), so `eval heldout --layers` can
show what each adds on plans the curated tables were not written from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from index.glossary import Entry, Glossary, load_glossary
from index.thesaurus import Thesaurus, load_thesaurus

LAYERS = ("curated", "dictionary")


def names_glossary(names: Mapping[str, Iterable[str]]) -> Glossary:
    """Each plan's English names rendered by its Japanese name as plans write it: 北海道大学, not
    国立大学法人北海道大学 (which holds it) nor 北大 (which it does not)."""
    entries: dict[str, Entry] = {}
    for plan_names in names.values():
        japanese = [n for n in plan_names if not n.isascii()]
        english = tuple(n for n in plan_names if n.isascii() and any(c.isalpha() for c in n))
        if japanese and english:
            ja = min(japanese, key=lambda n: (not n.endswith("大学"), len(n)))  # 北海道大学: the name as written, no corporation
            if ja not in entries:
                entries[ja] = Entry(ja, english, "organization")
    return Glossary(list(entries.values()))


def bridge(layers: Iterable[str], vocabulary: Mapping[str, float], text: str,
           names: Mapping[str, Iterable[str]]) -> tuple[Glossary, Thesaurus]:
    """The glossary and thesaurus of the chosen layers over a corpus (`vocabulary`: its
    keyword terms and their idf; `text`: all of it)."""
    layers = set(layers)
    unknown = layers - set(LAYERS)
    if unknown:
        raise ValueError(f"unknown lexicon layer(s): {', '.join(sorted(unknown))} (known: {', '.join(LAYERS)})")
    glossary = names_glossary(names)
    if "dictionary" in layers:
        from index.dictionary import dictionary_glossary  # JMdict: loaded only when asked for

        glossary = glossary.over(dictionary_glossary(vocabulary, text))
    thesaurus = Thesaurus({}, {})
    if "curated" in layers:
        thesaurus = load_thesaurus()
        glossary = thesaurus.extend(load_glossary()).over(glossary)
    return glossary, thesaurus
