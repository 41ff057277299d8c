"""Synonyms: the plans' own word for a word they never use, from Sudachi's dictionary.

Sudachi's dictionary gives many words the ids of the synonym groups they belong to: 賃金 and
給与, 外注 and 委託, 先生 and 教員, 寮 and 宿舎, 掛け持ち and 兼務. A question's word in no
passage is no evidence against an answer when the plans say the same thing in their own word;
:class:`Synonyms` finds that word among the plans' terms. It needs no data beyond the
dictionary that ``sudachidict_core`` ships, and is built from the keyword index's vocabulary
when the index is opened (about 10 ms for the two plans).
"""

from __future__ import annotations

from collections.abc import Iterable

from index.analyze import synonym_groups


class Synonyms:
    """The plans' terms in each Sudachi synonym group."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        members: dict[int, set[str]] = {}
        for term in vocabulary:
            if not term.isascii():  # English words and numbers have no groups
                for group in synonym_groups(term):
                    members.setdefault(group, set()).add(term)
        self._members = {group: frozenset(terms) for group, terms in members.items()}

    def __call__(self, word: str) -> frozenset[str]:
        """The plans' terms that share a synonym group with ``word``, other than itself."""
        found = frozenset().union(*(self._members.get(g, frozenset()) for g in synonym_groups(word)))
        return found - {word}
