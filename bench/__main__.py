"""Run every `bench/bench_*.py` module's `main()`; print and save the JSON lines.

Each `main()` returns result dicts `{"bench", "value", "unit", "target", "ok"}`
(DESIGN.md, "Benchmarks"); the whole run is written to bench/results/latest.jsonl.
"""

import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "latest.jsonl"


def main() -> int:
    # The real PostgreSQL and Redis of the machine, as the tests use them.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "structure_cloud.settings_test")
    import django

    django.setup()
    only = set(sys.argv[1:])
    lines: list[dict[str, Any]] = []
    package = Path(__file__).resolve().parent
    for info in sorted(pkgutil.iter_modules([str(package)]), key=lambda m: m.name):
        if not info.name.startswith("bench_") or (only and info.name not in only):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        for result in module.main():
            print(json.dumps(result), flush=True)
            lines.append(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return 0 if all(line.get("ok", True) is not False for line in lines) else 1


if __name__ == "__main__":
    raise SystemExit(main())
