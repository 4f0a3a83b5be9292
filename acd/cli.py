"""The ``acd`` command: run the daemon, the simulator, the demo, and the admin tasks.

Every subcommand stores an ``async def func(args, settings) -> int`` in ``args.func``; ``main``
loads the settings, configures logging and runs it. Secrets (passwords) are never taken from argv.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from pydantic import ValidationError

from acd.config import Settings, load_settings
from acd.eventloop import loop_factory
from acd.logging import configure_logging, get_logger
from acd.store import admin

log = get_logger(__name__)

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


async def wait_for_signal() -> None:
    """Until SIGTERM or SIGINT: the daemon then drains instead of dying mid-write."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from acd.service import run_service

    await run_service(settings, wait_for_signal())
    return 0


async def cmd_sim(args: argparse.Namespace, settings: Settings) -> int:
    from acd.sim.server import run_standalone

    await run_standalone(
        host=args.host,
        port=args.port,
        app=settings.ari.app,
        username=settings.ari.username,
        password=settings.ari.password.get_secret_value(),
        seed=args.seed,
        agents=args.agents,
        rate=args.rate,
        queues=[q.name for q in settings.queues],
        stop=wait_for_signal(),
    )
    return 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from acd.demo import run_demo

    return await run_demo(settings, args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acd", description="An automatic call distributor for Asterisk (ARI)."
    )
    parser.add_argument("--config", help="TOML config file (default: $ACD_CONFIG or ./acd.toml)")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    parser.add_argument("--log-format", choices=["auto", "json", "console"])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run", help="run the daemon against an Asterisk (ARI URL, user, password, app from config)"
    )
    run.set_defaults(func=cmd_run)

    sim = sub.add_parser("sim", help="run the PBX simulator (ARI on loopback) standalone")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8088)
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--agents", type=int, default=3, help="simulated agent phones PJSIP/agent1..N")
    sim.add_argument("--rate", type=float, default=0.0, help="scripted callers per second (0: none)")
    sim.set_defaults(func=cmd_sim)

    demo = sub.add_parser("demo", help="the whole product against the simulator, no Asterisk needed")
    demo.add_argument("--port", type=int, default=8080, help="web port of the agent page and wallboard")
    demo.add_argument("--rate", type=float, default=0.3, help="new calls per second")
    demo.add_argument("--agents", type=int, default=6)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument(
        "--duration", type=float, default=0.0, help="stop after this many seconds (0: until Ctrl-C)"
    )
    demo.set_defaults(func=cmd_demo)

    admin.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    overrides: dict[str, Any] = {}
    if args.config:
        import os

        os.environ["ACD_CONFIG"] = args.config
    try:
        settings = load_settings(**overrides)
    except ValidationError as exc:
        print(f"acd: invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    configure_logging(args.log_level or settings.log.level, args.log_format or settings.log.format)
    handler: Handler = args.func
    try:
        with asyncio.Runner(loop_factory=loop_factory(settings.event_loop)) as runner:
            return runner.run(handler(args, settings))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
