"""`pieuvre up --demo` on a fresh folder: SQLite, embedded Redis, web and worker in one command."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hub.demo import DEMO_PASSWORD, HQ_EMAIL, local_email

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds}s")


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _children(pid: int) -> list[int]:
    output = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in output.split()]


@pytest.fixture
def pieuvre_up(tmp_path):
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIEUVRE_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "up", "--demo", "--port", str(port)],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        # The demo seeds six months of history before serving: seconds on an idle machine, more on a busy one.
        _wait(f"http://127.0.0.1:{port}/healthz", 120)
        yield process, f"http://127.0.0.1:{port}", tmp_path
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def test_one_command_runs_the_whole_cycle_with_the_demo(pieuvre_up):
    process, base, folder = pieuvre_up
    assert (folder / "var" / "pieuvre.db").exists()
    [worker] = _children(process.pid)

    with httpx.Client(base_url=base, timeout=10) as client:
        token = client.post("/api/v1/auth/token", json={"email": HQ_EMAIL, "password": DEMO_PASSWORD}).json()["token"]
        hq = {"Authorization": f"Bearer {token}"}
        locations = client.get("/api/v1/locations", headers=hq).json()
        assert len(locations) == 31
        assert {location["locale"] for location in locations} == {"fr-FR", "fr-BE", "de-DE", "es-ES", "ar-AE"}
        # The current campaign comes first (newest), after six months of past ones.
        campaign, *past = client.get("/api/v1/campaigns", headers=hq).json()
        assert campaign["name"] == "Printemps en selle" and len(past) == 13
        [post] = client.get(f"/api/v1/campaigns/{campaign['id']}/posts", headers=hq).json()
        distribution_id = client.post(f"/api/v1/posts/{post['id']}/distribute", headers=hq).json()["distribution_id"]
        deadline = time.monotonic() + 30
        while (state := client.get(f"/api/v1/distributions/{distribution_id}", headers=hq).json())["status"] != "done":
            assert time.monotonic() < deadline, state
            time.sleep(0.3)
        assert (state["done"], state["total"]) == (31, 31)

        token = client.post("/api/v1/auth/token", json={"email": local_email("DE-BER"), "password": DEMO_PASSWORD}).json()["token"]
        local = {"Authorization": f"Bearer {token}"}
        [proposal] = client.get("/api/v1/proposals", params={"campaign_id": campaign["id"]}, headers=local).json()
        assert "Berlin" in proposal["texts"]["facebook"]
        assert client.get(f"/api/v1/proposals/{proposal['id']}", headers=local).json()["locale"] == "de-DE"
        # The demo has no Arabic translation: Dubai's distributor is asked for one, nothing goes out in French.
        token = client.post("/api/v1/auth/token", json={"email": local_email("AE-DXB"), "password": DEMO_PASSWORD}).json()["token"]
        [waiting] = client.get("/api/v1/proposals", params={"campaign_id": campaign["id"]},
                               headers={"Authorization": f"Bearer {token}"}).json()
        assert (waiting["status"], waiting["texts"]) == ("needs_translation", {})
        assert client.post(f"/api/v1/proposals/{proposal['id']}/approve", headers=local).status_code == 200
        deadline = time.monotonic() + 30
        while True:
            publications = client.get("/api/v1/publications", params={"proposal_id": proposal["id"]}, headers=local).json()
            if publications and all(item["status"] == "published" for item in publications):
                break
            assert time.monotonic() < deadline, publications
            time.sleep(0.5)
        assert sorted(item["network"] for item in publications) == ["facebook", "instagram", "linkedin"]

        # The network page is filled at first start (the demo's history, on SQLite).
        board = client.get("/api/v1/reports/network", headers=hq).json()
        assert len([month for month in board["adoption_by_month"] if month["publication_rate"]]) >= 6
        assert board["top_posts"] and board["top_locations"] and board["silent_arms"]

    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert HQ_EMAIL in output and base in output
    redis_pid = int(re.search(r"Embedded Redis \(pid (\d+)\)", output).group(1))
    time.sleep(1)
    alive = [pid for pid in (worker, redis_pid) if _running(pid)]
    assert alive == [], "the worker or the embedded Redis outlived pieuvre up"
