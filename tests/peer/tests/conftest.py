"""Fixtures: start ``python -m psremote_peer serve`` and read its ready line; pypsrp clients."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
import typing as t
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_DIR = os.path.dirname(HERE)
READY = "PSREMOTE-PEER-READY "
USER, PASSWORD = "psremote", "Psr3mote!pass"


def real_engine_available() -> bool:
    sys.path.insert(0, PEER_DIR)
    try:
        mod = importlib.import_module("psremote_peer.engine")
        return hasattr(mod, "create_engine")
    except Exception:
        return False


REAL_ENGINE = real_engine_available() and os.environ.get("PSREMOTE_PEER_STANDIN") != "1"


def peer_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([PEER_DIR, HERE, env.get("PYTHONPATH", "")])
    if not REAL_ENGINE:
        env["PSREMOTE_PEER_ENGINE"] = "standin:create_engine"
    return env


class Peer:
    def __init__(self, args: list[str]) -> None:
        self.args = args
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "psremote_peer", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=peer_env(), text=True,
        )
        deadline = time.monotonic() + 60
        self.ready: dict[str, t.Any] = {}
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"endpoint exited ({self.proc.poll()}) before its ready line")
            if line.startswith(READY):
                self.ready = json.loads(line[len(READY):])
                break
        else:
            raise RuntimeError("no ready line within 60 s")

    @property
    def port(self) -> int:
        return self.ready["http_ports"][0]

    @property
    def https_port(self) -> int:
        return self.ready["https_ports"][0]

    def stats(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/psremote-peer/stats", timeout=10) as r:
            return json.loads(r.read())

    def faults(self, spec: t.Any) -> dict:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/psremote-peer/faults",
                                     data=json.dumps(spec).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def wsman(self, auth: str = "ntlm", https: bool = False, **kw: t.Any) -> t.Any:
        from pypsrp.wsman import WSMan

        opts: dict[str, t.Any] = dict(username=USER, password=PASSWORD, auth=auth, ssl=https,
                                      port=self.https_port if https else self.port,
                                      cert_validation=self.ready["ca_file"] if https else False,
                                      operation_timeout=kw.pop("operation_timeout", 5),
                                      read_timeout=kw.pop("read_timeout", 15))
        if auth == "basic" and not https:
            opts["encryption"] = "never"  # pypsrp cannot encrypt Basic; the endpoint decides if it may pass
        opts.update(kw)
        if auth == "certificate":
            opts.pop("username")
            opts.pop("password")
            opts.setdefault("certificate_pem", self.ready["client_cert"])
            opts.setdefault("certificate_key_pem", self.ready["client_key"])
        return WSMan("127.0.0.1", **opts)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="session")
def peer() -> t.Iterator[Peer]:
    """The default endpoint: HTTP + HTTPS, every auth mode, encryption required on HTTP."""
    p = Peer(["--https"])
    yield p
    p.stop()


@pytest.fixture(scope="session")
def open_peer() -> t.Iterator[Peer]:
    """An endpoint started with --allow-unencrypted (Basic over HTTP allowed)."""
    p = Peer(["--allow-unencrypted"])
    yield p
    p.stop()


@pytest.fixture
def fault_peer() -> t.Iterator[Peer]:
    """A private endpoint whose fault knobs a test may change."""
    p = Peer(["--allow-unencrypted"])
    yield p
    p.stop()


def kerberos_missing() -> str | None:
    """Why the Kerberos tests cannot run here, or None."""
    if not os.path.exists("/usr/sbin/krb5kdc"):
        return "the MIT KDC (Debian krb5-kdc) is not installed; run tests/peer/setup.sh"
    try:
        import gssapi  # noqa: F401
        import krb5  # noqa: F401
    except Exception as e:
        return f"python gssapi/krb5 are not importable ({e}); run tests/peer/setup.sh (needs libkrb5-dev)"
    return None


@pytest.fixture(scope="session")
def kerberos_peer() -> t.Iterator[Peer]:
    """An endpoint with its own MIT KDC (realm PSREMOTE.TEST); the client side uses its krb5.conf."""
    reason = kerberos_missing()
    if reason:
        pytest.skip(reason)
    # Only Kerberos is offered (WWW-Authenticate: Kerberos), so clients use that scheme and its
    # HTTP-Kerberos-session-encrypted message encryption; Negotiate is tested on its own endpoint.
    p = Peer(["--https", "--auth", "kerberos,basic"])
    krb = p.ready["kerberos"]
    if not krb:
        p.stop()
        pytest.fail("the endpoint could not start its KDC although krb5kdc and gssapi are installed")
    old = {k: os.environ.get(k) for k in ("KRB5_CONFIG", "KRB5CCNAME")}
    os.environ["KRB5_CONFIG"] = krb["krb5_conf"]
    os.environ["KRB5CCNAME"] = "MEMORY:psremote-peer-tests"
    yield p
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    p.stop()
