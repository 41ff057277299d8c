"""Token counting with tiktoken's o200k_base, offline.

tiktoken downloads its encoding files on first use, which fails on a machine without
internet, so the file ships as package data and tiktoken is pointed at it unless the user
chose a cache folder of their own (TIKTOKEN_CACHE_DIR).
"""

import os
from functools import lru_cache
from pathlib import Path

import tiktoken

ENCODING = "o200k_base"
DATA_DIR = Path(__file__).parent / "data" / "tiktoken"


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(DATA_DIR))
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))
