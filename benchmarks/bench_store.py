"""Decrypting N scenario files of about 2 KB in one process, per file, against two references:

* ``floor``: the same cryptographic work done directly with ``cryptography``, per file: an
  X25519 exchange, HKDF-SHA256 for the wrap key, ChaCha20-Poly1305 to unwrap the file key,
  HKDF + HMAC-SHA256 for the header MAC, HKDF for the payload key and ChaCha20-Poly1305 for the
  payload. That is what age does for a one-recipient file, minus parsing its text header.
* ``pyrage``: ``pyrage.decrypt`` called directly (what Store.read wraps).
* ``Store.read``: what the pytest plugin calls, reading the file from disk included.
* ``age -d``: one ``age -d -i key`` process per file, the way a shell loop would do it
  (sampled: ``--sample`` files, scaled to per file).

Every way reads each file from disk. All figures come from this one run, so their ratios hold
on a noisy machine. Prints a Markdown table for docs/performance.md.

    python benchmarks/bench_store.py [--sizes 1000 10000] [--repeat 3] [--sample 200]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyrage
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pytest_holdout.store import keys
from pytest_holdout.store.files import Store

LINE = "    Given a user {n} with a plan named gold and a quota of {n} requests per minute\n"
ZERO_NONCE = bytes(12)
LAST_CHUNK_NONCE = bytes(11) + b"\x01"  # age's nonce for a payload that fits one chunk


def scenario(n: int) -> bytes:
    """About 2 KB of Gherkin."""
    lines = [f"Feature: Quotas {n}\n", f"  Scenario: quota {n}\n"]
    while sum(map(len, lines)) < 2000:
        lines.append(LINE.format(n=n))
    return "".join(lines).encode()


def hkdf(secret: bytes, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)


def floor_encrypt(plaintext: bytes, recipient: X25519PublicKey) -> bytes:
    """ephemeral share (32) | wrapped file key (32) | header MAC (32) | nonce (16) | payload."""
    file_key = secrets.token_bytes(16)
    ephemeral = X25519PrivateKey.generate()
    share = ephemeral.public_key().public_bytes_raw()
    salt = share + recipient.public_bytes_raw()
    wrap_key = hkdf(ephemeral.exchange(recipient), salt, b"age-encryption.org/v1/X25519")
    wrapped = ChaCha20Poly1305(wrap_key).encrypt(ZERO_NONCE, file_key, None)
    mac = hmac.new(hkdf(file_key, None, b"header"), share + wrapped, hashlib.sha256).digest()
    nonce = secrets.token_bytes(16)
    payload_key = hkdf(file_key, nonce, b"payload")
    payload = ChaCha20Poly1305(payload_key).encrypt(LAST_CHUNK_NONCE, plaintext, None)
    return share + wrapped + mac + nonce + payload


def floor_decrypt(data: bytes, identity: X25519PrivateKey, recipient_raw: bytes) -> bytes:
    share, wrapped, mac, nonce = data[:32], data[32:64], data[64:96], data[96:112]
    shared = identity.exchange(X25519PublicKey.from_public_bytes(share))
    wrap_key = hkdf(shared, share + recipient_raw, b"age-encryption.org/v1/X25519")
    file_key = ChaCha20Poly1305(wrap_key).decrypt(ZERO_NONCE, wrapped, None)
    expected = hmac.new(hkdf(file_key, None, b"header"), share + wrapped, hashlib.sha256)
    if not hmac.compare_digest(expected.digest(), mac):
        raise ValueError("header MAC")
    payload_key = hkdf(file_key, nonce, b"payload")
    return ChaCha20Poly1305(payload_key).decrypt(LAST_CHUNK_NONCE, data[112:], None)


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def bench(size: int, repeat: int, sample: int, folder: Path) -> dict[str, float]:
    identity = keys.generate()
    store_root = folder / f"store-{size}"
    floor_root = folder / f"floor-{size}"
    store_root.mkdir()
    floor_root.mkdir()
    (store_root / "RECIPIENTS").write_text(f"{identity.recipient}\n")
    store = Store(store_root)
    raw_identity = X25519PrivateKey.from_private_bytes(identity.secret)
    raw_recipient = raw_identity.public_key()
    recipient_raw = raw_recipient.public_bytes_raw()
    ids = []
    recipients = store.recipients()
    from pytest_holdout.store.files import encrypt

    for n in range(size):
        file_id = f"S-{secrets.token_hex(6)}"
        store.path(file_id).write_bytes(encrypt(scenario(n), recipients))
        (floor_root / file_id).write_bytes(floor_encrypt(scenario(n), raw_recipient))
        ids.append(file_id)
    key_file = folder / f"key-{size}.txt"
    key_file.write_text(keys.identity_text(identity))
    natives = [identity.native]

    def run_store() -> None:
        for file_id in ids:
            store.read(file_id, [identity])

    def run_pyrage() -> None:
        for file_id in ids:
            pyrage.decrypt(store.path(file_id).read_bytes(), natives)

    def run_floor() -> None:
        for file_id in ids:
            floor_decrypt((floor_root / file_id).read_bytes(), raw_identity, recipient_raw)

    age = shutil.which("age")

    def run_age() -> None:
        for file_id in ids[:sample]:
            subprocess.run(
                [age, "-d", "-i", str(key_file), str(store.path(file_id))],
                stdout=subprocess.DEVNULL,
                check=True,
            )

    ways: dict[str, Callable[[], None]] = {
        "floor": run_floor,
        "pyrage": run_pyrage,
        "store": run_store,
    }
    times: dict[str, list[float]] = {way: [] for way in ways}
    for _ in range(repeat):  # interleaved, so drift hits every way alike
        for way, work in ways.items():
            times[way].append(timed(work) / size)
    per_file = {way: statistics.median(values) for way, values in times.items()}
    if age:
        per_file["age"] = statistics.median(timed(run_age) for _ in range(repeat)) / min(
            sample, size
        )
    return per_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=200)
    options = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cpus (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}, "
        f"Python {platform.python_version()}, pyrage {_version('pyrage')}, "
        f"cryptography {_version('cryptography')}"
    )
    print()
    print(
        "| files | floor µs/file | Store.read µs/file | pyrage µs/file | age -d µs/file "
        "| Store.read / floor | age -d / Store.read |"
    )
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in options.sizes:
            t = bench(size, options.repeat, options.sample, Path(tmp))
            age = t.get("age")
            print(
                f"| {size} | {t['floor'] * 1e6:.0f} | {t['store'] * 1e6:.0f} | "
                f"{t['pyrage'] * 1e6:.0f} | {age * 1e6 if age else float('nan'):.0f} | "
                f"{t['store'] / t['floor']:.2f} | "
                f"{age / t['store'] if age else float('nan'):.0f} |",
                flush=True,
            )


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    sys.exit(main())
