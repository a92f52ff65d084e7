"""The WS-Man (WinRM) service: HTTP(S) listeners, authentication, message encryption, the shell
resource of PowerShell configurations (MS-WSMV 3.1.4, MS-PSRP 3.1.5.3 / 3.2.5.3), Identify and a few
``winrm/config`` resources.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import resource
import socket
import ssl
import threading
import time
import typing as t
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from psrpcore import StreamType
from psrpcore.types import PSRPMessageType

from . import auth, soap
from .knobs import KnobError, Knobs
from .runspace import PoolHost, PSRPDataError

log = logging.getLogger(__name__)

PS_RESOURCE_PREFIX = "http://schemas.microsoft.com/powershell/"
SHELL_RESOURCE = soap.NS_SHELL
CONFIG_RESOURCE = "http://schemas.microsoft.com/wbem/wsman/1/config"
CONFIGURATIONS = ("Microsoft.PowerShell", "Restricted")
# Accounts allowed on each configuration (the default one needs Administrators or Remote
# Management Users; the JEA-like one is open to both test accounts).
CONFIG_USERS = {"microsoft.powershell": {"psremote"}, "restricted": {"psremote", "restricted"}}
IDLE_TIMEOUT_MS = 7200000


def _duration(seconds: float) -> str:
    return f"PT{seconds:.3f}S"


def _runtime(seconds: float) -> str:
    s = int(seconds)
    return f"P{s // 86400}DT{s % 86400 // 3600}H{s % 3600 // 60}M{s % 60}S"


@dataclass
class Shell:
    shell_id: str
    resource_uri: str
    configuration: str
    owner: str
    client_ip: str
    host: PoolHost
    input_streams: str = "stdin pr"
    output_streams: str = "stdout"
    state: str = "Connected"
    created: float = field(default_factory=time.monotonic)
    last_used: float = field(default_factory=time.monotonic)
    idle_timeout: float = IDLE_TIMEOUT_MS / 1000
    commands: set[str] = field(default_factory=set)
    # Commands whose Done state was delivered: forgotten (their memory freed), but a late Signal
    # terminate still succeeds while a Receive gets the "command has completed" fault.
    done_commands: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def xml(self, tag_ns: bool = True) -> str:
        now = time.monotonic()
        ns = f' xmlns:rsp="{soap.NS_SHELL}"' if tag_ns else ""
        return (
            f"<rsp:Shell{ns}><rsp:ShellId>{self.shell_id}</rsp:ShellId>"
            f"<rsp:ResourceUri>{escape(self.resource_uri)}</rsp:ResourceUri>"
            f"<rsp:Owner>{escape(self.owner)}</rsp:Owner><rsp:ClientIP>{escape(self.client_ip)}</rsp:ClientIP>"
            f"<rsp:ProcessId>{os.getpid()}</rsp:ProcessId><rsp:IdleTimeOut>{_duration(self.idle_timeout)}</rsp:IdleTimeOut>"
            f"<rsp:InputStreams>{self.input_streams}</rsp:InputStreams>"
            f"<rsp:OutputStreams>{self.output_streams}</rsp:OutputStreams>"
            f"<rsp:MaxIdleTimeOut>PT2147483.647S</rsp:MaxIdleTimeOut><rsp:Locale>en-US</rsp:Locale>"
            f"<rsp:DataLocale>en-US</rsp:DataLocale><rsp:CompressionMode>NoCompression</rsp:CompressionMode>"
            f"<rsp:ProfileLoaded>Yes</rsp:ProfileLoaded><rsp:Encoding>UTF8</rsp:Encoding>"
            f"<rsp:BufferMode>Block</rsp:BufferMode><rsp:State>{self.state}</rsp:State>"
            f"<rsp:ShellRunTime>{_runtime(now - self.created)}</rsp:ShellRunTime>"
            f"<rsp:ShellInactivity>{_runtime(now - self.last_used)}</rsp:ShellInactivity></rsp:Shell>"
        )


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.by_action: dict[str, int] = {}
        self.shells_created = 0

    def count(self, action: str) -> None:
        with self.lock:
            self.requests += 1
            self.by_action[action] = self.by_action.get(action, 0) + 1


class Service:
    """The state shared by all listeners of one endpoint process."""

    def __init__(self, engine_factory: t.Callable[[], t.Any], *, allow_unencrypted: bool, auth_modes: set[str],
                 knobs: Knobs, state_dir: str, kerberos: dict | None = None) -> None:
        self.engine_factory = engine_factory
        self._engine: t.Any = None
        self._engine_lock = threading.Lock()
        self.allow_unencrypted = allow_unencrypted
        self.auth_modes = auth_modes
        self.knobs = knobs
        self.state_dir = state_dir
        self.kerberos = kerberos
        self.cbt_mode = "relaxed"  # --cbt: relaxed (WinRM's default), strict, none
        self.server_cbt: bytes | None = None  # tls-server-end-point data of the HTTPS certificate
        self.shells: dict[str, Shell] = {}
        self.shells_lock = threading.Lock()
        self.stats = Stats()
        self.listeners: list[dict] = []
        self._reaper = threading.Thread(target=self._reap, name="shell-reaper", daemon=True)
        self._reaper.start()

    @property
    def engine(self) -> t.Any:
        with self._engine_lock:
            if self._engine is None:
                self._engine = self.engine_factory()
            return self._engine

    def _reap(self) -> None:
        """expire-shell=SECS: delete shells idle that long, as WinRM's IdleTimeout does."""
        while True:
            time.sleep(0.2)
            limit = self.knobs.expire_shell
            now = time.monotonic()
            with self.shells_lock:
                # expire-shell for every shell; a disconnected one also after the IdleTimeOut its
                # Disconnect asked for (rsp:IdleTimeOut), as WinRM does.
                expired = [s for s in self.shells.values()
                           if (limit and now - s.last_used > limit)
                           or (s.state == "Disconnected" and now - s.last_used > s.idle_timeout)]
                for s in expired:
                    del self.shells[s.shell_id]
            for s in expired:
                log.info("shell %s expired after %.1fs idle", s.shell_id, now - s.last_used)
                s.host.close()

    def stats_json(self) -> dict:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        with self.stats.lock:
            return {
                "requests": self.stats.requests,
                "requests_by_action": dict(self.stats.by_action),
                "shells_open": len(self.shells),
                "shells_created": self.stats.shells_created,
                "cpu_seconds": ru.ru_utime + ru.ru_stime,
            }


class _TooLarge(Exception):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"Content-Length {length} over {limit}")
        self.length = length
        self.limit = limit


class _Drop(Exception):
    """Close the connection without answering (drop-receive knob)."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    service: Service
    https: bool = False

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.sec: auth.SecurityContext | None = None  # Negotiate/Kerberos context of this connection
        self.user: str | None = None
        self.auth_scheme: str | None = None

    def log_message(self, format: str, *args: t.Any) -> None:  # noqa: A002
        log.debug("%s " + format, self.address_string(), *args)

    # -- plumbing --------------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = -1
        # Never read more than an envelope can be (plus the encryption framing): a bogus length
        # must not make the endpoint allocate it.
        limit = 2 * self.service.knobs.max_envelope_bytes + 65536
        if n < 0 or n > limit:
            raise _TooLarge(n, limit)
        return self.rfile.read(n) if n > 0 else b""

    def _read_chunked(self) -> bytes:
        """RFC 9112 7.1 chunked request bodies, bounded like Content-Length ones."""
        limit = 2 * self.service.knobs.max_envelope_bytes + 65536
        out = bytearray()
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _TooLarge(-1, limit) from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                return bytes(out)
            if len(out) + size > limit:
                raise _TooLarge(len(out) + size, limit)
            out += self.rfile.read(size)
            self.rfile.readline(16)  # the CRLF after the chunk

    def _send(self, status: int, body: bytes = b"", content_type: str | None = None,
              headers: list[tuple[str, str]] | None = None, close: bool = False) -> None:
        self.send_response(status)
        for k, v in headers or []:
            self.send_header(k, v)
        if body and content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _challenge_headers(self) -> list[tuple[str, str]]:
        modes = self.service.auth_modes
        h = []
        if "negotiate" in modes:
            h.append(("WWW-Authenticate", "Negotiate"))
        if "kerberos" in modes and self.service.kerberos:
            h.append(("WWW-Authenticate", "Kerberos"))
        if "basic" in modes and (self.https or self.service.allow_unencrypted):
            h.append(("WWW-Authenticate", 'Basic realm="WSMAN"'))
        return h

    def _unauthorized(self) -> None:
        self.sec = None
        self.user = None
        self._send(401, headers=self._challenge_headers())

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/psremote-peer/stats"):
            body = json.dumps(self.service.stats_json()).encode()
            self._send(200, body, "application/json")
        elif self.path.startswith("/psremote-peer/faults"):
            self._send(200, json.dumps(self.service.knobs.as_json()).encode(), "application/json")
        else:
            self._send(404)

    def do_POST(self) -> None:  # noqa: N802
        try:
            self._post()
        except _TooLarge as e:
            fault = soap.encoding_limit(e.length, self.service.knobs.max_envelope_bytes)
            self._send(500, fault.render(None), "application/soap+xml;charset=UTF-8", close=True)
        except _Drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _post(self) -> None:
        if self.path.startswith("/psremote-peer/faults"):
            return self._post_faults()
        if self.path.rstrip("/").lower() not in ("/wsman", "/wsman-anon"):
            self._read_body()
            return self._send(404)

        # Unauthenticated Identify (DSP0226 wsmid:Identify): header WSMANIDENTIFY: unauthenticated.
        if (self.headers.get("WSMANIDENTIFY") or "").lower() == "unauthenticated":
            self._read_body()
            self.service.stats.count("Identify")
            return self._send(200, identify_response(authenticated=False), "application/soap+xml;charset=UTF-8")

        body = self._read_body()
        authz = self.headers.get("Authorization")
        encrypted = False
        final: list[tuple[str, str]] = []  # the acceptor's last token (Kerberos AP-REP) goes on the answer
        if authz:
            scheme, value = auth.parse_authorization(authz)
            ls = scheme.lower()
            if ls == "basic" and "basic" in self.service.auth_modes:
                if not (self.https or self.service.allow_unencrypted):
                    # AllowUnencrypted=false: Basic over HTTP is refused with 401.
                    return self._unauthorized()
                try:
                    self.user = auth.check_basic(value)
                    self.auth_scheme = "basic"
                except auth.AuthFailed:
                    return self._unauthorized()
            elif ls in ("negotiate", "ntlm", "kerberos") and (
                "negotiate" in self.service.auth_modes or (ls == "kerberos" and "kerberos" in self.service.auth_modes)
            ):
                try:
                    token = base64.b64decode(value)
                except Exception:
                    return self._unauthorized()
                if self.sec is None or self.sec.complete:
                    try:
                        self.sec = auth.SecurityContext(scheme, "localhost", self._cbt())
                    except Exception as e:
                        log.warning("cannot create an acceptor for %s: %s", scheme, e)
                        return self._unauthorized()
                if self.service.cbt_mode == "relaxed":
                    self.sec.accept_missing_bindings(token)
                try:
                    out = self.sec.step(token)
                except auth.AuthFailed as e:
                    log.info("authentication failed: %s", e)
                    return self._unauthorized()
                if not self.sec.complete:
                    hdr = f"{scheme} {base64.b64encode(out).decode()}" if out else scheme
                    return self._send(401, headers=[("WWW-Authenticate", hdr)])
                self.user = self.sec.user
                self.auth_scheme = ls
                if self.user not in auth.USERS:
                    return self._unauthorized()
                final = [("WWW-Authenticate", f"{scheme} {base64.b64encode(out).decode()}")] if out else []
                if not body:
                    # The client's empty request that only completes authentication.
                    return self._send(200, headers=final)
            elif authz.strip() == auth.CERT_PROFILE and "certificate" in self.service.auth_modes and self.https:
                user = auth.cert_user(self._peer_cert())
                if user is None:
                    return self._unauthorized()
                self.user = user
                self.auth_scheme = "certificate"
            else:
                return self._unauthorized()
        elif not (self.sec is not None and self.sec.complete and self.user):
            # Only a Negotiate/Kerberos context authenticates the connection itself.
            return self._unauthorized()

        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("multipart/encrypted") or ctype.startswith("multipart/x-multi-encrypted"):
            if self.sec is None or not self.sec.complete:
                return self._send(400, close=True)
            try:
                body = self.sec.unwrap(body, ctype)
            except auth.EncryptionError as e:
                log.info("decrypt failed: %s", e)
                return self._send(400, close=True)
            encrypted = True
        elif not body:
            return self._send(200, headers=final)
        elif self.auth_scheme in ("negotiate", "ntlm", "kerberos") and not self.https \
                and not self.service.allow_unencrypted:
            # AllowUnencrypted=false: WinRM refuses an unencrypted message on HTTP with HTTP 500.
            fault = soap.unencrypted_refused()
            self.service.stats.count("Unencrypted")
            return self._send(500, fault.render(None), "application/soap+xml;charset=UTF-8", headers=final)

        status, reply = self._dispatch(body)
        if encrypted and self.sec is not None:
            ct, data = self.sec.wrap(reply)
            return self._send(status, data, ct, headers=final)
        return self._send(status, reply, "application/soap+xml;charset=UTF-8", headers=final)

    def _cbt(self) -> bytes | None:
        """tls-server-end-point data over TLS (CbtHardeningLevel Relaxed/Strict; none: not checked)."""
        if not self.https or self.service.cbt_mode == "none":
            return None
        return self.service.server_cbt

    def _peer_cert(self) -> bytes | None:
        try:
            return self.connection.getpeercert(binary_form=True)  # type: ignore[attr-defined]
        except (AttributeError, ValueError, ssl.SSLError):
            return None

    def _post_faults(self) -> None:
        body = self._read_body()
        knobs = self.service.knobs
        try:
            spec = json.loads(body or b"{}")
            if isinstance(spec, dict) and "faults" in spec:
                spec = spec["faults"]
            if isinstance(spec, list):
                knobs.reset()
                for s in spec:
                    knobs.set(str(s))
            elif isinstance(spec, dict):
                for k, v in spec.items():
                    knobs.set(k if v is None or v is True else f"{k}={v}")
            else:
                raise KnobError("expected a list of knobs or an object")
        except (ValueError, KnobError) as e:
            return self._send(400, json.dumps({"error": str(e)}).encode(), "application/json")
        self._send(200, json.dumps(knobs.as_json()).encode(), "application/json")

    # -- WS-Man ----------------------------------------------------------------------------------
    def _dispatch(self, body: bytes) -> tuple[int, bytes]:
        svc = self.service
        req: soap.Request | None = None
        try:
            limit = svc.knobs.max_envelope_bytes
            if len(body) > limit:
                svc.stats.count("TooLarge")
                raise soap.encoding_limit(len(body), limit)
            try:
                req = soap.parse_request(body)
            except soap.SoapError as e:
                svc.stats.count("Malformed")
                raise soap.schema_fault(str(e)) from e
            if not req.action and soap.find(req.body, soap.NS_WSMID, "Identify") is not None:
                svc.stats.count("Identify")
                return 200, identify_response(authenticated=True)
            action_name = req.action.rsplit("/", 1)[-1] or "(none)"
            svc.stats.count(action_name)
            fault = svc.knobs.fault_for(req.action)
            if fault is not None:
                raise fault
            if req.operation_timeout_text is not None and (req.operation_timeout is None or req.operation_timeout < 0):
                raise soap.invalid_timeout(req.operation_timeout_text)
            return 200, self._operation(req)
        except soap.Fault as f:
            return f.http_status, f.render(req)
        except _Drop:
            raise
        except Exception as e:  # a bug here must still answer as WinRM would, never drop the connection
            log.exception("internal error")
            f = soap.Fault("w:InternalError", "The WS-Management service cannot process the request. ",
                           2147500037, f"{type(e).__name__}: {e}", sender=False)
            return f.http_status, f.render(req)

    def _operation(self, req: soap.Request) -> bytes:
        a = req.action
        uri = req.resource_uri
        if uri.lower() == SHELL_RESOURCE.lower() + "/command" and a == soap.A_ENUMERATE:
            return self._enumerate_commands(req)
        if uri.lower().startswith(PS_RESOURCE_PREFIX.lower()) or (uri.lower() == SHELL_RESOURCE.lower()):
            handler = {
                soap.A_CREATE: self._create,
                soap.A_DELETE: self._delete,
                soap.A_COMMAND: self._command,
                soap.A_SEND: self._send_op,
                soap.A_RECEIVE: self._receive,
                soap.A_SIGNAL: self._signal,
                soap.A_DISCONNECT: self._disconnect,
                soap.A_RECONNECT: self._reconnect,
                soap.A_CONNECT: self._connect,
                soap.A_ENUMERATE: self._enumerate_shells,
                soap.A_GET: self._get_shell,
            }.get(a)
            if handler is None:
                raise soap.action_not_supported(a)
            return handler(req)
        if uri.lower().startswith(CONFIG_RESOURCE.lower()):
            from . import wsconfig

            return wsconfig.handle(self.service, self, req)
        if a in (soap.A_GET, soap.A_ENUMERATE, soap.A_PULL, soap.A_PUT):
            raise soap.invalid_resource_uri(uri)
        raise soap.action_not_supported(a)

    # shells -------------------------------------------------------------------------------------
    def _configuration(self, uri: str) -> str:
        name = uri[len(PS_RESOURCE_PREFIX):] if uri.lower().startswith(PS_RESOURCE_PREFIX.lower()) else ""
        for c in CONFIGURATIONS:
            if c.lower() == name.lower():
                return c
        raise soap.unknown_configuration(name or uri)

    def _shell(self, req: soap.Request) -> Shell:
        sid = req.shell_id
        if not sid:
            raise soap.shell_not_found("")
        with self.service.shells_lock:
            shell = self.service.shells.get(sid)
        if shell is None or (shell.owner != self.user):
            raise soap.shell_not_found(sid)
        shell.last_used = time.monotonic()
        return shell

    def _create(self, req: soap.Request) -> bytes:
        svc = self.service
        config = self._configuration(req.resource_uri)
        if self.user not in CONFIG_USERS.get(config.lower(), set()):
            raise soap.access_denied()
        body = soap.find(req.body, soap.NS_SHELL, "Shell")
        if body is None:
            raise soap.schema_fault("The Create request has no rsp:Shell element.")
        creation = soap.find(body, soap.NS_PWSH, "creationXml")
        if creation is None or not soap.el_text(creation):
            raise soap.schema_fault("The Create request for a PowerShell shell has no creationXml.")
        sid = (body.get("ShellId") or soap.new_uuid()).upper()
        try:
            uuid.UUID(sid)
        except ValueError as e:
            raise soap.schema_fault(f"ShellId {sid} is not a GUID.") from e
        host = PoolHost(svc.engine, config, fault_knobs=svc.knobs)
        shell = Shell(
            shell_id=sid,
            resource_uri=PS_RESOURCE_PREFIX + config,
            configuration=config,
            owner=self.user or "",
            client_ip=self.client_address[0],
            host=host,
            input_streams=soap.el_text(soap.find(body, soap.NS_SHELL, "InputStreams")) or "stdin pr",
            output_streams=soap.el_text(soap.find(body, soap.NS_SHELL, "OutputStreams")) or "stdout",
        )
        idle = soap.find(body, soap.NS_SHELL, "IdleTimeOut")
        if idle is not None:
            secs = soap.parse_duration(soap.el_text(idle))
            if secs and secs > 0:
                shell.idle_timeout = secs
        self._feed(host, _b64(soap.el_text(creation)))
        with svc.shells_lock:
            svc.shells[sid] = shell
        with svc.stats.lock:
            svc.stats.shells_created += 1
        addr = escape(req.to or "http://localhost/wsman")
        body_xml = (
            f"<x:ResourceCreated><a:Address>{addr}</a:Address><a:ReferenceParameters>"
            f"<w:ResourceURI>{escape(shell.resource_uri)}</w:ResourceURI><w:SelectorSet>"
            f'<w:Selector Name="ShellId">{sid}</w:Selector></w:SelectorSet></a:ReferenceParameters>'
            f"</x:ResourceCreated>{shell.xml()}"
        )
        return soap.response(req, soap.NS_TRANSFER + "/CreateResponse", body_xml)

    def _feed(self, host: PoolHost, data: bytes, stream: StreamType = StreamType.default) -> None:
        try:
            host.feed(data, stream)
        except PSRPDataError as e:
            # What the PowerShell plugin reports for data it cannot process (ERROR_INVALID_DATA).
            raise soap.Fault("w:InternalError", "The WS-Management service cannot process the request. ", 13,
                             str(e), sender=False) from e

    def _delete(self, req: soap.Request) -> bytes:
        shell = self._shell(req)
        with self.service.shells_lock:
            self.service.shells.pop(shell.shell_id, None)
        shell.host.close()
        return soap.response(req, soap.NS_TRANSFER + "/DeleteResponse", "")

    def _command(self, req: soap.Request) -> bytes:
        shell = self._shell(req)
        if shell.state != "Connected":
            raise _disconnected_fault(shell.shell_id)
        cl = soap.find(req.body, soap.NS_SHELL, "CommandLine")
        if cl is None:
            raise soap.schema_fault("The Command request has no rsp:CommandLine element.")
        cid = (cl.get("CommandId") or soap.new_uuid()).upper()
        try:
            pid = uuid.UUID(cid)
        except ValueError as e:
            raise soap.schema_fault(f"CommandId {cid} is not a GUID.") from e
        args = soap.el_text(soap.find(cl, soap.NS_SHELL, "Arguments"))
        shell.host.prepare_pipeline(pid)
        shell.commands.add(cid)
        if args:
            self._feed(shell.host, _b64(args))
        return soap.response(req, soap.NS_SHELL + "/CommandResponse",
                             f"<rsp:CommandResponse><rsp:CommandId>{cid}</rsp:CommandId></rsp:CommandResponse>")

    def _send_op(self, req: soap.Request) -> bytes:
        shell = self._shell(req)
        for st in soap.findall(req.body, soap.NS_SHELL, "Stream"):
            cid = st.get("CommandId")
            if cid and cid.upper() not in shell.commands:
                raise soap.command_not_found()
            stream = StreamType.prompt_response if st.get("Name") == "pr" else StreamType.default
            data = soap.el_text(st)
            if data:
                self._feed(shell.host, _b64(data), stream)
        return soap.response(req, soap.NS_SHELL + "/SendResponse", "<rsp:SendResponse/>")

    def _receive(self, req: soap.Request) -> bytes:
        svc = self.service
        shell = self._shell(req)
        ds = soap.find(req.body, soap.NS_SHELL, "DesiredStream")
        cid = ds.get("CommandId").upper() if ds is not None and ds.get("CommandId") else None
        target: uuid.UUID | None = None
        if cid:
            if cid not in shell.commands:
                raise soap.command_not_found()
            target = uuid.UUID(cid)
        if svc.knobs.take_drop_receive():
            raise _Drop()
        stall = svc.knobs.stall_receive
        if stall:
            time.sleep(stall)
        host = shell.host
        timeout = req.operation_timeout if req.operation_timeout is not None else 60.0

        def ready() -> bool:
            if host.has_data(target):
                return True
            if target is not None:
                run = host.runs.get(target)
                # A pending host call is reported with the data that carries it, not on its own
                # (that would turn the long poll into a busy loop).
                return bool(run and run.finished)
            return False

        got = host.wait(ready, timeout)
        shell.last_used = time.monotonic()
        if not got:
            raise soap.timed_out()
        limit = min(req.max_envelope_size or svc.knobs.max_envelope_bytes, svc.knobs.max_envelope_bytes)
        cid_attr = f' CommandId="{cid}"' if cid else ""
        stream_overhead = len(f'<rsp:Stream Name="stdout"{cid_attr}></rsp:Stream>')
        # Room for the envelope, headers and CommandState; the rest carries base64 fragments.
        budget = limit - 1400

        def cost(n: int) -> int:
            return 4 * ((n + 2) // 3) + stream_overhead

        with host.lock:
            frags = host.take(target, max(budget, 0), cost)
            streams = "".join(
                f'<rsp:Stream Name="stdout"{cid_attr}>{base64.b64encode(d).decode()}</rsp:Stream>' for d, _ in frags
            )
            state = ""
            if target is not None:
                run = host.runs.get(target)
                if host.pipeline_done(target):
                    state = (f'<rsp:CommandState CommandId="{cid}" State="{soap.COMMAND_STATE_DONE}">'
                             f"<rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState>")
                    host.forget_pipeline(target)
                    shell.commands.discard(cid)
                    shell.done_commands.add(cid)
                elif run is not None and run.pending_host_calls and frags:
                    state = f'<rsp:CommandState CommandId="{cid}" State="{soap.COMMAND_STATE_PENDING}"/>'
        if not frags and not state:
            raise soap.timed_out()
        return soap.response(req, soap.NS_SHELL + "/ReceiveResponse",
                             f"<rsp:ReceiveResponse>{streams}{state}</rsp:ReceiveResponse>")

    def _signal(self, req: soap.Request) -> bytes:
        shell = self._shell(req)
        sig = soap.find(req.body, soap.NS_SHELL, "Signal")
        cid = (sig.get("CommandId") or "").upper() if sig is not None else ""
        code = soap.el_text(soap.find(sig, soap.NS_SHELL, "Code"))
        if cid:
            if cid in shell.done_commands:
                if code == soap.SIGNAL_TERMINATE:
                    shell.done_commands.discard(cid)
                return soap.response(req, soap.NS_SHELL + "/SignalResponse", "<rsp:SignalResponse/>", activity=False)
            if cid not in shell.commands:
                raise soap.command_not_found()
            pid = uuid.UUID(cid)
            if code == soap.SIGNAL_TERMINATE:
                shell.host.stop_pipeline(pid)
                shell.host.forget_pipeline(pid)
                shell.commands.discard(cid)
            elif code in soap.SIGNAL_PS_CTRL_C or code in (soap.SIGNAL_CTRL_C, soap.SIGNAL_CTRL_BREAK):
                shell.host.stop_pipeline(pid)
            else:
                raise soap.schema_fault(f"The signal code {code} is not supported.")
        return soap.response(req, soap.NS_SHELL + "/SignalResponse", "<rsp:SignalResponse/>", activity=False)

    def _disconnect(self, req: soap.Request) -> bytes:
        shell = self._shell(req)
        idle = soap.find(req.body, soap.NS_SHELL, "IdleTimeOut")
        if idle is not None:
            secs = soap.parse_duration(soap.el_text(idle))
            if secs and secs > 0:
                shell.idle_timeout = secs
        shell.state = "Disconnected"
        shell.host.disconnect()
        return soap.response(req, soap.NS_SHELL + "/DisconnectResponse", "")

    def _reconnect(self, req: soap.Request) -> bytes:
        shell = self._shell(req)
        shell.state = "Connected"
        shell.host.reconnect()
        return soap.response(req, soap.NS_SHELL + "/ReconnectResponse", "")

    def _connect(self, req: soap.Request) -> bytes:
        """A new client takes over a disconnected shell: connectXml carries SESSION_CAPABILITY +
        CONNECT_RUNSPACEPOOL; with a CommandId it re-attaches to a running command."""
        shell = self._shell(req)
        body = soap.find(req.body, soap.NS_SHELL, "Connect")
        cid = (body.get("CommandId") or "").upper() if body is not None else ""
        if cid:
            # Reconnecting to a running command: its output stays queued and comes by Receive.
            if cid not in shell.commands:
                raise soap.command_not_found()
            if shell.state != "Connected":
                raise _disconnected_fault(shell.shell_id)
            return soap.response(req, soap.NS_SHELL + "/ConnectResponse", "<rsp:ConnectResponse/>")
        cx = soap.find(body, soap.NS_PWSH, "connectXml")
        if cx is None:
            raise soap.schema_fault("The Connect request has no connectXml.")
        host = shell.host
        host.prepare_connect()
        self._feed(host, _b64(soap.el_text(cx)))
        with host.lock:
            # Windows answers SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA inline; the rest comes by Receive.
            frags = host.take_leading(None, {PSRPMessageType.SessionCapability, PSRPMessageType.RunspacePoolInitData})
        shell.state = "Connected"
        payload = base64.b64encode(b"".join(frags)).decode()
        return soap.response(
            req, soap.NS_SHELL + "/ConnectResponse",
            f"<rsp:ConnectResponse><rsp:InputStreams>{shell.input_streams}</rsp:InputStreams>"
            f"<rsp:OutputStreams>{shell.output_streams}</rsp:OutputStreams>"
            f'<connectResponseXml xmlns="{soap.NS_PWSH}">{payload}</connectResponseXml></rsp:ConnectResponse>',
        )

    def _enumerate_shells(self, req: soap.Request) -> bytes:
        with self.service.shells_lock:
            shells = [s for s in self.service.shells.values() if s.owner == self.user]
        if req.resource_uri.lower().startswith(PS_RESOURCE_PREFIX.lower()):
            shells = [s for s in shells if s.resource_uri.lower() == req.resource_uri.lower()]
        items = "".join(s.xml() for s in shells)
        return soap.response(
            req, soap.NS_ENUMERATION + "/EnumerateResponse",
            f'<n:EnumerateResponse xmlns:n="{soap.NS_ENUMERATION}"><n:EnumerationContext></n:EnumerationContext>'
            f"<w:Items>{items}</w:Items><w:EndOfSequence/></n:EnumerateResponse>",
        )

    def _enumerate_commands(self, req: soap.Request) -> bytes:
        """The commands of one shell (Enumerate with a SelectorFilter on ShellId), as
        Get-PSSession/pypsrp's get_runspace_pools ask before reconnecting."""
        flt = soap.find(req.body, soap.NS_WSMAN, "Filter")
        sid = ""
        if flt is not None:
            for s in soap.findall(flt, soap.NS_WSMAN, "Selector"):
                if s.get("Name") == "ShellId":
                    sid = soap.el_text(s).upper()
        with self.service.shells_lock:
            shell = self.service.shells.get(sid)
        if shell is None or shell.owner != self.user:
            raise soap.shell_not_found(sid)
        items = "".join(
            f'<rsp:Command xmlns:rsp="{soap.NS_SHELL}"><rsp:CommandId>{c}</rsp:CommandId>'
            f"<rsp:CommandLine></rsp:CommandLine><rsp:CommandState>Running</rsp:CommandState></rsp:Command>"
            for c in sorted(shell.commands)
            if not shell.host.pipeline_done(uuid.UUID(c))
        )
        items_xml = f"<w:Items>{items}</w:Items>" if items else ""
        return soap.response(
            req, soap.NS_ENUMERATION + "/EnumerateResponse",
            f'<n:EnumerateResponse xmlns:n="{soap.NS_ENUMERATION}"><n:EnumerationContext></n:EnumerationContext>'
            f"{items_xml}<w:EndOfSequence/></n:EnumerateResponse>",
        )

    def _get_shell(self, req: soap.Request) -> bytes:
        sid = req.shell_id or ""
        with self.service.shells_lock:
            shell = self.service.shells.get(sid)
        if shell is None or shell.owner != self.user:
            f = soap.Fault(
                "w:InvalidSelectors",
                "The WS-Management service cannot process the request because the request contained invalid "
                "selectors for the resource. ",
                2150858843,
                "The WS-Management service cannot process the request because the request contained invalid "
                "selectors for the resource. ",
                detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors",
                provider_fault=True,
            )
            raise f
        return soap.response(req, soap.NS_TRANSFER + "/GetResponse", shell.xml(), activity=False)


def _disconnected_fault(shell_id: str) -> soap.Fault:
    return soap.Fault(
        "w:InvalidSelectors",
        "The WS-Management service cannot process the request because the request contained invalid selectors "
        "for the resource. ",
        2150858843,
        f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell is "
        "disconnected. Reconnect to the shell and retry the operation. ",
        detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors",
    )


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=False)
    except Exception as e:
        raise soap.schema_fault("The stream data is not base64.") from e


def identify_response(authenticated: bool) -> bytes:
    """DSP0226 wsmid:Identify. Unauthenticated answers hide the OS version (WinRM: OS 0.0.0)."""
    version = "OS: 10.0.17763 SP: 0.0 Stack: 3.0" if authenticated else "OS: 0.0.0 SP: 0.0 Stack: 3.0"
    profiles = ""
    if authenticated:
        profiles = (
            "<wsmid:SecurityProfiles><wsmid:SecurityProfileName>"
            "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos"
            "</wsmid:SecurityProfileName></wsmid:SecurityProfiles>"
        )
    return (
        f'<s:Envelope xmlns:s="{soap.NS_SOAP}" xmlns:wsmid="{soap.NS_WSMID}"><s:Header/><s:Body>'
        f'<wsmid:IdentifyResponse><wsmid:ProtocolVersion>{soap.NS_WSMAN}</wsmid:ProtocolVersion>'
        f"<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>"
        f"<wsmid:ProductVersion>{version}</wsmid:ProductVersion>{profiles}"
        f"</wsmid:IdentifyResponse></s:Body></s:Envelope>"
    ).encode()


class Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class TLSListener(Listener):
    def __init__(self, addr: tuple[str, int], handler: type, context: ssl.SSLContext) -> None:
        super().__init__(addr, handler)
        self.tls = context

    def get_request(self) -> tuple[socket.socket, t.Any]:
        sock, addr = self.socket.accept()
        sock.settimeout(30)
        return sock, addr

    def finish_request(self, request: t.Any, client_address: t.Any) -> None:
        # The TLS handshake runs on the connection's own thread, so a slow client blocks nobody.
        try:
            tls = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log.info("TLS handshake failed: %s", e)
            return
        tls.settimeout(None)
        self.RequestHandlerClass(tls, client_address, self)


def make_handler(service: Service, https: bool) -> type:
    return type("WSManHandler", (Handler,), {"service": service, "https": https})
