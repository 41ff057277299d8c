"""Keyword search latency on the plans cut into ~1,000 line chunks (not a test).

    .venv/bin/python eval/bench_keyword.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.keyword import KeywordIndex  # noqa: E402

QUERIES = [
    "短期借入金の限度額はいくらですか",
    "留学生の受け入れについて何と書いてある？",
    "GPA制度の導入",
    "SDGsへの取組",
    "B-U-Bモデル",
    "国際共同研究の推進",
    "e-learningを活用した教育システム",
    "TA、RAの配置",
    "21世紀COEプログラム",
    "重要な財産を譲渡する計画",
    "剰余金の使途",
    "教員の人事評価システム",
]


def main() -> None:
    lines = []
    for path in sorted((ROOT / "plans").glob("*.txt")):
        lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    # Pairs of lines, repeated up to ~1,000 chunks.
    chunks = ["\n".join(lines[i : i + 2]) for i in range(0, len(lines), 2)]
    while len(chunks) < 1000:
        chunks += chunks[: 1000 - len(chunks)]
    ids = [f"c{i}" for i in range(len(chunks))]

    start = time.perf_counter()
    index = KeywordIndex.build(ids, chunks)
    print(f"build: {len(chunks)} chunks in {time.perf_counter() - start:.2f} s")

    for query in QUERIES:  # warm up (Sudachi dictionary, numpy)
        index.search(query)
    times = []
    for _ in range(20):
        for query in QUERIES:
            t = time.perf_counter()
            index.search(query, k=20)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"search: {len(times)} queries, p50 {statistics.median(times):.2f} ms, p95 {p95:.2f} ms, max {times[-1]:.2f} ms")


if __name__ == "__main__":
    main()
