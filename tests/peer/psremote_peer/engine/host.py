"""`$host` in a remote session: ServerRemoteHost, whose UI and RawUI forward every call to the
client's host as a PIPELINE_HOST_CALL (MS-PSRP 2.2.2.27, method identifiers 2.2.3.17). Host
parameters are host-encoded: colours and enums as plain integers (see the pshost recordings)."""

from __future__ import annotations

import typing as t
import uuid

from psrpcore.types import HostMethodIdentifier as M
from psrpcore.types import ErrorCategory, PSObject

from . import objects as o
from .errors import runtime_error

_ARRAYLIST = ["System.Collections.ArrayList", "System.Object"]


def _int(v: t.Any) -> int:
    v = o.plain(v)
    return int(v.value) if hasattr(v, "value") and not isinstance(v, (int, str)) else int(v)


def _bag(pairs: list[tuple[str, t.Any]]) -> PSObject:
    """A host-encoded object: a property bag without type names."""
    return o._with_meta(object.__new__(PSObject), [], [], [o.NoteProperty(k, v) for k, v in pairs])


def _choices(v: t.Any) -> t.Any:
    items = v if o.is_collection(v) else [v]
    out = []
    for c in items:
        if isinstance(c, str):
            out.append(_bag([("label", c), ("helpMessage", "")]))
        else:
            out.append(_bag([("label", o.to_string(o.get_property(c, "Label") or o.get_property(c, "label"))),
                             ("helpMessage", o.to_string(o.get_property(c, "HelpMessage")
                                                         or o.get_property(c, "helpMessage") or ""))]))
    return o.make_list(out, _ARRAYLIST)


class RemoteHost:
    """$host: the server-side facts are local; everything the user sees goes to the client."""

    def __init__(self, interp: t.Any) -> None:
        self.interp = interp
        self.instance_id = uuid.UUID(int=0x5053_5245_4D4F_5445)  # stable per endpoint
        self.ui = RemoteHostUI(self)

    def call(self, method: M, args: list[t.Any]) -> t.Any:
        result = self.interp.ctx.host_call(method, args)
        return o.VOID if method.is_void() else result

    def member(self, name: str) -> t.Any:
        from psrpcore.types import PSVersion

        from .cmdlets import culture_object

        n = name.lower()
        if n == "ui":
            return self.ui
        if n == "name":
            return "ServerRemoteHost"
        if n == "version":
            return PSVersion(self.interp.engine.catalog.ps_version)
        if n == "instanceid":
            return self.instance_id
        if n in ("currentculture", "currentuiculture"):
            return culture_object()
        if n in ("isrunspacepushed", "debuggerenabled"):
            return False
        if n in ("runspace", "privatedata"):
            return None
        return None

    def method(self, name: str, args: list[t.Any]) -> t.Any:
        n = name.lower()
        if n == "setshouldexit":
            return self.call(M.SetShouldExit, [int(_int(args[0])) if args else 0])
        if n == "enternestedprompt":
            return self.call(M.EnterNestedPrompt, [])
        if n == "exitnestedprompt":
            return self.call(M.ExitNestedPrompt, [])
        if n == "notifybeginapplication":
            return self.call(M.NotifyBeginApplication, [])
        if n == "notifyendapplication":
            return self.call(M.NotifyEndApplication, [])
        if n == "tostring":
            return "System.Management.Automation.Remoting.ServerRemoteHost"
        raise _no_method("System.Management.Automation.Remoting.ServerRemoteHost", name)


class RemoteHostUI:
    def __init__(self, host: RemoteHost) -> None:
        self.host = host
        self.raw = RemoteHostRawUI(host)

    def member(self, name: str) -> t.Any:
        if name.lower() == "rawui":
            return self.raw
        return None

    def method(self, name: str, args: list[t.Any]) -> t.Any:
        call = self.host.call
        n = name.lower()
        if n == "readline":
            return call(M.ReadLine, [])
        if n == "readlineassecurestring":
            return call(M.ReadLineAsSecureString, [])
        if n == "write":
            if len(args) >= 3:
                return call(M.Write2, [_int(args[0]), _int(args[1]), o.to_string(args[2])])
            return call(M.Write1, [o.to_string(args[0]) if args else ""])
        if n == "writeline":
            if not args:
                return call(M.WriteLine1, [])
            if len(args) >= 3:
                return call(M.WriteLine3, [_int(args[0]), _int(args[1]), o.to_string(args[2])])
            return call(M.WriteLine2, [o.to_string(args[0])])
        simple = {"writeerrorline": M.WriteErrorLine, "writedebugline": M.WriteDebugLine,
                  "writeverboseline": M.WriteVerboseLine, "writewarningline": M.WriteWarningLine}
        if n in simple:
            return call(simple[n], [o.to_string(args[0]) if args else ""])
        if n == "promptforcredential":
            # the 4-argument overload reaches the host as PromptForCredential2 with the default
            # credential types (Generic | Domain = 3) and options (Default = 1), as recorded
            a = [o.to_string(x) if x is not None else None for x in args[:4]]
            types = _int(args[4]) if len(args) > 4 else 3
            options = _int(args[5]) if len(args) > 5 else 1
            return call(M.PromptForCredential2, a + [types, options])
        if n == "promptforchoice":
            caption, message, choices = (args + [None, None, []])[:3]
            default = _int(args[3]) if len(args) > 3 else 0
            return call(M.PromptForChoice, [o.to_string(caption), o.to_string(message), _choices(choices), default])
        raise _no_method("System.Management.Automation.Internal.Host.InternalHostUserInterface", name)


class RemoteHostRawUI:
    _GETTERS = {"foregroundcolor": M.GetForegroundColor, "backgroundcolor": M.GetBackgroundColor,
                "cursorposition": M.GetCursorPosition, "windowposition": M.GetWindowPosition,
                "cursorsize": M.GetCursorSize, "buffersize": M.GetBufferSize, "windowsize": M.GetWindowSize,
                "windowtitle": M.GetWindowTitle, "maxwindowsize": M.GetMaxWindowSize,
                "maxphysicalwindowsize": M.GetMaxPhysicalWindowSize, "keyavailable": M.GetKeyAvailable}

    def __init__(self, host: RemoteHost) -> None:
        self.host = host

    def member(self, name: str) -> t.Any:
        m = self._GETTERS.get(name.lower())
        return self.host.call(m, []) if m is not None else None

    def set_member(self, name: str, value: t.Any) -> bool:
        setters = {"foregroundcolor": (M.SetForegroundColor, _int), "backgroundcolor": (M.SetBackgroundColor, _int),
                   "windowtitle": (M.SetWindowTitle, o.to_string), "cursorsize": (M.SetCursorSize, _int)}
        s = setters.get(name.lower())
        if s is None:
            return False
        self.host.call(s[0], [s[1](value)])
        return True

    def method(self, name: str, args: list[t.Any]) -> t.Any:
        n = name.lower()
        if n == "flushinputbuffer":
            return self.host.call(M.FlushInputBuffer, [])
        if n == "readkey":
            return self.host.call(M.ReadKey, [_int(args[0]) if args else 4])  # IncludeKeyDown
        raise _no_method("System.Management.Automation.Internal.Host.InternalHostRawUserInterface", name)


def _no_method(type_name: str, name: str) -> Exception:
    return runtime_error(f"Method invocation failed because [{type_name}] does not contain a method named "
                         f"'{name}'.", "MethodNotFound", ErrorCategory.InvalidOperation)


HOST_TYPES = (RemoteHost, RemoteHostUI, RemoteHostRawUI)

__all__ = ["RemoteHost", "HOST_TYPES"]
