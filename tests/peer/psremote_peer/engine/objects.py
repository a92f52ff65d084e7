"""Building .NET-shaped objects with psrpcore types, and the PowerShell value semantics the
interpreter needs (property lookup, string conversion, truthiness, comparison).

A live object on Windows is serialized with its own type chain (`System.ServiceProcess.
ServiceController`, `System.ComponentModel.Component`, …) and its adapted .NET properties in
`<Props>`; PowerShell's own additions (NoteProperty/ScriptProperty) go in `<MS>` (MS-PSRP 2.2.5.2).
"""

from __future__ import annotations

import collections.abc
import datetime
import decimal
import enum
import threading
import typing as t

from psrpcore.types import (
    PSCustomObject,
    PSDateTime,
    PSDict,
    PSDouble,
    PSEnumBase,
    PSFlagBase,
    PSInt,
    PSInt64,
    PSList,
    PSObject,
    PSString,
    PSType,
)
from psrpcore.types._base import PSObjectMeta

OBJECT_ARRAY_TYPES = ["System.Object[]", "System.Array", "System.Object"]


class ScriptBlock:
    """A parsed script block; `text` is what `ToString()` gives in PowerShell."""

    def __init__(self, ast: t.Any, text: str) -> None:
        self.ast = ast
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"ScriptBlock({self.text!r})"


# --- enums -----------------------------------------------------------------------------------

_enum_lock = threading.Lock()
_enum_classes: dict[str, type] = {}


def enum_class(type_name: str, values: dict[str, int], flags: bool = False) -> type:
    """A psrpcore enum class for a .NET enum; serializes as `<Obj>` with the enum's type chain,
    `<ToString>` and the `<I32>` value, like Windows does (MS-PSRP 2.2.5.2.7)."""
    from .dotnet_types import ENUMS

    if type_name in ENUMS:
        flags = ENUMS[type_name][0]  # known [Flags] enums are flags whoever asks first
    with _enum_lock:
        cls = _enum_classes.get(type_name)
        if cls is not None:
            return cls
        base = PSFlagBase if flags else PSEnumBase
        meta = type(base)
        ns = meta.__prepare__(type_name.rsplit(".", 1)[-1], (base,))
        for k, v in values.items():
            ns[k] = v
        cls = meta(type_name.rsplit(".", 1)[-1].replace("+", "_"), (base,), ns)
        cls = PSType([type_name], rehydrate=False)(cls)
        _enum_classes[type_name] = cls
        return cls


def enum_value(type_name: str, values: dict[str, int], name: str, flags: bool = False) -> t.Any:
    cls = enum_class(type_name, values, flags)
    return cls[name]


def is_enum(value: t.Any) -> bool:
    return isinstance(value, enum.Enum)


# --- objects ---------------------------------------------------------------------------------


class NoteProperty:
    """A property with a fixed value, duck-typed like psrpcore's PSNoteProperty (name, get_value,
    set_value, copy) but without its per-instance PSObject machinery: building the catalog's
    metadata objects with PSNoteProperty costs ~40 µs a property, this ~1 µs."""

    __slots__ = ("name", "value", "mandatory", "ps_type")

    def __init__(self, name: str, value: t.Any) -> None:
        self.name = name
        self.value = value
        self.mandatory = False
        self.ps_type = None

    def get_value(self, instance: t.Any = None) -> t.Any:
        return self.value

    def set_value(self, value: t.Any, instance: t.Any = None) -> None:
        self.value = value

    def copy(self) -> NoteProperty:
        return NoteProperty(self.name, self.value)


def _with_meta(obj: t.Any, type_names: list[str], adapted: list[t.Any], extended: list[t.Any]) -> t.Any:
    """Attach a per-instance PSObjectMeta directly: what PSObject.__new__/__init__ do, without
    copying the class's property list and walking __setattr__ (5-7x cheaper; the catalog builds
    tens of thousands of these for GET_COMMAND_METADATA)."""
    meta = PSObjectMeta(type_names, adapted, extended)
    object.__setattr__(obj, "PSObject", meta)
    meta._instance = obj
    return obj


def make_object(
    type_names: list[str],
    adapted: t.Iterable[tuple[str, t.Any]] = (),
    extended: t.Iterable[tuple[str, t.Any]] = (),
    to_string: str | None = None,
) -> PSObject:
    """A live .NET object: its type chain, adapted properties (`<Props>`), extended (`<MS>`).
    Values of properties the type table declares are given their .NET type (Int64 → `<I64>`,
    UInt32 → `<U32>`…), as the object's own members would serialize."""
    from .dotnet_types import PROPERTIES

    declared = dict(PROPERTIES.get(type_names[0], ())) if type_names else {}
    obj = _with_meta(object.__new__(PSObject), list(type_names),
                     [NoteProperty(name, typed(value, declared.get(name))) for name, value in adapted],
                     [NoteProperty(name, to_wire(value)) for name, value in extended])
    if to_string is not None:
        obj.PSObject.to_string = to_string
    return obj


_CUSTOM_TN = ["System.Management.Automation.PSCustomObject", "System.Object"]


def make_custom(props: t.Iterable[tuple[str, t.Any]], type_names: list[str] | None = None) -> PSObject:
    """`[pscustomobject]@{…}`: a PSCustomObject whose properties are NoteProperties (`<MS>`)."""
    return _with_meta(object.__new__(PSCustomObject), list(type_names or _CUSTOM_TN), [],
                      [NoteProperty(name, value) for name, value in props])


def make_list(items: t.Iterable[t.Any], type_names: list[str]) -> PSList:
    lst = list.__new__(PSList)
    list.__init__(lst, items)
    return _with_meta(lst, list(type_names), [], [])


def make_dict(items: t.Iterable[tuple[t.Any, t.Any]], type_names: list[str]) -> PSDict:
    d = dict.__new__(PSDict)
    dict.__init__(d, items)
    return _with_meta(d, list(type_names), [], [])


def object_array(items: t.Iterable[t.Any]) -> PSList:
    """An `object[]` (PowerShell's array) serialized as `<LST>` with System.Object[] names."""
    return make_list((to_wire(i) for i in items), OBJECT_ARRAY_TYPES)


_INTEGER_TYPES: dict[str, t.Any] = {}


def typed(value: t.Any, ty: str | None) -> t.Any:
    """`value` as the primitive .NET type `ty` (when it is one), else as to_wire maps it."""
    if ty is None or value is None or isinstance(value, (bool, enum.Enum)):
        return to_wire(value)
    if not _INTEGER_TYPES:
        from psrpcore.types import PSByte, PSInt16, PSSByte, PSSingle, PSUInt, PSUInt16, PSUInt64

        _INTEGER_TYPES.update({
            "System.Int64": PSInt64, "System.Int32": PSInt, "System.Int16": PSInt16, "System.Byte": PSByte,
            "System.SByte": PSSByte, "System.UInt16": PSUInt16, "System.UInt32": PSUInt, "System.UInt64": PSUInt64,
            "System.Double": PSDouble, "System.Single": PSSingle,
        })
    cls = _INTEGER_TYPES.get(ty)
    if cls is not None and isinstance(value, (int, float)) and not isinstance(value, PSObject):
        return cls(value)
    return to_wire(value)


def to_wire(value: t.Any) -> t.Any:
    """Map interpreter values onto psrpcore types with the .NET type PowerShell would use."""
    if value is None or isinstance(value, (bool, PSObject, enum.Enum)):
        return value
    if isinstance(value, ScriptBlock):
        from psrpcore.types import PSScriptBlock

        return PSScriptBlock(value.text)
    if isinstance(value, float):
        return PSDouble(value)  # PowerShell's [double]; psrpcore would pick Single for float
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return PSInt(value)
        # beyond Int64 PowerShell's arithmetic has already gone to Double
        return PSInt64(value) if -(2**63) <= value < 2**63 else PSDouble(float(value))
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime):
        return value if isinstance(value, PSDateTime) else PSDateTime(value)
    if isinstance(value, datetime.timedelta) and not isinstance(value, PSObject):
        from psrpcore.types import PSDuration

        return PSDuration(days=value.days, seconds=value.seconds, microseconds=value.microseconds)
    if isinstance(value, dict):
        return make_dict(((to_wire(k), to_wire(v)) for k, v in value.items()),
                         ["System.Collections.Hashtable", "System.Object"])
    if isinstance(value, (list, tuple)):
        return object_array(value)
    return value


# --- property access -------------------------------------------------------------------------


def _props(obj: PSObject) -> list[t.Any]:
    meta = obj.PSObject
    return list(meta.adapted_properties) + list(meta.extended_properties)


def property_names(obj: t.Any) -> list[str]:
    if isinstance(obj, dict) and not isinstance(obj, PSObject):
        return [str(k) for k in obj.keys()]
    if isinstance(obj, PSDict):
        return [str(k) for k in obj.keys()]
    if isinstance(obj, PSObject):
        seen: dict[str, str] = {}
        for p in _props(obj):
            seen.setdefault(p.name.lower(), p.name)
        return list(seen.values())
    return []


_MISSING = object()


def get_property(obj: t.Any, name: str, default: t.Any = None) -> t.Any:
    """`$obj.Name`: case-insensitive, extended over adapted, hashtable keys, a few .NET members
    of primitives (Length, Count). Member enumeration over arrays like PowerShell 3+."""
    v = _get_property(obj, name)
    return default if v is _MISSING else v


def has_property(obj: t.Any, name: str) -> bool:
    return _get_property(obj, name) is not _MISSING


def _get_property(obj: t.Any, name: str) -> t.Any:
    lname = name.lower()
    if obj is None:
        return _MISSING
    if isinstance(obj, (dict, PSDict)):
        for k in obj.keys():
            if str(k).lower() == lname:
                return obj[k]
        if lname in ("count", "keys", "values"):
            return {"count": len(obj), "keys": list(obj.keys()), "values": list(obj.values())}[lname]
        return _MISSING
    if isinstance(obj, (list, tuple)):
        if lname in ("count", "length"):
            return len(obj)
        out = [v for v in (_get_property(i, name) for i in obj) if v is not _MISSING]
        return out if out else _MISSING
    if isinstance(obj, PSObject) and not isinstance(obj, (str, int, float)):
        found = _MISSING
        for p in obj.PSObject.adapted_properties:
            if p.name.lower() == lname:
                found = p.get_value(obj)
        for p in obj.PSObject.extended_properties:
            if p.name.lower() == lname:
                found = p.get_value(obj)
        if found is not _MISSING:
            return found
        if lname == "pstypenames":
            return list(obj.PSObject.type_names)
        if not isinstance(obj, datetime.datetime):
            return _MISSING
    if isinstance(obj, str):
        if lname == "length":
            return len(obj)
        return _MISSING
    if isinstance(obj, datetime.datetime):
        attr = {
            "year": obj.year, "month": obj.month, "day": obj.day, "hour": obj.hour,
            "minute": obj.minute, "second": obj.second, "dayofweek": obj.strftime("%A"),
            "dayofyear": obj.timetuple().tm_yday, "date": obj.replace(hour=0, minute=0, second=0, microsecond=0),
            "millisecond": obj.microsecond // 1000, "ticks": _ticks(obj),
        }
        return attr.get(lname, _MISSING)
    if isinstance(obj, datetime.timedelta):
        total = obj.total_seconds()
        attr = {"days": obj.days, "hours": obj.seconds // 3600, "minutes": obj.seconds // 60 % 60,
                "seconds": obj.seconds % 60, "milliseconds": obj.microseconds // 1000,
                "totaldays": total / 86400, "totalhours": total / 3600, "totalminutes": total / 60,
                "totalseconds": total, "totalmilliseconds": total * 1000,
                "ticks": (obj.days * 86_400 + obj.seconds) * 10_000_000 + obj.microseconds * 10}
        return attr.get(lname, _MISSING)
    if isinstance(obj, enum.Enum):
        if lname == "value__":
            return int(obj.value)
        return _MISSING
    if lname == "count":
        return 1
    return _MISSING


def _ticks(d: datetime.datetime) -> int:
    """DateTime.Ticks: 100 ns intervals since 0001-01-01 (wall clock of the value)."""
    plain_dt = datetime.datetime(d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond)
    delta = plain_dt - datetime.datetime(1, 1, 1)
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def type_names(obj: t.Any) -> list[str]:
    if obj is None:
        return []
    if isinstance(obj, bool):
        return ["System.Boolean", "System.ValueType", "System.Object"]
    if isinstance(obj, enum.Enum):
        return list(type(obj).PSObject.type_names)
    if isinstance(obj, PSObject):
        names = list(obj.PSObject.type_names)
        if names:
            return names
    if isinstance(obj, str):
        return ["System.String", "System.Object"]
    if isinstance(obj, int):
        return ["System.Int32", "System.ValueType", "System.Object"]
    if isinstance(obj, float):
        return ["System.Double", "System.ValueType", "System.Object"]
    if isinstance(obj, datetime.datetime):
        return ["System.DateTime", "System.ValueType", "System.Object"]
    if isinstance(obj, datetime.timedelta):
        return ["System.TimeSpan", "System.ValueType", "System.Object"]
    if isinstance(obj, (dict, PSDict)):
        return ["System.Collections.Hashtable", "System.Object"]
    if isinstance(obj, (list, tuple)):
        return list(OBJECT_ARRAY_TYPES)
    if isinstance(obj, ScriptBlock):
        return ["System.Management.Automation.ScriptBlock", "System.Object"]
    return ["System.Object"]


# --- conversions -----------------------------------------------------------------------------


def format_number(v: float) -> str:
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    r = repr(float(v))
    return r.upper() if "e" in r else r


def to_string(v: t.Any) -> str:
    """PowerShell's string conversion (invariant culture, as in string expansion)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, enum.Enum):
        if isinstance(v, enum.Flag) and v.name is None:
            return ", ".join(m.name for m in type(v) if m.value and (m.value & v.value) == m.value)
        return str(v.name)
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, float):
        return format_number(v)
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, datetime.datetime):
        return v.strftime("%m/%d/%Y %H:%M:%S")
    if isinstance(v, ScriptBlock):
        return v.text
    if isinstance(v, (list, tuple)):
        return " ".join(to_string(i) for i in v)
    if isinstance(v, (dict, PSDict)):
        return "System.Collections.Hashtable"
    if isinstance(v, PSObject):
        if v.PSObject.to_string is not None:
            return v.PSObject.to_string
        names = v.PSObject.type_names
        if names and names[0] in ("System.Management.Automation.PSCustomObject",) or (
            names and names[0].endswith("PSCustomObject")
        ):
            inner = "; ".join(f"{p.name}={to_string(p.get_value(v))}" for p in _props(v))
            return "@{" + inner + "}"
        if names:
            return names[0]
    return str(v)


def is_true(v: t.Any) -> bool:
    """PowerShell's conversion to bool (LanguagePrimitives.IsTrue)."""
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, enum.Enum):
        return int(v.value) != 0
    if isinstance(v, (int, float, decimal.Decimal)):
        return v != 0
    if isinstance(v, str):
        return len(v) > 0
    if isinstance(v, (list, tuple)):
        if len(v) == 0:
            return False
        if len(v) == 1:
            return is_true(v[0])
        return True
    return True


def plain(v: t.Any) -> t.Any:
    """Strip psrpcore wrapper types for arithmetic/comparison (PSInt → int, PSString → str)."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, enum.Enum):
        return v
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    return v


class _Void:
    """What a void method call ([void] cast, `$h.Add(k, v)`, `$host.UI.WriteLine()`) gives: no
    output at all, unlike $null, which is one object."""

    def __repr__(self) -> str:
        return "VOID"


VOID = _Void()


def enumerate_value(v: t.Any) -> t.Iterator[t.Any]:
    """How the pipeline unrolls a value written to it: collections one level, others as is."""
    if v is VOID:
        return
    if isinstance(v, (list, tuple)) and not isinstance(v, str):
        yield from v
    elif isinstance(v, collections.abc.Iterator):
        yield from v  # an enumerator such as $input
    elif v is None:
        yield None
    else:
        yield v


def is_collection(v: t.Any) -> bool:
    return isinstance(v, (list, tuple)) and not isinstance(v, str)


def psstring(v: str) -> PSString:
    return PSString(v)


_PRIMITIVES = (str, int, float, bool, datetime.datetime, decimal.Decimal, bytes)


def mark_deserialized(v: t.Any) -> t.Any:
    """An object that came over the wire is a deserialized copy: its type names carry
    `Deserialized.` when written back, as Windows does (test_psrp_with_input fixture)."""
    if isinstance(v, PSObject) and not isinstance(v, _PRIMITIVES) and not isinstance(v, enum.Enum):
        names = v.PSObject.type_names
        if names and not names[0].startswith("Deserialized."):
            v.PSObject.type_names = [f"Deserialized.{n}" for n in names]
    return v
