"""A tiny stand-in engine for the server's own tests, used until the real engine is importable.

It knows a handful of commands by name and treats a script as one command line; it is not the
PowerShell subset (that is ``psremote_peer.engine``).
"""

from __future__ import annotations

import datetime
import typing as t

from psremote_peer.contract import PipelineFailed
from psremote_peer.runspace import error_record
from psrpcore.types import ErrorCategory, HostMethodIdentifier


class Runspace:
    def __init__(self, configuration: str) -> None:
        self.configuration = configuration
        self.variables: dict[str, t.Any] = {}


class StandinEngine:
    def new_runspace(self, configuration: str, application_arguments: t.Any) -> Runspace:
        return Runspace(configuration)

    def reset_runspace(self, runspace: Runspace) -> None:
        runspace.variables.clear()

    def command_metadata(self, runspace, names, command_type, namespace, arguments):
        return []

    def invoke(self, runspace: Runspace, pipeline: t.Any, ctx: t.Any) -> None:
        for cmd in pipeline.commands:
            name = cmd.command_text
            params = {k.lower() if k else None: v for k, v in cmd.parameters}
            if cmd.is_script:
                if runspace.configuration.lower() == "restricted":
                    raise PipelineFailed(error_record(
                        "The syntax is not supported by this runspace. This can occur if the runspace is in "
                        "no-language mode.", "ScriptsNotAllowed", ErrorCategory.ParserError,
                        "System.Management.Automation.ParseException"))
                name, _, rest = name.strip().partition(" ")
                if name.startswith("$") and "=" in rest:
                    runspace.variables[name[1:]] = rest.split("=", 1)[1].strip().strip("'\"")
                    continue
                if name.startswith("$"):
                    ctx.write_output(runspace.variables.get(name[1:]))
                    continue
                params = {None: rest.strip().strip("'\"")} if rest else {}
            lname = name.lower()
            if lname == "get-date":
                ctx.write_output(datetime.datetime(2024, 1, 2, 3, 4, 5))
            elif lname == "write-output":
                if "inputobject" in params or None in params:
                    ctx.write_output(params.get("inputobject", params.get(None)))
                for item in ctx.input():
                    ctx.write_output(item)
            elif lname == "write-warning":
                ctx.write_warning(str(params.get("message", params.get(None))))
            elif lname == "write-verbose":
                ctx.write_verbose(str(params.get("message", params.get(None))))
            elif lname == "write-debug":
                ctx.write_debug(str(params.get("message", params.get(None))))
            elif lname == "write-information":
                ctx.write_information(params.get("messagedata", params.get(None)), "Write-Information")
            elif lname == "write-progress":
                ctx.write_progress(str(params.get("activity", "act")), 1, "status", 50)
            elif lname == "write-error":
                ctx.write_error(error_record(str(params.get("message", params.get(None))),
                                             "Microsoft.PowerShell.Commands.WriteErrorException",
                                             ErrorCategory.NotSpecified,
                                             "Microsoft.PowerShell.Commands.WriteErrorException"))
            elif lname == "read-host":
                ctx.write_output(ctx.host_call(HostMethodIdentifier.ReadLine, []))
            elif lname == "echo-input":
                for item in ctx.input():
                    ctx.write_output(item)
            elif lname == "start-sleep":
                end = datetime.datetime.now() + datetime.timedelta(seconds=float(params.get("seconds", 1)))
                while datetime.datetime.now() < end and not ctx.stopping:
                    import time
                    time.sleep(0.05)
            elif lname == "get-bytes":
                n = int(params.get("count", 10))
                for i in range(n):
                    if ctx.stopping:
                        return
                    ctx.write_output("x" * 1000 + str(i))
            else:
                raise PipelineFailed(error_record(
                    f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or "
                    "operable program.", "CommandNotFoundException", ErrorCategory.ObjectNotFound,
                    "System.Management.Automation.CommandNotFoundException", name))


def create_engine(catalog: str) -> StandinEngine:
    return StandinEngine()
