"""``python -m psremote_peer serve|stdio`` (docs/CONTRACTS.md, "The test endpoint")."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import ssl
import sys
import threading
import typing as t

READY = "PSREMOTE-PEER-READY"
AUTH_MODES = ("basic", "negotiate", "kerberos", "certificate")


def engine_factory(spec: str | None, catalog: str) -> t.Callable[[], t.Any]:
    """``--engine module:function`` (a test stand-in), else the engine package for the catalog."""
    if spec:
        mod, _, fn = spec.partition(":")
        factory = getattr(importlib.import_module(mod), fn or "create_engine")
        return lambda: factory(catalog)

    def load() -> t.Any:
        from .contract import load_engine

        return load_engine(catalog)

    return load


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="psremote_peer", description="Loopback PowerShell remoting endpoint")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="WS-Man (WinRM) over HTTP/HTTPS")
    s.add_argument("--port", type=int, default=0, help="first HTTP port (0: a free one)")
    s.add_argument("--https", action="store_true", help="also listen with TLS (cert generated at start)")
    s.add_argument("--https-port", type=int, default=0)
    s.add_argument("--http", dest="http", action="store_true", default=True)
    s.add_argument("--no-http", dest="http", action="store_false", help="HTTPS only")
    s.add_argument("--listen-count", type=int, default=1, help="listeners per scheme (fan-out tests)")
    s.add_argument("--auth", default=None,
                   help="comma list of basic,negotiate,kerberos,certificate (default: all; a KDC is started "
                        "only when kerberos is listed explicitly or PSREMOTE_PEER_KERBEROS=1)")
    s.add_argument("--allow-unencrypted", action="store_true",
                   help="AllowUnencrypted=true: Basic and unencrypted Negotiate over plain HTTP")
    s.add_argument("--cbt", choices=("relaxed", "strict", "none"), default="relaxed",
                   help="channel binding over HTTPS (CbtHardeningLevel): relaxed rejects a wrong "
                        "tls-server-end-point binding and accepts none; strict requires it; none ignores it")
    s.add_argument("--catalog", default="windows-5.1")
    s.add_argument("--fault", action="append", default=[], metavar="KNOB", help="fault knob (repeatable)")
    s.add_argument("--state-dir", default=None)
    s.add_argument("--kerberos-dir", default=os.environ.get("PSREMOTE_PEER_KRB5_DIR"),
                   help="state dir of tests/peer/kdc.sh (keytab, krb5.conf); Kerberos is off without it")
    s.add_argument("--engine", default=os.environ.get("PSREMOTE_PEER_ENGINE"), help=argparse.SUPPRESS)
    s.add_argument("--log-level", default=os.environ.get("PSREMOTE_PEER_LOG", "WARNING"))
    o = sub.add_parser("stdio", help="the out-of-process framing on stdin/stdout (SSH subsystem)")
    o.add_argument("--catalog", default="windows-5.1")
    o.add_argument("--configuration", default="Microsoft.PowerShell")
    o.add_argument("--engine", default=os.environ.get("PSREMOTE_PEER_ENGINE"), help=argparse.SUPPRESS)
    o.add_argument("--log-level", default=os.environ.get("PSREMOTE_PEER_LOG", "WARNING"))
    return p


def serve(args: argparse.Namespace) -> int:
    from . import auth, certs
    from .knobs import KnobError, Knobs
    from .wsman import Listener, Service, TLSListener, make_handler

    knobs = Knobs()
    for f in args.fault:
        try:
            knobs.set(f)
        except KnobError as e:
            print(f"psremote_peer: {e}", file=sys.stderr)
            return 2
    modes = {m.strip().lower() for m in args.auth.split(",") if m.strip()}
    bad = modes - set(AUTH_MODES)
    if bad:
        print(f"psremote_peer: unknown auth mode(s) {sorted(bad)}", file=sys.stderr)
        return 2
    state_dir = args.state_dir or auth.temp_state_dir()
    os.makedirs(state_dir, exist_ok=True)
    if not args.state_dir:
        _remove_when_we_die(state_dir)
    os.environ["NTLM_USER_FILE"] = auth.write_ntlm_user_file(state_dir)

    kerberos = None
    if "kerberos" in modes or "negotiate" in modes:
        if args.kerberos_dir:
            kerberos = _kerberos_setup(args.kerberos_dir)
        elif "kerberos" in modes and (args.auth_given or os.environ.get("PSREMOTE_PEER_KERBEROS") == "1"):
            kerberos = _start_kdc(os.path.join(state_dir, "kdc"))
        if "kerberos" in modes and args.auth_given and kerberos is None:
            print("psremote_peer: Kerberos asked for but not available (needs krb5-kdc and python gssapi; run "
                  "tests/peer/setup.sh)", file=sys.stderr)

    service = Service(engine_factory(args.engine, args.catalog), allow_unencrypted=args.allow_unencrypted,
                      auth_modes=modes, knobs=knobs, state_dir=state_dir, kerberos=kerberos)
    servers = []
    pki: dict[str, str] = {}
    if args.http:
        for i in range(max(args.listen_count, 1)):
            srv = Listener(("127.0.0.1", args.port + i if args.port else 0), make_handler(service, False))
            servers.append(("HTTP", srv))
    if args.https:
        pki = certs.generate(os.path.join(state_dir, "pki"))
        with open(pki["server_cert"], "rb") as f:
            from cryptography import x509
            from cryptography.hazmat.primitives.serialization import Encoding

            der = x509.load_pem_x509_certificate(f.read()).public_bytes(Encoding.DER)
        service.server_cbt = auth.tls_server_end_point(der)
        service.cbt_mode = args.cbt
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki["server_cert"], pki["server_key"])
        if "certificate" in modes:
            ctx.load_verify_locations(pki["ca_file"])
            ctx.verify_mode = ssl.CERT_OPTIONAL
        for i in range(max(args.listen_count, 1)):
            port = args.https_port + i if args.https_port else 0
            srv = TLSListener(("127.0.0.1", port), make_handler(service, True), ctx)
            servers.append(("HTTPS", srv))
    for transport, srv in servers:
        service.listeners.append({"transport": transport, "port": srv.server_address[1],
                                  "thumbprint": pki.get("server_thumbprint", "")})
    _raise_fd_limit(len(servers))
    # One thread accepts on every listening socket (a thousand ports cost no polling threads);
    # each accepted connection gets its own thread (ThreadingMixIn).
    threading.Thread(target=_accept_loop, args=([srv for _, srv in servers],), daemon=True,
                     name="acceptor").start()

    http_ports = [srv.server_address[1] for tr, srv in servers if tr == "HTTP"]
    https_ports = [srv.server_address[1] for tr, srv in servers if tr == "HTTPS"]
    ready = {
        "http_ports": http_ports,
        "https_ports": https_ports,
        "http_url": f"http://127.0.0.1:{http_ports[0]}/wsman" if http_ports else None,
        "https_url": f"https://127.0.0.1:{https_ports[0]}/wsman" if https_ports else None,
        "ca_file": pki.get("ca_file"),
        "client_cert": pki.get("client_cert"),
        "client_key": pki.get("client_key"),
        "users": dict(auth.USERS),
        "kerberos": kerberos,
        "pid": os.getpid(),
    }
    print(f"{READY} {json.dumps(ready)}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    return 0


def _accept_loop(servers: list) -> None:
    import selectors

    sel = selectors.DefaultSelector()
    for srv in servers:
        sel.register(srv.socket, selectors.EVENT_READ, srv)
    while True:
        for key, _ in sel.select():
            key.data._handle_request_noblock()


def _raise_fd_limit(listeners: int) -> None:
    """Listening sockets plus their connections may pass a low soft RLIMIT_NOFILE; use the hard one."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft < want and listeners * 4 + 256 > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            pass


def _kerberos_setup(krb_dir: str | None) -> dict | None:
    """Uses the realm tests/peer/kdc.sh made: keytab for HTTP/localhost, krb5.conf."""
    if not krb_dir:
        return None
    info_path = os.path.join(krb_dir, "realm.json")
    if not os.path.isfile(info_path):
        return None
    with open(info_path, encoding="utf-8") as f:
        info = json.load(f)
    try:
        import gssapi  # noqa: F401
        import krb5  # noqa: F401
    except Exception:
        return None
    return _kerberos_env(info)


def _start_kdc(kdc_dir: str) -> dict | None:
    """A realm of our own (tests/peer/kdc.sh setup) and krb5kdc as our child: it dies with us."""
    import shutil
    import subprocess

    if not os.path.exists("/usr/sbin/krb5kdc"):
        return None
    try:
        import gssapi  # noqa: F401
        import krb5  # noqa: F401
    except Exception:
        return None
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kdc.sh")
    if not shutil.which("bash"):
        return None
    res = subprocess.run(["bash", script, "setup", kdc_dir], capture_output=True, text=True)
    if res.returncode != 0:
        print(f"psremote_peer: kdc.sh setup failed: {res.stderr.strip()}", file=sys.stderr)
        return None
    info = json.loads(res.stdout.strip().splitlines()[-1])
    env = dict(os.environ, KRB5_CONFIG=info["krb5_conf"], KRB5_KDC_PROFILE=info["kdc_conf"])
    proc = subprocess.Popen(["/usr/sbin/krb5kdc", "-n", "-r", info["realm"]], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
    import socket
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", info["kdc_port"]), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None:
                return None
            time.sleep(0.05)
    info["pid"] = proc.pid
    return _kerberos_env(info)


def _remove_when_we_die(path: str) -> None:
    """The temp state dir (keys, KDC database) goes away when the endpoint ends, even by SIGKILL:
    a tiny shell child gets SIGTERM from the kernel (PR_SET_PDEATHSIG) and removes it."""
    import subprocess

    script = 'trap \'rm -rf -- "$0"; exit 0\' TERM; while :; do sleep 1; done'
    subprocess.Popen(["sh", "-c", script, path], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    """PR_SET_PDEATHSIG: the kernel sends SIGTERM to the KDC when the endpoint dies (even by SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except Exception:
        pass


def _kerberos_env(info: dict) -> dict:
    os.environ["KRB5_CONFIG"] = info["krb5_conf"]
    os.environ["KRB5_KTNAME"] = "FILE:" + info["keytab"]
    return info


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.auth_given = args.cmd == "serve" and args.auth is not None
    if args.cmd == "serve" and args.auth is None:
        args.auth = ",".join(AUTH_MODES)
    logging.basicConfig(level=getattr(logging, str(args.log_level).upper(), logging.WARNING), stream=sys.stderr,
                        format="psremote_peer %(levelname)s %(name)s: %(message)s")
    if args.cmd == "serve":
        return serve(args)
    from .stdio import run_stdio

    return run_stdio(engine_factory(args.engine, args.catalog)(), args.configuration)


if __name__ == "__main__":
    sys.exit(main())
