"""HTTP authentication and message encryption as the WinRM service does them.

- Basic (RFC 7617) with the test accounts; refused over plain HTTP unless AllowUnencrypted.
- Negotiate / NTLM / Kerberos through pyspnego's acceptor (``spnego.server``). The security
  context belongs to the TCP connection (one per HTTP keep-alive connection).
- Message encryption over HTTP (MS-WSMV): ``multipart/encrypted`` with
  ``application/HTTP-SPNEGO-session-encrypted`` (or ``HTTP-Kerberos-session-encrypted``); each
  part is a 4-byte little-endian signature length, the signature, then the sealed payload.
- Client certificates over HTTPS (WinRM's certificate mapping: the certificate's UPN or CN names
  the local account); the client sends the WS-Man mutual-auth security profile as Authorization.
"""

from __future__ import annotations

import base64
import os
import re
import struct
import tempfile
import typing as t

import spnego
import spnego.exceptions

BOUNDARY = "Encrypted Boundary"
SPNEGO_ENCRYPTED = "application/HTTP-SPNEGO-session-encrypted"
KERBEROS_ENCRYPTED = "application/HTTP-Kerberos-session-encrypted"
CERT_PROFILE = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"

USERS = {"psremote": "Psr3mote!pass", "restricted": "R3stricted!pass"}


class AuthFailed(Exception):
    """Credentials or a token the server rejects (HTTP 401)."""


class EncryptionError(Exception):
    """A multipart/encrypted body that does not unwrap."""


def write_ntlm_user_file(directory: str) -> str:
    """The NTLM_USER_FILE pyspnego's acceptor reads; local accounts under the usual domain spellings."""
    path = os.path.join(directory, "ntlm_users")
    lines = []
    for user, pw in USERS.items():
        for dom in ("", ".", "WORKGROUP", "LOCALHOST", "127.0.0.1", os.uname().nodename.split(".")[0].upper()):
            lines.append(f"{dom}:{user}:{pw}")
        for upn_domain in ("PSREMOTE.TEST", "localhost"):
            lines.append(f":{user}@{upn_domain}:{pw}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def check_basic(header_value: str) -> str:
    try:
        raw = base64.b64decode(header_value.strip(), validate=True).decode("utf-8")
    except Exception as e:
        raise AuthFailed("malformed Basic credentials") from e
    user, _, pw = raw.partition(":")
    user = _local_user(user)
    if USERS.get(user.lower()) != pw:
        raise AuthFailed("wrong user name or password")
    return user.lower()


def _local_user(name: str) -> str:
    """'DOMAIN\\user' and 'user@domain' name the local account 'user'."""
    if "\\" in name:
        name = name.split("\\", 1)[1]
    if "@" in name:
        name = name.split("@", 1)[0]
    return name


class SecurityContext:
    """One connection's Negotiate/NTLM/Kerberos acceptor."""

    def __init__(self, scheme: str, hostname: str = "localhost", cbt_app_data: bytes | None = None) -> None:
        self.scheme = scheme  # as the client spelled it: Negotiate, Kerberos, NTLM
        protocol = {"negotiate": "negotiate", "kerberos": "kerberos", "ntlm": "ntlm"}[scheme.lower()]
        bindings = None
        if cbt_app_data is not None:
            from spnego.channel_bindings import GssChannelBindings

            bindings = GssChannelBindings(application_data=cbt_app_data)
        self.ctx = spnego.server(hostname=hostname, service="HTTP", protocol=protocol, channel_bindings=bindings)
        self._bindings = bindings

    def accept_missing_bindings(self, token: bytes) -> None:
        """CbtHardeningLevel=Relaxed: an NTLM AUTHENTICATE without a channel binding is accepted (a
        wrong one still fails). pyspnego's acceptor insists once it has bindings, so drop them from
        this context (and its SPNEGO sub-contexts) before the final step when the client sent none."""
        if self._bindings is None or ntlm_channel_bindings_present(token) is not False:
            return
        self.ctx.channel_bindings = None
        for entry in getattr(self.ctx, "_context_list", {}).values():  # NegotiateProxy's per-mech contexts
            entry[0].channel_bindings = None

    def step(self, token: bytes) -> bytes | None:
        try:
            return self.ctx.step(token)
        except spnego.exceptions.SpnegoError as e:
            raise AuthFailed(str(e)) from e
        except Exception as e:  # malformed tokens raise assorted errors inside pyspnego
            raise AuthFailed(f"{type(e).__name__}: {e}") from e

    @property
    def complete(self) -> bool:
        return self.ctx.complete

    @property
    def user(self) -> str:
        principal = self.ctx.client_principal or ""
        return _local_user(principal).lower()

    @property
    def negotiated_protocol(self) -> str:
        return getattr(self.ctx, "negotiated_protocol", self.scheme.lower())

    def encrypted_content_type(self) -> str:
        return KERBEROS_ENCRYPTED if self.scheme.lower() == "kerberos" else SPNEGO_ENCRYPTED

    def unwrap(self, body: bytes, content_type: str) -> bytes:
        """The SOAP envelope inside a multipart/encrypted body (one or more encrypted parts)."""
        m = re.search(r'boundary="?([^";]+)"?', content_type)
        boundary = m.group(1) if m else BOUNDARY
        parts = [p for p in re.split(rb"--\s*" + re.escape(boundary.encode()) + rb"(?:--)?\r\n", body) if p]
        out = b""
        i = 0
        try:
            while i + 1 < len(parts):
                header, payload = parts[i], parts[i + 1]
                i += 2
                lm = re.search(rb"Length=(\d+)", header)
                if not lm:
                    raise EncryptionError("no OriginalContent Length")
                expected = int(lm.group(1))
                payload = payload.replace(b"\tContent-Type: application/octet-stream\r\n", b"", 1)
                if len(payload) < 4:
                    raise EncryptionError("truncated encrypted part")
                sig_len = struct.unpack("<I", payload[:4])[0]
                if sig_len > len(payload) - 4:
                    raise EncryptionError("signature length past the end of the part")
                data = self.ctx.unwrap_winrm(payload[4:4 + sig_len], payload[4 + sig_len:])
                if len(data) != expected:
                    raise EncryptionError(f"decrypted length {len(data)} != declared {expected}")
                out += data
        except EncryptionError:
            raise
        except Exception as e:
            raise EncryptionError(f"cannot decrypt the message: {type(e).__name__}: {e}") from e
        if i == 0:
            raise EncryptionError("no encrypted parts")
        return out

    def wrap(self, data: bytes) -> tuple[str, bytes]:
        protocol = self.encrypted_content_type()
        res = self.ctx.wrap_winrm(data)
        sealed = struct.pack("<I", len(res.header)) + res.header + res.data
        head = (
            f"--{BOUNDARY}\r\n\tContent-Type: {protocol}\r\n"
            f"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={len(data) + res.padding_length}\r\n"
            f"--{BOUNDARY}\r\n\tContent-Type: application/octet-stream\r\n"
        ).encode()
        body = head + sealed + f"--{BOUNDARY}--\r\n".encode()
        ctype = f'multipart/encrypted;protocol="{protocol}";boundary="{BOUNDARY}"'
        return ctype, body


def cert_user(der: bytes | None) -> str | None:
    """WinRM certificate mapping: the client certificate's UPN (SAN otherName 1.3.6.1.4.1.311.20.2.3), else
    its subject CN, names the local account. Python's ssl cannot show otherName values, so the DER is read
    with cryptography."""
    if not der:
        return None
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    names: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        for other in san.get_values_for_type(x509.OtherName):
            if other.type_id.dotted_string == "1.3.6.1.4.1.311.20.2.3" and other.value[:1] == b"\x0c":
                names.append(other.value[2:].decode("utf-8", "replace"))
    except x509.ExtensionNotFound:
        pass
    names += [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME) if isinstance(a.value, str)]
    for n in names:
        u = _local_user(n).lower()
        if u in USERS:
            return u
    return None


def ntlm_channel_bindings_present(token: bytes) -> bool | None:
    """Whether an NTLM AUTHENTICATE message (raw or inside SPNEGO) carries a non-zero
    MsvAvChannelBindings AV pair (MS-NLMP 2.2.2.1, 2.2.2.7); None when the token is not one."""
    import struct as st

    i = token.find(b"NTLMSSP\x00\x03\x00\x00\x00")
    if i < 0:
        return None
    msg = token[i:]
    try:
        nt_len, _, nt_off = st.unpack_from("<HHI", msg, 20)
        nt = msg[nt_off:nt_off + nt_len]
        pos = 16 + 28  # NTProofStr, then the NTLMv2_CLIENT_CHALLENGE header before its AV pairs
        if len(nt) <= pos:
            return False  # NTLMv1: no AV pairs at all
        while pos + 4 <= len(nt):
            av_id, av_len = st.unpack_from("<HH", nt, pos)
            if av_id == 0x0000:  # MsvAvEOL
                return False
            if av_id == 0x000A:  # MsvAvChannelBindings
                return any(nt[pos + 4:pos + 4 + av_len])
            pos += 4 + av_len
    except st.error:
        return None
    return False


def tls_server_end_point(cert_der: bytes) -> bytes:
    """RFC 5929 channel binding data for the server certificate (hash of the signature algorithm,
    SHA-256 for MD5/SHA-1)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_der_x509_certificate(cert_der)
    algo = cert.signature_hash_algorithm
    if algo is None or algo.name in ("md5", "sha1"):
        algo = hashes.SHA256()
    h = hashes.Hash(algo)
    h.update(cert_der)
    return b"tls-server-end-point:" + h.finalize()


def kerberos_available() -> bool:
    try:
        import gssapi  # noqa: F401
    except Exception:
        return False
    return bool(os.environ.get("KRB5_KTNAME"))


def temp_state_dir() -> str:
    return tempfile.mkdtemp(prefix="psremote-peer-")


def parse_authorization(value: str) -> tuple[str, str]:
    scheme, _, rest = value.strip().partition(" ")
    return scheme, rest.strip()


__all__ = [
    "AuthFailed",
    "EncryptionError",
    "SecurityContext",
    "USERS",
    "check_basic",
    "cert_user",
    "write_ntlm_user_file",
    "parse_authorization",
    "kerberos_available",
    "t",
]
