"""Behaviour of the catalog's commands. Each implementation takes an Invocation and yields output
objects lazily; objects carry the type names and properties Windows serializes for them."""

from __future__ import annotations

import collections
import datetime
import decimal
import os
import time
import typing as t

from psrpcore.types import ErrorCategory, HostMethodIdentifier, PSObject

from . import dotnet_types
from . import objects as o
from .catalog import Command, compile_wildcard, has_wildcard
from .errors import EngineError, error_record, runtime_error

if t.TYPE_CHECKING:
    from .interpreter import Invocation

IMPLEMENTATIONS: dict[str, t.Callable[[Invocation], t.Iterator[t.Any]]] = {}

COMPUTER_NAME = os.environ.get("PSREMOTE_PEER_COMPUTERNAME", "PSREMOTE-PEER")


def cmdlet(*names: str) -> t.Callable[[t.Callable[[Invocation], t.Iterator[t.Any]]],
                                      t.Callable[[Invocation], t.Iterator[t.Any]]]:
    def deco(fn: t.Callable[[Invocation], t.Iterator[t.Any]]) -> t.Callable[[Invocation], t.Iterator[t.Any]]:
        for n in names:
            IMPLEMENTATIONS[n.lower()] = fn
        return fn

    return deco


def _enum(type_name: str, name: str) -> t.Any:
    values = dotnet_types.enum_values(type_name)
    assert values is not None
    return o.enum_value(type_name, values, name, dotnet_types.ENUMS[type_name][0])


def _names_filter(patterns: list[str] | None) -> t.Callable[[str], bool]:
    if not patterns:
        return lambda _: True
    rxs = [compile_wildcard(p) for p in patterns]
    return lambda s: any(r.match(s) for r in rxs)


def should_process(inv: Invocation, action: str, target: str) -> bool:
    """Cmdlet.ShouldProcess: -WhatIf writes "What if: …" through the host (WriteLine) and skips;
    -Confirm asks the host (PromptForChoice) and goes on for Yes / Yes to All."""
    text = f'Performing the operation "{action}" on target "{target}".'
    if inv.params.get("WhatIf"):
        inv.host_call(HostMethodIdentifier.WriteLine2, [f"What if: {text}"])
        return False
    if inv.params.get("Confirm"):
        labels = [("&Yes", "Continue with only the next step of the operation."),
                  ("Yes to &All", "Continue with all the steps of the operation."),
                  ("&No", "Skip this operation and proceed with the next operation."),
                  ("No to A&ll", "Skip this operation and all subsequent operations."),
                  ("&Suspend", 'Pause the current pipeline and return to the command prompt. Type "exit" to resume '
                               "the pipeline.")]
        choices = o.make_list([o._with_meta(object.__new__(PSObject), [], [], [
            o.NoteProperty("label", label), o.NoteProperty("helpMessage", help_text)]) for label, help_text in labels],
            _ARRAYLIST)
        answer = inv.host_call(HostMethodIdentifier.PromptForChoice,
                               ["Confirm", f"Are you sure you want to perform this action?\r\n{text}", choices, 0])
        return int(o.plain(answer) or 0) in (0, 1)
    return True


# --- Write-* and friends ------------------------------------------------------------------------


@cmdlet("Write-Output")
def write_output(inv: Invocation) -> t.Iterator[t.Any]:
    no_enum = inv.params.get("NoEnumerate")
    for obj, params in inv.each_input():
        value = params.get("InputObject")
        if no_enum:
            yield value
        else:
            yield from o.enumerate_value(value)


@cmdlet("Write-Error")
def write_error(inv: Invocation) -> t.Iterator[t.Any]:
    for _, p in inv.each_input():
        if p.get("ErrorRecord") is not None:
            inv.write_error(p["ErrorRecord"])
            continue
        msg = o.to_string(p.get("Message") if p.get("Message") is not None else p.get("Exception"))
        cat_name = o.to_string(p.get("Category")) if p.get("Category") is not None else "NotSpecified"
        category = ErrorCategory[cat_name] if cat_name in ErrorCategory.__members__ else ErrorCategory.NotSpecified
        fqid = o.to_string(p.get("ErrorId")) if p.get("ErrorId") else "Microsoft.PowerShell.Commands.WriteErrorException"
        rec = error_record(msg, fqid, category, exception="WriteErrorException",
                           target_object=p.get("TargetObject"),
                           target_name=o.to_string(p.get("CategoryTargetName") or ""),
                           target_type=o.to_string(p.get("CategoryTargetType") or ""),
                           activity=o.to_string(p.get("CategoryActivity") or "Write-Error"))
        inv.write_error(rec)
    return iter(())


@cmdlet("Write-Warning")
def write_warning(inv: Invocation) -> t.Iterator[t.Any]:
    for _, p in inv.each_input():
        inv.write_warning(o.to_string(p.get("Message")))
    return iter(())


@cmdlet("Write-Verbose")
def write_verbose(inv: Invocation) -> t.Iterator[t.Any]:
    for _, p in inv.each_input():
        inv.write_verbose(o.to_string(p.get("Message")))
    return iter(())


@cmdlet("Write-Debug")
def write_debug(inv: Invocation) -> t.Iterator[t.Any]:
    for _, p in inv.each_input():
        inv.write_debug(o.to_string(p.get("Message")))
    return iter(())


@cmdlet("Write-Information")
def write_information(inv: Invocation) -> t.Iterator[t.Any]:
    for _, p in inv.each_input():
        data = p.get("MessageData")
        inv.write_information(o.to_wire(data), [o.to_string(x) for x in (p.get("Tags") or [])])
    return iter(())


@cmdlet("Write-Host")
def write_host(inv: Invocation) -> t.Iterator[t.Any]:
    """Since PowerShell 5 Write-Host writes an InformationRecord tagged PSHOST (HostInformationMessage)."""
    for _, p in inv.each_input():
        obj = p.get("Object")
        sep = o.to_string(p.get("Separator")) if p.get("Separator") is not None else " "
        text = sep.join(o.to_string(x) for x in obj) if isinstance(obj, list) else o.to_string(obj)
        data = o.make_object(
            ["System.Management.Automation.HostInformationMessage", "System.Object"],
            adapted=[("Message", text), ("NoNewLine", bool(p.get("NoNewline"))),
                     ("ForegroundColor", p.get("ForegroundColor")), ("BackgroundColor", p.get("BackgroundColor"))],
            to_string=text)
        inv.streams.information(data, "Write-Host", ["PSHOST"])
    return iter(())


@cmdlet("Write-Progress")
def write_progress(inv: Invocation) -> t.Iterator[t.Any]:
    p = inv.params
    status = o.to_string(p.get("Status")) if p.get("Status") is not None else "Processing"
    inv.write_progress(o.to_string(p.get("Activity")), int(p.get("Id") or 0), status,
                       int(p.get("PercentComplete") if p.get("PercentComplete") is not None else -1),
                       bool(p.get("Completed")))
    return iter(())


@cmdlet("Out-Default", "Out-Null")
def out_null(inv: Invocation) -> t.Iterator[t.Any]:
    for _ in inv.input():
        pass
    return iter(())


@cmdlet("Out-String")
def out_string(inv: Invocation) -> t.Iterator[t.Any]:
    items = [o.to_string(x) for x in inv.input()]
    if inv.params.get("InputObject") is not None:
        items.append(o.to_string(inv.params["InputObject"]))
    if inv.params.get("Stream"):
        yield from items
    else:
        yield "".join(i + "\r\n" for i in items)


@cmdlet("Clear-Host")
def clear_host(inv: Invocation) -> t.Iterator[t.Any]:
    return iter(())


@cmdlet("Exit-PSSession")
def exit_pssession(inv: Invocation) -> t.Iterator[t.Any]:
    return iter(())


# --- pipeline cmdlets ----------------------------------------------------------------------------


def _value_of(inv: Invocation, obj: t.Any, prop: t.Any) -> t.Any:
    if isinstance(prop, o.ScriptBlock):
        out = list(inv.invoke_block(prop, obj))
        return out[0] if len(out) == 1 else (out or None)
    if isinstance(prop, (dict,)):
        expr = next((v for k, v in prop.items() if o.to_string(k).lower() in ("expression", "e")), None)
        return _value_of(inv, obj, expr) if expr is not None else None
    return o.get_property(obj, o.to_string(prop))


@cmdlet("Where-Object")
def where_object(inv: Invocation) -> t.Iterator[t.Any]:
    interp = inv.interp
    for obj, p in inv.each_input():
        if obj is None and not inv.expecting_input:
            obj = p.get("InputObject")
            if obj is None:
                continue
        block = p.get("FilterScript")
        if block is not None:
            if o.is_true(list(inv.invoke_block(block, obj))):
                yield obj
            continue
        prop = p.get("Property")
        value = p.get("Value")
        op = next((k for k in ("EQ", "NE", "GT", "LT", "GE", "LE", "Like", "NotLike", "Match", "NotMatch",
                               "Contains", "NotContains", "In", "NotIn", "Is", "IsNot", "CEQ", "CNE", "CGT", "CLT",
                               "CGE", "CLE", "CLike", "CNotLike", "CMatch", "CNotMatch", "CContains",
                               "CNotContains", "CIn", "CNotIn", "Not") if p.get(k)), None)
        left = o.get_property(obj, o.to_string(prop))
        if op is None and "Value" in p:
            op = "EQ"  # `Where-Object Status Running`: the EqualSet without -EQ still compares
        if op is None:
            if o.is_true(left):
                yield obj
            continue
        if op == "Not":
            if not o.is_true(left):
                yield obj
            continue
        lop = op.lower()
        case = lop.startswith("c") and lop[1:] in ("eq", "ne", "gt", "lt", "ge", "le", "like", "notlike", "match",
                                                   "notmatch", "contains", "notcontains", "in", "notin")
        base = lop[1:] if case else lop
        if interp.comparison(("c" if case else "") + base, left, value, 0) is True or (
                isinstance(left, list) and interp.comparison(base, left, value, 0)):
            yield obj


@cmdlet("ForEach-Object")
def foreach_object(inv: Invocation) -> t.Iterator[t.Any]:
    p0 = inv.params
    begin = p0.get("Begin")
    end = p0.get("End")
    process = list(p0.get("Process") or [])
    member = p0.get("MemberName")
    if begin is not None:
        yield from inv.invoke_block(begin, None, set_underscore=False)
    for obj, p in inv.each_input():
        if obj is None and not inv.expecting_input:
            obj = p.get("InputObject")
        if member is not None:
            mname = o.to_string(member)
            if not o.has_property(obj, mname) and isinstance(obj, str):
                from .interpreter import _STRING_METHODS

                method = _STRING_METHODS.get(mname.lower())
                if method is not None:  # `'a' | % ToUpper` calls the method
                    yield method(str.__str__(obj), *list(p.get("ArgumentList") or []))
                    continue
            yield from o.enumerate_value(o.get_property(obj, mname))
            continue
        for block in process:
            yield from inv.invoke_block(block, obj)
    if end is not None:
        yield from inv.invoke_block(end, None, set_underscore=False)


def _selected_names(obj: t.Any) -> list[str]:
    names = o.type_names(obj)
    return [f"Selected.{names[0]}" if names else "Selected.System.Object",
            "System.Management.Automation.PSCustomObject", "System.Object"]


def _expand_properties(obj: t.Any, props: list[t.Any]) -> list[str]:
    names: list[str] = []
    available = o.property_names(obj)
    for pr in props:
        if isinstance(pr, (o.ScriptBlock, dict)):
            continue
        s = o.to_string(pr)
        if has_wildcard(s):
            rx = compile_wildcard(s)
            names.extend(n for n in available if rx.match(n) and n not in names)
        else:
            names.append(s)
    return names


@cmdlet("Select-Object")
def select_object(inv: Invocation) -> t.Iterator[t.Any]:
    p = inv.params
    props = p.get("Property")
    props = props if isinstance(props, list) else ([props] if props is not None else None)
    expand = p.get("ExpandProperty")
    first = p.get("First")
    last = p.get("Last")
    skip = p.get("Skip") or 0
    unique = p.get("Unique")
    exclude = p.get("ExcludeProperty")

    def source() -> t.Iterator[t.Any]:
        if inv.expecting_input:
            yield from inv.input()
        elif p.get("InputObject") is not None:
            yield p["InputObject"]

    def shape(obj: t.Any) -> t.Iterator[t.Any]:
        if props:
            out_props: list[tuple[str, t.Any]] = []
            for pr in props:
                if isinstance(pr, dict):
                    label = next((o.to_string(v) for k, v in pr.items()
                                  if o.to_string(k).lower() in ("name", "label", "n", "l")), "")
                    out_props.append((label, _value_of(inv, obj, pr)))
                elif isinstance(pr, o.ScriptBlock):
                    out_props.append((pr.text, _value_of(inv, obj, pr)))
            for n in _expand_properties(obj, props):
                if exclude and any(compile_wildcard(o.to_string(e)).match(n) for e in exclude):
                    continue
                real = next((x for x in o.property_names(obj) if x.lower() == n.lower()), n)
                out_props.append((real, o.to_wire(o.get_property(obj, n))))
            yield o.make_custom(out_props, _selected_names(obj))
        elif expand is not None:
            v = o.get_property(obj, o.to_string(expand))
            if v is None and not o.has_property(obj, o.to_string(expand)):
                inv.write_error(error_record(
                    f"Property \"{o.to_string(expand)}\" cannot be found.", "ExpandPropertyNotFound,"
                    "Microsoft.PowerShell.Commands.SelectObjectCommand", ErrorCategory.InvalidArgument,
                    exception="ArgumentException", target_object=obj, activity="Select-Object"))
                return
            yield from o.enumerate_value(v)
        else:
            yield obj

    def stream() -> t.Iterator[t.Any]:
        seen: list[t.Any] = []
        for obj in source():
            for shaped in shape(obj):
                if unique:
                    key = o.to_string(shaped)
                    if key in seen:
                        continue
                    seen.append(key)
                yield shaped

    if last is not None:
        # keep only the last N (and what -Skip drops from the front), not the whole input
        keep = collections.deque(maxlen=int(last)) if int(last) else None
        for i, item in enumerate(stream()):
            if i >= int(skip) and keep is not None:
                keep.append(item)
        yield from keep or []
        return
    n = 0
    skipped = 0
    for item in stream():
        if skipped < int(skip):
            skipped += 1
            continue
        if first is not None and n >= int(first):
            return  # stop upstream early, like SelectObjectCommand's StopUpstreamCommandsException
        yield item
        n += 1


def _sort_key(v: t.Any) -> tuple[int, t.Any]:
    v = o.plain(v)
    if v is None:
        return (0, "")
    if isinstance(v, bool):
        return (1, int(v))
    if hasattr(v, "value") and isinstance(getattr(v, "value"), int) and not isinstance(v, str):
        return (1, int(v.value))
    if isinstance(v, (int, float, decimal.Decimal)):
        return (1, v)
    if isinstance(v, datetime.datetime):
        return (2, v.timestamp() if v.tzinfo else v)
    return (3, o.to_string(v).lower())


@cmdlet("Sort-Object")
def sort_object(inv: Invocation) -> t.Iterator[t.Any]:
    p = inv.params
    items = list(inv.input()) if inv.expecting_input else list(o.enumerate_value(p.get("InputObject")))
    props = p.get("Property")
    props = props if isinstance(props, list) else ([props] if props is not None else [])
    desc = bool(p.get("Descending"))

    def key(obj: t.Any) -> t.Any:
        if not props:
            return [_sort_key(obj)]
        return [_sort_key(_value_of(inv, obj, pr)) for pr in props]

    try:
        items.sort(key=key, reverse=desc)
    except TypeError:
        items.sort(key=lambda x: [(k[0], o.to_string(k[1])) for k in key(x)], reverse=desc)
    if p.get("Unique"):
        seen: set[str] = set()
        out = []
        for i in items:
            k = repr(key(i))
            if k not in seen:
                seen.add(k)
                out.append(i)
        items = out
    yield from items


@cmdlet("Measure-Object")
def measure_object(inv: Invocation) -> t.Iterator[t.Any]:
    """Streams its input (nothing is kept but the running totals), like MeasureObjectCommand."""
    p = inv.params
    props = p.get("Property") or [None]
    props = props if isinstance(props, list) else [props]
    items = inv.input() if inv.expecting_input else o.enumerate_value(p.get("InputObject"))
    stats = [{"count": 0, "sum": 0.0, "n": 0, "max": None, "min": None} for _ in props]
    for obj in items:
        for prop, st in zip(props, stats):
            if prop is not None and not o.has_property(obj, o.to_string(prop)):
                continue
            v = obj if prop is None else o.get_property(obj, o.to_string(prop))
            st["count"] += 1
            n = o.plain(v)
            if isinstance(n, str):
                try:
                    n = float(n)
                except ValueError:
                    continue
            if isinstance(n, (int, float, decimal.Decimal)) and not isinstance(n, bool):
                f = float(n)
                st["sum"] += f
                st["n"] += 1
                st["max"] = f if st["max"] is None else max(st["max"], f)
                st["min"] = f if st["min"] is None else min(st["min"], f)
    for prop, st in zip(props, stats):
        def opt(flag: str, value: t.Any) -> t.Any:
            return value if p.get(flag) and st["n"] else None

        yield o.make_object(
            ["Microsoft.PowerShell.Commands.GenericMeasureInfo", "Microsoft.PowerShell.Commands.MeasureInfo",
             "System.Object"],
            adapted=[("Count", st["count"]), ("Average", opt("Average", st["sum"] / max(st["n"], 1))),
                     ("Sum", opt("Sum", st["sum"])), ("Maximum", opt("Maximum", st["max"])),
                     ("Minimum", opt("Minimum", st["min"])),
                     ("Property", None if prop is None else o.to_string(prop))],
            to_string="Microsoft.PowerShell.Commands.GenericMeasureInfo")


# --- objects: New-Object, Add-Member, Group-Object, JSON -------------------------------------------------


@cmdlet("New-Object")
def new_object(inv: Invocation) -> t.Iterator[t.Any]:
    """The few types scripts commonly create: PSObject/PSCustomObject (with -Property), Hashtable,
    ArrayList/List, DateTime; anything else is TypeNotFound as on a host without that assembly."""
    p = inv.params
    ty = o.to_string(p.get("TypeName") or "")
    low = ty.lower().replace("system.management.automation.", "")
    args = list(p.get("ArgumentList") or [])
    props = p.get("Property")
    if low in ("psobject", "pscustomobject"):
        yield o.make_custom([(o.to_string(k), o.to_wire(v)) for k, v in (props or {}).items()])
        return
    if low in ("hashtable", "system.collections.hashtable"):
        yield {}
        return
    if low in ("system.collections.arraylist",) or low.startswith("system.collections.generic.list"):
        yield o.make_list(list(args[0]) if args and o.is_collection(args[0]) else [],
                          ["System.Collections.ArrayList", "System.Object"])
        return
    if low in ("datetime", "system.datetime") and len(args) >= 3:
        yield datetime.datetime(*[int(o.plain(a)) for a in args[:6]])
        return
    raise EngineError(error_record(
        f"Cannot find type [{ty}]: verify that the assembly containing this type is loaded.",
        "TypeNotFound,Microsoft.PowerShell.Commands.NewObjectCommand", ErrorCategory.InvalidType,
        exception="InvalidOperationException", target_object=ty, activity="New-Object"))


@cmdlet("Add-Member")
def add_member(inv: Invocation) -> t.Iterator[t.Any]:
    """NoteProperty members (MemberType NoteProperty, -NotePropertyName/-Value, -NotePropertyMembers)."""
    for obj, p in inv.each_input():
        target = p.get("InputObject", obj)
        members: list[tuple[str, t.Any]] = []
        if p.get("NotePropertyMembers") is not None:
            members = [(o.to_string(k), v) for k, v in p["NotePropertyMembers"].items()]
        elif p.get("NotePropertyName") is not None:
            members = [(o.to_string(p["NotePropertyName"]), p.get("NotePropertyValue"))]
        elif p.get("Name") is not None:
            kind = o.to_string(p.get("MemberType"))
            if kind != "NoteProperty":
                inv.write_error(error_record(
                    f"Add-Member on this endpoint adds NoteProperty members only, not {kind}.",
                    "NotSupported,Microsoft.PowerShell.Commands.AddMemberCommand", ErrorCategory.NotImplemented,
                    exception="InvalidOperationException", target_object=target, activity="Add-Member"))
                continue
            members = [(o.to_string(p["Name"]), p.get("Value"))]
        if isinstance(target, PSObject) and not isinstance(target, (str, int, float)):
            for name, value in members:
                existing = [q for q in target.PSObject.extended_properties if q.name.lower() == name.lower()]
                if existing and not p.get("Force"):
                    inv.write_error(error_record(
                        f"Cannot add a member with the name \"{name}\" because a member with that name already "
                        "exists. To overwrite the member anyway, add the Force parameter to your command.",
                        "MemberAlreadyExists,Microsoft.PowerShell.Commands.AddMemberCommand",
                        ErrorCategory.InvalidOperation, exception="InvalidOperationException", target_object=target,
                        activity="Add-Member"))
                    continue
                for q in existing:
                    target.PSObject.extended_properties.remove(q)
                target.PSObject.extended_properties.append(o.NoteProperty(name, o.to_wire(value)))
        if p.get("PassThru"):
            yield target


@cmdlet("Group-Object")
def group_object(inv: Invocation) -> t.Iterator[t.Any]:
    p = inv.params
    props = p.get("Property") or []
    props = props if isinstance(props, list) else [props]
    case = bool(p.get("CaseSensitive"))
    groups: dict[tuple[str, ...], tuple[list[t.Any], list[t.Any]]] = {}
    items = inv.input() if inv.expecting_input else o.enumerate_value(p.get("InputObject"))
    for obj in items:
        values = [_value_of(inv, obj, pr) for pr in props] if props else [obj]
        key = tuple(o.to_string(v) if case else o.to_string(v).lower() for v in values)
        if key not in groups:
            groups[key] = (values, [])
        groups[key][1].append(obj)
    if p.get("AsHashTable"):
        table: dict[t.Any, t.Any] = {}
        for values, members in groups.values():
            name = ", ".join(o.to_string(v) for v in values) if p.get("AsString") or len(values) != 1 else values[0]
            table[name] = list(members)
        yield table
        return
    for values, members in groups.values():
        name = ", ".join(o.to_string(v) for v in values)
        adapted: list[tuple[str, t.Any]] = [
            ("Values", o.make_list([o.to_wire(v) for v in values], ["System.Collections.ArrayList", "System.Object"])),
            ("Count", len(members))]
        if not p.get("NoElement"):
            adapted.append(("Group", o.make_list([o.to_wire(m) for m in members], _COLLECTION_PSOBJECT)))
        adapted.append(("Name", name))
        yield o.make_object(["Microsoft.PowerShell.Commands.GroupInfo", "System.Object"], adapted=adapted,
                            to_string="Microsoft.PowerShell.Commands.GroupInfo")


_COLLECTION_PSOBJECT = [
    "System.Collections.ObjectModel.Collection`1[[System.Management.Automation.PSObject, System.Management.Automation, "
    "Version=3.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]", "System.Object"]


def _json_value(v: t.Any, depth: int, max_depth: int) -> t.Any:
    """ConvertTo-Json's view of a value (Windows PowerShell 5.1: enums as numbers, DateTime as
    \\/Date(ms)\\/, objects past -Depth as their string)."""
    import enum as _enum_mod

    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, _enum_mod.Enum):
        return int(v.value)
    if isinstance(v, datetime.datetime):
        ts = v.timestamp() if v.tzinfo else v.replace(tzinfo=datetime.timezone.utc).timestamp()
        return f"/Date({int(ts * 1000)})/"
    if isinstance(v, (int, float)):
        return o.plain(v)
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, str):
        return str.__str__(v)
    if depth > max_depth:
        return o.to_string(v)
    if isinstance(v, dict):
        return {o.to_string(k): _json_value(x, depth + 1, max_depth) for k, x in v.items()}
    if o.is_collection(v):
        return [_json_value(x, depth + 1, max_depth) for x in v]
    if isinstance(v, PSObject):
        return {n: _json_value(o.get_property(v, n), depth + 1, max_depth) for n in o.property_names(v)}
    return o.to_string(v)


@cmdlet("ConvertTo-Json")
def convertto_json(inv: Invocation) -> t.Iterator[t.Any]:
    import json

    p = inv.params
    depth = int(p.get("Depth") if p.get("Depth") is not None else 2)
    items = list(inv.input()) if inv.expecting_input else [p.get("InputObject")]
    value = items[0] if len(items) == 1 else items
    data = _json_value(value, 0, depth)
    if p.get("Compress"):
        yield json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("/Date(", "\\/Date(").replace(
            ")/", ")\\/")
    else:
        yield json.dumps(data, indent=4, ensure_ascii=False).replace("/Date(", "\\/Date(").replace(")/", ")\\/")


@cmdlet("ConvertFrom-Json")
def convertfrom_json(inv: Invocation) -> t.Iterator[t.Any]:
    import json

    def convert(v: t.Any) -> t.Any:
        if isinstance(v, dict):
            return o.make_custom([(k, o.to_wire(convert(x))) for k, x in v.items()])
        if isinstance(v, list):
            return [convert(x) for x in v]
        return v

    text = "\n".join(o.to_string(p.get("InputObject")) for _, p in inv.each_input())
    try:
        data = json.loads(text)
    except ValueError as e:
        raise EngineError(error_record(f"Invalid JSON primitive: {e}", "System.ArgumentException,"
                                       "Microsoft.PowerShell.Commands.ConvertFromJsonCommand",
                                       ErrorCategory.NotSpecified, exception="ArgumentException",
                                       activity="ConvertFrom-Json"))
    yield convert(data)


# --- system information --------------------------------------------------------------------------


@cmdlet("Get-Date")
def get_date(inv: Invocation) -> t.Iterator[t.Any]:
    p = inv.params
    # DateTimeKind.Local: serialized with the UTC offset, as a Windows host does
    d = p.get("Date") or datetime.datetime.now().astimezone()
    for part in ("Year", "Month", "Day", "Hour", "Minute", "Second"):
        if p.get(part) is not None:
            d = d.replace(**{part.lower(): int(p[part])})
    if p.get("Format") is not None:
        from .interpreter import _dotnet_date_format

        yield _dotnet_date_format(d, o.to_string(p["Format"]))
        return
    if p.get("UFormat") is not None:
        yield d.strftime(o.to_string(p["UFormat"]))
        return
    hint = o.to_string(p.get("DisplayHint") or "DateTime")
    # A live DateTime: PowerShell adds the DisplayHint NoteProperty (Get-Date's DisplayHintType).
    from psrpcore.types import PSDateTime, PSNoteProperty

    dt = PSDateTime(d)
    dt.PSObject.extended_properties.append(PSNoteProperty(
        "DisplayHint", _enum("Microsoft.PowerShell.Commands.DisplayHintType", hint)))
    yield dt


def culture_object() -> PSObject:
    """en-US with CultureInfo's serialization set (types.ps1xml), as the pshost recording shows."""
    return o.make_object(["System.Globalization.CultureInfo", "System.Object"], adapted=[
        ("LCID", 1033), ("Name", "en-US"), ("DisplayName", "English (United States)"),
        ("IetfLanguageTag", "en-US"), ("ThreeLetterISOLanguageName", "eng"),
        ("ThreeLetterWindowsLanguageName", "ENU"), ("TwoLetterISOLanguageName", "en")], to_string="en-US")


@cmdlet("Get-UICulture", "Get-Culture")
def get_uiculture(inv: Invocation) -> t.Iterator[t.Any]:
    yield culture_object()


@cmdlet("Start-Sleep")
def start_sleep(inv: Invocation) -> t.Iterator[t.Any]:
    p = inv.params
    secs = float(p.get("Seconds") or 0) + float(p.get("Milliseconds") or 0) / 1000.0
    deadline = time.monotonic() + secs
    while not inv.stopping:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(left, 0.05))
    return iter(())


_MSCORLIB = "mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089"


def field_description(name: str, secure: bool) -> PSObject:
    """A FieldDescription as the host receives it in a Prompt call (MS-PSRP 2.2.3.? host
    parameter encoding: a property bag without type names, see the pshost fixture)."""
    short, full = ("SecureString", "System.Security.SecureString") if secure else ("String", "System.String")
    return o._with_meta(object.__new__(PSObject), [], [], [
        o.NoteProperty("name", name), o.NoteProperty("label", ""), o.NoteProperty("parameterTypeName", short),
        o.NoteProperty("parameterTypeFullName", full),
        o.NoteProperty("parameterAssemblyFullName", f"{full}, {_MSCORLIB}"), o.NoteProperty("helpMessage", ""),
        o.NoteProperty("isMandatory", True), o.NoteProperty("metadata", o.make_list([], _ARRAYLIST)),
        o.NoteProperty("modifiedByRemotingProtocol", False), o.NoteProperty("isFromRemoteHost", False)])


_ARRAYLIST = ["System.Collections.ArrayList", "System.Object"]


@cmdlet("Read-Host")
def read_host(inv: Invocation) -> t.Iterator[t.Any]:
    """Host calls as ReadHostCommand makes them: with -Prompt, PSHostUserInterface.Prompt with one
    FieldDescription (String, or SecureString for -AsSecureString) and each value of the returned
    dictionary is output; without, ReadLine / ReadLineAsSecureString (MS-PSRP 2.2.3.17)."""
    p = inv.params
    prompt = p.get("Prompt")
    secure = bool(p.get("AsSecureString") or p.get("MaskInput"))
    if prompt is not None:
        items = prompt if isinstance(prompt, list) else [prompt]
        text = " ".join(s for s in (o.to_string(x) for x in items) if s)
        fields = o.make_list([field_description(text, secure)], _ARRAYLIST)
        result = inv.host_call(HostMethodIdentifier.Prompt, ["", "", fields])
        if isinstance(result, dict):
            yield from result.values()
        elif result is not None:
            yield result
        return
    if secure:
        yield inv.host_call(HostMethodIdentifier.ReadLineAsSecureString, [])
    else:
        yield inv.host_call(HostMethodIdentifier.ReadLine, [])


@cmdlet("Restart-Computer")
def restart_computer(inv: Invocation) -> t.Iterator[t.Any]:
    """Simulated: the restart is recorded in engine.events, nothing restarts."""
    p = inv.params
    for name in p.get("ComputerName") or ["localhost"]:
        target = f"{o.to_string(name)} ({COMPUTER_NAME})"
        if should_process(inv, "Enable the Remote shutdown access rights and restart the computer.", target):
            inv.interp.engine.events.append(("restart", o.to_string(name)))
    return iter(())


@cmdlet("Test-Connection")
def test_connection(inv: Invocation) -> t.Iterator[t.Any]:
    p = inv.params
    count = int(p.get("Count") if p.get("Count") is not None else 4)
    quiet = bool(p.get("Quiet"))
    if p.get("TargetName") is not None:
        yield from _test_connection_7(inv, p, count, quiet)
        return
    for target in p.get("ComputerName") or []:
        tgt = o.to_string(target)
        reachable = tgt.lower() in ("localhost", "127.0.0.1", "::1", COMPUTER_NAME.lower(), ".")
        if quiet:
            yield reachable
            continue
        for i in range(count):
            if inv.stopping:
                return
            if not reachable:
                inv.write_error(error_record(
                    f"Testing connection to computer '{tgt}' failed: No such host is known",
                    "TestConnectionException,Microsoft.PowerShell.Commands.TestConnectionCommand",
                    ErrorCategory.ResourceUnavailable, exception="InvalidOperationException", target_object=tgt,
                    activity="Test-Connection", target_name=tgt, target_type="String"))
                break
            yield _ping_status(tgt, int(p.get("BufferSize") or 32), int(p.get("TimeToLive") or 128))
            if i + 1 < count and p.get("Delay"):
                time.sleep(min(float(p["Delay"]), 0.01))


def _test_connection_7(inv: Invocation, p: dict[str, t.Any], count: int, quiet: bool) -> t.Iterator[t.Any]:
    """PowerShell 7's Test-Connection: TestConnectionCommand+PingStatus objects, -Quiet booleans."""
    for target in p["TargetName"]:
        tgt = o.to_string(target)
        reachable = tgt.lower() in ("localhost", "127.0.0.1", "::1", COMPUTER_NAME.lower(), ".")
        if quiet:
            yield reachable
            continue
        if not reachable:
            inv.write_error(error_record(
                f"Testing connection to computer '{tgt}' failed: Cannot resolve the target name.",
                "TestConnectionException,Microsoft.PowerShell.Commands.TestConnectionCommand",
                ErrorCategory.ResourceUnavailable, exception="InvalidOperationException", target_object=tgt,
                activity="Test-Connection", target_name=tgt, target_type="String"))
            continue
        for i in range(count):
            if inv.stopping:
                return
            yield o.make_object(
                ["Microsoft.PowerShell.Commands.TestConnectionCommand+PingStatus", "System.Object"],
                adapted=[("Ping", o.typed(i + 1, "System.UInt32")), ("Source", COMPUTER_NAME), ("Destination", tgt),
                         ("Address", "127.0.0.1" if tgt != "::1" else "::1"), ("DisplayAddress", "127.0.0.1"),
                         ("Latency", o.typed(0, "System.Int64")),
                         ("Status", _enum("System.Net.NetworkInformation.IPStatus", "Success")),
                         ("BufferSize", o.typed(int(p.get("BufferSize") or 32), "System.Int32"))],
                to_string="Microsoft.PowerShell.Commands.TestConnectionCommand+PingStatus")


def _ping_status(target: str, size: int, ttl: int) -> PSObject:
    cls = "System.Management.ManagementObject#root\\cimv2\\Win32_PingStatus"
    addr = "127.0.0.1" if target != "::1" else "::1"
    return o.make_object(
        [cls, "System.Management.ManagementObject", "System.Management.ManagementBaseObject",
         "System.ComponentModel.Component", "System.MarshalByRefObject", "System.Object"],
        adapted=[("__GENUS", 2), ("__CLASS", "Win32_PingStatus"), ("__SUPERCLASS", None), ("__DYNASTY", "Win32_PingStatus"),
                 ("__RELPATH", f"Win32_PingStatus.Address=\"{target}\",BufferSize={size},NoFragmentation=FALSE,"
                               "RecordRoute=0,ResolveAddressNames=FALSE,SourceRoute=\"\",SourceRouteType=0,"
                               "Timeout=4000,TimestampRoute=0,TimeToLive=128,TypeofService=0"),
                 ("__PROPERTY_COUNT", 24), ("__DERIVATION", []), ("__SERVER", COMPUTER_NAME),
                 ("__NAMESPACE", "root\\cimv2"), ("__PATH", None),
                 ("Address", target), ("BufferSize", size), ("NoFragmentation", False),
                 ("PrimaryAddressResolutionStatus", 0), ("ProtocolAddress", addr),
                 ("ProtocolAddressResolved", ""), ("RecordRoute", 0), ("ReplyInconsistency", False),
                 ("ReplySize", size), ("ResolveAddressNames", False), ("ResponseTime", 0),
                 ("ResponseTimeToLive", ttl), ("StatusCode", 0), ("Timeout", 4000), ("TimeToLive", ttl),
                 ("TypeofService", 0)],
        extended=[("PSComputerName", COMPUTER_NAME), ("IPV4Address", "127.0.0.1"), ("IPV6Address", "::1")],
        to_string=f"\\\\{COMPUTER_NAME}\\root\\cimv2:Win32_PingStatus.Address=\"{target}\"")


# --- services -------------------------------------------------------------------------------------

SERVICES: list[tuple[str, str, str, str, str, bool]] = [
    # name, display name, status, start type, service type, can stop
    ("BITS", "Background Intelligent Transfer Service", "Running", "Manual", "Win32ShareProcess", True),
    ("Dhcp", "DHCP Client", "Running", "Automatic", "Win32ShareProcess", True),
    ("Dnscache", "DNS Client", "Running", "Automatic", "Win32ShareProcess", True),
    ("EventLog", "Windows Event Log", "Running", "Automatic", "Win32ShareProcess", True),
    ("LanmanServer", "Server", "Running", "Automatic", "Win32ShareProcess", True),
    ("LanmanWorkstation", "Workstation", "Running", "Automatic", "Win32ShareProcess", True),
    ("MpsSvc", "Windows Defender Firewall", "Running", "Automatic", "Win32ShareProcess", False),
    ("Netlogon", "Netlogon", "Stopped", "Manual", "Win32ShareProcess", True),
    ("RemoteRegistry", "Remote Registry", "Stopped", "Disabled", "Win32ShareProcess", True),
    ("Schedule", "Task Scheduler", "Running", "Automatic", "Win32ShareProcess", False),
    ("Spooler", "Print Spooler", "Running", "Automatic", "Win32OwnProcess, InteractiveProcess", True),
    ("W32Time", "Windows Time", "Stopped", "Manual", "Win32ShareProcess", True),
    ("WinRM", "Windows Remote Management (WS-Management)", "Running", "Automatic", "Win32ShareProcess", True),
    ("wuauserv", "Windows Update", "Stopped", "Manual", "Win32ShareProcess", True),
    ("WSearch", "Windows Search", "Running", "Automatic", "Win32OwnProcess", True),
]

_DEPENDS = {"LanmanServer": ["SamSS", "Srv2"], "WinRM": ["RPCSS", "HTTP"], "Spooler": ["RPCSS", "http"]}


class ServiceTable:
    """The host's services; shared by every session (Set-Service changes them for all)."""

    def __init__(self) -> None:
        self.rows = {s[0].lower(): list(s) for s in SERVICES}

    def all(self) -> list[list[t.Any]]:
        return sorted(self.rows.values(), key=lambda r: r[0].lower())


def service_object(row: list[t.Any]) -> PSObject:
    name, display, status, start, stype, can_stop = row
    st_values = dotnet_types.enum_values("System.ServiceProcess.ServiceType") or {}
    st_cls = o.enum_class("System.ServiceProcess.ServiceType", st_values, flags=True)
    stype_value = st_cls(0)
    for part in stype.split(", "):
        stype_value = stype_value | st_cls[part]
    running = status == "Running"
    deps = _DEPENDS.get(name, [])
    return o.make_object(
        ["System.ServiceProcess.ServiceController", "System.ComponentModel.Component", "System.MarshalByRefObject",
         "System.Object"],
        adapted=[
            ("CanPauseAndContinue", False), ("CanShutdown", running and can_stop), ("CanStop", running and can_stop),
            ("DisplayName", display), ("DependentServices", []), ("MachineName", "."), ("ServiceName", name),
            ("ServicesDependedOn", deps), ("ServiceHandle", None),
            ("Status", _enum("System.ServiceProcess.ServiceControllerStatus", status)),
            ("ServiceType", stype_value),
            ("StartType", _enum("System.ServiceProcess.ServiceStartMode", start)),
            ("Site", None), ("Container", None),
        ],
        extended=[("Name", name), ("RequiredServices", deps)],
        to_string="System.ServiceProcess.ServiceController")


def _service_not_found(inv: Invocation, name: str, by_display: bool = False) -> None:
    what = "display name" if by_display else "service name"
    inv.write_error(error_record(
        f"Cannot find any service with {what} '{name}'.",
        f"NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.{inv.command.name.replace('-', '')}Command",
        ErrorCategory.ObjectNotFound, exception="ServiceCommandException", target_object=name,
        activity=inv.command.name, target_name=name, target_type="String"))


@cmdlet("Get-Service")
def get_service(inv: Invocation) -> t.Iterator[t.Any]:
    table: ServiceTable = inv.interp.engine.services
    include = _names_filter(inv.params.get("Include"))
    exclude = inv.params.get("Exclude")
    excl = _names_filter(exclude) if exclude else (lambda _: False)
    for obj, p in inv.each_input():
        if p.get("InputObject"):
            yield from p["InputObject"]
            continue
        if p.get("DisplayName") is not None:
            keys, by_display = p["DisplayName"], True
        else:
            keys, by_display = (p.get("Name") or ["*"]), False
        for key in keys:
            rx = compile_wildcard(key)
            found = False
            for row in table.all():
                if rx.match(row[1] if by_display else row[0]) and include(row[0]) and not excl(row[0]):
                    found = True
                    yield service_object(row)
            if not found and not has_wildcard(key):
                _service_not_found(inv, key, by_display)


@cmdlet("Set-Service")
def set_service(inv: Invocation) -> t.Iterator[t.Any]:
    table: ServiceTable = inv.interp.engine.services
    for obj, p in inv.each_input():
        target = p.get("Name")
        if target is None and p.get("InputObject") is not None:
            target = o.get_property(p["InputObject"], "ServiceName") or o.get_property(p["InputObject"], "Name")
        name = o.to_string(target)
        row = table.rows.get(name.lower())
        if row is None:
            inv.write_error(error_record(
                f"Service {name} was not found on computer '.'.",
                "InvalidOperationException,Microsoft.PowerShell.Commands.SetServiceCommand",
                ErrorCategory.ObjectNotFound, exception="InvalidOperationException", target_object=name,
                activity="Set-Service", target_name=name, target_type="String"))
            continue
        if not should_process(inv, "Set-Service", f"{row[1]} ({row[0]})"):
            continue
        if p.get("DisplayName") is not None:
            row[1] = o.to_string(p["DisplayName"])
        if p.get("StartupType") is not None:
            row[3] = o.to_string(p["StartupType"])
        if p.get("Status") is not None:
            row[2] = o.to_string(p["Status"])
        if p.get("PassThru"):
            yield service_object(row)


def _service_targets(inv: Invocation, p: dict[str, t.Any]) -> t.Iterator[list[t.Any]]:
    """The service rows a Start/Stop/Restart-Service call names: -InputObject (live or
    deserialized ServiceControllers), -Name (wildcards) or -DisplayName."""
    table: ServiceTable = inv.interp.engine.services
    if p.get("InputObject"):
        for svc in p["InputObject"]:
            name = o.to_string(o.get_property(svc, "ServiceName") or o.get_property(svc, "Name"))
            row = table.rows.get(name.lower())
            if row is None:
                _service_not_found(inv, name)
            else:
                yield row
        return
    by_display = p.get("DisplayName") is not None
    for key in (p.get("DisplayName") if by_display else p.get("Name")) or []:
        rx = compile_wildcard(key)
        rows = [r for r in table.all() if rx.match(r[1] if by_display else r[0])]
        if not rows and not has_wildcard(key):
            _service_not_found(inv, key, by_display)
        yield from rows


def _service_action(inv: Invocation, verb: str) -> t.Iterator[t.Any]:
    cls = f"Microsoft.PowerShell.Commands.{verb}ServiceCommand"
    for _, p in inv.each_input():
        for row in _service_targets(inv, p):
            name, display, status, start, _, can_stop = row
            if not should_process(inv, f"{verb}-Service", f"{display} ({name})"):
                continue
            if verb in ("Stop", "Restart") and status == "Running" and not can_stop:
                inv.write_error(error_record(
                    f"Service '{display} ({name})' cannot be stopped due to the following error: Cannot stop {name} "
                    f"service on computer '.'.", f"CouldNotStopService,{cls}", ErrorCategory.CloseError,
                    exception="ServiceCommandException", target_object=name, activity=f"{verb}-Service"))
                continue
            if verb in ("Start", "Restart") and start == "Disabled":
                inv.write_error(error_record(
                    f"Service '{display} ({name})' cannot be started due to the following error: Cannot start "
                    f"service {name} on computer '.'.", f"CouldNotStartService,{cls}", ErrorCategory.OpenError,
                    exception="ServiceCommandException", target_object=name, activity=f"{verb}-Service"))
                continue
            row[2] = "Stopped" if verb == "Stop" else "Running"
            if p.get("PassThru"):
                yield service_object(row)


@cmdlet("Stop-Service")
def stop_service(inv: Invocation) -> t.Iterator[t.Any]:
    return _service_action(inv, "Stop")


@cmdlet("Start-Service")
def start_service(inv: Invocation) -> t.Iterator[t.Any]:
    return _service_action(inv, "Start")


@cmdlet("Restart-Service")
def restart_service(inv: Invocation) -> t.Iterator[t.Any]:
    return _service_action(inv, "Restart")


# --- processes, hotfixes, events ----------------------------------------------------------------------

PROCESSES = [
    (4, "System", 0, 144, 0.0), (88, "Registry", 0, 61380, 0.0), (392, "smss", 0, 1212, 0.05),
    (516, "csrss", 0, 5320, 0.48), (600, "wininit", 0, 6608, 0.03), (672, "services", 0, 9480, 1.2),
    (688, "lsass", 0, 18500, 2.1), (812, "svchost", 0, 23100, 3.4), (860, "svchost", 0, 14512, 1.1),
    (1024, "svchost", 0, 61212, 12.9), (1480, "spoolsv", 0, 15300, 0.3), (2140, "WmiPrvSE", 0, 19880, 0.8),
    (2364, "wsmprovhost", 0, 71200, 1.7), (3012, "explorer", 1, 96400, 22.5), (4120, "powershell", 1, 84240, 4.0),
]


@cmdlet("Get-Process")
def get_process(inv: Invocation) -> t.Iterator[t.Any]:
    for obj, p in inv.each_input():
        if p.get("InputObject"):
            yield from p["InputObject"]
            continue
        ids = p.get("Id")
        names = p.get("Name") or ["*"]
        for pid in ids or []:
            row = next((r for r in PROCESSES if r[0] == pid), None)
            if row is None:
                inv.write_error(error_record(
                    f"Cannot find a process with the process identifier {pid}.",
                    "NoProcessFoundForGivenId,Microsoft.PowerShell.Commands.GetProcessCommand",
                    ErrorCategory.ObjectNotFound, exception="ArgumentException", target_object=pid,
                    activity="Get-Process", target_name=str(pid), target_type="Int32"))
            else:
                yield process_object(row)
        if ids:
            continue
        for n in names:
            rx = compile_wildcard(n)
            rows = [r for r in PROCESSES if rx.match(r[1])]
            if not rows and not has_wildcard(n):
                inv.write_error(error_record(
                    f"Cannot find a process with the name \"{n}\". Verify the process name and call the cmdlet "
                    "again.", "NoProcessFoundForGivenName,Microsoft.PowerShell.Commands.GetProcessCommand",
                    ErrorCategory.ObjectNotFound, exception="ArgumentException", target_object=n,
                    activity="Get-Process", target_name=n, target_type="String"))
            for r in sorted(rows, key=lambda r: (r[1].lower(), r[0])):
                yield process_object(r)


def process_object(row: tuple[int, str, int, int, float]) -> PSObject:
    pid, name, session, ws_kb, cpu = row
    ws = ws_kb * 1024
    return o.make_object(
        ["System.Diagnostics.Process", "System.ComponentModel.Component", "System.MarshalByRefObject",
         "System.Object"],
        adapted=[("BasePriority", 8), ("ExitCode", None), ("HasExited", False), ("Handle", None),
                 ("HandleCount", 100 + pid % 900), ("Id", pid), ("MachineName", "."), ("MainWindowTitle", ""),
                 ("NonpagedSystemMemorySize64", ws // 40), ("PagedMemorySize64", ws // 2),
                 ("PeakWorkingSet64", ws + 4096), ("PriorityClass", _enum("System.Diagnostics.ProcessPriorityClass",
                                                                        "Normal")),
                 ("PrivateMemorySize64", ws // 2), ("ProcessName", name), ("Responding", True),
                 ("SessionId", session), ("StartTime", datetime.datetime(2026, 11, 23, 6, 0, 0)),
                 ("VirtualMemorySize64", ws * 40), ("WorkingSet64", ws)],
        extended=[("Name", name), ("Handles", 100 + pid % 900), ("VM", ws * 40), ("WS", ws), ("PM", ws // 2),
                  ("NPM", ws // 40), ("CPU", cpu)],
        to_string=f"System.Diagnostics.Process ({name})")


HOTFIXES = [
    ("KB5031364", "Security Update", "NT AUTHORITY\\SYSTEM", datetime.datetime(2026, 10, 14)),
    ("KB5030841", "Update", "NT AUTHORITY\\SYSTEM", datetime.datetime(2026, 9, 12)),
    ("KB4589208", "Update", "PSREMOTE-PEER\\Administrator", datetime.datetime(2026, 8, 3)),
    ("KB5029915", "Security Update", "NT AUTHORITY\\SYSTEM", datetime.datetime(2026, 8, 9)),
    ("KB5028951", "Hotfix", "CONTOSO\\jsmith", datetime.datetime(2026, 7, 21)),
]


def hotfix_object(row: tuple[str, str, str, datetime.datetime]) -> PSObject:
    kb, desc, by, when = row
    cls = "System.Management.ManagementObject#root\\cimv2\\Win32_QuickFixEngineering"
    path = f"\\\\{COMPUTER_NAME}\\root\\cimv2:Win32_QuickFixEngineering.HotFixID=\"{kb}\",ServicePackInEffect=\"\""
    return o.make_object(
        [cls, "System.Management.ManagementObject", "System.Management.ManagementBaseObject",
         "System.ComponentModel.Component", "System.MarshalByRefObject", "System.Object"],
        adapted=[("__GENUS", 2), ("__CLASS", "Win32_QuickFixEngineering"), ("__SUPERCLASS", "CIM_LogicalElement"),
                 ("__DYNASTY", "CIM_ManagedSystemElement"),
                 ("__RELPATH", f"Win32_QuickFixEngineering.HotFixID=\"{kb}\",ServicePackInEffect=\"\""),
                 ("__PROPERTY_COUNT", 11), ("__DERIVATION", ["CIM_LogicalElement", "CIM_ManagedSystemElement"]),
                 ("__SERVER", COMPUTER_NAME), ("__NAMESPACE", "root\\cimv2"), ("__PATH", path),
                 ("Caption", f"http://support.microsoft.com/?kbid={kb[2:]}"), ("CSName", COMPUTER_NAME),
                 ("Description", desc), ("FixComments", ""), ("HotFixID", kb), ("InstallDate", None),
                 ("InstalledBy", by), ("Name", None), ("ServicePackInEffect", ""), ("Status", None)],
        extended=[("PSComputerName", COMPUTER_NAME), ("InstalledOn", when)],
        to_string=path)


@cmdlet("Get-HotFix")
def get_hotfix(inv: Invocation) -> t.Iterator[t.Any]:
    p = inv.params
    ids = p.get("Id")
    desc = p.get("Description")
    match_desc = _names_filter(desc) if desc else (lambda _: True)
    for row in HOTFIXES:
        if ids and not any(compile_wildcard(i).match(row[0]) for i in ids):
            continue
        if not match_desc(row[1]):
            continue
        yield hotfix_object(row)
    for i in ids or []:
        if not has_wildcard(i) and not any(r[0].lower() == i.lower() for r in HOTFIXES):
            inv.write_error(error_record(
                f"Cannot find the requested hotfix on the '{COMPUTER_NAME}' computer. Verify the input and Run the "
                "command again.", "GetHotFixNoEntriesFound,Microsoft.PowerShell.Commands.GetHotFixCommand",
                ErrorCategory.ObjectNotFound, exception="ArgumentException", target_object=i, activity="Get-HotFix",
                target_name=i, target_type="String"))


class EventLogs:
    """The host's classic event logs; Clear-EventLog empties one for every session."""

    def __init__(self) -> None:
        base = datetime.datetime(2026, 11, 23, 8, 0, 0)
        self.logs: dict[str, list[dict[str, t.Any]]] = {}
        sources = [("Service Control Manager", 7036, "Information"), ("EventLog", 6005, "Information"),
                   ("Microsoft-Windows-WinRM", 10149, "Warning"), ("Disk", 51, "Error"),
                   ("Microsoft-Windows-Kernel-General", 12, "Information")]
        for log in ("System", "Application", "Windows PowerShell"):
            entries = []
            for i in range(1, 26):
                src, eid, kind = sources[i % len(sources)]
                if log == "Application":
                    src = "MsiInstaller" if i % 2 else "Windows Error Reporting"
                if log == "Windows PowerShell":
                    src, eid, kind = "PowerShell", 400 + i % 3 * 200, "Information"
                entries.append({"Index": i, "EventID": eid, "EntryType": kind, "Source": src,
                                "Message": f"{src} event {i}.", "TimeGenerated": base - datetime.timedelta(minutes=7 * i)})
            self.logs[log] = list(reversed(entries))


def event_entry(log: str, e: dict[str, t.Any]) -> PSObject:
    return o.make_object(
        ["System.Diagnostics.EventLogEntry", "System.ComponentModel.Component", "System.MarshalByRefObject",
         "System.Object"],
        adapted=[("MachineName", COMPUTER_NAME), ("Data", []), ("Index", e["Index"]), ("Category", "(0)"),
                 ("CategoryNumber", 0), ("EventID", e["EventID"]),
                 ("EntryType", _enum("System.Diagnostics.EventLogEntryType", e["EntryType"])),
                 ("Message", e["Message"]), ("Source", e["Source"]), ("ReplacementStrings", []),
                 ("InstanceId", e["EventID"]), ("TimeGenerated", e["TimeGenerated"]),
                 ("TimeWritten", e["TimeGenerated"]), ("UserName", None), ("Site", None), ("Container", None)],
        to_string="System.Diagnostics.EventLogEntry")


@cmdlet("Get-EventLog")
def get_eventlog(inv: Invocation) -> t.Iterator[t.Any]:
    p = inv.params
    logs: EventLogs = inv.interp.engine.eventlogs
    if p.get("List"):
        for name, entries in logs.logs.items():
            yield o.make_object(["System.Diagnostics.EventLog", "System.ComponentModel.Component",
                                 "System.MarshalByRefObject", "System.Object"],
                                adapted=[("Log", name), ("Entries", len(entries)), ("LogDisplayName", name),
                                         ("MachineName", "."), ("MaximumKilobytes", 20480),
                                         ("OverflowAction", "OverwriteAsNeeded")],
                                to_string=name)
        return
    name = o.to_string(p.get("LogName"))
    key = next((k for k in logs.logs if k.lower() == name.lower()), None)
    if key is None:
        raise EngineError(error_record(f"The event log '{name}' on computer '.' does not exist.",
                                       "System.InvalidOperationException,Microsoft.PowerShell.Commands.GetEventLogCommand",
                                       ErrorCategory.NotSpecified, exception="InvalidOperationException",
                                       activity="Get-EventLog"))
    newest = p.get("Newest")
    types = p.get("EntryType")
    sources = p.get("Source")
    n = 0
    for e in logs.logs[key]:
        if types and not any(o.to_string(x).lower() == e["EntryType"].lower() for x in types):
            continue
        if sources and not any(compile_wildcard(s).match(e["Source"]) for s in sources):
            continue
        if p.get("InstanceId") and e["EventID"] not in p["InstanceId"]:
            continue
        if p.get("After") is not None and e["TimeGenerated"] <= _naive(p["After"]):
            continue
        if p.get("Before") is not None and e["TimeGenerated"] >= _naive(p["Before"]):
            continue
        if newest is not None and n >= int(newest):
            break
        n += 1
        yield event_entry(key, e)


@cmdlet("Clear-EventLog")
def clear_eventlog(inv: Invocation) -> t.Iterator[t.Any]:
    logs: EventLogs = inv.interp.engine.eventlogs
    for name in inv.params.get("LogName") or []:
        key = next((k for k in logs.logs if k.lower() == name.lower()), None)
        if key is None:
            inv.write_error(error_record(f"The Log name \"{name}\" does not exist in the computer \"localhost\".",
                                         "Log not Found,Microsoft.PowerShell.Commands.ClearEventLogCommand",
                                         ErrorCategory.InvalidOperation, exception="InvalidOperationException",
                                         target_object=name, activity="Clear-EventLog"))
            continue
        if should_process(inv, "Clear-EventLog", key):
            logs.logs[key] = []
    return iter(())


def _as_list(v: t.Any) -> list[t.Any]:
    return list(v) if o.is_collection(v) else [v]


def _naive(v: t.Any) -> datetime.datetime:
    if isinstance(v, datetime.datetime):
        d = datetime.datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, v.tzinfo)
        return d.astimezone().replace(tzinfo=None) if d.tzinfo else d
    return datetime.datetime.fromisoformat(o.to_string(v))


@cmdlet("Get-WinEvent")
def get_winevent(inv: Invocation) -> t.Iterator[t.Any]:
    p = inv.params
    logs: EventLogs = inv.interp.engine.eventlogs
    if p.get("ListLog") is not None:
        for pat in p["ListLog"]:
            for name, entries in logs.logs.items():
                if compile_wildcard(pat).match(name):
                    yield o.make_object(["System.Diagnostics.Eventing.Reader.EventLogConfiguration", "System.Object"],
                                        adapted=[("LogName", name), ("RecordCount", len(entries)),
                                                 ("IsEnabled", True), ("LogMode", "Circular"),
                                                 ("MaximumSizeInBytes", 20971520)], to_string=name)
        return
    names = p.get("LogName") or ["System"]
    max_events = p.get("MaxEvents")
    n = 0
    levels = {"Error": (2, "Error"), "Warning": (3, "Warning"), "Information": (4, "Information")}
    # -FilterHashtable: LogName, ProviderName, Id, Level, StartTime, EndTime (each key ANDed)
    filters: list[dict[str, t.Any]] = []
    for table in p.get("FilterHashtable") or []:
        if isinstance(table, dict):
            filters.append({o.to_string(k).lower(): v for k, v in table.items()})
    if filters:
        names = [n_ for f in filters for n_ in _as_list(f.get("logname", "*"))]

    def wanted(name: str, e: dict[str, t.Any]) -> bool:
        if not filters:
            return True
        for f in filters:
            if "logname" in f and not any(compile_wildcard(o.to_string(x)).match(name)
                                          for x in _as_list(f["logname"])):
                continue
            if "providername" in f and not any(compile_wildcard(o.to_string(x)).match(e["Source"])
                                               for x in _as_list(f["providername"])):
                continue
            if "id" in f and e["EventID"] not in [int(o.plain(x)) for x in _as_list(f["id"])]:
                continue
            if "level" in f and levels.get(e["EntryType"], (4, ""))[0] not in [int(o.plain(x))
                                                                              for x in _as_list(f["level"])]:
                continue
            if "starttime" in f and e["TimeGenerated"] < _naive(f["starttime"]):
                continue
            if "endtime" in f and e["TimeGenerated"] > _naive(f["endtime"]):
                continue
            return True
        return False

    done: set[str] = set()
    for pat in names:
        for name, entries in logs.logs.items():
            if not compile_wildcard(pat).match(name) or name in done:
                continue
            done.add(name)
            for e in entries:
                if not wanted(name, e):
                    continue
                if max_events is not None and n >= int(max_events):
                    return
                n += 1
                lvl, lvl_name = levels.get(e["EntryType"], (4, "Information"))
                yield o.make_object(
                    ["System.Diagnostics.Eventing.Reader.EventLogRecord",
                     "System.Diagnostics.Eventing.Reader.EventRecord", "System.Object"],
                    adapted=[("Id", e["EventID"]), ("Version", 0), ("Qualifiers", None), ("Level", lvl),
                             ("Task", 0), ("Opcode", 0), ("Keywords", 36028797018963968),
                             ("RecordId", e["Index"]), ("ProviderName", e["Source"]), ("ProviderId", None),
                             ("LogName", name), ("ProcessId", 672), ("ThreadId", 4100),
                             ("MachineName", COMPUTER_NAME), ("UserId", None),
                             ("TimeCreated", e["TimeGenerated"]), ("LevelDisplayName", lvl_name),
                             ("Message", e["Message"])],
                    to_string="System.Diagnostics.Eventing.Reader.EventLogRecord")
    if n == 0:
        inv.write_error(error_record("No events were found that match the specified selection criteria.",
                                     "NoMatchingEventsFound,Microsoft.PowerShell.Commands.GetWinEventCommand",
                                     ErrorCategory.ObjectNotFound, exception="ArgumentException",
                                     activity="Get-WinEvent"))


@cmdlet("Get-WmiObject", "Get-CimInstance")
def get_wmiobject(inv: Invocation) -> t.Iterator[t.Any]:
    p = inv.params
    cls = o.to_string(p.get("Class") or p.get("ClassName") or "")
    low = cls.lower()
    cim = inv.command.name.lower() == "get-ciminstance"
    if low == "win32_quickfixengineering" and not cim:
        for row in HOTFIXES:
            yield hotfix_object(row)
        return
    if low == "win32_quickfixengineering":
        for kb, desc, by, when in HOTFIXES:
            yield _wmi(cls, [("Caption", f"http://support.microsoft.com/?kbid={kb[2:]}"), ("CSName", COMPUTER_NAME),
                             ("Description", desc), ("HotFixID", kb), ("InstalledBy", by),
                             ("InstalledOn", when)], "", cim=True)
        return
    if low == "win32_service":
        for row in inv.interp.engine.services.all():
            yield _wmi(cls, [("Name", row[0]), ("DisplayName", row[1]), ("State", row[2]),
                             ("StartMode", "Auto" if row[3] == "Automatic" else row[3]), ("Started", row[2] == "Running"),
                             ("AcceptStop", row[5])], f"Win32_Service.Name=\"{row[0]}\"", cim=cim)
        return
    if low == "win32_operatingsystem":
        yield _wmi(cls, [("Caption", "Microsoft Windows Server 2022 Datacenter"), ("Version", "10.0.20348"),
                         ("BuildNumber", "20348"), ("CSName", COMPUTER_NAME), ("OSArchitecture", "64-bit"),
                         ("TotalVisibleMemorySize", 8388148), ("FreePhysicalMemory", 5242880)], "Win32_OperatingSystem=@", cim=cim)
        return
    if low == "win32_logicaldisk":
        for dev, size, free in (("C:", 136_363_487_232, 61_203_587_072), ("D:", 53_684_989_952, 50_331_648_000)):
            yield _wmi(cls, [("DeviceID", dev), ("DriveType", o.typed(3, "System.UInt32")),
                             ("FreeSpace", o.typed(free, "System.UInt64")), ("Size", o.typed(size, "System.UInt64")),
                             ("VolumeName", "")], f"Win32_LogicalDisk.DeviceID=\"{dev}\"", cim=cim)
        return
    if low == "win32_bios":
        yield _wmi(cls, [("SMBIOSBIOSVersion", "1.0"), ("Manufacturer", "PSRemote"), ("Name", "Default System BIOS"),
                         ("SerialNumber", "PSR-0001"), ("Version", "PSR - 1")], "Win32_BIOS.Name=\"Default System BIOS\"", cim=cim)
        return
    raise EngineError(error_record("Invalid class ", "GetWMIManagementException,"
                                   "Microsoft.PowerShell.Commands.GetWmiObjectCommand", ErrorCategory.InvalidType,
                                   exception="InvalidOperationException", activity=inv.command.name))


def _wmi(cls: str, props: list[tuple[str, t.Any]], relpath: str, cim: bool = False) -> PSObject:
    if cim:
        # Get-CimInstance: a CimInstance whose first type name carries the class (CimCmdlets)
        return o.make_object(
            [f"Microsoft.Management.Infrastructure.CimInstance#root/cimv2/{cls}",
             "Microsoft.Management.Infrastructure.CimInstance#root/cimv2/CIM_ManagedSystemElement",
             "Microsoft.Management.Infrastructure.CimInstance#ManagedSystemElement",
             "Microsoft.Management.Infrastructure.CimInstance", "System.Object"],
            adapted=props + [("PSComputerName", None), ("CimClass", f"root/cimv2:{cls}"),
                             ("CimInstanceProperties", [n for n, _ in props]),
                             ("CimSystemProperties", "Microsoft.Management.Infrastructure.CimSystemProperties")],
            to_string=f"{cls}")
    path = f"\\\\{COMPUTER_NAME}\\root\\cimv2:{relpath}"
    return o.make_object(
        [f"System.Management.ManagementObject#root\\cimv2\\{cls}", "System.Management.ManagementObject",
         "System.Management.ManagementBaseObject", "System.ComponentModel.Component", "System.MarshalByRefObject",
         "System.Object"],
        adapted=[("__GENUS", 2), ("__CLASS", cls), ("__SERVER", COMPUTER_NAME), ("__NAMESPACE", "root\\cimv2"),
                 ("__PATH", path)] + props,
        extended=[("PSComputerName", COMPUTER_NAME)], to_string=path)


# --- Get-Command / Get-Help / Get-FormatData ------------------------------------------------------------


def command_info(cmd: Command) -> PSObject:
    kind = {"Cmdlet": "CmdletInfo", "Function": "FunctionInfo", "Alias": "AliasInfo"}.get(cmd.command_type,
                                                                                        "CommandInfo")
    ct = _enum("System.Management.Automation.CommandTypes", cmd.command_type)
    definition = cmd.resolved_command_name if cmd.command_type == "Alias" else syntax(cmd)
    shown = f"{cmd.name} -> {cmd.resolved_command_name}" if cmd.command_type == "Alias" else cmd.name
    from psrpcore.types import PSVersion

    return o.make_object(
        [f"System.Management.Automation.{kind}", "System.Management.Automation.CommandInfo", "System.Object"],
        adapted=[("HelpUri", cmd.help_uri), ("ResolvedCommandName", cmd.resolved_command_name),
                 ("DisplayName", shown), ("ModuleName", cmd.module),
                 ("Version", PSVersion(cmd.module_version) if cmd.module_version else None),
                 ("Source", cmd.module), ("Definition", definition),
                 ("DefaultParameterSet", cmd.default_parameter_set), ("Name", cmd.name), ("CommandType", ct),
                 ("OutputType", list(cmd.output_types)), ("Visibility", "Public")],
        to_string=cmd.name)


def syntax(cmd: Command) -> str:
    lines = []
    for s in cmd.named_sets():
        parts = [cmd.name]
        for p in cmd.own_parameters():
            m = p.membership(s)
            if m is None:
                continue
            ty = "" if p.is_switch else f" <{p.type.rsplit('.', 1)[-1].lower()}>"
            name = f"-{p.name}"
            if m.position is not None:
                name = f"[{name}]"
            text = f"{name}{ty}"
            parts.append(text if m.mandatory else f"[{text}]")
        if cmd.supports_common_parameters:
            parts.append("[<CommonParameters>]")
        lines.append(" ".join(parts))
    return "\r\n" + "\r\n\r\n".join(lines) + "\r\n"


@cmdlet("Get-Command")
def get_command(inv: Invocation) -> t.Iterator[t.Any]:
    p = inv.params
    engine = inv.interp.engine
    names = p.get("Name")
    if p.get("Noun") or p.get("Verb"):
        verbs = p.get("Verb") or ["*"]
        nouns = p.get("Noun") or ["*"]
        names = [f"{v}-{n}" for v in verbs for n in nouns]
    ctype = p.get("CommandType")
    types = None
    if ctype is not None:
        types = [m.name for m in type(ctype) if m.value and (int(ctype) & int(m.value)) == int(m.value)
                 and m.name != "All"] if int(ctype) != 511 else None
    found = engine.catalog.match(names or ["*"], p.get("Module"), types,
                                 visible=lambda c: engine.visible(inv.interp.runspace, c))
    if not found and names:
        for n in names:
            if not has_wildcard(n):
                inv.write_error(error_record(
                    f"The term '{n}' is not recognized as the name of a cmdlet, function, script file, or operable "
                    "program. Check the spelling of the name, or if a path was included, verify that the path is "
                    "correct and try again.", "CommandNotFoundException,Microsoft.PowerShell.Commands.GetCommandCommand",
                    ErrorCategory.ObjectNotFound, exception="CommandNotFoundException", target_object=n,
                    activity="Get-Command", target_name=n, target_type="String"))
    total = p.get("TotalCount")
    for i, c in enumerate(found):
        if total is not None and i >= int(total):
            break
        if inv.stopping:
            return
        yield command_info(c)


@cmdlet("Get-Help")
def get_help(inv: Invocation) -> t.Iterator[t.Any]:
    engine = inv.interp.engine
    name = o.to_string(inv.params.get("Name") or "Get-Help")
    cmd = engine.resolve_command(inv.interp.runspace, name)
    if cmd is None:
        raise EngineError(error_record(
            f"Get-Help could not find {name} in a help file in this session. To download updated help topics type: "
            "\"Update-Help\". To get help online, search for the help topic in the TechNet library at "
            "https:/go.microsoft.com/fwlink/?LinkID=107116.", "HelpNotFound,Microsoft.PowerShell.Commands.GetHelpCommand",
            ErrorCategory.ResourceUnavailable, exception="ArgumentException", target_object=name, activity="Get-Help"))
    yield o.make_object(["MamlCommandHelpInfo", "System.Management.Automation.PSCustomObject", "System.Object"],
                        extended=[("Name", cmd.name), ("Synopsis", cmd.synopsis or ""), ("Category", cmd.command_type),
                                  ("ModuleName", cmd.module), ("Syntax", syntax(cmd).strip())],
                        to_string=cmd.name)


@cmdlet("Get-FormatData")
def get_formatdata(inv: Invocation) -> t.Iterator[t.Any]:
    """The session's format data: this endpoint ships none, so (like a host without extended
    type data for the requested names) the answer is empty."""
    return iter(())


@cmdlet("Get-Variable")
def get_variable(inv: Invocation) -> t.Iterator[t.Any]:
    names = inv.params.get("Name") or ["*"]
    vars_ = inv.interp.runspace.variables
    value_only = inv.params.get("ValueOnly")
    for n in names:
        rx = compile_wildcard(n)
        hits = [(k, v) for k, v in vars_.items() if rx.match(k) and k not in ("_", "input", "args")]
        if not hits and not has_wildcard(n):
            inv.write_error(error_record(f"Cannot find a variable with the name '{n}'.",
                                         "VariableNotFound,Microsoft.PowerShell.Commands.GetVariableCommand",
                                         ErrorCategory.ObjectNotFound, exception="ItemNotFoundException",
                                         target_object=n, activity="Get-Variable", target_name=n, target_type="String"))
        for k, v in sorted(hits):
            if value_only:
                yield v
            else:
                yield o.make_object(["System.Management.Automation.PSVariable", "System.Object"],
                                    adapted=[("Name", k), ("Value", v), ("Description", ""),
                                             ("Visibility", "Public"), ("Options", "None")], to_string=k)


# --- location, prompt, Get-Member ------------------------------------------------------------------

HOME = "C:\\Users\\psremote\\Documents"  # a remote session starts in the user's Documents


def _location(inv: Invocation) -> str:
    return str(getattr(inv.interp.runspace, "location", HOME))


def path_info(path: str) -> PSObject:
    return o.make_object(["System.Management.Automation.PathInfo", "System.Object"],
                         adapted=[("Drive", path[:1]), ("Provider", "Microsoft.PowerShell.Core\\FileSystem"),
                                  ("ProviderPath", path), ("Path", path)], to_string=path)


@cmdlet("Get-Location")
def get_location(inv: Invocation) -> t.Iterator[t.Any]:
    yield path_info(_location(inv))


@cmdlet("Set-Location")
def set_location(inv: Invocation) -> t.Iterator[t.Any]:
    """Moves the session's location (kept per runspace pool); paths are not checked against a
    file system, only resolved: `..`, `\\`, drive-rooted and relative forms."""
    target = o.to_string(inv.params.get("Path") or inv.params.get("LiteralPath") or "~")
    here = _location(inv)
    if target == "~":
        new = "C:\\Users\\psremote"
    elif len(target) >= 2 and target[1] == ":":
        new = target
    elif target.startswith("\\"):
        new = here[:2] + target
    else:
        new = here.rstrip("\\") + "\\" + target
    parts: list[str] = []
    for part in new.replace("/", "\\").split("\\"):
        if part in ("", "."):
            continue
        if part == "..":
            if len(parts) > 1:
                parts.pop()
            continue
        parts.append(part)
    new = "\\".join(parts) if len(parts) > 1 else parts[0] + "\\"
    inv.interp.runspace.location = new
    if inv.params.get("PassThru"):
        yield path_info(new)


@cmdlet("prompt")
def prompt(inv: Invocation) -> t.Iterator[t.Any]:
    """The default prompt function, which Enter-PSSession runs on the server before each line."""
    yield f"PS {_location(inv)}> "


_MEMBER_DEF = "Microsoft.PowerShell.Commands.MemberDefinition"


@cmdlet("Get-Member")
def get_member(inv: Invocation) -> t.Iterator[t.Any]:
    """MemberDefinition objects for each distinct type in the input: its properties (adapted as
    Property, ETS ones as NoteProperty) and the methods every object has."""
    from .dotnet_types import PROPERTIES

    names = inv.params.get("Name")
    name_ok = _names_filter(names)
    seen: set[str] = set()
    for obj, p in inv.each_input():
        obj = p.get("InputObject", obj)
        if obj is None:
            continue
        tnames = o.type_names(obj)
        type_name = tnames[0] if tnames else "System.Object"
        if type_name in seen:
            continue
        seen.add(type_name)
        declared = dict(PROPERTIES.get(type_name.replace("Deserialized.", "", 1), ()))
        members: list[tuple[str, str, str]] = []
        for mname, sig in (("Equals", "bool Equals(System.Object obj)"), ("GetHashCode", "int GetHashCode()"),
                           ("GetType", "type GetType()"), ("ToString", "string ToString()")):
            members.append((mname, "Method", sig))
        meta = getattr(obj, "PSObject", None)
        adapted = [(q.name, "Property") for q in meta.adapted_properties] if meta else []
        extended = [(q.name, "NoteProperty") for q in meta.extended_properties] if meta else []
        if isinstance(obj, dict):
            extended = [(str(k), "NoteProperty") for k in obj.keys()]
        for pname, kind in adapted + extended:
            value = o.get_property(obj, pname)
            ptype = declared.get(pname) or (o.type_names(value)[0] if value is not None else "System.Object")
            short = ptype.rsplit(".", 1)[-1]
            sig = f"{short} {pname} {{get;set;}}" if kind == "Property" else f"{short} {pname}={o.to_string(value)}"
            members.append((pname, kind, sig))
        order = {"AliasProperty": 0, "Method": 1, "NoteProperty": 2, "Property": 3, "ScriptProperty": 4}
        for mname, kind, sig in sorted(members, key=lambda m: (order.get(m[1], 9), m[0].lower())):
            if not name_ok(mname):
                continue
            yield o.make_object([_MEMBER_DEF, "System.Object"], adapted=[
                ("TypeName", type_name), ("Name", mname),
                ("MemberType", _enum("System.Management.Automation.PSMemberTypes", kind)),
                ("Definition", sig)], to_string=sig)


def unimplemented(cmd: Command) -> None:
    raise runtime_error(f"{cmd.name} has no behaviour on this endpoint.")
