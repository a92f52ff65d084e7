"""SOAP envelopes as the Windows WinRM service writes them (MS-WSMV 2.2.4, 3.1.4).

Requests are parsed with ElementTree. Responses are written as text so the prefixes, namespace
declarations and header order match what real Windows hosts send (see the recordings in
shared/fixtures/windows-wsman): ``s``, ``a``, ``x``, ``w``, ``rsp``, ``p`` and ``xml:lang`` on the
Envelope, then Action, MessageID, ActivityId, To, RelatesTo.
"""

from __future__ import annotations

import re
import typing as t
import uuid
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_ENUMERATION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
NS_EVENTING = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_WSMV = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
NS_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
NS_PWSH = "http://schemas.microsoft.com/powershell"
NS_WSMANFAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
NS_WSMID = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
NS_CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"

ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

# WS-Man actions (MS-WSMV 3.1.4).
A_CREATE = NS_TRANSFER + "/Create"
A_DELETE = NS_TRANSFER + "/Delete"
A_GET = NS_TRANSFER + "/Get"
A_PUT = NS_TRANSFER + "/Put"
A_ENUMERATE = NS_ENUMERATION + "/Enumerate"
A_PULL = NS_ENUMERATION + "/Pull"
A_COMMAND = NS_SHELL + "/Command"
A_SEND = NS_SHELL + "/Send"
A_RECEIVE = NS_SHELL + "/Receive"
A_SIGNAL = NS_SHELL + "/Signal"
A_DISCONNECT = NS_SHELL + "/Disconnect"
A_RECONNECT = NS_SHELL + "/Reconnect"
A_CONNECT = NS_SHELL + "/Connect"

SIGNAL_TERMINATE = NS_SHELL + "/signal/Terminate"
# MS-PSRP 3.1.5.3.9 spells it "powershell/signal/crtl_c"; MS-WSMV 2.2.5.6 (and pypsrp, PowerShell)
# "powershell/signal/ctrl_c". Both stop the pipeline, as do the generic ctrl_c and ctrl_break.
SIGNAL_PS_CTRL_C = {"powershell/signal/crtl_c", "powershell/signal/ctrl_c"}
SIGNAL_CTRL_C = NS_SHELL + "/signal/ctrl_c"
SIGNAL_CTRL_BREAK = NS_SHELL + "/signal/ctrl_break"

COMMAND_STATE_DONE = NS_SHELL + "/CommandState/Done"
COMMAND_STATE_PENDING = NS_SHELL + "/CommandState/Pending"
COMMAND_STATE_RUNNING = NS_SHELL + "/CommandState/Running"

_ENVELOPE_NS = (
    f'xmlns:s="{NS_SOAP}" xmlns:a="{NS_ADDRESSING}" xmlns:x="{NS_TRANSFER}" xmlns:w="{NS_WSMAN}" '
    f'xmlns:rsp="{NS_SHELL}" xmlns:p="{NS_WSMV}"'
)
_FAULT_NS = (
    f'xmlns:s="{NS_SOAP}" xmlns:a="{NS_ADDRESSING}" xmlns:x="{NS_TRANSFER}" xmlns:e="{NS_EVENTING}" '
    f'xmlns:n="{NS_ENUMERATION}" xmlns:w="{NS_WSMAN}" xmlns:p="{NS_WSMV}"'
)


class SoapError(Exception):
    """A request that is not a well-formed WS-Man envelope."""


@dataclass
class Request:
    """The parts of a WS-Man request the endpoint acts on."""

    action: str
    message_id: str
    resource_uri: str
    to: str
    selectors: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    max_envelope_size: int | None = None
    operation_timeout: float | None = None
    operation_timeout_text: str | None = None
    locale: str = "en-US"
    body: ET.Element | None = None
    header: ET.Element | None = None

    @property
    def shell_id(self) -> str | None:
        sid = self.selectors.get("ShellId")
        return sid.upper() if sid else None


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


_DURATION = re.compile(
    r"^(?P<neg>-)?P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> float | None:
    """xs:duration (as WS-Man uses it for OperationTimeout) in seconds; None when malformed."""
    m = _DURATION.match(text.strip())
    if not m or text.strip() in ("P", "PT"):
        return None
    secs = float(m["d"] or 0) * 86400 + float(m["h"] or 0) * 3600 + float(m["m"] or 0) * 60 + float(m["s"] or 0)
    return -secs if m["neg"] else secs


def parse_request(data: bytes) -> Request:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise SoapError(f"malformed XML: {e}") from e
    if root.tag != q(NS_SOAP, "Envelope"):
        raise SoapError("not a SOAP 1.2 envelope")
    header = root.find(q(NS_SOAP, "Header"))
    body = root.find(q(NS_SOAP, "Body"))
    if header is None:
        raise SoapError("no SOAP header")

    def text(ns: str, name: str) -> str | None:
        el = header.find(q(ns, name))
        return el.text.strip() if el is not None and el.text else None

    req = Request(
        action=text(NS_ADDRESSING, "Action") or "",
        message_id=text(NS_ADDRESSING, "MessageID") or "",
        resource_uri=text(NS_WSMAN, "ResourceURI") or "",
        to=text(NS_ADDRESSING, "To") or "",
        body=body,
        header=header,
    )
    mes = text(NS_WSMAN, "MaxEnvelopeSize")
    if mes is not None:
        try:
            req.max_envelope_size = int(mes)
        except ValueError:
            req.max_envelope_size = -1
    ot = text(NS_WSMAN, "OperationTimeout")
    if ot is not None:
        req.operation_timeout_text = ot
        req.operation_timeout = parse_duration(ot)
    loc = header.find(q(NS_WSMAN, "Locale"))
    if loc is not None:
        req.locale = loc.get("{http://www.w3.org/XML/1998/namespace}lang", "en-US")
    sel = header.find(q(NS_WSMAN, "SelectorSet"))
    if sel is not None:
        for s in sel.findall(q(NS_WSMAN, "Selector")):
            req.selectors[s.get("Name", "")] = (s.text or "").strip()
    opts = header.find(q(NS_WSMAN, "OptionSet"))
    if opts is not None:
        for o in opts.findall(q(NS_WSMAN, "Option")):
            req.options[o.get("Name", "")] = (o.text or "").strip()
    return req


def new_uuid() -> str:
    return str(uuid.uuid4()).upper()


def _activity_id() -> str:
    return f"<p:ActivityId>{new_uuid()}</p:ActivityId>"


def response(req: Request | None, action: str, body: str, activity: bool = True) -> bytes:
    """A response envelope: ``body`` is the inner XML of s:Body (already escaped)."""
    relates = f"<a:RelatesTo>{escape(req.message_id)}</a:RelatesTo>" if req and req.message_id else ""
    act = _activity_id() if activity else ""
    env = (
        f'<s:Envelope xml:lang="en-US" {_ENVELOPE_NS}><s:Header>'
        f"<a:Action>{escape(action)}</a:Action><a:MessageID>uuid:{new_uuid()}</a:MessageID>{act}"
        f"<a:To>{ANONYMOUS}</a:To>{relates}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    )
    return env.encode("utf-8")


@dataclass
class Fault(Exception):
    """A SOAP 1.2 fault whose Detail carries a WSManFault (code, machine, message), as WinRM sends."""

    subcode: str  # e.g. "w:TimedOut"
    reason: str
    wsman_code: int | None = None
    message: str | None = None
    sender: bool = True
    detail: str | None = None  # w:FaultDetail URI
    provider_fault: bool = False  # nest the message in f:ProviderFault like the Shell provider does
    action: str = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
    http_status: int = 500

    def __str__(self) -> str:
        return f"{self.subcode} ({self.wsman_code}): {self.message or self.reason}"

    def render(self, req: Request | None, machine: str = "127.0.0.1") -> bytes:
        code = "s:Sender" if self.sender else "s:Receiver"
        det = ""
        if self.detail:
            det += f"<w:FaultDetail>{escape(self.detail)}</w:FaultDetail>"
        if self.wsman_code is not None:
            msg = escape(self.message or self.reason)
            if self.provider_fault:
                msg = (
                    '<f:ProviderFault provider="Shell provider" path="%systemroot%\\system32\\WsmSvc.dll">'
                    f'<f:WSManFault xmlns:f="{NS_WSMANFAULT}" Code="{self.wsman_code}" Machine="{machine}">'
                    f"<f:Message>{msg}</f:Message></f:WSManFault></f:ProviderFault>"
                )
            det += (
                f'<f:WSManFault xmlns:f="{NS_WSMANFAULT}" Code="{self.wsman_code}" Machine="{machine}">'
                f"<f:Message>{msg}</f:Message></f:WSManFault>"
            )
        relates = f"<a:RelatesTo>{escape(req.message_id)}</a:RelatesTo>" if req and req.message_id else ""
        env = (
            f'<s:Envelope xml:lang="en-US" {_FAULT_NS}><s:Header>'
            f"<a:Action>{self.action}</a:Action><a:MessageID>uuid:{new_uuid()}</a:MessageID>{_activity_id()}"
            f"<a:To>{ANONYMOUS}</a:To>{relates}</s:Header><s:Body><s:Fault>"
            f"<s:Code><s:Value>{code}</s:Value><s:Subcode><s:Value>{self.subcode}</s:Value></s:Subcode></s:Code>"
            f'<s:Reason><s:Text xml:lang="en-US">{escape(self.reason)}</s:Text></s:Reason>'
            f"<s:Detail>{det}</s:Detail></s:Fault></s:Body></s:Envelope>"
        )
        return env.encode("utf-8")


# The faults a Windows host sends, with its codes and wording (recorded in shared/fixtures).
def timed_out() -> Fault:
    text = "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "
    return Fault("w:TimedOut", text, 2150858793, text, sender=False)


def shell_not_found(shell_id: str) -> Fault:
    return Fault(
        "w:InvalidSelectors",
        "The WS-Management service cannot process the request because the request contained invalid selectors "
        "for the resource. ",
        2150858843,
        f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell was not found "
        "on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on "
        "the server. Provide the correct ShellId or create a new shell and retry the operation. ",
        detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors",
    )


def command_not_found() -> Fault:
    return Fault(
        "w:InvalidSelectors",
        "The WS-Management service cannot process the request because the request contained invalid selectors "
        "for the resource. ",
        2150858843,
        "The Windows Remote Shell received a request to perform an operation on a command identifier that does "
        "not exist. Either the command has completed execution or the client specified an invalid command "
        "identifier. ",
        detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors",
    )


def invalid_timeout(text: str) -> Fault:
    return Fault(
        "a:InvalidMessageInformationHeader",
        "The WS-Management service cannot process the request. The request contains one or more invalid SOAP "
        "headers. ",
        2150858767,
        f"The WS-Management service cannot process the request. The XML contains an invalid timeout field in the "
        f"SOAP header: {text}. ",
        action="http://schemas.xmlsoap.org/ws/2004/08/addressing/fault",
    )


def action_not_supported(action: str) -> Fault:
    return Fault(
        "a:ActionNotSupported",
        "The action is not supported by the service. ",
        2150858754,
        f"The WS-Management service cannot process the request because the action is not supported: {action} ",
        detail=action,
        action="http://schemas.xmlsoap.org/ws/2004/08/addressing/fault",
    )


def unknown_configuration(name: str) -> Fault:
    return Fault(
        "w:InvalidResourceURI",
        "The WS-Management service cannot process the request. The resource URI is not valid. ",
        2150858752,
        f"The WS-Management service cannot process the request. Cannot find the {name} session configuration in "
        "the WSMan: drive on the localhost computer. ",
    )


def invalid_resource_uri(uri: str) -> Fault:
    return Fault(
        "w:InvalidResourceURI",
        "The WS-Management service cannot process the request. The resource URI is not valid. ",
        2150858752,
        f"The WS-Management service cannot process the request. The resource URI ({uri}) was not found in the "
        "WS-Management catalog. ",
    )


def encoding_limit(requested: int, allowed: int) -> Fault:
    return Fault(
        "w:EncodingLimit",
        "The WS-Management service cannot process the request because the XML is invalid or exceeds the maximum "
        "envelope size. ",
        2150858811,
        f"The WS-Management service cannot process the request. The computed response packet size ({requested}) "
        f"exceeds the maximum envelope size that is allowed ({allowed}). ",
        detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/MaxEnvelopeSize",
    )


def schema_fault(message: str) -> Fault:
    return Fault(
        "w:SchemaValidationError",
        "The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and "
        "retry. ",
        2150858817,
        message,
    )


def access_denied() -> Fault:
    return Fault("w:AccessDenied", "Access is denied. ", 5, "Access is denied. ")


def unencrypted_refused() -> Fault:
    # WinRM logs "The WinRM service received an unencrypted message and AllowUnencrypted is false" and
    # answers HTTP 500.
    return Fault(
        "w:AccessDenied",
        "Access is denied. ",
        2150859176,
        "The WinRM service cannot process the request because the request needs to be sent over HTTPS or "
        "encrypted with Negotiate or Kerberos message encryption, and AllowUnencrypted is false. ",
    )


def psrp_fault(message: str) -> Fault:
    """What the PowerShell plugin answers to PSRP data it cannot process (WinRM error 0x80338029-ish)."""
    return Fault(
        "w:InternalError",
        "The WS-Management service cannot process the request. ",
        13,
        message,
        sender=False,
        provider_fault=False,
    )


def el_text(el: ET.Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def findall(el: ET.Element | None, ns: str, name: str) -> list[ET.Element]:
    return [] if el is None else el.findall(f".//{{{ns}}}{name}")


def find(el: ET.Element | None, ns: str, name: str) -> ET.Element | None:
    return None if el is None else el.find(f".//{{{ns}}}{name}")


def attrs(**kw: t.Any) -> str:
    return "".join(f' {k}="{escape(str(v), {chr(34): "&quot;"})}"' for k, v in kw.items() if v is not None)
