"""Parameter binding as PowerShell's CmdletParameterBinderController does it, for the subset we run:
named parameters (exact, alias, unambiguous prefix), positional parameters by Position within the
candidate parameter sets, ValueFromRemainingArguments, switches, type conversion to the declared
.NET type, validation attributes, mandatory checks, then pipeline input per object (by value, then
by property name; first without, then with type coercion)."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import re
import typing as t

from psrpcore.types import ErrorCategory, PSObject

from . import objects as o
from .catalog import ALL_SETS, Command, Parameter
from .errors import EngineError, binding_error


@dataclasses.dataclass
class Arg:
    """One argument as written: `-Name` (param, maybe with `:value`) or a value."""

    value: t.Any = None
    name: str | None = None  # set for a parameter token
    has_value: bool = False  # -Name:value, or a named parameter from a psrpcore Command
    text: str | None = None  # how a bare parameter token looked, for error messages


@dataclasses.dataclass
class Bound:
    command: Command
    params: dict[str, t.Any]  # canonical parameter name -> converted value
    candidate_sets: list[str]
    parameters: list[Parameter]  # the command's parameters incl. dynamic and common
    expects_input: bool = False
    current_set: str | None = None  # the set the latest pipeline object bound in

    @property
    def parameter_set(self) -> str:
        if self.current_set is not None:
            return self.current_set
        return self.candidate_sets[0] if self.candidate_sets else ALL_SETS

    def get(self, name: str, default: t.Any = None) -> t.Any:
        return self.params.get(name, default)

    def has(self, name: str) -> bool:
        return name in self.params


_NUMERIC = {
    "System.Int32": (int, -(2**31), 2**31 - 1),
    "System.Int64": (int, -(2**63), 2**63 - 1),
    "System.Int16": (int, -(2**15), 2**15 - 1),
    "System.UInt32": (int, 0, 2**32 - 1),
    "System.UInt64": (int, 0, 2**64 - 1),
    "System.UInt16": (int, 0, 2**16 - 1),
    "System.Byte": (int, 0, 255),
    "System.SByte": (int, -128, 127),
    "System.Double": (float, None, None),
    "System.Single": (float, None, None),
    "System.Decimal": (decimal.Decimal, None, None),
}


class Binder:
    def __init__(self, enum_lookup: t.Callable[[str], dict[str, int] | None],
                 parse_scriptblock: t.Callable[[str], t.Any]) -> None:
        self.enum_lookup = enum_lookup
        self.parse_scriptblock = parse_scriptblock

    # -- resolution of names ---------------------------------------------------------------------

    def resolve_name(self, cmd: Command, params: list[Parameter], name: str) -> Parameter:
        ln = name.lower()
        for p in params:
            if p.name.lower() == ln or any(a.lower() == ln for a in p.aliases):
                return p
        matches = []
        for p in params:
            if p.name.lower().startswith(ln) or any(a.lower().startswith(ln) for a in p.aliases):
                matches.append(p)
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise binding_error(f"A parameter cannot be found that matches parameter name '{name}'.",
                                "NamedParameterNotFound", cmd)
        names = " ".join(f"-{p.name}" for p in matches)
        raise binding_error(f"Parameter cannot be processed because the parameter name '{name}' is ambiguous. "
                            f"Possible matches include: {names}.", "AmbiguousParameter", cmd)

    # -- binding ---------------------------------------------------------------------------------

    def bind(self, cmd: Command, args: list[Arg], expects_input: bool) -> Bound:
        params = list(cmd.all_parameters())
        if cmd.dynamic_parameters is not None:
            # Dynamic parameters exist once the static ones that enable them are known
            # (IDynamicParameters): a first look at the static arguments picks them.
            static = [p for p in params if not p.dynamic]
            params = static + cmd.dynamic_parameters(self._static_preview(cmd, static, args))
        named: list[tuple[Parameter, t.Any]] = []
        positional: list[t.Any] = []
        i = 0
        while i < len(args):
            a = args[i]
            if a.name is None:
                positional.append(a.value)
                i += 1
                continue
            p = self.resolve_name(cmd, params, a.name)
            if a.has_value:
                named.append((p, True if (p.is_switch and a.value is None) else a.value))
            elif p.is_switch:
                named.append((p, True))
            else:
                if i + 1 >= len(args) or args[i + 1].name is not None:
                    raise binding_error(
                        f"Missing an argument for parameter '{p.name}'. Specify a parameter of type "
                        f"'{p.type}' and try again.", "MissingArgument", cmd)
                named.append((p, args[i + 1].value))
                i += 1
            i += 1


        bound: dict[str, t.Any] = {}
        candidates = list(cmd.named_sets())
        for p, v in named:
            if p.name in bound:
                raise binding_error(
                    f"Cannot bind parameter because parameter '{p.name}' is specified more than once. To provide "
                    "multiple values to parameters that can accept multiple values, use the array syntax. For "
                    "example, \"-parameter value1,value2,value3\".", "ParameterAlreadyBound", cmd)
            bound[p.name] = self.convert(cmd, p, v)
            candidates = [s for s in candidates if p.in_set(s)]
            if not candidates:
                raise self._ambiguous(cmd)

        if positional:
            candidates = self._bind_positional(cmd, params, positional, bound, candidates)

        bd = Bound(cmd, bound, candidates, params, expects_input)
        if not expects_input:
            self.finish(bd)
        else:
            self._order_candidates(bd)
        return bd

    def _static_preview(self, cmd: Command, static: list[Parameter], args: list[Arg]) -> dict[str, t.Any]:
        preview: dict[str, t.Any] = {}
        positional = [p for p in static if any(m.position is not None for m in p.sets)]
        positional.sort(key=lambda p: min(m.position for m in p.sets if m.position is not None))
        i = 0
        while i < len(args):
            a = args[i]
            if a.name is None:
                if positional:
                    preview.setdefault(positional.pop(0).name, a.value)
                i += 1
                continue
            try:
                p = self.resolve_name(cmd, static, a.name)
            except EngineError:
                p = None
            if a.has_value:
                if p is not None:
                    preview[p.name] = a.value
            elif p is not None and p.is_switch:
                preview[p.name] = True
            elif i + 1 < len(args) and args[i + 1].name is None:
                if p is not None:
                    preview[p.name] = args[i + 1].value
                    if p in positional:
                        positional.remove(p)
                i += 1
            i += 1
        return preview

    def _ambiguous(self, cmd: Command) -> EngineError:
        return binding_error("Parameter set cannot be resolved using the specified named parameters.",
                             "AmbiguousParameterSet", cmd)

    def _bind_positional(self, cmd: Command, params: list[Parameter], positional: list[t.Any],
                         bound: dict[str, t.Any], candidates: list[str]) -> list[str]:
        default = cmd.effective_default_set
        remaining_args = list(positional)
        while remaining_args:
            slots: dict[int, list[tuple[Parameter, str]]] = {}
            for p in params:
                if p.name in bound or p.common:
                    continue
                for s in candidates:
                    m = p.membership(s)
                    if m is not None and m.position is not None and not m.value_from_remaining_arguments:
                        slots.setdefault(m.position, []).append((p, s))
            if not slots:
                break
            pos = min(slots)
            options = slots[pos]
            value = remaining_args[0]
            # Like PowerShell, a parameter the value fits without coercion wins (so a script block
            # goes to -FilterScript and a string to -Property); then the default set's.
            fitting = [(p, s) for p, s in options if self._type_fits(p.type, value)] or options
            chosen = next((p for p, s in fitting if s == default), fitting[0][0])
            remaining_args.pop(0)
            bound[chosen.name] = self.convert(cmd, chosen, value)
            candidates = [s for s in candidates if chosen.in_set(s)]
        if remaining_args:
            for p in params:
                if p.name in bound:
                    continue
                if any((m := p.membership(s)) is not None and m.value_from_remaining_arguments for s in candidates):
                    bound[p.name] = self.convert(cmd, p, list(remaining_args))
                    candidates = [s for s in candidates if p.in_set(s)]
                    remaining_args = []
                    break
        if remaining_args:
            raise binding_error(
                f"A positional parameter cannot be found that accepts argument '{o.to_string(remaining_args[0])}'.",
                "PositionalParameterNotFound", cmd, target_object=remaining_args[0])
        return candidates

    def _order_candidates(self, bd: Bound) -> None:
        default = bd.command.effective_default_set
        if default in bd.candidate_sets:
            bd.candidate_sets.remove(default)
            bd.candidate_sets.insert(0, default)

    def _missing(self, bd: Bound, set_name: str, skip_pipeline: bool) -> list[str]:
        missing = []
        for p in bd.parameters:
            m = p.membership(set_name)
            if m is None or not m.mandatory or p.name in bd.params:
                continue
            if skip_pipeline and (m.value_from_pipeline or m.value_from_pipeline_by_property_name):
                continue
            missing.append(p.name)
        return missing

    def finish(self, bd: Bound, skip_pipeline: bool = False) -> None:
        """Pick the parameter set (default when still a candidate, else the only one whose mandatory
        parameters are all bound) and check mandatory parameters."""
        cands = bd.candidate_sets
        default = bd.command.effective_default_set
        if len(cands) > 1:
            if default in cands:
                cands = [default]
            else:
                complete = [s for s in cands if not self._missing(bd, s, skip_pipeline)]
                if len(complete) == 1:
                    cands = complete
                elif len(complete) == 0:
                    cands = [cands[0]]
                else:
                    raise self._ambiguous(bd.command)
        bd.candidate_sets = cands
        missing = self._missing(bd, cands[0], skip_pipeline) if cands else []
        if missing:
            raise binding_error(
                "Cannot process command because of one or more missing mandatory parameters: "
                f"{' '.join(missing)}.", "MissingMandatoryParameter", bd.command)

    # -- pipeline input ---------------------------------------------------------------------------

    def bind_input(self, bd: Bound, obj: t.Any) -> dict[str, t.Any]:
        """Bind one pipeline object; returns the parameters for this ProcessRecord call.

        PowerShell's four passes: by value, by property name, each first without then with type
        coercion; every pass binds what it can among the parameters still unbound, within the
        parameter sets still possible."""
        cmd = bd.command
        got: dict[str, t.Any] = {}
        sets = list(bd.candidate_sets)
        for by_prop, coerce in ((False, False), (True, False), (False, True), (True, True)):
            if not by_prop and any(self._by_value(bd, n) for n in got):
                continue  # the object itself is bound already
            for s in sets:
                new = self._try_input(bd, s, obj, by_prop, coerce, got)
                if new:
                    got.update(new)
                    sets = [x for x in sets if all(p.in_set(x) for p in bd.parameters if p.name in got)]
                    break
        if not got:
            raise binding_error(
                "The input object cannot be bound to any parameters for the command either because the command "
                "does not take pipeline input or the input and its properties do not match any of the parameters "
                "that take pipeline input.", "InputObjectNotBound", cmd, target_object=obj)
        params = dict(bd.params)
        params.update(got)
        trial = Bound(cmd, params, sets, bd.parameters)
        self.finish(trial)
        bd.current_set = trial.parameter_set
        return trial.params

    def _by_value(self, bd: Bound, name: str) -> bool:
        return any(p.name == name and any(m.value_from_pipeline for m in p.sets) for p in bd.parameters)

    def _try_input(self, bd: Bound, set_name: str, obj: t.Any, by_prop: bool, coerce: bool,
                   done: dict[str, t.Any]) -> dict[str, t.Any]:
        got: dict[str, t.Any] = {}
        for p in bd.parameters:
            m = p.membership(set_name)
            if m is None or p.name in bd.params or p.name in done:
                continue
            if not by_prop and m.value_from_pipeline:
                if coerce or self._type_fits(p.type, obj):
                    try:
                        got[p.name] = self.convert(bd.command, p, obj)
                        return got
                    except EngineError:
                        continue
            if by_prop and m.value_from_pipeline_by_property_name and not isinstance(obj, (str, int, float)):
                for n in [p.name] + p.aliases:
                    if o.has_property(obj, n):
                        v = o.get_property(obj, n)
                        if coerce or self._type_fits(p.type, v):
                            try:
                                got[p.name] = self.convert(bd.command, p, v)
                            except EngineError:
                                pass
                        break
        return got

    def _type_fits(self, ty: str, v: t.Any) -> bool:
        elem = ty[:-2] if ty.endswith("[]") else ty
        if elem in ("System.Object", "System.Management.Automation.PSObject"):
            return not isinstance(v, o.ScriptBlock) or ty == elem
        names = [n[len("Deserialized."):] if n.startswith("Deserialized.") else n for n in o.type_names(v)]
        if elem in names:
            return True
        if elem == "System.String":
            return isinstance(v, str)
        if elem in _NUMERIC:
            return isinstance(v, (int, float)) and not isinstance(v, bool)
        return False

    # -- conversion and validation ------------------------------------------------------------------

    def convert(self, cmd: Command, p: Parameter, value: t.Any) -> t.Any:
        try:
            v = self._convert(p.type, value)
        except _ConversionError as e:
            kind = "CannotConvertArgumentNoMessage" if e.enum else "ParameterArgumentTransformationError"
            if e.enum:
                msg = (f"Cannot bind parameter '{p.name}'. Cannot convert value \"{o.to_string(value)}\" to type "
                       f"\"{e.target}\". Error: \"{e.detail}\"")
            else:
                msg = (f"Cannot process argument transformation on parameter '{p.name}'. Cannot convert value "
                       f"\"{o.to_string(value)}\" to type \"{e.target}\". Error: \"{e.detail}\"")
            raise binding_error(msg, kind, cmd, ErrorCategory.InvalidArgument if e.enum else ErrorCategory.InvalidData,
                                exception="ParameterBindingArgumentTransformationException" if not e.enum
                                else "ParameterBindingException", target_object=value)
        self._validate(cmd, p, v)
        return v

    def _convert(self, ty: str, value: t.Any) -> t.Any:
        if ty.startswith("System.Nullable`1[") and ty.endswith("]"):
            return None if value is None else self._convert(ty[len("System.Nullable`1["):-1], value)
        if ty.endswith("[]"):
            elem = ty[:-2]
            items = list(value) if o.is_collection(value) else ([] if value is None else [value])
            return [self._convert(elem, i) for i in items]
        if ty == "System.Management.Automation.SwitchParameter" or ty == "System.Boolean":
            raw = o.plain(value)
            if isinstance(raw, str) or (raw is not None and not isinstance(raw, (bool, int, float, decimal.Decimal))):
                # ArgumentTransformation for [bool]/[switch] takes only booleans and numbers
                raise _ConversionError(ty, f"{'Boolean' if ty == 'System.Boolean' else 'SwitchParameter'} "
                                           "parameters accept only Boolean values and numbers, such as $True, "
                                           "$False, 1 or 0.")
            return o.is_true(value)
        if ty == "System.String":
            if value is None:
                return None
            if o.is_collection(value):
                return " ".join(o.to_string(i) for i in value)
            return o.to_string(value)
        if ty in _NUMERIC:
            return self._number(ty, value)
        if ty == "System.DateTime":
            if isinstance(value, datetime.datetime):
                return value
            try:
                return datetime.datetime.fromisoformat(o.to_string(value))
            except ValueError:
                raise _ConversionError(ty, "String was not recognized as a valid DateTime.")
        if ty == "System.Management.Automation.ScriptBlock":
            if isinstance(value, o.ScriptBlock) or value is None:
                return value
            from psrpcore.types import PSScriptBlock

            if isinstance(value, PSScriptBlock):
                return self.parse_scriptblock(str(value))
            raise _ConversionError(ty, f"Invalid cast from '{o.type_names(value)[0]}' to "
                                       f"'System.Management.Automation.ScriptBlock'.")
        values = self.enum_lookup(ty)
        if values is not None:
            return self._enum(ty, values, value)
        return value

    def _number(self, ty: str, value: t.Any) -> t.Any:
        kind, lo, hi = _NUMERIC[ty]
        v = o.plain(value)
        if isinstance(v, enum.Enum):
            v = int(v.value)
        try:
            if isinstance(v, str):
                s = v.strip()
                if kind is int:
                    if s.lower().startswith("0x"):
                        n = int(s, 16)
                    else:
                        f = float(s)
                        n = int(round(f)) if not f.is_integer() else int(f)
                else:
                    n = kind(s)
            elif isinstance(v, bool):
                n = kind(int(v))
            elif isinstance(v, (int, float, decimal.Decimal)):
                n = kind(round(v)) if kind is int and isinstance(v, float) else kind(v)
            elif v is None:
                n = kind(0)
            else:
                raise ValueError
        except (ValueError, decimal.InvalidOperation):
            raise _ConversionError(ty, "Input string was not in a correct format.")
        if lo is not None and not (lo <= n <= hi):
            raise _ConversionError(ty, f"Value was either too large or too small for {ty.rsplit('.', 1)[-1]}.")
        return n

    def _enum(self, ty: str, values: dict[str, int], value: t.Any) -> t.Any:
        from .objects import enum_value

        if isinstance(value, enum.Enum) and type(value).PSObject.type_names[0] == ty:
            return value
        from . import dotnet_types

        if dotnet_types.ENUMS.get(ty, (False, {}))[0]:
            # a [Flags] enum takes several names: an array or "A, B" (LanguagePrimitives)
            parts = value if o.is_collection(value) else (
                o.to_string(value).split(",") if isinstance(o.plain(value), str) else [value])
            if len(parts) > 1:
                combined = None
                for part in parts:
                    member = self._enum(ty, values, part.strip() if isinstance(part, str) else part)
                    combined = member if combined is None else combined | member
                return combined
        raw = o.plain(value)
        if isinstance(raw, int) and not isinstance(raw, bool):
            for k, n in values.items():
                if n == raw:
                    return enum_value(ty, values, k)
        text = o.to_string(value).strip()
        for k in values:
            if k.lower() == text.lower():
                return enum_value(ty, values, k)
        names = ", ".join(values)
        raise _ConversionError(ty, f"Unable to match the identifier name {text} to a valid enumerator name. Specify "
                                   f"one of the following enumerator names and try again:\r\n{names}", enum=True)

    def _validate(self, cmd: Command, p: Parameter, v: t.Any) -> None:
        items = v if isinstance(v, list) else [v]

        def fail(detail: str) -> t.NoReturn:
            raise binding_error(f"Cannot validate argument on parameter '{p.name}'. {detail}",
                                "ParameterArgumentValidationError", cmd, ErrorCategory.InvalidData,
                                exception="ParameterBindingValidationException", target_object=v)

        if p.validate_count is not None and isinstance(v, list):
            lo, hi = p.validate_count
            if not (lo <= len(v) <= hi):
                fail(f"The parameter requires at least {lo} value(s) and no more than {hi} value(s) - {len(v)} "
                     "value(s) were provided.")
        for i in items:
            if i is None:
                continue
            if p.validate_set is not None:
                if o.to_string(i).lower() not in {s.lower() for s in p.validate_set}:
                    fail(f"The argument \"{o.to_string(i)}\" does not belong to the set \"{','.join(p.validate_set)}\" "
                         "specified by the ValidateSet attribute. Supply an argument that is in the set and then try "
                         "the command again.")
            if p.validate_range is not None:
                lo, hi = p.validate_range
                n = o.plain(i)
                if isinstance(n, (int, float, decimal.Decimal)) and not isinstance(n, bool):
                    if n < lo:
                        fail(f"The {n} argument is less than the minimum allowed range of {lo}. Supply an argument "
                             f"that is greater than or equal to {lo} and then try the command again.")
                    if n > hi:
                        fail(f"The {n} argument is greater than the maximum allowed range of {hi}. Supply an "
                             f"argument that is less than or equal to {hi} and then try the command again.")
            if p.validate_length is not None:
                lo, hi = p.validate_length
                s = o.to_string(i)
                if len(s) < lo:
                    fail(f"The number of characters ({len(s)}) in the argument is too small. Specify an argument "
                         f"whose length is greater than or equal to \"{lo}\" and then try the command again.")
                if len(s) > hi:
                    fail(f"The character length of the {len(s)} argument is too long. Shorten the character length "
                         f"of the argument so it is fewer than or equal to \"{hi}\" characters, and then try the "
                         "command again.")
            if p.validate_pattern is not None:
                s = o.to_string(i)
                if not re.match(p.validate_pattern, s, re.IGNORECASE):
                    fail(f"The argument \"{s}\" does not match the \"{p.validate_pattern}\" pattern. Supply an "
                         "argument that matches \"" + p.validate_pattern + "\" and try the command again.")


class _ConversionError(Exception):
    def __init__(self, target: str, detail: str, enum: bool = False) -> None:
        super().__init__(detail)
        self.target = target
        self.detail = detail
        self.enum = enum


def is_psobject(v: t.Any) -> bool:
    return isinstance(v, PSObject)
