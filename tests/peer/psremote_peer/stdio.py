"""The PowerShell out-of-process transport on stdin/stdout (the framing PowerShell's
OutOfProcTransportManager uses for ``pwsh -s`` and the SSH ``powershell`` subsystem).

One XML element per line:
client → server: ``<Data Stream='Default|PromptResponse' PSGuid='…'>base64</Data>``,
``<Command PSGuid='…' />``, ``<Signal PSGuid='…' />``, ``<Close PSGuid='…' />``;
server → client: ``<Data …>``, ``<DataAck PSGuid='…' />``, ``<CommandAck …/>``, ``<SignalAck …/>``,
``<CloseAck …/>``. The nil GUID addresses the RunspacePool; any other a pipeline.
"""

from __future__ import annotations

import base64
import logging
import sys
import threading
import typing as t
import uuid
from xml.etree import ElementTree as ET

from psrpcore import StreamType

from .runspace import PoolHost, PSRPDataError

log = logging.getLogger(__name__)
NIL = uuid.UUID(int=0)
# Fragments of at most this many bytes go in one <Data> line (PowerShell uses 32 KiB too).
FRAGMENT_SIZE = 32 * 1024


class StdioServer:
    def __init__(self, engine: t.Any, configuration: str, rfile: t.BinaryIO, wfile: t.BinaryIO) -> None:
        self.host = PoolHost(engine, configuration)
        self.rfile = rfile
        self.wfile = wfile
        self._wlock = threading.Lock()
        self._done = threading.Event()

    def write(self, line: str) -> None:
        with self._wlock:
            self.wfile.write(line.encode("utf-8") + b"\n")
            self.wfile.flush()

    def _writer(self) -> None:
        host = self.host
        while not self._done.is_set():
            with host.lock:
                host.wait(lambda: any(host.queues.values()) or self._done.is_set() or host.closed, 0.5)
                batch: list[tuple[uuid.UUID | None, bytes, StreamType]] = []
                for target in list(host.queues):
                    for data, stream in host.take(target, FRAGMENT_SIZE):
                        batch.append((target, data, stream))
            for target, data, stream in batch:
                name = "PromptResponse" if stream == StreamType.prompt_response else "Default"
                self.write(f"<Data Stream='{name}' PSGuid='{target or NIL}'>{base64.b64encode(data).decode()}</Data>")
            if host.closed and not any(host.queues.values()):
                return

    def serve(self) -> int:
        writer = threading.Thread(target=self._writer, name="stdio-writer", daemon=True)
        writer.start()
        try:
            for raw in self.rfile:
                line = raw.strip().lstrip(b"\xef\xbb\xbf")
                if not line:
                    continue
                if not self._packet(line):
                    break
        finally:
            self.host.close()
            self._done.set()
            writer.join(timeout=5)
        return 0

    def _packet(self, line: bytes) -> bool:
        try:
            el = ET.fromstring(line)
            guid = uuid.UUID(el.get("PSGuid", ""))
        except (ET.ParseError, ValueError) as e:
            log.warning("ignoring a malformed packet %r: %s", line[:80], e)
            return True
        tag = el.tag
        if tag == "Data":
            stream = StreamType.prompt_response if el.get("Stream") == "PromptResponse" else StreamType.default
            try:
                data = base64.b64decode(el.text or "")
                if data:
                    self.host.feed(data, stream)
            except PSRPDataError as e:
                log.warning("%s", e)
            except ValueError as e:
                log.warning("bad base64 in <Data>: %s", e)
            self.write(f"<DataAck PSGuid='{guid}' />")
        elif tag == "Command":
            self.host.prepare_pipeline(guid)
            self.write(f"<CommandAck PSGuid='{guid}' />")
        elif tag == "Signal":
            self.host.stop_pipeline(guid)
            self.write(f"<SignalAck PSGuid='{guid}' />")
        elif tag == "Close":
            if guid == NIL:
                # Let the writer flush what is queued (e.g. the final RUNSPACEPOOL_STATE) first.
                self.host.wait(lambda: not any(self.host.queues.values()), 5)
                self.write(f"<CloseAck PSGuid='{guid}' />")
                return False
            self.host.wait(lambda: not self.host.queues.get(guid), 5)
            self.host.forget_pipeline(guid)
            self.write(f"<CloseAck PSGuid='{guid}' />")
        elif tag == "DataAck":
            pass
        else:
            log.warning("ignoring unknown packet <%s>", tag)
        return True


def run_stdio(engine: t.Any, configuration: str) -> int:
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but packets may reach the client
    return StdioServer(engine, configuration, sys.stdin.buffer, out).serve()
