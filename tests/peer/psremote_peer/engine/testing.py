"""An in-process PipelineContext for exercising the engine without a server (unit tests, the
`python -m psremote_peer.engine` REPL-free runner)."""

from __future__ import annotations

import typing as t

from psrpcore import Command as PSCommand
from psrpcore import PowerShell

from ..contract import PipelineFailed


class RecordingContext:
    """Collects every stream; answers host calls from a queue; can be told to stop."""

    def __init__(self, inputs: list[t.Any] | None = None, host_responses: list[t.Any] | None = None) -> None:
        self.output: list[t.Any] = []
        self.errors: list[t.Any] = []
        self.warnings: list[str] = []
        self.verbose: list[str] = []
        self.debug: list[str] = []
        self.information: list[tuple[t.Any, str, list[str] | None]] = []
        self.progress: list[tuple[str, int, str, int, bool]] = []
        self.host_calls: list[tuple[t.Any, list[t.Any]]] = []
        self._inputs = inputs
        self._host_responses = list(host_responses or [])
        self.stop_after_outputs: int | None = None
        self._stopping = False

    # PipelineContext ------------------------------------------------------------------------------
    def write_output(self, value: t.Any) -> None:
        self.output.append(value)
        if self.stop_after_outputs is not None and len(self.output) >= self.stop_after_outputs:
            self._stopping = True

    def write_error(self, error_record: t.Any) -> None:
        self.errors.append(error_record)

    def write_warning(self, message: str) -> None:
        self.warnings.append(message)

    def write_verbose(self, message: str) -> None:
        self.verbose.append(message)

    def write_debug(self, message: str) -> None:
        self.debug.append(message)

    def write_information(self, message_data: t.Any, source: str, tags: list[str] | None = None) -> None:
        self.information.append((message_data, source, tags))

    def write_progress(self, activity: str, activity_id: int, status: str, percent: int = -1,
                       completed: bool = False) -> None:
        self.progress.append((activity, activity_id, status, percent, completed))

    def input(self) -> t.Iterator[t.Any]:
        return iter(self._inputs or [])

    @property
    def has_input(self) -> bool:
        return self._inputs is not None

    def host_call(self, method: t.Any, args: list[t.Any]) -> t.Any:
        self.host_calls.append((method, args))
        if method.is_void():
            return None  # a void host method gets no response (MS-PSRP 2.2.2.27)
        return self._host_responses.pop(0) if self._host_responses else None

    @property
    def stopping(self) -> bool:
        return self._stopping


def script(text: str, *args: t.Any, **params: t.Any) -> PowerShell:
    ps = PowerShell()
    c = PSCommand(text, is_script=True)
    for a in args:
        c.add_argument(a)
    for k, v in params.items():
        c.add_parameter(k, v)
    ps.commands.append(c)
    ps.commands[-1].end_of_statement = True
    return ps


def command(name: str, *args: t.Any, **params: t.Any) -> PowerShell:
    ps = PowerShell()
    c = PSCommand(name)
    for a in args:
        c.add_argument(a)
    for k, v in params.items():
        c.add_parameter(k, v)
    ps.commands.append(c)
    ps.commands[-1].end_of_statement = True
    return ps


def pipe(*commands: PSCommand) -> PowerShell:
    ps = PowerShell()
    ps.commands.extend(commands)
    ps.commands[-1].end_of_statement = True
    return ps


def run(engine: t.Any, runspace: t.Any, ps: PowerShell, inputs: list[t.Any] | None = None,
        host_responses: list[t.Any] | None = None) -> tuple[RecordingContext, t.Any]:
    """Runs a pipeline; returns (context, the Failed ErrorRecord or None)."""
    ctx = RecordingContext(inputs, host_responses)
    try:
        engine.invoke(runspace, ps, ctx)
    except PipelineFailed as e:
        return ctx, e.error_record
    return ctx, None
