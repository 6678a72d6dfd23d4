"""The golden evaluation on the shipped corpus, in CI: fails when any figure drops below its threshold."""

from __future__ import annotations

from assistant.evaluation import DEFAULT_GOLDEN, THRESHOLDS, failures, load_golden, run_eval


def test_golden_set_shape():
    golden = load_golden(DEFAULT_GOLDEN)
    single = golden["single"]
    assert len(single) >= 80
    assert sum(1 for q in single if q.get("answerable") is False) >= 10
    assert len(golden["multi"]) >= 10


def test_golden_figures_hold(engine):
    result = run_eval(engine, DEFAULT_GOLDEN)
    m = result["metrics"]
    assert m["questions"] == len(result["questions"]) > 150
    assert not failures(result), (failures(result), m)
    assert set(THRESHOLDS) <= set(m)
