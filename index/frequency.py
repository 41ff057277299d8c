"""How common a word is in Japanese at large, on wordfreq's Zipf scale.

A question's word that no passage of the plans uses has no idf to weigh it by. How often it
occurs in Japanese at large (wordfreq's frequency list, built from web, news, subtitles and
Wikipedia text and shipped inside the package: nothing is downloaded) says what the plans'
silence means: an everyday word (今日, 最近: Zipf 5 and more) is incidental to the question,
a rarer one (テレワーク, 副業, インフルエンザ) is likely what it asks about.

wordfreq's own lookup cuts Japanese with MeCab, which is not installed; a word here is already
one Sudachi word, so its frequency is read from the list directly.
"""

from __future__ import annotations

import functools
import math

from wordfreq import get_frequency_dict


@functools.cache
def _frequencies() -> dict[str, float]:
    """wordfreq's small Japanese list: the 30,000 words of frequency 10⁻⁶ and more (10 ms to load)."""
    return get_frequency_dict("ja", wordlist="small")


def zipf(word: str) -> float:
    """``word``'s Zipf frequency (log10 of occurrences per billion words): 7 for the commonest
    words, 3 for one in a million; 0 for a word rarer than the list holds."""
    frequency = _frequencies().get(word)
    return math.log10(frequency) + 9 if frequency else 0.0
