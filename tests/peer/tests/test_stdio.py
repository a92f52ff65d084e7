"""``python -m psremote_peer stdio``: the out-of-process framing, driven by psrpcore's client."""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid

import psrpcore
import pytest
from conftest import peer_env
from psrpcore.types import PSInvocationState, RunspacePoolState

NIL = "00000000-0000-0000-0000-000000000000"


class StdioClient:
    def __init__(self, *args: str, argv: list[str] | None = None) -> None:
        argv = argv or [sys.executable, "-m", "psremote_peer", "stdio", *args]
        self.proc = subprocess.Popen(argv, env=peer_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.pool = psrpcore.ClientRunspacePool()
        self.lines: list[str] = []

    def send_line(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def read_line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        assert line, "the endpoint closed stdout"
        self.lines.append(line)
        return line

    def flush(self, guid: str = NIL) -> None:
        while True:
            payload = self.pool.data_to_send()
            if payload is None:
                return
            stream = "PromptResponse" if payload.stream_type == psrpcore.StreamType.prompt_response else "Default"
            pid = str(payload.pipeline_id) if payload.pipeline_id else NIL
            self.send_line(f"<Data Stream='{stream}' PSGuid='{pid}'>{base64.b64encode(payload.data).decode()}</Data>")
            self.expect(f"<DataAck PSGuid='{pid}' />")

    def expect(self, wanted: str) -> None:
        while True:
            line = self.read_line()
            if line == wanted:
                return
            self.handle(line)

    def handle(self, line: str) -> None:
        m = re.fullmatch(r"<Data Stream='(\w+)' PSGuid='([0-9a-f-]+)'>([A-Za-z0-9+/=]*)</Data>", line)
        assert m, line
        self.pool.receive_data(psrpcore.PSRPPayload(base64.b64decode(m.group(3)), psrpcore.StreamType.default,
                                                    None))

    def events_until(self, done) -> list:
        events = []
        while True:
            ev = self.pool.next_event()
            if ev is not None:
                events.append(ev)
                if done(ev):
                    return events
                continue
            self.handle(self.read_line())

    def open(self) -> None:
        self.pool.open()
        self.flush()
        self.events_until(lambda e: isinstance(e, psrpcore.RunspacePoolStateEvent))
        assert self.pool.state == RunspacePoolState.Opened

    def run(self, build) -> tuple[list, list]:
        ps = psrpcore.ClientPowerShell(self.pool)
        build(ps)
        ps.start()
        pid = str(ps.pipeline_id)
        self.send_line(f"<Command PSGuid='{pid}' />")
        self.expect(f"<CommandAck PSGuid='{pid}' />")
        self.flush()
        events = self.events_until(lambda e: isinstance(e, psrpcore.PipelineStateEvent))
        self.send_line(f"<Close PSGuid='{pid}' />")
        self.expect(f"<CloseAck PSGuid='{pid}' />")
        ps.close()
        return events, [e.data for e in events if isinstance(e, psrpcore.PipelineOutputEvent)]

    def close(self) -> int:
        self.send_line(f"<Close PSGuid='{NIL}' />")
        self.expect(f"<CloseAck PSGuid='{NIL}' />")
        return self.proc.wait(10)


def test_stdio_open_run_and_close():
    c = StdioClient()
    try:
        c.open()
        events, out = c.run(lambda ps: ps.add_command("Write-Output").add_parameter("InputObject", "over stdio"))
        assert out == ["over stdio"]
        assert events[-1].state == PSInvocationState.Completed
        # State persists across pipelines on the same runspace pool.
        c.run(lambda ps: ps.add_script("$viaStdio = 42"))
        _, out = c.run(lambda ps: ps.add_script("$viaStdio"))
        assert [str(o) for o in out] == ["42"]
        assert c.close() == 0
    finally:
        c.proc.kill()


def test_stdio_streams_and_failures():
    c = StdioClient()
    try:
        c.open()
        events, _ = c.run(lambda ps: ps.add_command("Write-Warning").add_parameter("Message", "careful"))
        assert any(isinstance(e, psrpcore.WarningRecordEvent) for e in events)
        events, _ = c.run(lambda ps: ps.add_command("Get-NoSuchThing"))
        assert events[-1].state == PSInvocationState.Failed
        assert c.close() == 0
    finally:
        c.proc.kill()


def test_stdio_data_lines_are_the_documented_framing():
    c = StdioClient()
    try:
        c.open()
        c.close()
    finally:
        c.proc.kill()
    first = c.lines[0]
    assert first.startswith(f"<Data Stream='Default' PSGuid='{NIL}'>") or first == f"<DataAck PSGuid='{NIL}' />"
    assert c.lines[-1] == f"<CloseAck PSGuid='{NIL}' />"
    assert all(line.startswith("<") and line.endswith(">") for line in c.lines)


def test_stdio_signal_stops_a_pipeline():
    c = StdioClient()
    try:
        c.open()
        ps = psrpcore.ClientPowerShell(c.pool)
        ps.add_command("Start-Sleep").add_parameter("Seconds", 60)
        ps.start()
        pid = str(ps.pipeline_id)
        c.send_line(f"<Command PSGuid='{pid}' />")
        c.expect(f"<CommandAck PSGuid='{pid}' />")
        c.flush()
        c.send_line(f"<Signal PSGuid='{pid}' />")
        c.expect(f"<SignalAck PSGuid='{pid}' />")
        events = c.events_until(lambda e: isinstance(e, psrpcore.PipelineStateEvent))
        assert events[-1].state == PSInvocationState.Stopped
        c.close()
    finally:
        c.proc.kill()


def test_stdio_survives_garbage_lines():
    c = StdioClient()
    try:
        c.send_line("this is not xml")
        c.send_line(f"<Frob PSGuid='{uuid.uuid4()}' />")
        c.open()
        assert c.close() == 0
    finally:
        c.proc.kill()


def test_stdio_restricted_configuration_refuses_scripts():
    c = StdioClient("--configuration", "Restricted")
    try:
        c.open()
        events, _ = c.run(lambda ps: ps.add_script("Write-Output 'script'"))
        assert events[-1].state == PSInvocationState.Failed
        assert "ScriptsNotAllowed" in str(events[-1].reason.FullyQualifiedErrorId)
        c.close()
    finally:
        c.proc.kill()


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def sshd(tmp_path):
    """A real OpenSSH server on loopback whose `powershell` subsystem is this endpoint's stdio mode."""
    if not os.path.exists("/usr/sbin/sshd") or not shutil.which("ssh"):
        pytest.skip("OpenSSH (openssh-server/openssh-client) is not installed; run tests/peer/setup.sh")
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / name)], check=True)
    (tmp_path / "authorized_keys").write_text((tmp_path / "client_key.pub").read_text())
    os.makedirs("/run/sshd", exist_ok=True)
    port = _free_port()
    env_prefix = " ".join(f"{k}={v}" for k, v in peer_env().items() if k in ("PYTHONPATH", "PSREMOTE_PEER_ENGINE"))
    (tmp_path / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {tmp_path}/host_key\nPidFile {tmp_path}/sshd.pid\n"
        f"AuthorizedKeysFile {tmp_path}/authorized_keys\nPubkeyAuthentication yes\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
        "LogLevel ERROR\n"
        f"Subsystem powershell /usr/bin/env {env_prefix} {sys.executable} -m psremote_peer stdio\n"
    )
    proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(tmp_path / "sshd_config")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert proc.poll() is None, "sshd exited at start"
            time.sleep(0.05)
    user = os.environ.get("USER") or "root"
    yield ["ssh", "-q", "-p", str(port), "-i", str(tmp_path / "client_key"), "-o", "StrictHostKeyChecking=no",
           "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", f"{user}@127.0.0.1", "-s", "powershell"]
    proc.terminate()
    proc.wait(10)


def test_stdio_as_sshd_powershell_subsystem(sshd):
    c = StdioClient(argv=sshd)
    try:
        c.open()
        _, out = c.run(lambda ps: ps.add_command("Write-Output").add_parameter("InputObject", "over ssh"))
        assert out == ["over ssh"]
        assert c.close() == 0
    finally:
        c.proc.kill()
