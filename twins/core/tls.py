"""Twins over https: a local certificate authority, made once and kept outside the repository.

Software whose client refuses plain http (the Okta SDK outside its testing mode, a hard-coded
``https://`` URL) runs against twins served with a certificate from this authority, once its
process trusts the authority's certificate (``SSL_CERT_FILE`` / ``REQUESTS_CA_BUNDLE``).

The authority may only vouch for loopback names (a critical name constraint): even a copied key
cannot impersonate any other host. Its files live in ``$XDG_CACHE_HOME/holdout/tls`` (or a
directory the caller owns), private keys readable by their owner only.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from holdout_twins.core.cache import cache_directory
from pytest_holdout.store.fsutil import atomic_write

CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
SERVER_FILE = "server.pem"  # the server's certificate followed by the authority's
SERVER_KEY_FILE = "server-key.pem"
LOOPBACK_NAMES: tuple[x509.GeneralName, ...] = (
    x509.DNSName("localhost"),
    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    x509.IPAddress(ipaddress.ip_address("::1")),
)
CA_YEARS = 10
SERVER_DAYS = 365
# A certificate this close to its end is replaced rather than served.
RENEW_BEFORE = datetime.timedelta(days=7)


class TLSError(Exception):
    """The authority's files cannot be read or written. The message names the file."""


def default_directory() -> Path:
    """``$XDG_CACHE_HOME/holdout/tls``, or ``~/.cache/holdout/tls`` without it."""
    return cache_directory("tls")


@dataclass(frozen=True)
class LocalCA:
    """The authority's directory: its certificate (``ca_file``) and the twins' certificate."""

    directory: Path

    @property
    def ca_file(self) -> Path:
        """The file to trust: set ``SSL_CERT_FILE`` and ``REQUESTS_CA_BUNDLE`` to it."""
        return self.directory / CA_FILE

    @classmethod
    def ensure(cls, directory: Path | None = None) -> LocalCA:
        """The authority in ``directory`` (default ``default_directory()``), made on first use,
        with a server certificate for 127.0.0.1, ::1 and localhost that is renewed near its end."""
        authority = cls(Path(directory) if directory is not None else default_directory())
        try:
            authority.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            ca_key, ca_cert = authority._authority()
            if not authority._server_is_current(ca_cert):
                authority._issue_server(ca_key, ca_cert)
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise TLSError(
                f"{authority.directory}: cannot set up the local CA ({reason})"
            ) from None
        return authority

    def server_context(self) -> ssl.SSLContext:
        """A server-side TLS context holding the twins' certificate and key."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.directory / SERVER_FILE, self.directory / SERVER_KEY_FILE)
        return context

    # --- the files ----------------------------------------------------------------------------
    def _authority(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key_path, cert_path = self.directory / CA_KEY_FILE, self.directory / CA_FILE
        if key_path.is_file() and cert_path.is_file():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            if isinstance(key, ec.EllipticCurvePrivateKey) and _current(cert):
                return key, cert
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "holdout twins local CA")])
        now = _now()
        cert = (
            _builder(
                name, name, key.public_key(), now, now + datetime.timedelta(days=365 * CA_YEARS)
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.NameConstraints(permitted_subtrees=_permitted(), excluded_subtrees=None),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        _write_key(key_path, key)
        atomic_write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
        (self.directory / SERVER_FILE).unlink(missing_ok=True)  # issued by the old authority
        return key, cert

    def _server_is_current(self, ca_cert: x509.Certificate) -> bool:
        cert_path = self.directory / SERVER_FILE
        if not (cert_path.is_file() and (self.directory / SERVER_KEY_FILE).is_file()):
            return False
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        return cert.issuer == ca_cert.subject and _current(cert)

    def _issue_server(self, ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = _now()
        cert = (
            _builder(
                name, ca_cert.subject, key.public_key(), now, now + datetime.timedelta(SERVER_DAYS)
            )
            .add_extension(x509.SubjectAlternativeName(list(LOOPBACK_NAMES)), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write_key(self.directory / SERVER_KEY_FILE, key)
        chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(
            serialization.Encoding.PEM
        )
        atomic_write(self.directory / SERVER_FILE, chain)


def _permitted() -> list[x509.GeneralName]:
    return [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_network("127.0.0.0/8")),
        x509.IPAddress(ipaddress.ip_network("::1/128")),
    ]


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    start: datetime.datetime,
    end: datetime.datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - datetime.timedelta(minutes=5))  # clocks a little behind
        .not_valid_after(end)
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    atomic_write(path, pem, mode=0o600)


def _current(cert: x509.Certificate) -> bool:
    now = _now()
    return cert.not_valid_before_utc <= now and now + RENEW_BEFORE < cert.not_valid_after_utc


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
