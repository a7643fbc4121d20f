"""`pieuvre bench report` at a tiny size: it loads, measures the three endpoints and prints their numbers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import BACKEND, PG_ADMIN_URL, REDIS_URL

SIZES = {"locations": 20, "proposals": 200, "snapshots": 1000}


@pytest.mark.postgres_only
@pytest.mark.skipif(BACKEND != "postgres", reason="the bench loads PostgreSQL with COPY")
def test_bench_report_prints_every_number_and_no_error():
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "bench", "report", *(f"--{name}={value}" for name, value in SIZES.items()),
         "--seconds=1", "--clients=4", "--database=pieuvre_bench_report_smoke", f"--pg={PG_ADMIN_URL}",
         f"--redis={REDIS_URL}"],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)

    assert result["sizes"] == {**SIZES, "campaigns": 10}
    assert result["load"]["rows"]["locations"] == 20
    assert result["load"]["rows"]["proposals"] == 200
    assert result["load"]["rows"]["stat_snapshots"] == 1000
    assert result["load"]["rows"]["publications"] > 0
    assert result["load"]["rows"]["account_days"] > 0
    assert result["scoreboard_refresh_s"] > 0
    assert result["campaign_figures_computed"] == 10 and result["campaign_figures_refresh_s"] > 0
    assert result["floor"]["path"] == "/healthz"
    assert result["campaign_report"]["path"] == "/api/v1/campaigns/{id}/report"
    assert result["network_page"]["path"] == "/network/stats"
    for name in ("floor", "campaign_report", "network_page"):
        row = result[name]
        assert row["errors"] == 0, row.get("error_samples")
        assert row["requests"] > 0 and row["rps"] > 0
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"]
    assert result["campaign_report"]["p95_over_floor"] > 0
    assert result["passed"] in (True, False)
    assert result["machine"]["cores"] >= 1
