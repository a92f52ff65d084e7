"""Authentication and message encryption, as a default Windows host enforces them."""

from __future__ import annotations

import os

import pytest
import requests
from conftest import PASSWORD, USER
from helpers import RecordingProxy
from pypsrp.exceptions import AuthenticationError, WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan
from spnego.exceptions import SpnegoError


def run_echo(wsman: WSMan, text: str = "hello", configuration: str = "Microsoft.PowerShell") -> list:
    with RunspacePool(wsman, configuration_name=configuration) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Write-Output").add_parameter("InputObject", text)
        out = ps.invoke()
        assert not ps.had_errors, ps.streams.error
        return out


def test_ntlm_with_message_encryption_over_http(peer):
    assert run_echo(peer.wsman("ntlm")) == ["hello"]


def test_negotiate_over_http(peer):
    assert run_echo(peer.wsman("negotiate")) == ["hello"]


def test_encrypted_wire_carries_no_plaintext(peer):
    proxy = RecordingProxy(peer.port)
    try:
        marker = "Sekrit-Marker-4711"
        w = WSMan("127.0.0.1", port=proxy.port, username=USER, password=PASSWORD, auth="ntlm", ssl=False,
                  operation_timeout=5, read_timeout=15)
        assert run_echo(w, marker) == [marker]
    finally:
        proxy.close()
    wire = bytes(proxy.client_bytes) + bytes(proxy.server_bytes)
    assert b"multipart/encrypted" in wire
    assert b"application/HTTP-SPNEGO-session-encrypted" in wire
    for plain in (marker.encode(), b"<Obj", b"creationXml", b"s:Envelope", b"Write-Output"):
        assert plain not in wire, plain


def test_unencrypted_ntlm_refused_over_http(peer):
    w = peer.wsman("ntlm", encryption="never")
    with pytest.raises(WSManFaultError) as e:  # HTTP 500 with a WSManFault body
        run_echo(w)
    assert e.value.code == 2150859176


def test_unencrypted_ntlm_allowed_when_configured(open_peer):
    assert run_echo(open_peer.wsman("ntlm", encryption="never")) == ["hello"]


def test_basic_over_http_refused_by_default(peer):
    with pytest.raises(AuthenticationError):
        run_echo(peer.wsman("basic", encryption="never"))


def test_basic_over_http_with_allow_unencrypted(open_peer):
    assert run_echo(open_peer.wsman("basic", encryption="never")) == ["hello"]


def test_basic_over_https(peer):
    assert run_echo(peer.wsman("basic", https=True)) == ["hello"]


def test_ntlm_over_https(peer):
    assert run_echo(peer.wsman("ntlm", https=True)) == ["hello"]


@pytest.mark.parametrize("auth", ["basic", "ntlm"])
def test_wrong_password_gets_401(peer, auth):
    w = peer.wsman(auth, https=True, password="wrong")
    with pytest.raises(AuthenticationError):
        run_echo(w)


def test_unknown_user_gets_401(peer):
    with pytest.raises(AuthenticationError):
        run_echo(peer.wsman("ntlm", username="nobody"))


def test_client_certificate_over_https(peer):
    assert run_echo(peer.wsman("certificate", https=True)) == ["hello"]


def test_certificate_profile_without_a_certificate_gets_401(peer):
    r = requests.post(f"https://127.0.0.1:{peer.https_port}/wsman", data=b"<x/>", verify=peer.ready["ca_file"],
                      headers={"Authorization": "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual",
                               "Content-Type": "application/soap+xml;charset=UTF-8"}, timeout=10)
    assert r.status_code == 401


def test_no_credentials_get_401_with_challenges(peer):
    r = requests.post(f"http://127.0.0.1:{peer.port}/wsman", data=b"<x/>", timeout=10,
                      headers={"Content-Type": "application/soap+xml;charset=UTF-8"})
    assert r.status_code == 401
    challenges = r.headers.get("WWW-Authenticate", "")
    assert "Negotiate" in challenges
    assert "Basic" not in challenges  # not offered over HTTP while AllowUnencrypted is false
    r = requests.post(f"https://127.0.0.1:{peer.https_port}/wsman", data=b"<x/>", timeout=10,
                      verify=peer.ready["ca_file"], headers={"Content-Type": "application/soap+xml;charset=UTF-8"})
    assert r.status_code == 401
    assert "Basic" in r.headers.get("WWW-Authenticate", "")


def test_restricted_account_denied_on_default_configuration(peer):
    w = peer.wsman("ntlm", username="restricted", password=peer.ready["users"]["restricted"])
    with pytest.raises(WSManFaultError) as e:
        run_echo(w)
    assert e.value.code == 5


def test_restricted_account_on_restricted_configuration(peer):
    w = peer.wsman("ntlm", username="restricted", password=peer.ready["users"]["restricted"])
    with RunspacePool(w, configuration_name="Restricted") as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Date")  # one of the configuration's listed commands
        assert len(ps.invoke()) == 1
        assert not ps.had_errors


def test_kerberos_with_message_encryption(kerberos_peer):
    realm = kerberos_peer.ready["kerberos"]["realm"]
    proxy = RecordingProxy(kerberos_peer.port)
    try:
        w = WSMan("127.0.0.1", port=proxy.port, username=f"{USER}@{realm}", password=PASSWORD, auth="kerberos",
                  ssl=False, negotiate_hostname_override="localhost", operation_timeout=5, read_timeout=15)
        assert run_echo(w, "kerberos-marker") == ["kerberos-marker"]
    finally:
        proxy.close()
    wire = bytes(proxy.client_bytes) + bytes(proxy.server_bytes)
    assert b"application/HTTP-Kerberos-session-encrypted" in wire
    assert b"kerberos-marker" not in wire and b"<Obj" not in wire


def test_negotiate_picks_kerberos(kerberos_peer):
    from conftest import Peer

    p = Peer(["--auth", "negotiate,kerberos"])  # its own KDC; same realm name, own keys
    try:
        realm = p.ready["kerberos"]["realm"]
        os.environ["KRB5_CONFIG"] = p.ready["kerberos"]["krb5_conf"]
        proxy = RecordingProxy(p.port)
        w = WSMan("127.0.0.1", port=proxy.port, username=f"{USER}@{realm}", password=PASSWORD, auth="negotiate",
                  ssl=False, negotiate_hostname_override="localhost", operation_timeout=5, read_timeout=15)
        assert run_echo(w) == ["hello"]
        proxy.close()
        # SPNEGO carrying Kerberos (the Kerberos OID 1.2.840.113554.1.2.2 in the mechToken), not NTLM.
        wire = bytes(proxy.client_bytes)
        assert b"Authorization: Negotiate YII" in wire
        assert b"TlRMTVNTUA" not in wire  # no NTLMSSP token
    finally:
        os.environ["KRB5_CONFIG"] = kerberos_peer.ready["kerberos"]["krb5_conf"]
        p.stop()


def test_kerberos_over_https(kerberos_peer):
    realm = kerberos_peer.ready["kerberos"]["realm"]
    w = kerberos_peer.wsman("kerberos", https=True, username=f"{USER}@{realm}",
                            negotiate_hostname_override="localhost")
    assert run_echo(w) == ["hello"]


def test_kerberos_wrong_password(kerberos_peer):
    realm = kerberos_peer.ready["kerberos"]["realm"]
    w = kerberos_peer.wsman("kerberos", username=f"{USER}@{realm}", password="wrong",
                            negotiate_hostname_override="localhost")
    import krb5

    # The KDC refuses the AS-REQ (pre-authentication fails): no ticket, so no request is sent.
    with pytest.raises((SpnegoError, krb5.Krb5Error)):
        run_echo(w)


def test_channel_binding_strict():
    from conftest import Peer

    p = Peer(["--https", "--cbt", "strict", "--auth", "negotiate"])
    try:
        assert run_echo(p.wsman("ntlm", https=True)) == ["hello"]  # pypsrp sends tls-server-end-point
        with pytest.raises(AuthenticationError):
            run_echo(p.wsman("ntlm", https=True, negotiate_send_cbt=False))
    finally:
        p.stop()


def _ntlm_handshake(port: int, ca_file: str, app_data: bytes | None) -> int:
    """A bare NTLM handshake over HTTPS with the given channel binding; the final HTTP status."""
    import base64

    import spnego
    from spnego.channel_bindings import GssChannelBindings

    cbt = GssChannelBindings(application_data=app_data) if app_data is not None else None
    ctx = spnego.client(USER, PASSWORD, hostname="localhost", service="HTTP", protocol="ntlm", channel_bindings=cbt)
    s = requests.Session()
    url = f"https://127.0.0.1:{port}/wsman"
    r = s.post(url, data=b"", verify=ca_file, timeout=10,
               headers={"Authorization": "NTLM " + base64.b64encode(ctx.step()).decode()})
    assert r.status_code == 401
    challenge = base64.b64decode(r.headers["WWW-Authenticate"].split(" ", 1)[1])
    r = s.post(url, data=b"", verify=ca_file, timeout=10,
               headers={"Authorization": "NTLM " + base64.b64encode(ctx.step(challenge)).decode()})
    return r.status_code


def test_channel_binding_relaxed_by_default(peer):
    import hashlib
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    pem = ssl.get_server_certificate(("127.0.0.1", peer.https_port))
    der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(Encoding.DER)
    right = b"tls-server-end-point:" + hashlib.sha256(der).digest()
    wrong = b"tls-server-end-point:" + bytes(32)
    ca = peer.ready["ca_file"]
    assert _ntlm_handshake(peer.https_port, ca, right) == 200
    assert _ntlm_handshake(peer.https_port, ca, None) == 200  # Relaxed: no binding is accepted
    assert _ntlm_handshake(peer.https_port, ca, wrong) == 401  # a wrong one never is


def test_kerberos_mutual_auth_token_comes_with_the_answer(kerberos_peer):
    """One leg with the SOAP body on it (as clients that do not send an empty first request do):
    the AP-REP comes back in WWW-Authenticate on the 200 answer, and completes the client's context."""
    import base64

    import spnego
    from helpers import envelope

    realm = kerberos_peer.ready["kerberos"]["realm"]
    ctx = spnego.client(f"{USER}@{realm}", PASSWORD, hostname="localhost", service="HTTP", protocol="kerberos")
    token = ctx.step()
    body = envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
                    "http://schemas.microsoft.com/wbem/wsman/1/config")
    r = requests.post(f"https://127.0.0.1:{kerberos_peer.https_port}/wsman", data=body, timeout=10,
                      verify=kerberos_peer.ready["ca_file"],
                      headers={"Authorization": "Kerberos " + base64.b64encode(token).decode(),
                               "Content-Type": "application/soap+xml;charset=UTF-8"})
    assert r.status_code == 200, r.text
    assert b"MaxEnvelopeSizekb" in r.content
    scheme, _, reply = r.headers["WWW-Authenticate"].partition(" ")
    assert scheme == "Kerberos" and reply
    ctx.step(base64.b64decode(reply))
    assert ctx.complete
