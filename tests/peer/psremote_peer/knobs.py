"""Fault knobs (DESIGN.md §4, docs/CONTRACTS.md): set with ``--fault`` or POST /psremote-peer/faults.

- ``drop-receive[=N]``: the next N Receive requests (default 1) get the connection closed instead
  of an answer, after the request was read (a network drop mid-Receive).
- ``stall-receive=SECS``: every Receive waits SECS before it is answered.
- ``wsman-fault=NAME[@Action]``: every request (or only those whose action ends with ``Action``,
  e.g. ``@Command``) is answered with the named WS-Man fault (see ``FAULTS``).
- ``corrupt-fragment[=N]``: the next N pipeline fragments carry garbled blob bytes.
- ``truncate-fragment[=N]``: the next N pipeline fragments are cut short (the length header claims
  more bytes than follow).
- ``oversize-fragment[=N]``: the next N pipeline fragments declare a blob length of 0xFFFFFF00.
- ``max-envelope-kb=N``: the service's MaxEnvelopeSizekb (default 500): larger requests are refused,
  responses are capped, and winrm/config reports it.
- ``expire-shell=SECS``: shells idle for SECS are deleted, like WinRM's IdleTimeout.
"""

from __future__ import annotations

import struct
import threading
import typing as t

from . import soap

KNOBS = ("drop-receive", "stall-receive", "wsman-fault", "corrupt-fragment", "truncate-fragment",
         "oversize-fragment", "max-envelope-kb", "expire-shell")


def _fault_table() -> dict[str, t.Callable[[], soap.Fault]]:
    return {
        "timed-out": soap.timed_out,
        "shell-not-found": lambda: soap.shell_not_found("00000000-0000-0000-0000-000000000000"),
        "command-not-found": soap.command_not_found,
        "access-denied": soap.access_denied,
        "encoding-limit": lambda: soap.encoding_limit(512000, 153600),
        "unknown-configuration": lambda: soap.unknown_configuration("Microsoft.PowerShell"),
        "quota-exceeded": lambda: soap.Fault(
            "w:QuotaLimit",
            "The WS-Management service cannot process the request. This user is allowed a maximum number of 5 "
            "concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. ",
            2150859173,
            "The WS-Management service cannot process the request. This user is allowed a maximum number of 5 "
            "concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. ",
        ),
        "internal-error": lambda: soap.Fault("w:InternalError", "The WS-Management service cannot process the "
                                             "request. ", 2147943418, "An internal error occurred. ", sender=False),
    }


FAULTS = tuple(_fault_table())


class KnobError(ValueError):
    pass


class Knobs:
    """The fault knobs of one endpoint process; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.drop_receive = 0
        self.stall_receive = 0.0
        self.wsman_fault: str | None = None
        self.wsman_fault_action: str | None = None
        self.corrupt_fragment = 0
        self.truncate_fragment = 0
        self.oversize_fragment = 0
        self.max_envelope_kb = 500
        self.expire_shell: float | None = None

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    def set(self, spec: str) -> None:
        name, _, value = spec.partition("=")
        name = name.strip()
        value = value.strip()
        if name not in KNOBS:
            raise KnobError(f"unknown fault knob {name!r}; known: {', '.join(KNOBS)}")
        try:
            with self._lock:
                if name == "drop-receive":
                    self.drop_receive = int(value or 1)
                elif name == "stall-receive":
                    self.stall_receive = float(value)
                elif name == "wsman-fault":
                    fault, _, action = value.partition("@")
                    if fault and fault not in FAULTS:
                        raise KnobError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
                    self.wsman_fault = fault or None
                    self.wsman_fault_action = action or None
                elif name == "corrupt-fragment":
                    self.corrupt_fragment = int(value or 1)
                elif name == "truncate-fragment":
                    self.truncate_fragment = int(value or 1)
                elif name == "oversize-fragment":
                    self.oversize_fragment = int(value or 1)
                elif name == "max-envelope-kb":
                    kb = int(value)
                    if kb < 1:
                        raise KnobError("max-envelope-kb must be at least 1")
                    self.max_envelope_kb = kb
                elif name == "expire-shell":
                    self.expire_shell = float(value) if value else None
        except ValueError as e:
            if isinstance(e, KnobError):
                raise
            raise KnobError(f"bad value for {name}: {value!r}") from e

    def as_json(self) -> dict:
        with self._lock:
            return {
                "drop-receive": self.drop_receive,
                "stall-receive": self.stall_receive,
                "wsman-fault": (self.wsman_fault + (f"@{self.wsman_fault_action}" if self.wsman_fault_action else ""))
                if self.wsman_fault else None,
                "corrupt-fragment": self.corrupt_fragment,
                "truncate-fragment": self.truncate_fragment,
                "oversize-fragment": self.oversize_fragment,
                "max-envelope-kb": self.max_envelope_kb,
                "expire-shell": self.expire_shell,
            }

    # -- used by the server ----------------------------------------------------------------------
    def take_drop_receive(self) -> bool:
        with self._lock:
            if self.drop_receive > 0:
                self.drop_receive -= 1
                return True
            return False

    def fault_for(self, action: str) -> soap.Fault | None:
        with self._lock:
            name, only = self.wsman_fault, self.wsman_fault_action
        if not name:
            return None
        if only and not action.lower().endswith("/" + only.lower()) and action.lower() != only.lower():
            return None
        return _fault_table()[name]()

    @property
    def max_envelope_bytes(self) -> int:
        return self.max_envelope_kb * 1024

    def mangle_fragment(self, data: bytes) -> bytes:
        """Applies the fragment knobs to one outgoing PSRP fragment (MS-PSRP 2.2.4 layout)."""
        with self._lock:
            if self.corrupt_fragment > 0:
                self.corrupt_fragment -= 1
                head, blob = data[:21], bytearray(data[21:])
                # Garble the CLIXML after the 40-byte message header, keep the framing valid.
                for i in range(min(40, len(blob)), len(blob)):
                    blob[i] ^= 0x5A
                return head + bytes(blob)
            if self.truncate_fragment > 0:
                self.truncate_fragment -= 1
                return data[: 21 + max((len(data) - 21) // 2, 0)]
            if self.oversize_fragment > 0:
                self.oversize_fragment -= 1
                return data[:17] + struct.pack(">I", 0xFFFFFF00) + data[21:]
        return data
