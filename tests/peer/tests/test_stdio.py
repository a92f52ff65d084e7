"""``python -m psremote_peer stdio``: the out-of-process framing, driven by psrpcore's client."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import uuid

import psrpcore
from psrpcore.types import PSInvocationState, RunspacePoolState

from conftest import peer_env

NIL = "00000000-0000-0000-0000-000000000000"


class StdioClient:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "psremote_peer", "stdio", *args], env=peer_env(),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
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
