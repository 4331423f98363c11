"""docs/capacity.md's table is bench/capacity.py's arithmetic on the figures
committed in bench/results.json (issue 16, « Capacity »): a benchmark run
that changes them without the document following fails here
(`python bench/capacity.py --write` brings it back in line)."""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def capacity() -> ModuleType:
    spec = importlib.util.spec_from_file_location("capacity", ROOT / "bench" / "capacity.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["capacity"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_documents_table_is_the_measured_figures_arithmetic() -> None:
    model = capacity()
    measured = model.Measured.from_results(json.loads((ROOT / "bench" / "results.json").read_text()))
    doc = (ROOT / "docs" / "capacity.md").read_text(encoding="utf-8")
    shown = doc[doc.index(model.BEGIN) + len(model.BEGIN) : doc.index(model.END)].strip()
    assert shown == model.table(measured)


def test_more_candidates_never_need_fewer_machines() -> None:
    model = capacity()
    measured = model.Measured.from_results(json.loads((ROOT / "bench" / "results.json").read_text()))
    days = [model.plan(measured, n) for n in (1_000, 10_000, 50_000, 200_000, 400_000)]
    for smaller, larger in itertools.pairwise(days):
        assert larger.app_servers >= smaller.app_servers and larger.workers >= smaller.workers
        assert larger.db_cores > smaller.db_cores and larger.db_gb > smaller.db_gb
    assert all(day.app_servers >= 3 for day in days), "two serving, one spare, at least"
    # 200,000 candidates answering every 45 s are 4,444 answers per second and 20,000 status polls
    assert round(days[3].answers_per_s) == 4444 and round(days[3].polls_per_s) == 20000
