"""Synthetic commands (module `PSRemote.Synthetic`) that exercise every metadata shape a generator
has to handle, and the generated `scale:N` catalog. Their behaviour echoes what bound, so a client
can check binding end to end: one `PSRemote.Synthetic.Binding` object with the command name, the
parameter set chosen and a Hashtable of the bound parameters."""

from __future__ import annotations

import random
import typing as t

from psrpcore.types import PSNoteProperty

from . import dotnet_types
from . import objects as o
from .catalog import ALL_SETS, SWITCH, Catalog, Command, Parameter, alias_command, in_set, param

if t.TYPE_CHECKING:
    from .interpreter import Invocation

MODULE = "PSRemote.Synthetic"
VERSION = "1.0.0"
HELP = "https://example.invalid/psremote/synthetic"

BINDING_TYPE = "PSRemote.Synthetic.Binding"
WIDGET_TYPE = "PSRemote.Synthetic.Widget"
LARGE_TYPE = "PSRemote.Synthetic.LargeItem"
COLOR_ENUM = "PSRemote.Synthetic.Color"
ACCESS_ENUM = "PSRemote.Synthetic.AccessFlags"

dotnet_types.ENUMS.setdefault(COLOR_ENUM, (False, {"Red": 0, "Green": 1, "Blue": 2}))
dotnet_types.ENUMS.setdefault(ACCESS_ENUM, (True, {"None": 0, "Read": 1, "Write": 2, "Execute": 4, "All": 7}))
dotnet_types.PROPERTIES.setdefault(BINDING_TYPE, [
    ("Command", "System.String"), ("ParameterSetName", "System.String"),
    ("BoundParameters", "System.Collections.Hashtable"), ("PipelineInput", "System.Object"),
    ("ExpectingInput", "System.Boolean")])
dotnet_types.PROPERTIES.setdefault(WIDGET_TYPE, [
    ("Name", "System.String"), ("Id", "System.Int32"), ("Size", "System.Int64"), ("Ratio", "System.Double"),
    ("Enabled", "System.Boolean"), ("Created", "System.DateTime"), ("Guid", "System.Guid"),
    ("Tags", "System.String[]"), ("Color", COLOR_ENUM), ("Access", ACCESS_ENUM),
    ("Status", "System.ServiceProcess.ServiceControllerStatus"), ("Parent", "System.String"),
    ("Price", "System.Decimal"), ("Elapsed", "System.TimeSpan"), ("Version", "System.Version")])
dotnet_types.PROPERTIES.setdefault(LARGE_TYPE, [
    ("Index", "System.Int32"), ("Name", "System.String"), ("Payload", "System.String")])


def _binding(inv: Invocation, params: dict[str, t.Any], obj: t.Any = None) -> t.Any:
    bound = {k: o.to_wire(v) for k, v in params.items() if not _is_common(k)}
    return o.make_custom(
        [("Command", inv.command.name), ("ParameterSetName", inv.bound.parameter_set),
         ("BoundParameters", o.to_wire(bound)), ("PipelineInput", o.to_wire(obj)),
         ("ExpectingInput", inv.expecting_input)],
        [BINDING_TYPE, "System.Management.Automation.PSCustomObject", "System.Object"])


def _is_common(name: str) -> bool:
    from .catalog import COMMON_NAMES

    return name.lower() in COMMON_NAMES


def echo(inv: Invocation) -> t.Iterator[t.Any]:
    """Once per ProcessRecord: the parameters bound for it (pipeline ones included)."""
    for obj, params in inv.each_input():
        yield _binding(inv, params, obj)


def large_output(inv: Invocation) -> t.Iterator[t.Any]:
    """N objects, or N MiB of payload in 8 KiB strings: produced one at a time, never held."""
    p = inv.params
    chunk = 8192
    if p.get("Megabytes") is not None:
        count = int(p["Megabytes"]) * (1024 * 1024 // chunk)
        payload_len = chunk
    else:
        count = int(p.get("Count") if p.get("Count") is not None else 1000)
        payload_len = int(p.get("PayloadLength") if p.get("PayloadLength") is not None else 64)
    filler = ("psremote" * (payload_len // 8 + 1))[:payload_len]
    for i in range(count):
        if inv.stopping:
            return
        if p.get("ProgressEvery") and i % int(p["ProgressEvery"]) == 0:
            inv.write_progress("Get-PSRemoteLargeOutput", 1, f"{i} of {count}", int(i * 100 / max(count, 1)))
        yield o.make_custom([("Index", i), ("Name", f"item-{i:08d}"), ("Payload", filler)],
                            [LARGE_TYPE, "System.Management.Automation.PSCustomObject", "System.Object"])


def widgets(inv: Invocation) -> t.Iterator[t.Any]:
    import datetime
    import uuid

    from psrpcore.types import PSDecimal, PSDuration, PSGuid, PSInt64, PSVersion

    count = int(inv.params.get("Count") if inv.params.get("Count") is not None else 3)
    colors = list(dotnet_types.ENUMS[COLOR_ENUM][1])
    acc_cls = o.enum_class(ACCESS_ENUM, dotnet_types.ENUMS[ACCESS_ENUM][1], flags=True)
    for i in range(count):
        obj = o.make_object(
            [WIDGET_TYPE, "System.Object"],
            adapted=[("Name", f"widget-{i}"), ("Id", i), ("Size", PSInt64(10**10 + i)), ("Ratio", i / 4),
                     ("Enabled", i % 2 == 0), ("Created", datetime.datetime(2026, 1, 1 + i, 12, 0, 0)),
                     ("Guid", PSGuid(str(uuid.UUID(int=i + 1)))), ("Tags", [f"t{i}", "synthetic"]),
                     ("Color", o.enum_value(COLOR_ENUM, dotnet_types.ENUMS[COLOR_ENUM][1], colors[i % 3])),
                     ("Access", acc_cls.Read | acc_cls.Write if i % 2 else acc_cls.Read),
                     ("Status", o.enum_value("System.ServiceProcess.ServiceControllerStatus",
                                             dotnet_types.ENUMS["System.ServiceProcess.ServiceControllerStatus"][1],
                                             "Running")),
                     ("Parent", None), ("Price", PSDecimal("19.99")),
                     ("Elapsed", PSDuration(seconds=90 + i)), ("Version", PSVersion(f"1.2.{i}"))],
            to_string=f"widget-{i}")
        obj.PSObject.extended_properties.append(PSNoteProperty("Extra", "not in the type"))
        yield obj


def _dynamic_for(static: dict[str, t.Any]) -> list[Parameter]:
    mode = o.to_string(static.get("Mode") or "").lower()
    if mode == "registry":
        return [param("Hive", validate_set=["HKLM", "HKCU"], dynamic=True, position=1)]
    if mode == "file":
        return [param("Encoding", dynamic=True)]
    return []


def add(catalog: Catalog) -> None:
    cmds: list[Command] = []

    def cmd(name: str, params: list[Parameter], sets: list[str] | None = None, default: str | None = None,
            outputs: list[str] | None = None, impl: t.Callable[..., t.Any] = echo, ctype: str = "Cmdlet",
            synopsis: str | None = None) -> Command:
        c = Command(name=name, command_type=ctype, module=MODULE, module_version=VERSION, help_uri=HELP,
                    synopsis=synopsis, default_parameter_set=default, parameter_sets=sets or [ALL_SETS],
                    parameters=params, output_types=outputs if outputs is not None else [BINDING_TYPE], impl=impl,
                    implementing_type_override=f"PSRemote.Synthetic.{name.replace('-', '')}Command"
                    if ctype == "Cmdlet" else None)
        cmds.append(c)
        return c

    cmd("Invoke-PSRemoteParameterSet", [
        param("Name", sets=[in_set("ByName", mandatory=True, position=0)]),
        param("Id", "System.Int32", sets=[in_set("ById", mandatory=True, position=0)]),
        param("InputObject", "System.Management.Automation.PSObject",
              sets=[in_set("ByObject", mandatory=True, pipeline=True)]),
        param("Path", "System.String[]", sets=[in_set("ByName", position=1), in_set("ById", position=1)]),
        param("Force", SWITCH),
        param("Confirm", SWITCH, aliases=["cf"]), param("WhatIf", SWITCH, aliases=["wi"]),
    ], sets=["ByName", "ById", "ByObject"], default="ByName",
        synopsis="Echoes the parameter set and parameters that bound.")

    cmd("Test-PSRemoteValidation", [
        param("Color", mandatory=True, position=0, validate_set=["Red", "Green", "Blue"]),
        param("Percent", "System.Int32", position=1, validate_range=(0, 100)),
        param("Code", validate_length=(2, 8)),
        param("Tags", "System.String[]", validate_count=(1, 3)),
        param("Ticket", validate_pattern=r"^[A-Z]{3}-\d+$", help_message="A ticket id such as ABC-123."),
        param("Ratio", "System.Double", validate_range=(0.5, 2.5)),
    ], synopsis="Checks validation attributes.")

    cmd("Get-PSRemoteEnum", [
        param("StartType", "System.ServiceProcess.ServiceStartMode", position=0),
        param("Status", "System.ServiceProcess.ServiceControllerStatus[]"),
        param("ServiceType", "System.ServiceProcess.ServiceType"),
        param("Color", COLOR_ENUM),
        param("Access", ACCESS_ENUM),
    ], synopsis="Takes .NET enum parameters.")

    cmd("Set-PSRemoteArray", [
        param("Names", "System.String[]", position=0),
        param("Numbers", "System.Int32[]"),
        param("Ids", "System.Int64[]"),
        param("Objects", "System.Object[]"),
        param("Flag", SWITCH), param("Other", SWITCH),
        param("When", "System.DateTime"), param("Id", "System.Guid"), param("Table", "System.Collections.Hashtable"),
        param("Limit", "System.Nullable`1[System.Int32]"), param("Credential", "System.Management.Automation.PSCredential"),
        param("Script", "System.Management.Automation.ScriptBlock"), param("Size", "System.UInt64"),
        param("Ratio", "System.Double"), param("Enabled", "System.Boolean"), param("Letter", "System.Char"),
    ], synopsis="Takes arrays, switches and primitive types.")

    cmd("Receive-PSRemotePipeline", [
        param("InputObject", "System.Int32", sets=[in_set("ByValue", mandatory=True, pipeline=True)]),
        param("Name", sets=[in_set("ByProperty", mandatory=True, position=0, by_name=True)], aliases=["ServiceName"]),
        param("Id", "System.Int32", sets=[in_set("ByProperty", by_name=True)]),
    ], sets=["ByValue", "ByProperty"], default="ByValue",
        synopsis="Echoes pipeline input bound by value or by property name.")

    cmd("Receive-PSRemoteString", [
        param("Value", "System.String[]", mandatory=True, position=0, pipeline=True),
    ], synopsis="Takes strings from the pipeline by value.")

    cmd("Invoke-PSRemoteRemaining", [
        param("First", position=0),
        param("Rest", "System.Object[]", remaining=True),
    ], synopsis="Collects the remaining arguments.")

    dyn = cmd("Get-PSRemoteDynamic", [
        param("Mode", mandatory=True, position=0, validate_set=["File", "Registry"]),
        param("Hive", validate_set=["HKLM", "HKCU"], dynamic=True, position=1),
        param("Encoding", dynamic=True),
    ], synopsis="Has dynamic parameters that depend on -Mode.")
    # The metadata lists the dynamic parameters (IsDynamic); binding offers them per -Mode value.
    dyn_all = [p for p in dyn.parameters if p.dynamic]
    dyn.dynamic_parameters = lambda static: [
        p for p in dyn_all if p.name in {d.name for d in _dynamic_for(static)}]

    cmd("Get-PSRemoteKeyword", [
        param("Type", position=0), param("Ref"), param("Async", SWITCH), param("Self"), param("Loop", "System.Int32"),
        param("Match"), param("Where"), param("In"), param("Fn"),
    ], synopsis="Parameters named like Rust keywords.")

    cmd("Get-PSRemoteAliased", [
        param("ComputerName", "System.String[]", aliases=["Cn", "HostName"], position=0),
        param("Credential", "System.Management.Automation.PSCredential", aliases=["RunAs"]),
        param("Recurse", SWITCH, aliases=["s"]),
    ], synopsis="Parameters with aliases.")

    cmd("Get-PSRemoteWidget", [param("Count", "System.Int32", validate_range=(0, 1000))],
        outputs=[WIDGET_TYPE], impl=widgets, synopsis="Returns typed widget objects.")

    cmd("Get-PSRemoteLargeOutput", [
        param("Count", "System.Int32", sets=[in_set("Count", position=0)], validate_range=(0, 100_000_000)),
        param("Megabytes", "System.Int32", sets=[in_set("Megabytes", mandatory=True)], validate_range=(0, 100_000)),
        param("PayloadLength", "System.Int32", sets=[in_set("Count")], validate_range=(0, 1_048_576)),
        param("ProgressEvery", "System.Int32"),
    ], sets=["Count", "Megabytes"], default="Count", outputs=[LARGE_TYPE], impl=large_output,
        synopsis="Streams N objects or N megabytes.")

    fn = cmd("Get-PSRemoteFunction", [
        param("Name", position=0, pipeline=True),
        param("Depth", "System.Int32"),
    ], ctype="Function", outputs=[], synopsis="An advanced function.")
    fn.impl = echo

    cmd("Get-PSRemoteHelpMessage", [
        param("Reason", mandatory=True, help_message="Why the change is made."),
    ], synopsis="A mandatory parameter with a help message.")

    for c in cmds:
        catalog.add(c)
    catalog.add(alias_command("psrset", catalog.get("Invoke-PSRemoteParameterSet")))  # type: ignore[arg-type]
    catalog.add(alias_command("Get-PSRemoteAlias", catalog.get("Get-PSRemoteWidget")))  # type: ignore[arg-type]


# --- scale ---------------------------------------------------------------------------------------

_VERBS = ["Get", "Set", "New", "Remove", "Add", "Clear", "Find", "Invoke", "Start", "Stop", "Test", "Update",
          "Enable", "Disable", "Export", "Import", "Register", "Reset", "Resolve", "Show", "Sync", "Wait", "Watch"]
_NOUNS = ["Widget", "Gadget", "Report", "Queue", "Binding", "Cluster", "Mailbox", "Printer", "Share", "Policy",
          "Schedule", "Tenant", "Volume", "Zone", "Record", "Endpoint", "Snapshot", "Account", "Catalog", "Token"]
_TYPES = ["System.String", "System.String[]", "System.Int32", "System.Int64", "System.Boolean", SWITCH,
          "System.DateTime", "System.Double", "System.Guid", "System.Int32[]", "System.Object",
          "System.ServiceProcess.ServiceStartMode", COLOR_ENUM, "System.Collections.Hashtable", "System.UInt32",
          "System.Management.Automation.PSCredential", "System.TimeSpan", "System.Uri"]


def add_scale(catalog: Catalog, count: int) -> None:
    """`scale:N`: N generated commands in 20 modules with varied, deterministic metadata."""
    rng = random.Random(2000)
    for i in range(count):
        verb = _VERBS[i % len(_VERBS)]
        noun = f"PSRScale{_NOUNS[(i // len(_VERBS)) % len(_NOUNS)]}{i:04d}"
        nsets = rng.choice([1, 1, 1, 2, 2, 3])
        sets = [ALL_SETS] if nsets == 1 else [f"Set{j}" for j in range(nsets)]
        params: list[Parameter] = []
        used: set[str] = set()
        nparams = rng.randint(0, 12)
        pos_by_set: dict[str, int] = {}
        for j in range(nparams):
            pname = rng.choice(["Name", "Id", "Path", "Filter", "Count", "Force", "Mode", "Target", "Value",
                                "Tag", "Limit", "Owner", "Color", "When", "Credential", "Scope", "Depth", "Label"])
            if pname.lower() in used:
                pname = f"{pname}{j}"
            used.add(pname.lower())
            ty = rng.choice(_TYPES)
            membership = []
            chosen_sets = sets if nsets == 1 or rng.random() < 0.5 else [rng.choice(sets)]
            for s in chosen_sets:
                mandatory = ty != SWITCH and rng.random() < 0.25
                position = None
                if ty != SWITCH and rng.random() < 0.4:
                    position = pos_by_set.get(s, 0)
                    pos_by_set[s] = position + 1
                membership.append(in_set(s if nsets > 1 else ALL_SETS, mandatory=mandatory, position=position,
                                         pipeline=rng.random() < 0.1, by_name=rng.random() < 0.2))
            p = Parameter(name=pname, type=ty, sets=membership,
                          aliases=[pname[:2].upper() + str(j)] if rng.random() < 0.15 else [])
            if ty == "System.String" and rng.random() < 0.2:
                p.validate_set = ["Alpha", "Beta", "Gamma"]
            if ty == "System.Int32" and rng.random() < 0.3:
                p.validate_range = (0, 1000)
            params.append(p)
        catalog.add(Command(
            name=f"{verb}-{noun}", command_type="Cmdlet" if i % 5 else "Function",
            module=f"PSRemote.Scale{i % 20:02d}", module_version="1.0.0", help_uri="",
            synopsis=f"Generated command {i}.", default_parameter_set=sets[0] if nsets > 1 else None,
            parameter_sets=sets, parameters=params, output_types=[BINDING_TYPE], impl=echo))
