"""`afterschool`: mint dev tokens, serve one service, run all-in-one, or run the demo school day."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from pathlib import Path

from chassis.auth import Role, mint_token
from chassis.logs import configure_logging
from chassis.settings import PLACEHOLDER_SECRET


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `afterschool` command."""
    args = _parser().parse_args(argv)
    return int(args.run(args) or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="afterschool", description=__doc__)
    commands = parser.add_subparsers(required=True)

    token = commands.add_parser("token", help="mint a development token (HS256)")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--school", help="school id (required for every role but district_operator)")
    token.add_argument("--district", help="district id (district_operator)")
    token.add_argument("--subject", required=True, help="user, guardian or device id")
    token.add_argument("--hours", type=float, default=12.0)
    token.set_defaults(run=_token)

    key = commands.add_parser("field-key", help="print a new field key for <SERVICE>_FIELD_KEYS (PIPL, AES-256)")
    key.add_argument("id", help="the key's id, e.g. the year: k2027 (put the new item first, then restart)")
    key.set_defaults(run=_field_key)

    serve = commands.add_parser("serve", help="run one service, or the web pages (settings from <SERVICE>_*, WEB_*)")
    serve.add_argument("service", choices=["enrollment", "attendance", "homework", "stipend", "notify", "web"])
    _server_options(serve, port=8000)
    serve.set_defaults(run=_serve)

    up = commands.add_parser("up", help="all five services in one process, SQLite, in-process bus")
    _server_options(up, port=8000)
    up.add_argument("--data", type=Path, default=Path("data/embedded"), help="folder for the SQLite files")
    up.set_defaults(run=_up)

    migrate = commands.add_parser(
        "migrate", help="bring a service's schema to this release (settings from <SERVICE>_*, the schema owner's URL)"
    )
    migrate.add_argument("service", choices=["enrollment", "attendance", "homework", "stipend", "notify"])
    migrate.add_argument("--grant-to", metavar="ROLE", help="PostgreSQL: let this role (the app's) read and write it")
    migrate.set_defaults(run=_migrate)

    dead = commands.add_parser("replay-dead-letters", help="send a service's dead letters back to their topics")
    dead.add_argument("service", choices=["enrollment", "attendance", "homework", "stipend", "notify"])
    dead.add_argument("--limit", type=int, default=10_000)
    dead.set_defaults(run=_replay_dead_letters)

    demo = commands.add_parser("demo", help="all-in-one with a seeded demo district and an afternoon of check-ins")
    _server_options(demo, port=8000)
    demo.add_argument("--data", type=Path, default=Path("data/demo"), help="folder for the SQLite files (wiped)")
    demo.add_argument("--exit", action="store_true", help="stop after the replay instead of serving on")
    demo.set_defaults(run=_demo)
    return parser


def _server_options(parser: argparse.ArgumentParser, *, port: int) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--log-level", help="overrides the service's <SERVICE>_LOG_LEVEL (all-in-one: WARNING)")


def dev_secret() -> str:
    """The HS256 secret shared by the CLI and the embedded services in development."""
    return os.environ.get("AFTERSCHOOL_JWT_SECRET", PLACEHOLDER_SECRET)


def _token(args: argparse.Namespace) -> int:
    if args.role != Role.DISTRICT_OPERATOR and not args.school:
        print("--school is required for this role", file=sys.stderr)
        return 2
    from datetime import timedelta

    print(
        mint_token(
            secret=dev_secret(),
            role=args.role,
            subject=args.subject,
            school_id=args.school,
            district_id=args.district,
            ttl=timedelta(hours=args.hours),
        )
    )
    return 0


def _field_key(args: argparse.Namespace) -> int:
    from chassis.crypto import new_field_key, parse_field_keys

    item = new_field_key(args.id)
    try:
        parse_field_keys(item)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(item)
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from afterschool.catalog import definition as service_definition

    sock = _listening(args, f"afterschool serve {args.service}")
    if sock is None:
        return 2
    if args.service == "web":
        from web.app import create_web_app

        configure_logging(args.log_level or "INFO")
        web = uvicorn.Config(create_web_app(), host=args.host, port=args.port, log_config=None, access_log=False)
        uvicorn.Server(web).run(sockets=[sock])
        return 0
    definition = service_definition(args.service)
    settings = definition.settings_class()
    configure_logging(args.log_level or settings.log_level)
    app = definition.create_app(settings)
    # Keep-alive longer than a load balancer's idle timeout, so the server is never the one to close first.
    config = uvicorn.Config(
        app, host=args.host, port=args.port, log_config=None, access_log=False, loop="uvloop", timeout_keep_alive=75
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0 if server.started else 3  # a start the lifespan refused (its error is logged) is a failed process


def _up(args: argparse.Namespace) -> int:
    import uvicorn

    from afterschool.embedded import AllInOne

    sock = _listening(args, "afterschool up")
    if sock is None:
        return 2
    configure_logging(args.log_level or "WARNING")
    print(f"afterschool all-in-one on http://{args.host}:{args.port}/  (SQLite files in {args.data})")
    app = AllInOne(args.data, jwt_secret=dev_secret())
    uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_config=None, access_log=False)).run(
        sockets=[sock]
    )
    return 0


def _listening(args: argparse.Namespace, command: str) -> socket.socket | None:
    """The bound socket, or None after one line on stderr saying what to do."""
    from afterschool.ports import PortUnavailable, listen

    try:
        return listen(args.host, args.port, command=command)
    except PortUnavailable as error:
        print(f"afterschool: {error}", file=sys.stderr)
        return None


def _migrate(args: argparse.Namespace) -> int:
    from afterschool.catalog import definition as service_definition
    from chassis.db import Database, wait_for

    definition = service_definition(args.service)
    database = Database(definition.settings_class().database_url, pool_size=1, max_overflow=0)

    async def migrate() -> tuple[str | None, str | None]:
        try:
            await wait_for(database)
            before, _head = await database.revisions(definition.migrations)
            await database.migrate(definition.migrations)
            if args.grant_to:
                await database.grant_data_rights(args.grant_to)
            after, _head = await database.revisions(definition.migrations)
            return before, after
        finally:
            await database.dispose()

    before, after = asyncio.run(migrate())
    print(f"{args.service}: schema at revision {after}" + ("" if before == after else f" (was {before})"))
    return 0


def _replay_dead_letters(args: argparse.Namespace) -> int:
    from afterschool.catalog import definition as service_definition
    from chassis.bus import build_bus
    from chassis.deadletters import replay_dead_letters

    settings = service_definition(args.service).settings_class()
    bus = build_bus(settings)

    async def replay() -> int:
        await bus.start()
        try:
            return await replay_dead_letters(bus, args.service, limit=args.limit)
        finally:
            await bus.stop()

    print(f"replayed {asyncio.run(replay())} dead letters of {args.service}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from afterschool.demo import run_demo
    from afterschool.ports import PortUnavailable

    configure_logging(args.log_level or "WARNING")
    try:
        return asyncio.run(run_demo(args.data, host=args.host, port=args.port, keep_serving=not args.exit))
    except PortUnavailable as error:
        print(f"afterschool: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
