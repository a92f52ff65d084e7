"""The Engine the server calls (contract.py): runspaces, pipelines, GET_COMMAND_METADATA."""

from __future__ import annotations

import typing as t

from psrpcore.types import PipelineResultTypes

from ..contract import PipelineFailed
from . import dotnet_types
from . import objects as o
from .binder import Arg, Binder
from .catalog import Catalog, Command
from .errors import EngineError, parse_error, scripts_not_allowed
from .interpreter import Interpreter, Streams
from .parser import Parser, parse_scriptblock

DISCOVERY_MARKER = "# psremote-discovery v1"

RESTRICTED_CONFIGURATIONS = {"restricted"}

# What the restricted (JEA-like, NoLanguage) configuration exposes: the default JEA visible cmdlets
# plus a few read-only ones.
RESTRICTED_COMMANDS = [
    "Clear-Host", "Exit-PSSession", "Get-Command", "Get-FormatData", "Get-Help", "Measure-Object",
    "Out-Default", "Select-Object", "Get-Date", "Get-Service", "Get-UICulture", "Get-HotFix",
]


class Runspace:
    """Per-RunspacePool state: variables survive between pipelines (MS-PSRP 3.1.4)."""

    def __init__(self, configuration: str, application_arguments: t.Any) -> None:
        self.configuration = configuration
        self.application_arguments = application_arguments
        self.variables: dict[str, t.Any] = {}
        self.location = "C:\\Users\\psremote\\Documents"  # Get-Location / Set-Location
        name = configuration.rsplit("/", 1)[-1]
        self.restricted = name.lower() in RESTRICTED_CONFIGURATIONS
        self.language_mode = "NoLanguage" if self.restricted else "FullLanguage"


class Engine:
    def __init__(self, catalog: Catalog, enums: dict[str, list[str]]) -> None:
        self.catalog = catalog
        self._doc_enums = enums
        self.binder = Binder(self.enum_values, parse_scriptblock)
        self._restricted_visible = {n.lower() for n in RESTRICTED_COMMANDS}
        from .cmdlets import EventLogs, ServiceTable

        # Host-wide state every session sees (like the machine's services and event logs).
        self.services = ServiceTable()
        self.eventlogs = EventLogs()
        self.events: list[tuple[str, str]] = []  # simulated side effects, e.g. ("restart", host)

    # -- contract ----------------------------------------------------------------------------------

    def new_runspace(self, configuration: str, application_arguments: t.Any) -> Runspace:
        return Runspace(configuration or "Microsoft.PowerShell", application_arguments)

    def reset_runspace(self, runspace: Runspace) -> None:
        """RESET_RUNSPACE_STATE (MS-PSRP 2.2.2.31): drop the session's variables."""
        runspace.variables.clear()
        runspace.location = "C:\\Users\\psremote\\Documents"

    def invoke(self, runspace: Runspace, pipeline: t.Any, ctx: t.Any) -> None:
        try:
            for item in self.run(runspace, pipeline, ctx):
                ctx.write_output(o.to_wire(item))
        except EngineError as e:
            raise PipelineFailed(e.record) from None
        except RecursionError:
            # ScriptCallDepthException: too deep a script (or expression) for this endpoint
            from psrpcore.types import ErrorCategory

            from .errors import error_record

            raise PipelineFailed(error_record(
                "The script failed due to call depth overflow.", "CallDepthOverflow",
                ErrorCategory.InvalidOperation, exception="RuntimeException")) from None

    def command_metadata(self, runspace: Runspace, names: list[str], command_type: int, namespace: list[str],
                         arguments: list[t.Any]) -> list[t.Any]:
        from .metadata import command_metadata_reply

        return command_metadata_reply(self, runspace, names, command_type, namespace)

    # -- running pipelines ------------------------------------------------------------------------

    def visible(self, runspace: Runspace | None, cmd: Command) -> bool:
        if runspace is None or not runspace.restricted:
            return True
        target = cmd.resolved_command_name or cmd.name
        return cmd.name.lower() in self._restricted_visible and target.lower() in self._restricted_visible

    def resolve_command(self, runspace: Runspace | None, name: str) -> Command | None:
        cmd = self.catalog.get(name)
        if cmd is None and "\\" in name:
            module, _, short = name.rpartition("\\")
            cmd = self.catalog.get(short)
            if cmd is not None and cmd.module.lower() != module.lower():
                cmd = None
        if cmd is None or not self.visible(runspace, cmd):
            return None
        return cmd

    def run(self, runspace: Runspace, pipeline: t.Any, ctx: t.Any) -> t.Iterator[t.Any]:
        """A psrpcore PowerShell (MS-PSRP 2.2.3.11/12): statements split at end_of_statement; each
        statement a pipeline of Commands, scripts or command names with parameters."""
        commands = list(getattr(pipeline, "commands", []))
        if any(c.is_script for c in commands) and runspace.restricted:
            script = next(c.command_text for c in commands if c.is_script)
            raise scripts_not_allowed(script)
        statements: list[list[t.Any]] = [[]]
        for c in commands:
            statements[-1].append(c)
            if getattr(c, "end_of_statement", False):
                statements.append([])
        statements = [s for s in statements if s]
        # Parse every script before running anything, as PowerShell compiles the whole pipeline.
        parsed = {}
        for c in commands:
            if c.is_script and not c.command_text.lstrip("\ufeff \t\r\n").startswith(DISCOVERY_MARKER):
                parser = Parser(c.command_text)
                try:
                    parsed[id(c)] = parser.parse_script()
                except RecursionError:
                    raise parser.error("The script is nested too deeply for this endpoint to parse.",
                                       "ScriptTooDeeplyNested") from None
        interp = Interpreter(self, runspace, ctx)
        # Pipelines of one pool may run at once (max runspaces > 1): they share the variables, and
        # each has its own frames ($_, $input), so no lock is held while one runs.
        for idx, st in enumerate(statements):
            stream: t.Iterator[t.Any] | None = None
            if idx == 0 and getattr(ctx, "has_input", False):
                stream = (o.mark_deserialized(v) for v in ctx.input())
            for c in st:
                streams = Streams(ctx, _merges(c))
                args = [Arg(v, None) if n is None else Arg(v, n, True) for n, v in c.parameters]
                if c.is_script:
                    if id(c) not in parsed:
                        from .discovery import discovery_output

                        stream = discovery_output(self, runspace, args)
                        continue
                    stream = interp.run_script(parsed[id(c)], args, stream, streams,
                                               bool(getattr(c, "use_local_scope", False)))
                else:
                    stream = interp.invoke_command(c.command_text, args, stream, streams)
            if stream is not None:
                yield from stream

    # -- lookups -------------------------------------------------------------------------------------

    def enum_values(self, type_name: str) -> dict[str, int] | None:
        v = dotnet_types.enum_values(type_name)
        if v is not None:
            return v
        names = self._doc_enums.get(type_name)
        if names:
            return {n: i for i, n in enumerate(names)}
        return None

    def automatic_variable(self, runspace: Runspace, name: str) -> t.Any:
        if name.startswith("env:"):
            from .cmdlets import COMPUTER_NAME

            env = {"computername": COMPUTER_NAME, "username": "psremote", "userdomain": COMPUTER_NAME,
                   "os": "Windows_NT", "processor_architecture": "AMD64", "systemroot": "C:\\Windows",
                   "windir": "C:\\Windows", "systemdrive": "C:", "temp": "C:\\Users\\psremote\\AppData\\Local\\Temp",
                   "userprofile": "C:\\Users\\psremote", "number_of_processors": "2"}
            return env.get(name[4:])
        if name == "psversiontable":
            return {"PSVersion": self.catalog.ps_version, "PSEdition": "Desktop" if self.catalog.ps_version.startswith(
                "5.") else "Core", "PSRemotingProtocolVersion": "2.3", "SerializationVersion": "1.1.0.1"}
        if name == "executioncontext" or name == "host":
            return None
        if name == "pid":
            import os

            return os.getpid()
        if name == "error":
            return []
        return None


def _merges(c: t.Any) -> dict[str, bool]:
    """Which streams this Command merges into its output (MergeMyResult/MergeToResult for v2,
    and the per-stream Merge* settings of protocol 2.2+)."""
    out = {}
    try:
        if c.merge_my == PipelineResultTypes.Error and c.merge_to == PipelineResultTypes.Output:
            out["error"] = True
        for stream in ("error", "warning", "verbose", "debug", "information"):
            if getattr(c, f"merge_{stream}") == PipelineResultTypes.Output:
                out[stream] = True
    except AttributeError:
        pass
    return out


__all__ = ["Engine", "Runspace", "parse_error"]
