"""The server side of one RunspacePool (MS-PSRP 3.2): psrpcore's ServerRunspacePool, the engine's
runspace, one worker thread per pipeline, and per-target queues of outgoing PSRP messages.

Transport-neutral: the WS-Man shell (``wsman``) and the out-of-process framing (``stdio``) both feed
client fragments in with :meth:`PoolHost.feed` and take server fragments out with
:meth:`PoolHost.take`.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
import typing as t
import uuid

import psrpcore
from psrpcore import (
    ConnectRunspacePoolEvent,
    CreatePipelineEvent,
    EndOfPipelineInputEvent,
    GetAvailableRunspacesEvent,
    GetCommandMetadataEvent,
    InitRunspacePoolEvent,
    PipelineHostResponseEvent,
    PipelineInputEvent,
    PSRPPayload,
    ResetRunspaceStateEvent,
    ServerPipeline,
    ServerRunspacePool,
    SessionCapabilityEvent,
    SetMaxRunspacesEvent,
    SetMinRunspacesEvent,
    StreamType,
)
from psrpcore.types import (
    ErrorCategory,
    ErrorCategoryInfo,
    ErrorRecord,
    HostMethodIdentifier,
    NETException,
    PSInvocationState,
    RunspacePoolState,
)

from .contract import PipelineFailed

log = logging.getLogger(__name__)

UTF8_BOM = b"\xef\xbb\xbf"
FRAGMENT_HEADER = 21  # MS-PSRP 2.2.4: ObjectId(8) FragmentId(8) Flags(1) BlobLength(4)
# A worker pauses writing once this many bytes wait for the client, so a large output is streamed
# rather than built in memory.
BACKLOG_LIMIT = 4 * 1024 * 1024


class PSRPDataError(Exception):
    """Client data that is not valid PSRP (bad fragment, unknown message type, bad CLIXML)."""


def error_record(message: str, fqid: str, category: ErrorCategory, exc_type: str, target: t.Any = None) -> ErrorRecord:
    """An ErrorRecord with a typed exception, as PowerShell serializes one (MS-PSRP 2.2.3.15)."""
    exc = NETException(Message=message)
    exc.PSObject.type_names = [exc_type, "System.SystemException", "System.Exception", "System.Object"]
    return ErrorRecord(
        Exception=exc,
        CategoryInfo=ErrorCategoryInfo(Category=category, Reason=exc_type.rsplit(".", 1)[-1], TargetName="",
                                       TargetType=""),
        TargetObject=target,
        FullyQualifiedErrorId=fqid,
    )


def application_private_data() -> dict:
    """APPLICATION_PRIVATE_DATA (MS-PSRP 2.2.2.13) with a Windows PowerShell 5.1 PSVersionTable."""
    return {
        "DebugMode": 1,
        "DebugStop": False,
        "UnhandledBreakpointMode": 0,
        "PSVersionTable": {
            "PSVersion": psrpcore.types.PSVersion("5.1.17763.1"),
            "PSEdition": "Desktop",
            "PSCompatibleVersions": [psrpcore.types.PSVersion(v) for v in ("1.0", "2.0", "3.0", "4.0", "5.0",
                                                                           "5.1.17763.1")],
            "BuildVersion": psrpcore.types.PSVersion("10.0.17763.1"),
            "CLRVersion": psrpcore.types.PSVersion("4.0.30319.42000"),
            "WSManStackVersion": psrpcore.types.PSVersion("3.0"),
            "PSRemotingProtocolVersion": psrpcore.types.PSVersion("2.3"),
            "SerializationVersion": psrpcore.types.PSVersion("1.1.0.1"),
        },
    }


class HostCallError(Exception):
    """The client answered a host call with an error record."""

    def __init__(self, error: t.Any) -> None:
        super().__init__(str(error))
        self.error = error


class PipelineRun:
    """One running pipeline: the PipelineContext the engine writes to (see contract.py)."""

    def __init__(self, host: "PoolHost", pipeline: ServerPipeline) -> None:
        self._host = host
        self.pipeline = pipeline
        self.pipeline_id = pipeline.pipeline_id
        self._input: "queue.Queue[t.Any]" = queue.Queue()
        self._end = object()
        self._stopping = threading.Event()
        self._host_calls: dict[int, "queue.Queue[t.Any]"] = {}
        self.finished = False  # the final PIPELINE_STATE is queued
        self.pending_host_calls = 0
        self.has_input_flag = False
        self.thread: threading.Thread | None = None

    # -- PipelineContext -------------------------------------------------------------------------
    def _write(self, fn: t.Callable[[], None]) -> None:
        if self._stopping.is_set():
            raise _Stopped()
        self._host.wait_backlog(self.pipeline_id, self._stopping)
        with self._host.lock:
            if self.pipeline.state != PSInvocationState.Running:
                raise _Stopped()
            fn()
            self._host.drain()

    def write_output(self, value: t.Any) -> None:
        self._write(lambda: self.pipeline.write_output(value))

    def write_error(self, error_record: t.Any) -> None:
        def go() -> None:
            # ServerPipeline.write_error builds the record from parts; queue the given record as is.
            error_record.serialize_extended_info = getattr(error_record, "InvocationInfo", None) is not None
            self.pipeline.prepare_message(error_record, message_type=psrpcore.types.PSRPMessageType.ErrorRecord)

        self._write(go)

    def write_warning(self, message: str) -> None:
        self._write(lambda: self.pipeline.write_warning(message))

    def write_verbose(self, message: str) -> None:
        self._write(lambda: self.pipeline.write_verbose(message))

    def write_debug(self, message: str) -> None:
        self._write(lambda: self.pipeline.write_debug(message))

    def write_information(self, message_data: t.Any, source: str, tags: list[str] | None = None) -> None:
        self._write(lambda: self.pipeline.write_information(message_data, source, tags=tags, user="psremote",
                                                            computer="localhost"))

    def write_progress(self, activity: str, activity_id: int, status: str, percent: int = -1,
                       completed: bool = False) -> None:
        rt = psrpcore.types.ProgressRecordType.Completed if completed else psrpcore.types.ProgressRecordType.Processing
        self._write(lambda: self.pipeline.write_progress(activity, activity_id, status, percent_complete=percent,
                                                         record_type=rt))

    def input(self) -> t.Iterator[t.Any]:
        if not self.has_input_flag:
            return
        while True:
            try:
                item = self._input.get(timeout=0.2)
            except queue.Empty:
                if self._stopping.is_set():
                    raise _Stopped() from None
                continue
            if item is self._end:
                self._input.put(self._end)  # stay ended for a second iterator
                return
            yield item

    @property
    def has_input(self) -> bool:
        return self.has_input_flag

    def host_call(self, method: t.Any, args: list[t.Any]) -> t.Any:
        if not isinstance(method, HostMethodIdentifier):
            method = HostMethodIdentifier(int(method))
        reply: "queue.Queue[t.Any]" = queue.Queue()
        with self._host.lock:
            if self.pipeline.state != PSInvocationState.Running:
                raise _Stopped()
            ci = self.pipeline.host_call(method, args)
            self._host.drain()
            if ci == -100:  # a void host method gets no response (call id -100)
                return None
            self._host_calls[ci] = reply
            self.pending_host_calls += 1
            self._host.cond.notify_all()
        try:
            while True:
                try:
                    event = reply.get(timeout=0.2)
                    break
                except queue.Empty:
                    if self._stopping.is_set():
                        raise _Stopped() from None
        finally:
            with self._host.lock:
                self._host_calls.pop(ci, None)
                self.pending_host_calls -= 1
        if event.error is not None:
            raise HostCallError(event.error)
        return event.result

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # -- server side -----------------------------------------------------------------------------
    def add_input(self, value: t.Any) -> None:
        self._input.put(value)

    def end_input(self) -> None:
        self._input.put(self._end)

    def host_response(self, event: PipelineHostResponseEvent) -> None:
        q = self._host_calls.get(event.ci)
        if q is not None:
            q.put(event)

    def request_stop(self) -> None:
        self._stopping.set()


class _Stopped(Exception):
    """Raised inside a worker when the pipeline was stopped; unwinds the engine."""


class PoolHost:
    """One RunspacePool on the server with its pipelines."""

    def __init__(self, engine: t.Any, configuration: str, on_data: t.Callable[[], None] | None = None,
                 fault_knobs: t.Any = None) -> None:
        self.engine = engine
        self.configuration = configuration
        self.pool = ServerRunspacePool(application_private_data=application_private_data())
        self.runspace: t.Any = None
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.queues: dict[uuid.UUID | None, collections.deque] = collections.defaultdict(collections.deque)
        self.backlog: dict[uuid.UUID | None, int] = collections.defaultdict(int)
        self.runs: dict[uuid.UUID, PipelineRun] = {}
        self.closed = False
        self.knobs = fault_knobs
        self._on_data = on_data

    # -- outgoing --------------------------------------------------------------------------------
    def drain(self) -> None:
        """Moves psrpcore's send buffer into per-target queues (caller holds the lock)."""
        buf = self.pool._send_buffer  # psrpcore keeps one ordered buffer per pool
        if not buf:
            return
        for msg in buf:
            # Windows writes a UTF-8 BOM before the CLIXML of every message (MS-PSRP 2.2.1 example).
            if len(msg) > 40:
                msg._data[40:40] = UTF8_BOM
            elif msg.message_type == psrpcore.types.PSRPMessageType.PipelineOutput:
                # psrpcore writes a $null output object as no data at all; Windows serializes
                # it like any other object, as `<Nil />` (MS-PSRP 2.2.5.1.20).
                msg._data[40:40] = UTF8_BOM + b"<Nil />"
            self.queues[msg.pipeline_id].append(msg)
            self.backlog[msg.pipeline_id] += len(msg)
        buf.clear()
        self.cond.notify_all()
        if self._on_data:
            self._on_data()

    def wait_backlog(self, target: uuid.UUID | None, stopping: threading.Event) -> None:
        with self.lock:
            while self.backlog[target] > BACKLOG_LIMIT and not stopping.is_set() and not self.closed:
                self.cond.wait(0.2)

    def has_data(self, target: uuid.UUID | None) -> bool:
        return bool(self.queues.get(target))

    def take(self, target: uuid.UUID | None, budget: int | None, fragment_cost: t.Callable[[int], int] | None = None,
             ) -> list[tuple[bytes, StreamType]]:
        """Fragments for one target, at most ``budget`` bytes as counted by ``fragment_cost``.

        Each item is one fragment (MS-PSRP 2.2.4); a message larger than the budget is split and its
        remaining fragments come on the next take. Caller holds the lock.
        """
        out: list[tuple[bytes, StreamType]] = []
        q = self.queues.get(target)
        cost = fragment_cost or (lambda n: n)
        while q:
            msg = q[0]
            if budget is None:
                room = len(msg)
            else:
                # Largest blob whose fragment still fits.
                room = _max_blob(budget, cost)
                if room <= 0:
                    break
                if room < len(msg) and out and room < 1024:
                    break  # not worth a tiny split; the rest goes in the next response
            frag = msg.fragment(room)
            data = psrpcore._payload.create_fragment(frag.object_id, frag.fragment_id, bytes(frag.data), frag.end)
            if target is not None:
                data = self._apply_fragment_knobs(data)
            out.append((data, msg.stream_type))
            self.backlog[target] -= len(frag.data)
            if budget is not None:
                budget -= cost(len(data))
            if len(msg) == 0:
                q.popleft()
        if out:
            self.cond.notify_all()
        return out

    def take_leading(self, target: uuid.UUID | None, message_types: set[t.Any]) -> list[bytes]:
        """Whole fragments of the queued messages at the head while their type is in the set."""
        out = []
        q = self.queues.get(target)
        while q and q[0].message_type in message_types:
            msg = q.popleft()
            self.backlog[target] -= len(msg)
            frag = msg.fragment(len(msg))
            out.append(psrpcore._payload.create_fragment(frag.object_id, frag.fragment_id, bytes(frag.data), True))
        return out

    def _apply_fragment_knobs(self, data: bytes) -> bytes:
        k = self.knobs
        if k is None:
            return data
        return k.mangle_fragment(data)

    # -- incoming --------------------------------------------------------------------------------
    def prepare_pipeline(self, pipeline_id: uuid.UUID) -> None:
        """Registers a pipeline before its CREATE_PIPELINE arrives (WS-Man Command / stdio <Command>)."""
        with self.lock:
            if pipeline_id not in self.pool.pipeline_table:
                ServerPipeline(self.pool, pipeline_id)

    def feed(self, data: bytes, stream: StreamType = StreamType.default) -> None:
        """Processes client fragments; raises PSRPDataError for data that is not valid PSRP."""
        with self.lock:
            try:
                self.pool.receive_data(PSRPPayload(data, stream, None))
                while True:
                    event = self._next_event()
                    if event is None:
                        break
                    try:
                        self._handle(event)
                    except PSRPDataError:
                        raise
                    except Exception as e:  # e.g. a message in the wrong state; the client learns by a fault
                        log.exception("handling %r failed", event)
                        raise PSRPDataError(f"The PSRP message could not be processed: {type(e).__name__}: {e}") from e
            finally:
                self.drain()

    def _next_event(self) -> t.Any:
        try:
            return self.pool.next_event()
        except PSRPDataError:
            raise
        except ValueError as e:
            # An unknown message type (e.g. 0x0002100E) or malformed fragment.
            self.pool._receive_buffer = bytearray()
            self.pool._incoming_messages.clear()
            raise PSRPDataError(f"The PSRP message could not be processed: {e}") from e
        except Exception as e:  # psrpcore raises plain errors for bad CLIXML or state
            self.pool._receive_buffer = bytearray()
            self.pool._incoming_messages.clear()
            raise PSRPDataError(f"The PSRP message could not be processed: {type(e).__name__}: {e}") from e

    def _handle(self, event: t.Any) -> None:
        if isinstance(event, InitRunspacePoolEvent):
            self.runspace = self.engine.new_runspace(self.configuration, self.pool.application_arguments)
        elif isinstance(event, SessionCapabilityEvent) and self.pool.state == RunspacePoolState.Connecting:
            # A reconnecting client gets the server's SESSION_CAPABILITY too, as Windows sends it
            # (psrpcore only answers it on open).
            self.pool.prepare_message(self.pool.our_capability)
        elif isinstance(event, ConnectRunspacePoolEvent):
            pass  # the pool answers with RUNSPACEPOOL_INIT_DATA, APPLICATION_PRIVATE_DATA, RUNSPACEPOOL_STATE
        elif isinstance(event, (CreatePipelineEvent, GetCommandMetadataEvent)):
            self._start(event)
        elif isinstance(event, PipelineInputEvent):
            run = self.runs.get(event.pipeline_id)
            if run:
                run.add_input(event.data)
        elif isinstance(event, EndOfPipelineInputEvent):
            run = self.runs.get(event.pipeline_id)
            if run:
                run.end_input()
        elif isinstance(event, PipelineHostResponseEvent):
            run = self.runs.get(event.pipeline_id)
            if run:
                run.host_response(event)
        elif isinstance(event, (SetMaxRunspacesEvent, SetMinRunspacesEvent)):
            self.pool.runspace_availability_response(event.ci, True)
        elif isinstance(event, GetAvailableRunspacesEvent):
            busy = sum(1 for r in self.runs.values() if not r.finished)
            self.pool.runspace_availability_response(event.ci, max(self.pool.max_runspaces - busy, 0))
        elif isinstance(event, ResetRunspaceStateEvent):
            ok = True
            try:
                self.engine.reset_runspace(self.runspace)
            except Exception:  # an engine that cannot reset says no, as PowerShell does
                log.exception("reset_runspace failed")
                ok = False
            self.pool.runspace_availability_response(event.ci, ok)

    def _start(self, event: t.Any) -> None:
        pipeline = self.pool.pipeline_table.get(event.pipeline_id)
        if pipeline is None:
            pipeline = ServerPipeline(self.pool, event.pipeline_id)
            pipeline.metadata = event.pipeline
        run = PipelineRun(self, pipeline)
        if isinstance(event, CreatePipelineEvent):
            run.has_input_flag = not bool(getattr(event.pipeline, "no_input", True))
        self.runs[event.pipeline_id] = run
        # Windows never sends PIPELINE_STATE Running (only the final state); start without emitting it.
        pipeline._change_state(PSInvocationState.Running, emit=False)
        run.thread = threading.Thread(target=self._run, args=(run, event), name=f"pipeline-{event.pipeline_id}",
                                      daemon=True)
        run.thread.start()

    def _run(self, run: PipelineRun, event: t.Any) -> None:
        failure: ErrorRecord | None = None
        try:
            if isinstance(event, GetCommandMetadataEvent):
                md = event.pipeline
                values = self.engine.command_metadata(self.runspace, list(md.name or ["*"]), int(md.command_type),
                                                      list(md.namespace or []), list(md.arguments or []))
                for v in values:
                    run.write_output(v)
            else:
                self.engine.invoke(self.runspace, event.pipeline, run)
        except _Stopped:
            pass
        except PipelineFailed as e:
            failure = e.error_record
        except HostCallError as e:
            failure = e.error if isinstance(e.error, ErrorRecord) else error_record(
                str(e), "HostCallFailed", ErrorCategory.NotSpecified, "System.Management.Automation.RuntimeException")
        except Exception as e:  # an engine bug must still end the pipeline, as a runtime exception
            log.exception("engine raised")
            failure = error_record(f"{type(e).__name__}: {e}", "EngineException", ErrorCategory.NotSpecified,
                                   "System.Management.Automation.RuntimeException")
        with self.lock:
            p = run.pipeline
            if run.stopping or p.state in (PSInvocationState.Stopping, PSInvocationState.Stopped):
                if p.state != PSInvocationState.Stopped:
                    p.stop()
            elif failure is not None:
                p._change_state(PSInvocationState.Failed, failure)  # ServerPipeline has no public fail()
            else:
                p.complete()
            run.finished = True
            self.drain()

    # -- control ---------------------------------------------------------------------------------
    def stop_pipeline(self, pipeline_id: uuid.UUID) -> None:
        """Signal terminate / ctrl_c: the pipeline ends Stopped (MS-PSRP 3.1.5.3.9, wxf:Signal)."""
        with self.lock:
            run = self.runs.get(pipeline_id)
            if run is None:
                return
            run.request_stop()
            self.cond.notify_all()
        if run.thread is not None:
            run.thread.join(timeout=1)
        with self.lock:
            # A command that does not look at ctx.stopping still ends Stopped for the client now;
            # whatever it writes later is dropped (its writes raise).
            if not run.finished and run.pipeline.state == PSInvocationState.Running:
                run.pipeline.stop()
                run.finished = True
                self.drain()

    def pipeline_done(self, pipeline_id: uuid.UUID) -> bool:
        """True when the pipeline finished and the client has taken everything it produced."""
        run = self.runs.get(pipeline_id)
        return bool(run and run.finished and not self.queues.get(pipeline_id))

    def forget_pipeline(self, pipeline_id: uuid.UUID) -> None:
        with self.lock:
            run = self.runs.pop(pipeline_id, None)
            if run is not None:
                run.request_stop()
            p = self.pool.pipeline_table.get(pipeline_id)
            if p is not None:
                try:
                    p.close()
                except Exception:
                    self.pool.pipeline_table.pop(pipeline_id, None)
            self.queues.pop(pipeline_id, None)
            self.backlog.pop(pipeline_id, None)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            for run in self.runs.values():
                run.request_stop()
            self.cond.notify_all()

    def disconnect(self) -> None:
        with self.lock:
            if self.pool.state == RunspacePoolState.Opened:
                self.pool.begin_disconnect()
                self.pool.disconnect()

    def reconnect(self) -> None:
        with self.lock:
            if self.pool.state == RunspacePoolState.Disconnected:
                self.pool.reconnect()

    def prepare_connect(self) -> None:
        """Before CONNECT_RUNSPACEPOOL from a new client in a WS-Man Connect (a reconnect)."""
        with self.lock:
            if self.pool.state == RunspacePoolState.Opened:
                self.pool.begin_disconnect()
                self.pool.disconnect()
            if self.pool.state == RunspacePoolState.Disconnected:
                self.pool.connect()

    def wait(self, predicate: t.Callable[[], bool], timeout: float) -> bool:
        """Waits (holding the lock between checks) until predicate() or timeout."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return predicate()
                self.cond.wait(min(left, 0.5))
            return True


def _max_blob(budget: int, cost: t.Callable[[int], int]) -> int:
    """The largest blob length n with cost(21 + n) <= budget."""
    lo, hi = 0, budget
    if cost(FRAGMENT_HEADER + 1) > budget:
        return 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if cost(FRAGMENT_HEADER + mid) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo
