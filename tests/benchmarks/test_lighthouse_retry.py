"""`make bench`'s Lighthouse step when Lighthouse itself fails a run (NO_NAVSTART: its trace went
wrong, not the page): the run is tried again, and a run that fails every attempt is written into the
report as not measured instead of stopping the benchmarks.

NO_NAVSTART cannot be provoked on demand in a real Chromium, so the Lighthouse command here is a
stand-in script that answers as Lighthouse 12.2.3 does (the same JSON fields, a `runtimeError`
object on failure) from a list of outcomes; everything else (the attempts, the kept files, the
report) is the benchmark's own code. The CPU window asks the real test database for its sessions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.benchmarks import lighthouse as bench

NO_NAVSTART = {"code": "NO_NAVSTART", "message": "Something went wrong with recording the trace over your page "
                                                 "load. Please run Lighthouse again. (NO_NAVSTART)"}
URL = "http://127.0.0.1:9/initiatieven"


def lighthouse_report(url: str, runtime_error: dict[str, str] | None = None) -> dict:
    """The fields of a Lighthouse 12 JSON report that the benchmark reads."""
    scores = {"performance": 0.97, "accessibility": 1, "best-practices": 0.96, "seo": 1}
    if runtime_error:  # as Lighthouse writes it: the scores of the trace's audits are null
        scores["performance"] = None
    figure = {"numericValue": None, "errorMessage": runtime_error["message"]} if runtime_error else None
    return {
        "lighthouseVersion": "12.2.3", "finalDisplayedUrl": url, "environment": {"benchmarkIndex": 2400},
        **({"runtimeError": runtime_error} if runtime_error else {}),
        "categories": {name: {"score": score, "auditRefs": [{"id": "errors-in-console"}] if name == "best-practices"
                              else []} for name, score in scores.items()},
        "audits": {
            "errors-in-console": {"score": 0, "scoreDisplayMode": "binary"},
            "total-blocking-time": figure or {"numericValue": 12.5},
            "cumulative-layout-shift": figure or {"numericValue": 0.002},
            "total-byte-weight": figure or {"numericValue": 95_000},
            "largest-contentful-paint": figure or {"numericValue": 2_050},
            "first-contentful-paint": figure or {"numericValue": 1_500},
        },
    }


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Make the benchmark call a stand-in Lighthouse that gives, call by call, the outcomes asked
    for: "ok", "no-navstart" (a report with NO_NAVSTART) or "crash" (exit 1, no report)."""
    outcomes = tmp_path / "outcomes.json"
    script = tmp_path / "lighthouse"
    script.write_text(f"""#!{sys.executable}
import json, sys
from pathlib import Path
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
from tests.benchmarks.test_lighthouse_retry import lighthouse_report, NO_NAVSTART
if sys.argv[1] == "--version":
    print("12.2.3"); sys.exit(0)
queue = Path({str(outcomes)!r})
outcomes = json.loads(queue.read_text())
outcome = outcomes.pop(0)
queue.write_text(json.dumps(outcomes))
output = next(arg.split("=", 1)[1] for arg in sys.argv if arg.startswith("--output-path="))
if outcome == "crash":
    print("Runtime error encountered: PROTOCOL_TIMEOUT", file=sys.stderr); sys.exit(1)
report = lighthouse_report(sys.argv[1], NO_NAVSTART if outcome == "no-navstart" else None)
Path(output).write_text(json.dumps(report))
sys.exit(1 if outcome != "ok" else 0)
""")
    script.chmod(0o755)
    monkeypatch.setattr(bench, "LIGHTHOUSE", script)
    monkeypatch.setattr(bench, "RETRY_PAUSE", 0)

    def give(*answers: str) -> Path:
        outcomes.write_text(json.dumps(list(answers)))
        return outcomes

    return give


def test_a_run_that_lighthouse_fails_is_tried_again_and_measured(db, stand_in, tmp_path: Path):
    outcomes = stand_in("no-navstart", "crash", "ok")
    page = bench.Page("list", "/initiatieven")
    output = tmp_path / "list-100000-1.json"

    run = bench.attempted_run(URL, output, None, 3, page)

    assert run is not None
    assert (run.performance, run.accessibility, run.best_practices, run.seo) == (97, 100, 96, 100)
    assert (run.tbt_ms, run.cls, run.bytes, run.lcp_ms, run.fcp_ms) == (12.5, 0.002, 95_000, 2_050, 1_500)
    assert run.failing == ["errors-in-console"]
    assert run.attempts == 3
    assert json.loads(outcomes.read_text()) == []  # three calls, no more
    assert page.retried == [
        f"list-100000-1, attempt 1 of 3: NO_NAVSTART: {NO_NAVSTART['message']}",
        "list-100000-1, attempt 2 of 3: exit 1, no report: Runtime error encountered: PROTOCOL_TIMEOUT",
    ]
    assert page.failures == []
    # The run's own file is the good one; the failed attempt's report is kept beside it.
    assert json.loads(output.read_text())["audits"]["total-blocking-time"] == {"numericValue": 12.5}
    assert json.loads((tmp_path / "list-100000-1.failed-1.json").read_text())["runtimeError"] == NO_NAVSTART
    assert sorted(path.name for path in tmp_path.glob("list-*")) == ["list-100000-1.failed-1.json",
                                                                     "list-100000-1.json"]


def test_a_run_that_fails_every_attempt_is_not_measured_and_the_report_says_so(db, stand_in, tmp_path: Path):
    stand_in("ok", "no-navstart", "no-navstart", "ok")
    statistics = bench.Page("statistics", "/statistieken")
    monitor = bench.Page("monitor", "/monitor/2026")

    first = bench.attempted_run(URL, tmp_path / "statistics-100000-1.json", None, 1, statistics)
    second = bench.attempted_run(URL, tmp_path / "statistics-100000-2.json", None, 2, statistics)
    statistics.runs = [run for run in (first, second) if run]
    monitor.failures.append("/monitor/2026 answered 500")
    text = bench.report(100_000, [statistics, monitor], 10_000, None, 2, attempts=2)

    assert second is None
    assert not (tmp_path / "statistics-100000-2.json").exists()
    assert "| statistics (1 of 2 runs) | `/statistieken` | 97 | 12 | 0.002 | 95 | 2.0 | 100 | 96 | 100 |" in text
    assert "| monitor | `/monitor/2026` | **not measured** | – | – | – | – | – | – | – | – | – |" in text
    assert "| monitor | accessibility 100 | not measured | **NOT met** |" in text
    assert "| statistics | accessibility 100 | 100 | met |" in text
    failures = text[text.index("## Lighthouse's failures"):].split("\n\n")[2].splitlines()
    assert failures == [
        f"- statistics: statistics-100000-2, attempt 1 of 2: NO_NAVSTART: {NO_NAVSTART['message']} (tried again)",
        f"- statistics: statistics-100000-2, attempt 2 of 2: NO_NAVSTART: {NO_NAVSTART['message']} "
        "(**not measured**)",
        "- monitor: /monitor/2026 answered 500 (**not measured**)",
    ]
    assert "All targets: **NOT met**." in text


def test_the_map_at_the_smaller_size_failing_leaves_the_comparison_out_not_the_report(db, stand_in, tmp_path: Path):
    stand_in("ok")
    page = bench.Page("map", "/")
    page.runs.append(bench.attempted_run(URL.replace("/initiatieven", "/"), tmp_path / "map-1.json", None, 3, page))

    text = bench.report(100_000, [page], 10_000, None, 1, attempts=3,
                        small_failure="the run in map10k_bench stopped (exit 1; its output is above)")

    assert "| map | performance ≥ 90 | 97 | met |" in text
    assert ("- the map page at 10,000: the run in map10k_bench stopped (exit 1; its output is above) "
            "(**not measured**)") in text
    assert "Not compared: the map page was not measured at both sizes (see Lighthouse's failures)." in text
    assert "All targets: **NOT met**." in text
