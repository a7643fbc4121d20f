"""Running the real worker in tests: a burst arq Worker on the test Redis, or `pieuvre worker` processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from workers.settings import run_workers

ROOT = Path(__file__).resolve().parents[2]


async def run_burst_worker(settings, **overrides: Any) -> None:
    """Run queued jobs (main and render queues) until both are empty, with no cron job (tests call those)."""
    await run_workers(settings.redis_url, burst=True, cron_jobs=[], poll_delay=0.05, **overrides)


def worker_context(database, settings, pool=None) -> dict[str, Any]:
    """The ctx an arq job receives, for calling a task function directly."""
    return {"database": database, "settings": settings, "redis": pool}


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """A `pieuvre worker` process (cron jobs included) with this environment, its output appended to `log`."""
    with open(log, "ab") as output:
        return subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], cwd=ROOT, env=env, stdout=output,
                                stderr=subprocess.STDOUT)


def stop_worker(process: subprocess.Popen) -> None:
    """Stop a worker process the way a deployment does (SIGTERM), killing it if it does not stop."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tail(path: Path, lines: int = 60) -> str:
    """The end of a log file (for a failing test's message)."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""
