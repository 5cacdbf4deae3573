"""``mre bench NAME``: measure speed and memory; each benchmark lives in ``mre_crawler.benchmarks``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil


def register(sub: argparse._SubParsersAction) -> None:
    import mre_crawler.benchmarks as pkg

    p = sub.add_parser("bench", help="measure speed and memory (prints a table)")
    bench_sub = p.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    bench_sub.required = True
    for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if m.name.startswith("_"):
            continue
        module = importlib.import_module(f"mre_crawler.benchmarks.{m.name}")
        if hasattr(module, "register"):
            module.register(bench_sub)
