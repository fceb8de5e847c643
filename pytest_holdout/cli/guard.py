"""``holdout guard``: refuse a commit that adds a plaintext scenario or a private key.

A holdout scenario is only held out while its text is encrypted, and a key in the repository
opens every one. The guard runs before a commit (``.pre-commit-hooks.yaml`` at the repository's
root ships it for pre-commit, which passes the staged files' names; without names it reads the
files staged in git's index). It looks at each file's content, whatever its name:

* a scenario in either form, recognised as ``parse_feature`` recognises it (a draft that does not
  parse yet counts too): encrypt it with ``holdout add FILE --delete-source``;
* an identity: an age secret key or plugin identity, a PEM or OpenSSH private key, a PuTTY key.

It reports each file by name and the kind of finding, never the content, and exits 1.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from pytest_holdout.errors import HoldoutError, UsageError
from pytest_holdout.scenarios.parsing import scenario_form
from pytest_holdout.store.keys import AGE_IDENTITY_PREFIX, PRIVATE_KEY_LABEL

_BECH32 = "[02-9AC-HJ-NP-Z]"  # bech32's alphabet, upper case as age writes identities
IDENTITIES = {
    "an age identity": re.compile(rf"{AGE_IDENTITY_PREFIX}1{_BECH32}{{58}}"),
    "an age plugin identity": re.compile(rf"AGE-PLUGIN-[A-Z0-9]+-1{_BECH32}{{20,}}"),
    "a private key": re.compile(rf"-----BEGIN (?:[A-Z0-9]+ )*{PRIVATE_KEY_LABEL}-----"),
    "a PuTTY private key": re.compile(r"^PuTTY-User-Key-File-\d+:", re.M),
}
FORM_NAMES = {"gherkin": "Gherkin", "yaml": "YAML"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "guard",
        help="refuse plaintext scenarios and private keys in a commit (a pre-commit hook)",
        description="Checks each FILE (default: the files staged in git) and exits 1 if one is "
        "a plaintext scenario (Gherkin or YAML) or holds a private key (age, SSH, PEM). "
        "Ships as the holdout-guard hook of .pre-commit-hooks.yaml.",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="the files to check")
    parser.set_defaults(func=guard_command)


def finding(data: bytes) -> str | None:
    """Why ``data`` must not be committed, or None."""
    form = scenario_form(data)
    if form is not None:
        return f"a plaintext scenario ({FORM_NAMES[form]} form)"
    text = data.decode("latin-1")  # every byte is a character: markers are ASCII
    for kind, pattern in IDENTITIES.items():
        if pattern.search(text):
            return f"holds {kind}"
    return None


def _advice(reason: str, name: str) -> str:
    if reason.startswith("a plaintext scenario"):
        return f"encrypt it with `holdout add {name} --delete-source`"
    return "keep keys out of the repository (the gated job's key lives in its CI secret store)"


def guard_command(args: argparse.Namespace) -> int:
    files = _named_files(args.files) if args.files else _staged_files()
    refused = 0
    for name, data in files:
        reason = finding(data)
        if reason is not None:
            refused += 1
            print(f"holdout guard: {name}: {reason}: {_advice(reason, name)}", file=sys.stderr)
    if refused:
        raise HoldoutError(f"guard: refused {refused} file(s)")
    return 0


def _named_files(names: list[str]) -> Iterator[tuple[str, bytes]]:
    for name in names:
        try:
            yield name, Path(name).read_bytes()
        except OSError as exc:
            raise HoldoutError(f"{name}: cannot read ({exc.strerror})") from None


def _staged_files() -> Iterator[tuple[str, bytes]]:
    """Each file added, copied, modified or renamed in git's index, as staged."""
    _git("rev-parse", "--git-dir")  # outside a repository, git's own one-line reason
    listing = _git("diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR")
    for name in filter(None, listing.decode().split("\0")):
        yield name, _git("show", f":{name}")


def _git(*args: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError("guard: git not found; name the files to check") from None
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[:1] or ["failed"]
        raise UsageError(f"guard: git {args[0]}: {reason[0]}; name the files to check")
    return done.stdout
