"""`python -m gaveurs …`: database migrations, demo data, Temporal namespace set-up, schedules."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from gaveurs.settings import get_settings


def db_upgrade(args: argparse.Namespace) -> None:
    from gaveurs.db.migrate import upgrade

    upgrade(args.database_url)
    print(f"schema at head on {args.database_url.split('@')[-1]}")


def demo_load(args: argparse.Namespace) -> None:
    from gaveurs.db.migrate import upgrade
    from gaveurs.db.session import make_engine
    from gaveurs.farm.generator import generate_farm
    from gaveurs.farm.loader import FarmNotEmpty, farm_is_empty, load_farm

    upgrade(args.database_url)
    engine = make_engine(args.database_url)
    try:
        if args.if_empty and not farm_is_empty(engine):
            print("farm database already holds lots: nothing loaded")
            return
        started = time.perf_counter()
        data = generate_farm(args.size, seed=args.seed)
        generated = time.perf_counter() - started
        try:
            report = load_farm(engine, data)
        except FarmNotEmpty as error:
            raise SystemExit(f"{error} (or pass --if-empty)") from None
        counts = ", ".join(f"{name} {rows:,}" for name, rows in report.rows.items())
        print(
            f"loaded the {args.size} farm in {time.perf_counter() - started:.1f}s "
            f"(generated {generated:.1f}s, loaded {report.seconds:.1f}s): {counts}"
        )
    finally:
        engine.dispose()


def demo_truths(args: argparse.Namespace) -> None:
    from gaveurs.farm.generator import generate_farm

    truths = generate_farm(args.size, seed=args.seed).truths
    json.dump(truths.as_json(), sys.stdout, indent=2, ensure_ascii=False)
    print()


def temporal_register(args: argparse.Namespace) -> None:
    from gaveurs.temporal_client import connect, register_search_attributes
    from gaveurs.temporal_server import wait_until_serving

    settings = get_settings()

    async def register() -> list[str]:
        if args.wait:
            await wait_until_serving(settings.temporal_address, settings.temporal_namespace, timeout=300)
        return await register_search_attributes(await connect(settings))

    added = asyncio.run(register())
    print(f"registered: {', '.join(added)}" if added else "search attributes already registered")


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m gaveurs", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="command")

    db = commands.add_parser("db", help="schema migrations").add_subparsers(required=True, metavar="action")
    upgrade = db.add_parser("upgrade", help="migrate the farm database to the latest schema")
    upgrade.add_argument("--database-url", default=settings.database_url)
    upgrade.set_defaults(run=db_upgrade)

    demo = commands.add_parser("demo", help="synthetic farm data").add_subparsers(
        required=True, metavar="action"
    )
    load = demo.add_parser("load", help="migrate, then load the generated farm")
    load.add_argument("--size", choices=["demo", "small"], default="demo")
    load.add_argument("--seed", type=int, default=2026)
    load.add_argument("--if-empty", action="store_true", help="load only into a database without lots")
    load.add_argument("--database-url", default=settings.database_url)
    load.set_defaults(run=demo_load)
    truths = demo.add_parser("truths", help="print what the generator plants, as JSON")
    truths.add_argument("--size", choices=["demo", "small"], default="demo")
    truths.add_argument("--seed", type=int, default=2026)
    truths.set_defaults(run=demo_truths)

    temporal = commands.add_parser("temporal", help="Temporal namespace set-up").add_subparsers(
        required=True, metavar="action"
    )
    register = temporal.add_parser("register-search-attributes", help="add TaskName, Queue, LotId, SiteCode")
    register.add_argument("--wait", action="store_true", help="wait (up to 5 min) for the server first")
    register.set_defaults(run=temporal_register)

    from gaveurs.schedules.cli import add_commands as add_schedule_commands

    add_schedule_commands(commands)

    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
