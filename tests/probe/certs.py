"""Self-signed certificates for loopback TLS servers (cryptography is in the test extra only)."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import pytest


def self_signed(tmp_path: Path, *names: tuple[str, str]) -> tuple[bytes, ssl.SSLContext]:
    """(DER, server context) of a one-day certificate whose subject and issuer are ``names``
    (``("COMMON_NAME", "IPC")`` ..., NameOID attribute names, in RDN order)."""
    # import each submodule by name: a package import does not load them
    x509 = pytest.importorskip("cryptography.x509")
    hashes = pytest.importorskip("cryptography.hazmat.primitives.hashes")
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    ec = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ec")
    oid = pytest.importorskip("cryptography.x509.oid").NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(getattr(oid, k), v) for k, v in names])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path = tmp_path / "cert.pem"
    key_path = tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return cert.public_bytes(serialization.Encoding.DER), ctx
