"""The answer to the rich discovery script (`# psremote-discovery v1`, DESIGN.md §3): what that
script returns on Windows, computed from the catalog: one JSON string per command (common
parameters left out), then one JSON string describing the output types and enums."""

from __future__ import annotations

import json
import typing as t

from . import dotnet_types
from . import objects as o
from .binder import Arg
from .catalog import ALL_SETS, Command, Parameter

if t.TYPE_CHECKING:
    from .engine import Engine, Runspace

_PARAMS = ("Name", "Module", "CommandType", "Skip")


def _script_parameters(args: list[Arg]) -> dict[str, list[str]]:
    """The script's param(): -Name, -Module, -CommandType, -Skip (all string[]); a positional
    argument is -Name."""
    out: dict[str, list[str]] = {}
    positional = []
    i = 0
    while i < len(args):
        a = args[i]
        if a.name is None:
            positional.append(a.value)
        else:
            key = next((p for p in _PARAMS if p.lower().startswith(a.name.lower().lstrip("-"))), None)
            value = a.value
            if not a.has_value and i + 1 < len(args) and args[i + 1].name is None:
                value = args[i + 1].value
                i += 1
            if key is None:
                # what binding the script's param() block would say
                from psrpcore.types import ErrorCategory

                from .errors import EngineError, error_record

                raise EngineError(error_record(
                    f"A parameter cannot be found that matches parameter name '{a.name}'.", "NamedParameterNotFound",
                    ErrorCategory.InvalidArgument, exception="ParameterBindingException"))
            out[key] = _strings(value)
        i += 1
    if positional and "Name" not in out:
        out["Name"] = _strings(positional[0])
    return out


def _strings(v: t.Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return [o.to_string(x) for x in v]
    return [o.to_string(v)]


def _range(v: t.Any) -> dict[str, t.Any] | None:
    if v is None:
        return None
    lo, hi = v
    return {"min": lo, "max": hi}


def _param_json(p: Parameter, set_name: str) -> dict[str, t.Any]:
    m = p.membership(set_name)
    assert m is not None
    return {
        "name": p.name,
        "type": p.type,
        "is_mandatory": m.mandatory,
        "position": m.position,
        "value_from_pipeline": m.value_from_pipeline,
        "value_from_pipeline_by_property_name": m.value_from_pipeline_by_property_name,
        "value_from_remaining_arguments": m.value_from_remaining_arguments,
        "help_message": m.help_message,
        "aliases": list(p.aliases),
        "is_dynamic": p.dynamic,
        "is_switch": p.is_switch,
        "validate_set": list(p.validate_set) if p.validate_set is not None else None,
        "validate_range": _range(p.validate_range),
        "validate_length": _range(p.validate_length),
        "validate_count": _range(p.validate_count),
        "validate_pattern": p.validate_pattern,
    }


def command_json(cmd: Command, synopses: dict[str, str | None] | None = None) -> dict[str, t.Any]:
    """CommandInfo facts; ParameterSets → CommandParameterSetInfo in declaration order."""
    sets = []
    default = cmd.default_parameter_set
    named = cmd.named_sets()
    for s in named:
        sets.append({
            "name": s,
            "is_default": s == default or (len(named) == 1 and s == ALL_SETS),
            "parameters": [_param_json(p, s) for p in cmd.own_parameters() if p.in_set(s)],
        })
    alias = cmd.command_type == "Alias"
    target = cmd.resolved_command_name
    return {
        "kind": "command",
        "name": cmd.name,
        "command_type": cmd.command_type,
        "module": cmd.module,
        "module_version": cmd.module_version or None,
        # AliasInfo has no HelpUri nor DefaultParameterSet; Get-Help on an alias shows the target's
        "help_uri": None if alias else (cmd.help_uri or ""),
        "synopsis": (synopses or {}).get((target or "").lower()) if alias else cmd.synopsis,
        "default_parameter_set": None if alias else default,
        "output_types": list(cmd.output_types),
        "resolved_command_name": target if alias else None,
        "supports_common_parameters": cmd.supports_common_parameters,
        "parameter_sets": sets,
    }


def _element_type(ty: str) -> str:
    if ty.startswith("System.Nullable`1[") and ty.endswith("]"):
        ty = ty[len("System.Nullable`1["):-1]
    while ty.endswith("[]"):
        ty = ty[:-2]
    return ty


def types_json(engine: Engine, commands: list[Command]) -> dict[str, t.Any]:
    """Output types with known public properties, and every enum a parameter or property uses."""
    types: dict[str, t.Any] = {}

    def add_enum(ty: str) -> None:
        ty = _element_type(ty)
        if ty in types:
            return
        if ty in dotnet_types.ENUMS:
            flags, values = dotnet_types.ENUMS[ty]
            types[ty] = {"enum_values": list(values), "flags": flags}
            return
        values2 = engine.enum_values(ty)
        if values2 is not None:
            types[ty] = {"enum_values": list(values2), "flags": False}

    for cmd in commands:
        for p in cmd.own_parameters():
            add_enum(p.type)
        for out in cmd.output_types:
            if out in types or out not in dotnet_types.PROPERTIES:
                continue
            props = dotnet_types.PROPERTIES[out]
            types[out] = {"properties": [{"name": n, "type": ty} for n, ty in props]}
            for _, ty in props:
                add_enum(ty)
    return {"kind": "types", "types": dict(sorted(types.items()))}


def select(engine: Engine, runspace: Runspace, params: dict[str, list[str]]) -> list[Command]:
    names = params.get("Name") or ["*"]
    modules = params.get("Module") or None
    types = params.get("CommandType") or None
    skip = {s.lower() for s in params.get("Skip") or []}  # `$Skip -contains $c.Name`: exact names
    cmds = engine.catalog.match(names, modules, types, visible=lambda c: engine.visible(runspace, c))
    return [c for c in cmds if c.name.lower() not in skip]


def discovery_output(engine: Engine, runspace: Runspace, args: list[Arg]) -> t.Iterator[str]:
    """Yields the `<S>` strings one by one (the catalog is never rendered in one piece)."""
    params = _script_parameters(args)
    cmds = select(engine, runspace, params)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    synopses = {c.name.lower(): c.synopsis for c in engine.catalog.commands() if c.command_type != "Alias"}
    for c in cmds:
        yield dumps(command_json(c, synopses))
    yield dumps(types_json(engine, cmds))
