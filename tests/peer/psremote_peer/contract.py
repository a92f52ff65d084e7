"""The interface between the WS-Man/stdio server (``server``) and the PowerShell engine (``engine``).

The server owns sockets, HTTP, auth, encryption and psrpcore's ServerRunspacePool/ServerPipeline.
The engine owns the catalog, the PowerShell subset and command behaviour. Each pipeline runs on
its own worker thread, so an engine may block on input or on a host call.
"""

from __future__ import annotations

import typing as t


class PipelineFailed(Exception):
    """A terminating error: the pipeline ends Failed with this ErrorRecord (MS-PSRP 2.2.3.15)."""

    def __init__(self, error_record: t.Any) -> None:
        super().__init__(str(error_record))
        self.error_record = error_record  # a psrpcore.types.ErrorRecord


class PipelineContext(t.Protocol):
    """What the server gives the engine for one running pipeline."""

    def write_output(self, value: t.Any) -> None: ...
    def write_error(self, error_record: t.Any) -> None: ...
    def write_warning(self, message: str) -> None: ...
    def write_verbose(self, message: str) -> None: ...
    def write_debug(self, message: str) -> None: ...
    def write_information(self, message_data: t.Any, source: str, tags: list[str] | None = None) -> None: ...
    def write_progress(self, activity: str, activity_id: int, status: str, percent: int = -1,
                       completed: bool = False) -> None: ...
    def input(self) -> t.Iterator[t.Any]:
        """Pipeline input objects as they arrive; ends at END_OF_PIPELINE_INPUT (empty if none)."""
    @property
    def has_input(self) -> bool:
        """True when the client said it will send pipeline input (CREATE_PIPELINE NoInput false)."""
    def host_call(self, method: t.Any, args: list[t.Any]) -> t.Any:
        """A PIPELINE_HOST_CALL (e.g. ReadLine); blocks until the host response; returns its value."""
    @property
    def stopping(self) -> bool:
        """True once the client signalled stop; long-running commands check it and return."""


class Runspace(t.Protocol):
    """Per-runspace-pool state (variables survive between pipelines, MS-PSRP 3.1.4)."""

    variables: dict[str, t.Any]


class Engine(t.Protocol):
    def new_runspace(self, configuration: str, application_arguments: t.Any) -> Runspace: ...
    def reset_runspace(self, runspace: Runspace) -> None:
        """RESET_RUNSPACE_STATE (MS-PSRP 2.2.2.31)."""
    def invoke(self, runspace: Runspace, pipeline: t.Any, ctx: PipelineContext) -> None:
        """Run a psrpcore ``PowerShell`` (pipeline.metadata of a CreatePipelineEvent).

        Returns normally for Completed, raises PipelineFailed for Failed. Non-terminating errors
        go through ctx.write_error. Scripts on a NoLanguage configuration raise PipelineFailed
        with the ErrorRecord Windows gives (ScriptsNotAllowed)."""
    def command_metadata(self, runspace: Runspace, names: list[str], command_type: int,
                         namespace: list[str], arguments: list[t.Any]) -> list[t.Any]:
        """GET_COMMAND_METADATA (MS-PSRP 2.2.2.14): the objects to write as pipeline output, in
        order: the CommandMetadataCount object, then one CommandMetadata per command
        (2.2.3.21-23), shaped like the real reply in shared/fixtures."""


def load_engine(catalog: str) -> Engine:
    """The engine for a catalog name (``windows-5.1``, ``pwsh-7.6``, ``scale:2000``)."""
    from .engine import create_engine  # the engine package provides it

    return create_engine(catalog)
