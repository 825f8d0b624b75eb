"""Run every `bench/bench_*.py` module's `main()`; write the JSON lines to
`bench/results/latest.jsonl` as well as printing them."""

from __future__ import annotations

import importlib
import io
import os
import pkgutil
import sys
from pathlib import Path
from typing import TextIO

import django

RESULTS = Path(__file__).resolve().parent / "results" / "latest.jsonl"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "structure_cloud.settings_test")
    django.setup()
    only = sys.argv[1:]
    lines: list[str] = []
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)])):
        if not module.name.startswith("bench_"):
            continue
        if only and module.name not in only:
            continue
        captured = io.StringIO()
        real = sys.stdout
        sys.stdout = _Tee(real, captured)
        try:
            importlib.import_module(f"bench.{module.name}").main()
        finally:
            sys.stdout = real
        lines += [ln for ln in captured.getvalue().splitlines() if ln.startswith("{")]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("".join(f"{ln}\n" for ln in lines))


class _Tee(io.TextIOBase):
    def __init__(self, *streams: TextIO) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for s in self.streams:
            s.write(text)
        return len(text)

    def flush(self) -> None:
        for s in self.streams:
            s.flush()


if __name__ == "__main__":
    main()
