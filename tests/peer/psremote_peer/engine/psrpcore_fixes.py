"""A correction to psrpcore 0.3.1 that the endpoint needs to put right values on the wire.

psrpcore's TimeSpan writer trims the seconds with `rstrip(".0")`, which also eats the zeros of
whole seconds: 30 s becomes `PT3S`, 90 s `PT1M3S`. The engine writes TimeSpans (synthetic
outputs), so the writer is replaced by one that trims only the fraction (MS-PSRP 2.2.5.1.5: an
xs:duration)."""

from __future__ import annotations

import datetime

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


def apply() -> None:
    _serializer._serialize_duration = serialize_duration
