"""The endpoint's test PKI, generated at start: a CA, a server certificate for 127.0.0.1 and
localhost, and a client certificate for the ``psremote`` account (WinRM certificate mapping uses
the UPN in the subject alternative name)."""

from __future__ import annotations

import datetime
import ipaddress
import os
import typing as t

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

UPN_OID = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")  # Microsoft User Principal Name


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)


def _pem_key(k: t.Any) -> bytes:
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


def generate(directory: str, user: str = "psremote") -> dict[str, str]:
    """Writes ca.pem, server.pem/server.key, client.pem/client.key; returns their paths."""
    os.makedirs(directory, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=30)

    ca_key = _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "psremote-peer test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(cn: str, san: list[x509.GeneralName], eku: ObjectIdentifier) -> tuple[x509.Certificate, t.Any]:
        k = _key()
        cert = (
            x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(ca_name).public_key(k.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        return cert, k

    server, server_key = leaf("localhost", [x509.DNSName("localhost"),
                                            x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
                              ExtendedKeyUsageOID.SERVER_AUTH)
    upn = f"{user}@localhost"
    client, client_key = leaf(user, [x509.OtherName(UPN_OID, _der_utf8(upn))], ExtendedKeyUsageOID.CLIENT_AUTH)

    pem = serialization.Encoding.PEM
    paths = {
        "ca_file": os.path.join(directory, "ca.pem"),
        "server_cert": os.path.join(directory, "server.pem"),
        "server_key": os.path.join(directory, "server.key"),
        "client_cert": os.path.join(directory, "client.pem"),
        "client_key": os.path.join(directory, "client.key"),
    }
    _write(paths["ca_file"], ca.public_bytes(pem))
    _write(paths["server_cert"], server.public_bytes(pem) + ca.public_bytes(pem))
    _write(paths["server_key"], _pem_key(server_key))
    _write(paths["client_cert"], client.public_bytes(pem))
    _write(paths["client_key"], _pem_key(client_key))
    thumb = server.fingerprint(hashes.SHA1()).hex().upper()
    paths["server_thumbprint"] = thumb
    return paths


def _der_utf8(s: str) -> bytes:
    """DER UTF8String (the UPN otherName value)."""
    b = s.encode()
    if len(b) >= 128:
        raise ValueError("UPN too long")
    return bytes([0x0C, len(b)]) + b
