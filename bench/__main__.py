"""Run every ``bench/bench_*.py`` module's ``main()``; print and save its JSON lines.

Each ``main()`` returns a list of result dicts
(``{"bench", "value", "unit", "target", "ok"}``, see DESIGN.md); the whole run is also
written to ``bench/results/latest.jsonl``.
"""

import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path
from typing import Any

import django


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
    django.setup()
    here = Path(__file__).resolve().parent
    results: list[dict[str, Any]] = []
    only = sys.argv[1:]
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
        if not info.name.startswith("bench_") or (only and info.name not in only):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        for result in module.main():
            print(json.dumps(result), flush=True)
            results.append(result)
    out = here / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in results))
    return 0 if all(r.get("ok", True) for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
