"""Corrections to psrpcore 0.3.1 so the endpoint puts on the wire what Windows puts there.

1. TimeSpans: psrpcore trims the seconds with `rstrip(".0")`, which also eats the zeros of whole
   seconds: 30 s becomes `PT3S`, 90 s `PT1M3S`. Replaced by a writer that trims only the fraction
   (MS-PSRP 2.2.5.1.5: an xs:duration).
2. Element order inside `<Obj>`: psrpcore writes the value first and `<ToString>` last
   (`<Obj><I32>4</I32><TN>…</TN><ToString>Running</ToString></Obj>`); Windows writes type names,
   then ToString, then the value or container, then `<Props>`, then `<MS>` (every recording in
   shared/fixtures/windows-wsman). Same content, Windows' order."""

from __future__ import annotations

import datetime
import typing as t

from xml.etree import ElementTree

from psrpcore import _events
from psrpcore.types import _serializer


def serialize_duration(value: datetime.timedelta) -> str:
    ticks = _serializer._timedelta_total_nanoseconds(value) // 100  # .NET keeps 100 ns ticks
    sign = ""
    if ticks < 0:
        sign, ticks = "-", -ticks
    days, ticks = divmod(ticks, 864_000_000_000)
    hours, ticks = divmod(ticks, 36_000_000_000)
    minutes, ticks = divmod(ticks, 600_000_000)
    seconds, fraction = divmod(ticks, 10_000_000)
    out = f"{sign}P{days}D" if days else f"{sign}P"
    if hours or minutes or seconds or fraction or not days:
        out += "T"
        if hours:
            out += f"{hours}H"
        if minutes:
            out += f"{minutes}M"
        if seconds or fraction or not (hours or minutes):
            frac = f".{fraction:07d}".rstrip("0") if fraction else ""
            out += f"{seconds}{frac}S"
    return out


_RANK = {"TN": 0, "TNRef": 0, "ToString": 1, "Props": 4, "MS": 5}
_CONTAINERS = {"LST", "DCT", "STK", "QUE", "IE"}


def windows_order(element: ElementTree.Element) -> ElementTree.Element:
    if element.tag == "Obj" and len(element) > 1:
        children = list(element)
        ranked = sorted(children, key=lambda c: _RANK.get(c.tag, 3 if c.tag in _CONTAINERS else 2))
        if ranked != children:
            for c in children:
                element.remove(c)
            element.extend(ranked)
    return element


_applied = False


def call_id_any_case(self: t.Any) -> int:
    """The call id of SET_MAX/MIN_RUNSPACES, found as Windows finds it.

    MS-PSRP 2.2.2.6/2.2.2.7 name the property `ci`; pypsrp sends `CI`. Windows reads PSObject
    properties case-insensitively and accepts both; psrpcore's lookup is case-sensitive.
    """
    obj = self._ps_object
    props = list(obj.PSObject.extended_properties) + list(obj.PSObject.adapted_properties)
    for prop in props:
        if prop.name.lower() == "ci":
            value = prop.get_value(obj)
            if value is not None:
                return int(value)
    raise ValueError("SET_MAX/MIN_RUNSPACES without a call id (ci)")


def apply() -> None:
    global _applied
    if _applied:
        return
    _applied = True
    _serializer._serialize_duration = serialize_duration
    original = _serializer._Serializer.serialize

    def serialize(self: _serializer._Serializer, value: t.Any) -> ElementTree.Element:
        return windows_order(original(self, value))

    _serializer._Serializer.serialize = serialize  # type: ignore[method-assign]
    for event in (_events.SetMaxRunspacesEvent, _events.SetMinRunspacesEvent):
        event.ci = property(call_id_any_case)  # type: ignore[assignment]
