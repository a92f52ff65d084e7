"""GET_COMMAND_METADATA replies (MS-PSRP 2.2.2.14, 2.2.3.21-2.2.3.23), shaped like the real
Windows PowerShell 5.1 reply in shared/fixtures/windows-wsman/command_metadata_reply.clixml.txt:
first a CommandMetadataCount, then per command a `Selected.<CommandInfo type>` PSCustomObject with
Name, Namespace, HelpUri, CommandType, ResolvedCommandName, OutputType and Parameters."""

from __future__ import annotations

import contextlib
import gc
import typing as t

from psrpcore.types import CommandTypes, PSInt

from . import objects as o
from .catalog import Command, Parameter, compile_wildcard

if t.TYPE_CHECKING:
    from .engine import Engine, Runspace

_MSCORLIB = "mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089"
_SMA_ASM = "System.Management.Automation, Version=3.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35"
OUTPUT_TYPE_TN = [
    f"System.Collections.ObjectModel.ReadOnlyCollection`1[[System.Management.Automation.PSTypeName, {_SMA_ASM}]]",
    "System.Object",
]
PARAMETERS_TN = [
    f"System.Collections.Generic.Dictionary`2[[System.String, {_MSCORLIB}],"
    f"[System.Management.Automation.ParameterMetadata, {_SMA_ASM}]]",
    "System.Object",
]
ALIASES_TN = [f"System.Collections.ObjectModel.Collection`1[[System.String, {_MSCORLIB}]]", "System.Object"]
COUNT_TN = ["Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo",
            "System.Management.Automation.PSCustomObject", "System.Object"]
PARAMETER_METADATA_TN = ["System.Management.Automation.ParameterMetadata", "System.Object"]

_INFO_TYPES = {"Cmdlet": "CmdletInfo", "Function": "FunctionInfo", "Alias": "AliasInfo", "Filter": "FilterInfo"}
_COMMAND_TYPE_BITS = {"Alias": 1, "Function": 2, "Filter": 4, "Cmdlet": 8, "ExternalScript": 16,
                      "Application": 32, "Script": 64, "Workflow": 128, "Configuration": 256}


def _int(v: t.Any, default: int) -> int:
    if v is None:
        return default
    try:
        return int(getattr(v, "value", v))
    except (TypeError, ValueError):
        return default


def _strings(v: t.Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return [o.to_string(x) for x in v if x is not None]
    return [o.to_string(v)]


def select_commands(engine: Engine, runspace: Runspace | None, names: t.Any, command_type: t.Any,
                    namespace: t.Any) -> list[Command]:
    """Get-Command with -Name (wildcards), -CommandType (flags) and -Module (the namespace)."""
    patterns = _strings(names) or ["*"]
    mask = _int(command_type, 511)
    modules = _strings(namespace)
    rx_names = [compile_wildcard(p) for p in patterns]
    rx_mods = [compile_wildcard(m) for m in modules]
    out = []
    for cmd in engine.catalog.commands():
        if not (_COMMAND_TYPE_BITS.get(cmd.command_type, 0) & mask):
            continue
        if not any(r.match(cmd.name) for r in rx_names):
            continue
        if rx_mods and not any(r.match(cmd.module) for r in rx_mods):
            continue
        if not engine.visible(runspace, cmd):
            continue
        out.append(cmd)
    out.sort(key=lambda c: c.name.lower())
    return out


def parameter_metadata(p: Parameter) -> t.Any:
    """ParameterMetadata (2.2.3.22); built once per Parameter: the common parameters are shared
    by every command, and each reply object is serialized once into its own message."""
    cached = getattr(p, "_metadata_object", None)
    if cached is not None:
        return cached
    aliases = o.make_list(p.aliases, ALIASES_TN)
    obj = o.make_object(
        PARAMETER_METADATA_TN,
        adapted=[("Name", p.name), ("ParameterType", p.type), ("Aliases", aliases), ("IsDynamic", p.dynamic),
                 ("SwitchParameter", p.is_switch)],
        to_string="System.Management.Automation.ParameterMetadata")
    p._metadata_object = obj  # type: ignore[attr-defined]
    return obj


def command_metadata(cmd: Command) -> t.Any:
    cached = getattr(cmd, "_metadata_object", None)
    if cached is not None:
        return cached
    outputs = o.make_list(cmd.output_types, OUTPUT_TYPE_TN)
    params = o.make_dict(((p.name, parameter_metadata(p)) for p in cmd.all_parameters()), PARAMETERS_TN)
    info = _INFO_TYPES.get(cmd.command_type, "CommandInfo")
    obj = o.make_custom(
        [("Name", cmd.name), ("Namespace", cmd.module), ("HelpUri", cmd.help_uri),
         ("CommandType", CommandTypes[cmd.command_type]), ("ResolvedCommandName", cmd.resolved_command_name),
         ("OutputType", outputs), ("Parameters", params)],
        [f"Selected.System.Management.Automation.{info}", "System.Management.Automation.PSCustomObject",
         "System.Object"])
    cmd._metadata_object = obj  # type: ignore[attr-defined]
    return obj


@contextlib.contextmanager
def gc_paused() -> t.Iterator[None]:
    """Building tens of thousands of small objects triggers the cyclic GC over and over (it was
    75% of the time for the 2,000-command catalog); none of them form cycles worth collecting."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def command_metadata_reply(engine: Engine, runspace: Runspace | None, names: t.Any, command_type: t.Any,
                           namespace: t.Any) -> list[t.Any]:
    cmds = select_commands(engine, runspace, names, command_type, namespace)
    with gc_paused():
        return [metadata_count(len(cmds))] + [command_metadata(c) for c in cmds]


def metadata_count(n: int) -> t.Any:
    """CommandMetadataCount (2.2.3.21): what `Measure-Object | Select-Object Count` gives."""
    return o.make_custom([("Count", PSInt(n))], list(COUNT_TN))


def iter_command_metadata_reply(engine: Engine, runspace: Runspace | None, names: t.Any, command_type: t.Any,
                                namespace: t.Any) -> t.Iterator[t.Any]:
    """The same reply produced lazily, for servers that write objects as they come."""
    cmds = select_commands(engine, runspace, names, command_type, namespace)
    yield metadata_count(len(cmds))
    for c in cmds:
        yield command_metadata(c)
