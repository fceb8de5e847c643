"""The ``holdout`` command: manage the encrypted scenario store.

Exit status: 0 success, 1 failure, 2 usage error. An expected failure is one line on stderr,
``holdout: <message>``, naming a file or an opaque id and never quoting a scenario.

Other modules add subcommands. Each module named in ``EXTENSIONS`` is imported when the parser
is built (a module that does not exist yet is skipped) and must define::

    def register(subparsers: argparse._SubParsersAction) -> None

which adds its parsers with ``subparsers.add_parser(...)`` and binds each to a handler with
``parser.set_defaults(func=handler)``, where ``handler(args: argparse.Namespace) -> int`` returns
the exit status and raises ``HoldoutError`` for an expected failure. ``args.store`` (the
``--store`` option, or None) is available to every handler.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from pytest_holdout import limits
from pytest_holdout.cli.approval import confirm_recipients, vouch_for_writer
from pytest_holdout.errors import HoldoutError, UsageError
from pytest_holdout.store import keys
from pytest_holdout.store.files import RECIPIENTS, STORE_DIR, Store, find_store, recipient_stanzas
from pytest_holdout.store.fsutil import atomic_create
from pytest_holdout.terminal import visible, visible_bytes

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

EXTENSIONS = [
    "pytest_holdout.cli.trust_commands",
    "pytest_holdout.cli.report_commands",
    "pytest_holdout.cli.spec_commands",
    "pytest_holdout.cli.guard",
    "pytest_holdout.cli.loop_command",
    "holdout_twins.cli",
    "pytest_holdout.demo",
]

_RECIPIENTS_HEADER = """\
# The keyholders' public keys, one a line: age1..., ssh-ed25519 ... or ssh-rsa ...
# (the format of age -R). After a change run `holdout rekey`, then `holdout manifest`.
"""


_YES_HELP = (
    "encrypt to RECIPIENTS even where the signed MANIFEST does not vouch for it (it lists the "
    "change first; without --yes a terminal asks, anything else refuses)"
)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help, or a usage error argparse already reported
        return int(exit.code or 0)
    in_force = limits.active()
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return int(args.func(args))
        except HoldoutError as exc:
            _error(str(exc))
            return exc.exit_code
        except KeyboardInterrupt:
            _error("interrupted")
            return 130
        except BrokenPipeError:  # `holdout list | head`
            sys.stderr.close()
            return 0
        except OSError as exc:
            _error(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc))
            return 1
        finally:
            limits.use(in_force)  # main may be called again in this process (the tests do)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="holdout",
        description="Holdout scenarios for software written by coding agents: an encrypted "
        "store that anyone can add to and only keyholders can read.",
        epilog="Keys: a keyholder sets HOLDOUT_IDENTITY (the key text) or HOLDOUT_IDENTITY_FILE "
        "(a path to an age identity file or an OpenSSH private key).",
    )
    parser.add_argument(
        "--store",
        metavar="DIR",
        help=f"the store (default: {STORE_DIR}/ in the current folder or the nearest above)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_store_commands(subparsers)
    for name in EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists but something it imports does not
                raise
            continue
        module.register(subparsers)
    return parser


def add_subcommand(
    subparsers: Subparsers, name: str, func: object, help: str, description: str
) -> argparse.ArgumentParser:
    """A subcommand whose --help says ``help`` then ``description``, run by ``func``."""
    sub = subparsers.add_parser(name, help=help, description=f"{help}. {description}")
    sub.set_defaults(func=func)
    return sub


def _add_store_commands(subparsers: Subparsers) -> None:
    command = functools.partial(add_subcommand, subparsers)

    init = command(
        "init",
        init_command,
        "create the store with a RECIPIENTS file",
        f"Creates {STORE_DIR}/ (or --store DIR) and its {RECIPIENTS}, one recipient a line. "
        "Refuses if RECIPIENTS exists.",
    )
    init.add_argument(
        "recipients", nargs="*", metavar="RECIPIENT", help="age1..., or 'ssh-ed25519 AAAA...'"
    )
    init.add_argument(
        "-r",
        "--recipient",
        action="append",
        default=[],
        dest="more_recipients",
        metavar="RECIPIENT",
        help="a recipient, as with age -r (repeatable)",
    )

    keygen = command(
        "keygen",
        keygen_command,
        "create a new identity (an X25519 private key)",
        "With -o, writes it to FILE (mode 0600, never over an existing file; missing folders "
        "are made with mode 0700) and prints its "
        "public recipient; without, prints the identity on stdout and the recipient on stderr.",
    )
    keygen.add_argument("-o", "--output", metavar="FILE", help="write the identity to FILE")

    add = command(
        "add",
        add_command,
        "encrypt a new scenario file into the store",
        "Encrypts FILE (or stdin) to every recipient under a fresh opaque id and prints the id. "
        "Needs no private key: whoever adds a scenario cannot read it back.",
    )
    add.add_argument("source", metavar="FILE|-", help="a .feature or YAML scenario file")
    add.add_argument(
        "--delete-source",
        action="store_true",
        help="remove FILE once the encrypted file is written and verified (refused while the "
        "draft has warnings: you could not fix it afterwards)",
    )
    add.add_argument(
        "--check",
        action="store_true",
        help="encrypt nothing: match every step against the project's step definitions and "
        "report undefined, ambiguous and empty steps by line (exit 1 if any)",
    )

    command(
        "list",
        list_command,
        "list the scenario files",
        "Prints id, size in bytes and modification time (UTC) of each file. Needs no key.",
    )

    show = command(
        "show",
        show_command,
        "decrypt a scenario file to stdout (keyholder)",
        "Needs HOLDOUT_IDENTITY or HOLDOUT_IDENTITY_FILE.",
    )
    show.add_argument("id", metavar="ID")

    edit = command(
        "edit",
        edit_command,
        "edit a scenario file in $EDITOR (keyholder)",
        "Decrypts into a private temporary folder (in /dev/shm where there is one), runs "
        "$VISUAL or $EDITOR, encrypts the result in place and removes the plaintext whatever "
        "happens.",
    )
    edit.add_argument("id", metavar="ID")
    edit.add_argument("--yes", action="store_true", help=_YES_HELP)

    rekey = command(
        "rekey",
        rekey_command,
        "re-encrypt every file to the current RECIPIENTS (keyholder)",
        "Run it after a keyholder joined or left. Every file changes, or none does.",
    )
    rekey.add_argument("--yes", action="store_true", help=_YES_HELP)


# -- commands ----------------------------------------------------------------------------------


def init_command(args: argparse.Namespace) -> int:
    root = Path(args.store or STORE_DIR)
    if not args.recipients + args.more_recipients:
        raise UsageError("init needs at least one RECIPIENT (see `holdout keygen`)")
    lines = []
    for text in args.recipients + args.more_recipients:
        try:
            lines.append(keys.parse_recipient(text).text)
        except ValueError as exc:
            raise UsageError(f"recipient {text!r}: {exc}") from None
    root.mkdir(parents=True, exist_ok=True)
    path = root / RECIPIENTS
    try:
        atomic_create(path, (_RECIPIENTS_HEADER + "\n".join(lines) + "\n").encode(), mode=0o644)
    except FileExistsError:
        raise HoldoutError(f"{path}: already exists (edit it, then run `holdout rekey`)") from None
    print(f"created {path} with {len(lines)} recipient(s)")
    return 0


def keygen_command(args: argparse.Namespace) -> int:
    identity = keys.generate()
    created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f"# created: {created}\n" + keys.identity_text(identity)
    if args.output is None:
        sys.stdout.write(text)
        print(f"Public key: {identity.recipient}", file=sys.stderr)
        return 0
    path = Path(args.output).expanduser()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        atomic_create(path, text.encode(), mode=0o600)
    except FileExistsError:
        raise HoldoutError(f"{args.output}: already exists (not overwritten)") from None
    print(identity.recipient)
    return 0


def add_command(args: argparse.Namespace) -> int:
    from pytest_holdout.cli import drafts
    from pytest_holdout.scenarios.parsing import ScenarioSyntaxError, parse_feature

    if args.source == "-":
        if args.delete_source:
            raise UsageError("--delete-source needs a FILE, not stdin")
        name, plaintext = "stdin", sys.stdin.buffer.read()
    else:
        name, plaintext = args.source, Path(args.source).read_bytes()
    if args.check:
        return drafts.check_command(args, name, plaintext)
    try:  # refuse a file that could never run: once it is encrypted, its author can't fix it
        parse_feature(plaintext, name)
    except ScenarioSyntaxError as exc:
        raise HoldoutError(f"{exc.explained()} (not encrypted)") from None
    drafts.warn(name, plaintext, delete_source=args.delete_source)
    store = store_of(args)
    vouch_for_writer(store)
    file_id = store.add(plaintext)
    if args.delete_source:
        expected = len(store.recipients())
        try:
            found = recipient_stanzas(store.read_bytes(file_id))
        except ValueError:
            found = -1
        if found != expected:
            raise HoldoutError(f"{file_id}: written file failed verification; {name} kept")
        Path(args.source).unlink()
    print(file_id)
    return 0


def list_command(args: argparse.Namespace) -> int:
    store = store_of(args)
    for name in store.misnamed():
        _error(f"warning: {name}: not a scenario id (skipped)")
    for file_id in store.ids():
        info = store.path(file_id).stat()
        modified = datetime.fromtimestamp(info.st_mtime, timezone.utc)
        print(f"{file_id}  {info.st_size:>8}  {modified:%Y-%m-%d %H:%M:%S}")
    return 0


def show_command(args: argparse.Namespace) -> int:
    store = store_of(args)
    plaintext = store.read(args.id, keys.load_identities())
    # Escaped: a scenario's control characters could make it look other than it parses (a
    # comment that moves the cursor up and overwrites the step above it). The parser refuses
    # them, but anyone can encrypt a file with `age`.
    shown = visible_bytes(plaintext).encode()  # UTF-8, as the file is, whatever the locale
    sys.stdout.buffer.write(shown)
    sys.stdout.flush()
    if shown != plaintext:
        _error(
            f"warning: {args.id}: holds control characters or bytes that are not UTF-8, "
            "shown as \\xNN (it does not parse)"
        )
    return 0


def edit_command(args: argparse.Namespace) -> int:
    from pytest_holdout.scenarios.parsing import ScenarioSyntaxError, parse_feature

    store = store_of(args)
    identities = keys.load_identities()
    plaintext = store.read(args.id, identities)
    # Before the editing, not after: a RECIPIENTS that is broken, or not the one signed.
    confirm_recipients(store, identities, args.yes)
    with _private_folder() as folder:
        path = folder / f"{args.id}.{_suffix(plaintext)}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(plaintext)
        # The editor and whatever it starts (plugins, language servers) never see the key.
        status = subprocess.call([*_editor(), str(path)], env=keys.without_keys())
        if status != 0:
            raise HoldoutError(f"{args.id}: editor exited with status {status}; file unchanged")
        edited = path.read_bytes()
    if edited == plaintext:
        print(f"{args.id}: unchanged", file=sys.stderr)
        return 0
    store.write(args.id, edited)
    try:
        parse_feature(edited, args.id)
    except ScenarioSyntaxError as exc:
        _error(f"warning: {exc.explained()} (saved; run `holdout edit {args.id}` to fix it)")
    print(f"{args.id}: saved", file=sys.stderr)
    return 0


def rekey_command(args: argparse.Namespace) -> int:
    from pytest_holdout.store.manifest import manifest_path

    store = store_of(args)
    identities = keys.load_identities()
    confirm_recipients(store, identities, args.yes)
    ids = store.rekey(identities)
    print(f"re-encrypted {len(ids)} file(s) to {len(store.recipients())} recipient(s)")
    if manifest_path(store).exists():
        print("MANIFEST no longer matches the files: run `holdout manifest`", file=sys.stderr)
    return 0


# -- helpers -----------------------------------------------------------------------------------


def store_of(args: argparse.Namespace) -> Store:
    """The store a command works on: ``--store DIR``, else the nearest above the current folder."""
    if args.store is None:
        root = find_store(Path.cwd())
    else:
        root = Path(args.store)
        if not root.is_dir():
            raise HoldoutError(f"{root}: no such store (run `holdout init`)")
    # Before anything of the store is read: the project may lower the limits on what one file
    # can make a command do (main puts the previous ones back).
    limits.use(limits.configure(root.absolute().parent))
    return Store(root)


def _editor() -> list[str]:
    return shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")


def _suffix(plaintext: bytes) -> str:
    """An extension that gives the editor the right syntax: YAML form starts with a lower-case
    key, Gherkin with a tag or a Feature keyword (see pytest_holdout.scenarios.parsing)."""
    for line in plaintext.decode("utf-8", "replace").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return "yaml" if stripped[0].islower() else "feature"
    return "feature"


_EDIT_FOLDER = "holdout-edit-"  # then the pid of the edit, a dash and mkdtemp's random part


@contextlib.contextmanager
def _private_folder() -> Iterator[Path]:
    """A 0700 folder, in memory where possible, removed with its content on the way out
    however we leave: an error, Ctrl-C, SIGTERM or SIGHUP (turned into KeyboardInterrupt).
    SIGKILL (or a crash, a power cut) leaves it behind: the next edit removes it."""
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    removed = _remove_leftovers(parent)
    if removed:
        _error(f"removed the plaintext left in {parent} by {removed} edit(s) that did not finish")
    folder = Path(tempfile.mkdtemp(prefix=f"{_EDIT_FOLDER}{os.getpid()}-", dir=parent))

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the editor's swap and backup files too
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _remove_leftovers(parent: Path) -> int:
    """Remove the folders earlier edits of this user left in ``parent``, except those of edits
    still running; how many were removed. A folder whose name holds no pid (made by an older
    version, or by something else) is left alone: nothing says its edit is over."""
    removed = 0
    for folder in parent.glob(f"{_EDIT_FOLDER}*"):
        try:
            info = folder.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        pid, dash, _ = folder.name.removeprefix(_EDIT_FOLDER).partition("-")
        if not (pid.isdigit() and dash) or _running(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # the pid is in use, by another user's process: the folder is kept, to be safe
    return True


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    _error(f"warning: {message}")


def _error(message: str) -> None:
    # A message may name a file of the repository, whose name is the agent's choice.
    print(f"holdout: {visible(message)}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
