"""How the evaluation and the benchmarks leave their figures: `NAME.json` (the numbers) and
`NAME.md` (the table a person reads, also printed) in one folder, by default `eval/results/`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_report(out: Path, name: str, figures: dict[str, Any], text: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / f"{name}.md").write_text(text, encoding="utf-8")
    print(text)
