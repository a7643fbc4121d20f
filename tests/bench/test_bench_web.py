"""`pieuvre bench web` at a tiny size: it loads, measures the location and HQ pages and prints their numbers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import BACKEND, PG_ADMIN_URL, REDIS_URL

SIZES = {"locations": 20, "proposals": 200, "snapshots": 1000}
PAGES = {"inbox": "/inbox", "proposal_page": "/proposals/{id}", "approval_matrix": "/campaigns/{id}/matrix",
         "campaign_page": "/campaigns/{id}", "campaign_report_api": "/api/v1/campaigns/{id}/report"}


@pytest.mark.postgres_only
@pytest.mark.skipif(BACKEND != "postgres", reason="the bench loads PostgreSQL with COPY")
def test_bench_web_prints_every_page_and_no_error():
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "bench", "web", *(f"--{name}={value}" for name, value in SIZES.items()),
         "--seconds=4", "--clients=4", "--managers=5", "--no-reuse", "--database=pieuvre_bench_web_smoke",
         f"--pg={PG_ADMIN_URL}", f"--redis={REDIS_URL}"],
        capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)

    assert result["sizes"] == {**SIZES, "campaigns": 10}
    assert result["database"]["rows"]["proposals"] == 200
    assert result["managers"] == {"logged_in": 5, "proposals_in_inbox": [10]}
    assert result["floor"]["path"] == "/healthz"
    for name, path in PAGES.items():
        row = result[name]
        assert row["path"] == path
        assert row["errors"] == 0, row.get("error_samples")
        assert row["requests"] > 0 and row["rps"] > 0
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"]
        assert row["p95_over_floor"] > 0
        assert row["goal_p95_ms"] == (50.0 if name in ("inbox", "proposal_page") else 250.0)
        assert row["goal_met"] == (row["p95_ms"] <= row["goal_p95_ms"])
    assert result["passed"] == all(result[name]["goal_met"] for name in PAGES)
