"""The trust root's commands: ``manifest`` and ``check`` (keyholder), ``signer`` (keyholder),
``trust`` and ``status`` (anyone)."""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_holdout.cli.approval import held_identities
from pytest_holdout.cli.main import add_subcommand, store_of
from pytest_holdout.errors import HoldoutError, UsageError
from pytest_holdout.store import harness, keys, manifest, signing, trusted
from pytest_holdout.store.files import Store
from pytest_holdout.terminal import visible

if TYPE_CHECKING:
    from pytest_holdout.cli.main import Subparsers

_NO_STORE_ID = (
    "MANIFEST needs the store's identity, the name the gated job knows this repository by: "
    "pass --store-id OWNER/NAME (GitHub and GitLab name it so; elsewhere the job sets "
    "HOLDOUT_STORE_ID to it)"
)


def register(subparsers: Subparsers) -> None:
    command = functools.partial(add_subcommand, subparsers)

    sign = command(
        "manifest",
        manifest_command,
        "sign MANIFEST: the files, recipients and harness that count (keyholder)",
        "Every identity held signs it, and its version goes up by one. Lists everything that "
        "changed since the previous MANIFEST (all of it, the first time): review it before "
        "committing. Refuses when the previous MANIFEST does not verify, unless --force.",
    )
    sign.add_argument(
        "--store-id",
        metavar="OWNER/NAME",
        help="the repository's name as the gated job knows it (default: HOLDOUT_STORE_ID, "
        "GITHUB_REPOSITORY or CI_PROJECT_PATH, else the previous MANIFEST's)",
    )
    sign.add_argument(
        "--force",
        action="store_true",
        help="sign even though the previous MANIFEST does not verify (say, it was altered)",
    )
    command(
        "check",
        check_command,
        "check every file decrypts and parses, and the store matches MANIFEST (keyholder)",
        "Prints one line per problem, by id; exit 1 if there is any.",
    )
    command(
        "status",
        status_command,
        "which files MANIFEST approves, and whether its signature checks (no key needed)",
        "Prints MANIFEST's version and store, whether its signature checks against a signing "
        "key you trust, whether RECIPIENTS is as signed, then each file: approved, pending "
        "(not in MANIFEST), missing or modified, and each harness file that changed.",
    )
    command(
        "signer",
        signer_command,
        "print the public signing key of each identity held (keyholder)",
        "Give it to scenario writers: `holdout trust KEY` lets `holdout add` check RECIPIENTS.",
    )
    trust = command(
        "trust",
        trust_command,
        "trust a keyholder's signing key to vouch for RECIPIENTS (anyone)",
        f"Records KEY (from the keyholder's `holdout signer`) in {trusted.trusted_path()}, "
        "outside every repository; without KEY, lists the keys trusted.",
    )
    trust.add_argument("keys", nargs="*", metavar="KEY", help="ed25519:... from `holdout signer`")


def manifest_command(args: argparse.Namespace) -> int:
    from pytest_holdout.scenarios.parsing import count_scenarios

    store = store_of(args)
    identities = keys.load_identities()
    previous, distrust = _previous(store, identities)
    if distrust and not args.force:
        raise HoldoutError(
            f"{distrust}; not signing over it: check the store (`holdout status`), then run "
            "`holdout manifest --force`"
        )
    store_id = _store_id(args, None if distrust else previous)
    listing = list_harness(store)
    at_least = manifest.min_version() or 0
    if distrust and previous is not None:  # a new version, above any the jobs may require
        at_least = max(at_least, previous.version + 1)
    signed = manifest.sign(
        store,
        identities,
        count_scenarios,
        store_id=store_id,
        harness_digests=harness.digests(listing),
        previous=previous,
        at_least=at_least,
    )
    print(
        f"signed {manifest.manifest_path(store)}: version {signed.version}, "
        f"{len(signed.entries)} file(s), {signed.items} scenario(s), "
        f"{len(signed.signatures)} signature(s)"
    )
    if distrust:
        print("the previous MANIFEST did not verify: all of this one is listed", file=sys.stderr)
    # What the keyholder just approved, to review before committing.
    approved = manifest.changes(None if distrust else previous, signed)
    print(visible("\n".join(approved)) if approved else "no change since the previous MANIFEST")
    return 0


def check_command(args: argparse.Namespace) -> int:
    from pytest_holdout.scenarios.parsing import parse_feature

    store = store_of(args)
    identities = keys.load_identities()
    problems = [f"{name}: not a regular file (skipped)" for name in store.irregular()]
    problems += [f"{name}: not a scenario id (skipped)" for name in store.misnamed()]
    scenarios = 0
    for file_id in store.ids():
        try:
            scenarios += len(parse_feature(store.read(file_id, identities), file_id).scenarios)
        except HoldoutError as exc:
            problems.append(str(exc))
    try:
        signed = manifest.verify(
            store,
            identities,
            expected_store=manifest.expected_store_id(),
            minimum_version=manifest.min_version(),
        )
    except HoldoutError as exc:
        problems.append(str(exc))
    else:
        missing, modified, unlisted = manifest.compare(store, signed)
        problems += [f"{file_id}: missing (listed in MANIFEST)" for file_id in missing]
        problems += [f"{file_id}: modified since MANIFEST was signed" for file_id in modified]
        problems += [f"{file_id}: not in MANIFEST (does not count)" for file_id in unlisted]
        problems += [
            f"harness changed since MANIFEST was signed: {name}"
            for name in harness.differences(signed.harness, store.root.parent)
        ]
    for problem in problems:
        print(visible(problem))
    summary = f"{len(store.ids())} file(s), {scenarios} scenario(s), {len(problems)} problem(s)"
    print(summary, file=sys.stderr)
    return 1 if problems else 0


def status_command(args: argparse.Namespace) -> int:
    store = store_of(args)
    signed = manifest.read(store)
    for name in store.irregular():
        print(visible(f"skipped   {name} (not a regular file)"))
    for name in store.misnamed():
        print(visible(f"skipped   {name} (not a scenario id)"))
    if signed is None:
        print("MANIFEST: missing (a keyholder runs `holdout manifest`)")
        listed: dict[str, str] = {}
    else:
        print(
            f"MANIFEST: version {signed.version}, store {signed.store_id}, "
            f"{len(signed.entries)} file(s), {signed.items} scenario(s)"
        )
        print(f"signature: {_signature_status(store, signed)}")
        try:
            manifest.check_recipients(store, signed)
            print("RECIPIENTS: as signed")
        except HoldoutError as exc:
            print(f"RECIPIENTS: {exc}")
        listed = {file_id: entry.sha256 for file_id, entry in signed.entries.items()}
    present = store.ids()
    states: dict[str, list[str]] = {"approved": [], "pending": [], "missing": [], "modified": []}
    for file_id in sorted(set(listed) | set(present)):
        if file_id not in listed:
            state = "pending"
        elif file_id not in present:
            state = "missing"
        elif manifest.sha256_of(store.read_bytes(file_id)) != listed[file_id]:
            state = "modified"
        else:
            state = "approved"
        states[state].append(file_id)
    for state, file_ids in states.items():
        for file_id in file_ids:
            print(f"{state:<9} {file_id}")
    if signed is not None:
        for name in harness.differences(signed.harness, store.root.parent):
            print(visible(f"harness   {name} changed since MANIFEST was signed"))
    print(", ".join(f"{len(ids)} {state}" for state, ids in states.items()), file=sys.stderr)
    return 0


def signer_command(args: argparse.Namespace) -> int:
    for identity in keys.load_identities():
        print(signing.public_key(identity))
        print(f"the signing key of {identity.recipient}", file=sys.stderr)
    return 0


def trust_command(args: argparse.Namespace) -> int:
    path = trusted.trusted_path()
    if not args.keys:
        for key in trusted.trusted_keys():
            print(key)
        print(f"{len(trusted.trusted_keys())} trusted signing key(s) in {path}", file=sys.stderr)
        return 0
    try:
        chosen = [signing.parse_key(text) for text in args.keys]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    for key in chosen:
        added = trusted.trust(key, f"trusted on {today}")
        print(f"{'trusted' if added else 'already trusted'} {key}")
    print(f"in {path}", file=sys.stderr)
    return 0


def list_harness(store: Store) -> dict[str, Path]:
    """The harness files a gated run of this project uses, by name: pytest collects the project
    (no test module is imported, and the key is not in its environment) and lists them."""
    root = store.root.parent
    with tempfile.TemporaryDirectory(prefix="holdout-harness-") as folder:
        listing = Path(folder) / "harness.json"
        done = subprocess.run(
            [
                *(sys.executable, "-m", "pytest", "--holdout", "--collect-only", "-q"),
                *("-o", "python_files=", f"--holdout-dir={store.root.resolve()}"),
                f"--holdout-list-harness={listing}",
            ],
            cwd=root,
            env=keys.without_keys(),
            capture_output=True,
            text=True,
            check=False,
        )
        if not listing.exists():
            last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:]
            raise HoldoutError(
                f"cannot list the harness: `pytest --collect-only` in {root} exited with status "
                f"{done.returncode}" + (f" ({last[0]})" if last else "")
            )
        names = json.loads(listing.read_text())
    return {name: Path(path) for name, path in names.items()}


def _previous(
    store: Store, identities: list[keys.Identity]
) -> tuple[manifest.Manifest | None, str]:
    """The MANIFEST being replaced, and why it cannot be trusted ("" if it can)."""
    try:
        previous = manifest.read(store)
    except HoldoutError as exc:
        return None, str(exc)
    if previous is None:
        return None, ""
    try:
        manifest.verify_signature(store, previous, identities, trusted.trusted_keys())
    except HoldoutError as exc:
        return previous, str(exc)
    return previous, ""


def _store_id(args: argparse.Namespace, verified: manifest.Manifest | None) -> str:
    if args.store_id:
        return str(args.store_id)
    from_env = manifest.expected_store_id()
    if from_env is not None:
        return from_env[0]
    if verified is not None:
        return verified.store_id
    raise UsageError(_NO_STORE_ID)


def _signature_status(store: Store, signed: manifest.Manifest) -> str:
    trusted_keys = trusted.trusted_keys()
    identities = held_identities()
    if not trusted_keys and not identities:
        return (
            "not checked: you trust no signing key yet (a keyholder's `holdout signer` prints "
            "theirs; `holdout trust KEY` records it)"
        )
    try:
        found = manifest.verify_signature(store, signed, identities, trusted_keys)
    except HoldoutError as exc:
        return f"does not check: {exc}"
    return f"checks (signed by {found.recipient}, {found.key})"
