"""``holdout twin``: ``serve`` runs twins as standalone servers for software in any language;
``scaffold`` starts a new twin from an API description; ``conformance`` measures a twin against
its service's published API description; ``replay`` measures it against recorded real traffic
(vcrpy cassettes).

The ``holdout`` command calls ``register(subparsers)``; ``python -m holdout_twins.cli serve slack``
runs the same command without it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from holdout_twins import TWINS, UnknownTwin, twin_class
from holdout_twins.core import SeedError, Twin, load_seed
from holdout_twins.core.tls import LocalCA, TLSError, default_directory
from holdout_twins.scaffold import ScaffoldError, scaffold
from pytest_holdout.store.fsutil import atomic_write


class _Usage(Exception):
    """A wrongly called command: exit 2, like argparse."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``twin`` (with ``serve``) to the ``holdout`` command's subcommands."""
    parser = subparsers.add_parser(
        "twin", help="run digital twins of the services under test, or start a new one"
    )
    add_commands(parser)


def add_commands(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="twin_command", metavar="COMMAND", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve twins on 127.0.0.1 until interrupted",
        description="Serve twins on 127.0.0.1 until Ctrl-C or SIGTERM. Prints one line per "
        "twin: its name, base URL and a token to use (after --tls, a first line names the CA "
        "file to trust).",
    )
    serve.add_argument("names", nargs="+", metavar="TWIN", help=f"one of: {', '.join(TWINS)}")
    serve.add_argument(
        "--port-base",
        type=int,
        default=0,
        metavar="PORT",
        help="serve the first twin on PORT, the next on PORT+1, ... (default: free ports)",
    )
    serve.add_argument("--seed", type=int, default=0, help="seed for ids and faults (default 0)")
    serve.add_argument(
        "--seed-data",
        action="append",
        default=[],
        metavar="TWIN=FILE",
        help="start TWIN from this YAML or JSON file instead of its own seed data",
    )
    serve.add_argument(
        "--rate-limits",
        action="store_true",
        help="enforce the services' documented rate limits (off by default)",
    )
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve https with a certificate from a local CA; prints the CA file to trust first",
    )
    serve.add_argument(
        "--ca-dir",
        type=Path,
        metavar="DIR",
        help=f"keep the local CA in DIR (default {default_directory()})",
    )
    serve.set_defaults(func=serve_command)
    scaffold = commands.add_parser(
        "scaffold",
        help="write a new twin's folder from an OpenAPI 3 or Swagger 2 description",
        description="Write a twin folder in the framework's layout for the chosen operations: "
        "route stubs, request checks and response shapes from the description, and tests "
        "that fail until each stub is filled in.",
    )
    scaffold.add_argument("name", metavar="NAME", help="the twin's name (lower case: notes)")
    scaffold.add_argument(
        "--from",
        dest="description",
        required=True,
        metavar="DESCRIPTION",
        help="the service's OpenAPI 3 or Swagger 2 description (JSON or YAML)",
    )
    scaffold.add_argument(
        "--operations",
        nargs="+",
        required=True,
        metavar="OPERATION",
        help="operation ids, or 'METHOD /path', of the operations to scaffold",
    )
    scaffold.add_argument(
        "--into", default="twins", metavar="DIR", help="where the folder goes (default: twins)"
    )
    scaffold.add_argument(
        "--tests",
        default="tests/twins",
        metavar="DIR",
        help="where its tests go (default: tests/twins)",
    )
    scaffold.add_argument(
        "--package", metavar="NAME", help="its import name (default: holdout_twins.NAME)"
    )
    scaffold.add_argument("--force", action="store_true", help="replace an existing twin folder")
    scaffold.set_defaults(func=scaffold_command)
    _add_conformance(commands)
    _add_replay(commands)


def _add_conformance(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    conformance = commands.add_parser(
        "conformance",
        help="measure a twin against its service's published API description",
        description="Start the twin on 127.0.0.1 and send it requests generated from its "
        "service's published API description (OpenAPI 2 or 3, or a Google discovery document): "
        "which described operations it implements, and how many answers to valid and invalid "
        "requests match the described status codes, schemas and complete objects. Prints a "
        "table per operation and the twin's figure (the mean over its operations).",
    )
    conformance.add_argument("name", metavar="TWIN", help=f"one of: {', '.join(TWINS)}")
    conformance.add_argument(
        "--api",
        metavar="API",
        help="which API, for a twin that serves several (google: drive, docs or sheets)",
    )
    conformance.add_argument(
        "--spec",
        type=Path,
        metavar="FILE",
        help="the API description (default: the twin's file in $HOLDOUT_API_SPECS or "
        "../shared/api-specs)",
    )
    conformance.add_argument(
        "--max-examples",
        type=_positive,
        default=5,
        metavar="N",
        help="requests per operation and kind (valid, invalid); default 5",
    )
    conformance.add_argument("--seed", type=int, default=0, help="generation seed (default 0)")
    conformance.add_argument("--json", type=Path, metavar="FILE", help="also write the results")
    conformance.add_argument(
        "--min", type=float, metavar="FIGURE", help="exit 1 if the figure is below FIGURE"
    )
    conformance.set_defaults(func=conformance_command)


def _add_replay(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = commands.add_parser(
        "replay",
        help="replay recorded real traffic (vcrpy cassettes) against a twin",
        description="Send each recorded request to a fresh twin, with the twin's credentials and "
        "the recorded ids mapped to the ones the twin hands out, and report which interactions "
        "it reproduces: the same status, error code, set of keys and list members.",
    )
    replay.add_argument("name", metavar="TWIN", help=f"one of: {', '.join(TWINS)}")
    replay.add_argument("cassettes", nargs="+", type=Path, metavar="CASSETTE")
    replay.add_argument("--seed", type=int, default=0, help="the twin's seed (default 0)")
    replay.add_argument(
        "--seed-data", type=Path, metavar="FILE", help="start the twin from this seed data"
    )
    replay.add_argument("--json", type=Path, metavar="FILE", help="also write the results")
    replay.add_argument(
        "--min",
        type=float,
        default=1.0,
        metavar="FRACTION",
        help="exit 1 if fewer interactions are reproduced (default 1: all of them)",
    )
    replay.set_defaults(func=replay_command)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def serve_command(args: argparse.Namespace) -> int:
    """Start the twins, print where they are, serve until SIGINT/SIGTERM."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    running: list[Twin] = []
    try:
        running.extend(_start(args))
        if args.tls:
            ca_file = running[0].ca_file
            print(
                f"SSL_CERT_FILE={ca_file} REQUESTS_CA_BUNDLE={ca_file} HTTPLIB2_CA_CERTS={ca_file}",
                flush=True,
            )
        for twin in running:
            print(f"{twin.name} {twin.base_url} {twin.serve_credentials()}", flush=True)
        while not stop.wait(0.5):
            pass
        return 0
    except _Usage as error:
        print(f"holdout twin serve: {error}", file=sys.stderr)
        return 2
    except (UnknownTwin, SeedError, TLSError, OSError) as error:
        print(f"holdout twin serve: {_one_line(error)}", file=sys.stderr)
        return 1
    finally:
        for twin in running:
            twin.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def scaffold_command(args: argparse.Namespace) -> int:
    """Write the twin and its tests; print what was written and what to do next."""
    try:
        written = scaffold(
            args.name,
            args.description,
            args.operations,
            args.into,
            args.tests,
            args.package,
            args.force,
        )
    except (ScaffoldError, OSError) as error:
        print(f"holdout twin scaffold: {_one_line(error)}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    print(f"next: fill in the stubs in {written[0].parent / 'routes.py'}, then run {written[-1]}")
    return 0


def _start(args: argparse.Namespace) -> list[Twin]:
    names: list[str] = args.names
    if len(set(names)) != len(names):
        raise _Usage("each twin can be served once")
    if args.port_base and not 1 <= args.port_base <= 65536 - len(names):
        raise _Usage(f"--port-base {args.port_base} leaves no room for {len(names)} twin(s)")
    if args.ca_dir and not args.tls:
        raise _Usage("--ca-dir is for --tls")
    seed_files = _seed_files(args.seed_data, names)
    classes = [twin_class(name) for name in names]  # every name checked before any port opens
    tls = LocalCA.ensure(args.ca_dir) if args.tls else None
    started: list[Twin] = []
    try:
        for offset, (name, cls) in enumerate(zip(names, classes, strict=True)):
            seed_data = load_seed(seed_files[name]) if name in seed_files else None
            twin = cls(seed=args.seed, seed_data=seed_data)
            if args.rate_limits:
                twin.rate_limits.enforce_defaults()
            port = args.port_base + offset if args.port_base else 0
            try:
                started.append(twin.start(port, tls))
            except OSError as error:
                message = f"{name}: cannot listen on 127.0.0.1:{port} ({error.strerror})"
                raise OSError(message) from None
        return started
    except BaseException:
        for twin in started:
            twin.stop()
        raise


def conformance_command(args: argparse.Namespace) -> int:
    try:
        from holdout_twins.fidelity.conformance import measure
        from holdout_twins.fidelity.descriptions import DescriptionError, twin_description
    except ImportError as error:
        return _missing_extra("conformance", error)
    try:
        cls = twin_class(args.name)
        description = twin_description(cls, args.spec, args.api)
        report = measure(cls, description, max_examples=args.max_examples, seed=args.seed)
        print(f"{report.subject} against {description.path} ({description.kind})")
        for line in report.table():
            print(line)
        print(report.summary())
        if args.json:
            _write_json(args.json, report.to_dict())
    except (UnknownTwin, DescriptionError, OSError) as error:
        print(f"holdout twin conformance: {_one_line(error)}", file=sys.stderr)
        return 1
    if args.min is not None and report.figure < args.min:
        print(
            f"holdout twin conformance: {report.subject}'s figure {report.figure:.3f} is below "
            f"--min {args.min}",
            file=sys.stderr,
        )
        return 1
    return 0


def replay_command(args: argparse.Namespace) -> int:
    from holdout_twins.fidelity.replay import CassetteError, load_cassette, replay

    try:
        cls = twin_class(args.name)
        cassettes = [(str(path), load_cassette(path)) for path in args.cassettes]
        seed_data = load_seed(args.seed_data) if args.seed_data else None
        with cls(seed=args.seed, seed_data=seed_data).start() as twin:
            report = replay(twin, cassettes)
        for line in report.lines():
            print(line)
        if args.json:
            _write_json(args.json, report.to_dict())
    except (UnknownTwin, CassetteError, SeedError, OSError) as error:
        print(f"holdout twin replay: {_one_line(error)}", file=sys.stderr)
        return 1
    return 0 if report.figure >= args.min else 1


def _missing_extra(command: str, error: ImportError) -> int:
    print(
        f"holdout twin {command}: needs {error.name or 'a package'}: "
        "pip install 'pytest-holdout[fidelity]'",
        file=sys.stderr,
    )
    return 1


def _write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def _seed_files(options: Sequence[str], names: Sequence[str]) -> dict[str, str]:
    files: dict[str, str] = {}
    for option in options:
        name, separator, path = option.partition("=")
        if not separator or not path:
            raise _Usage(f"--seed-data takes TWIN=FILE, not {option!r}")
        if name not in names:
            raise _Usage(f"--seed-data names {name!r}, which is not being served")
        files[name] = path
    return files


def _one_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m holdout_twins.cli")
    add_commands(parser)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
