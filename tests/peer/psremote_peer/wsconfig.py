"""A few ``winrm/config`` resources (the WSMan: drive), shaped like a Windows host's answers.

Get ``.../config`` (and ``config/service``, ``config/client``, ``config/winrs``), Enumerate/Pull
``.../config/Listener`` and ``.../config/plugin``.
"""

from __future__ import annotations

import threading
import typing as t
import uuid

from . import soap

CFG = soap.NS_CONFIG
_contexts: dict[str, list[str]] = {}
_ctx_lock = threading.Lock()


def _bool(v: bool) -> str:
    return "true" if v else "false"


def _auth_block(svc: t.Any, service: bool) -> str:
    m = svc.auth_modes
    parts = [
        f"<cfg:Basic>{_bool('basic' in m)}</cfg:Basic>",
        "" if service else "<cfg:Digest>true</cfg:Digest>",
        f"<cfg:Kerberos>{_bool('kerberos' in m and bool(svc.kerberos))}</cfg:Kerberos>",
        f"<cfg:Negotiate>{_bool('negotiate' in m)}</cfg:Negotiate>",
        f"<cfg:Certificate>{_bool('certificate' in m)}</cfg:Certificate>",
        "<cfg:CredSSP>false</cfg:CredSSP>",
        "<cfg:CbtHardeningLevel>Relaxed</cfg:CbtHardeningLevel>" if service else "",
    ]
    return "<cfg:Auth>" + "".join(parts) + "</cfg:Auth>"


def _ports(svc: t.Any) -> tuple[int, int]:
    http = next((lst["port"] for lst in svc.listeners if lst["transport"] == "HTTP"), 5985)
    https = next((lst["port"] for lst in svc.listeners if lst["transport"] == "HTTPS"), 5986)
    return http, https


def _client(svc: t.Any) -> str:
    http, https = _ports(svc)
    return (
        "<cfg:Client><cfg:NetworkDelayms>5000</cfg:NetworkDelayms><cfg:URLPrefix>wsman</cfg:URLPrefix>"
        "<cfg:AllowUnencrypted>false</cfg:AllowUnencrypted>" + _auth_block(svc, False)
        + f"<cfg:DefaultPorts><cfg:HTTP>{http}</cfg:HTTP><cfg:HTTPS>{https}</cfg:HTTPS></cfg:DefaultPorts>"
        "<cfg:TrustedHosts></cfg:TrustedHosts></cfg:Client>"
    )


def _service(svc: t.Any) -> str:
    http, https = _ports(svc)
    return (
        "<cfg:Service><cfg:RootSDDL>O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)"
        "</cfg:RootSDDL><cfg:MaxConcurrentOperations>4294967295</cfg:MaxConcurrentOperations>"
        "<cfg:MaxConcurrentOperationsPerUser>1500</cfg:MaxConcurrentOperationsPerUser>"
        "<cfg:EnumerationTimeoutms>240000</cfg:EnumerationTimeoutms><cfg:MaxConnections>300</cfg:MaxConnections>"
        "<cfg:MaxPacketRetrievalTimeSeconds>120</cfg:MaxPacketRetrievalTimeSeconds>"
        f"<cfg:AllowUnencrypted>{_bool(svc.allow_unencrypted)}</cfg:AllowUnencrypted>" + _auth_block(svc, True)
        + f"<cfg:DefaultPorts><cfg:HTTP>{http}</cfg:HTTP><cfg:HTTPS>{https}</cfg:HTTPS></cfg:DefaultPorts>"
        "<cfg:IPv4Filter>*</cfg:IPv4Filter><cfg:IPv6Filter>*</cfg:IPv6Filter>"
        "<cfg:EnableCompatibilityHttpListener>false</cfg:EnableCompatibilityHttpListener>"
        "<cfg:EnableCompatibilityHttpsListener>false</cfg:EnableCompatibilityHttpsListener>"
        "<cfg:CertificateThumbprint></cfg:CertificateThumbprint><cfg:AllowRemoteAccess>true</cfg:AllowRemoteAccess>"
        "</cfg:Service>"
    )


def _winrs(svc: t.Any) -> str:
    idle = int((svc.knobs.expire_shell or 7200) * 1000)
    return (
        "<cfg:Winrs><cfg:AllowRemoteShellAccess>true</cfg:AllowRemoteShellAccess>"
        f"<cfg:IdleTimeout>{idle}</cfg:IdleTimeout><cfg:MaxConcurrentUsers>2147483647</cfg:MaxConcurrentUsers>"
        "<cfg:MaxShellRunTime>2147483647</cfg:MaxShellRunTime>"
        "<cfg:MaxProcessesPerShell>2147483647</cfg:MaxProcessesPerShell>"
        "<cfg:MaxMemoryPerShellMB>2147483647</cfg:MaxMemoryPerShellMB>"
        "<cfg:MaxShellsPerUser>2147483647</cfg:MaxShellsPerUser></cfg:Winrs>"
    )


def config_xml(svc: t.Any) -> str:
    return (
        f'<cfg:Config xmlns:cfg="{CFG}"><cfg:MaxEnvelopeSizekb>{svc.knobs.max_envelope_kb}</cfg:MaxEnvelopeSizekb>'
        "<cfg:MaxTimeoutms>60000</cfg:MaxTimeoutms><cfg:MaxBatchItems>32000</cfg:MaxBatchItems>"
        "<cfg:MaxProviderRequests>4294967295</cfg:MaxProviderRequests>"
        + _client(svc) + _service(svc) + _winrs(svc) + "</cfg:Config>"
    )


def listeners(svc: t.Any) -> list[str]:
    out = []
    for lst in svc.listeners:
        out.append(
            f'<cfg:Listener xmlns:cfg="{CFG}/listener"><cfg:Address>127.0.0.1</cfg:Address>'
            f"<cfg:Transport>{lst['transport']}</cfg:Transport><cfg:Port>{lst['port']}</cfg:Port>"
            f"<cfg:Hostname>{'localhost' if lst['transport'] == 'HTTPS' else ''}</cfg:Hostname>"
            "<cfg:Enabled>true</cfg:Enabled><cfg:URLPrefix>wsman</cfg:URLPrefix>"
            f"<cfg:CertificateThumbprint>{lst.get('thumbprint', '')}</cfg:CertificateThumbprint>"
            "<cfg:ListeningOn>127.0.0.1</cfg:ListeningOn></cfg:Listener>"
        )
    return out


def plugins(svc: t.Any) -> list[str]:
    out = []
    for name, lang in (("microsoft.powershell", "FullLanguage"), ("Restricted", "NoLanguage")):
        out.append(
            f'<PlugInConfiguration xmlns="http://schemas.microsoft.com/wbem/wsman/1/config/PluginConfiguration" '
            f'Name="{name}" Filename="%windir%\\system32\\pwrshplugin.dll" SDKVersion="2" XmlRenderingType="text" '
            f'Enabled="true" Architecture="64" UseSharedProcess="false" ProcessIdleTimeoutSec="0" '
            f'OutputBufferingMode="Block" RunAsUser="" RunAsPassword="" AutoRestart="false">'
            f'<InitializationParameters><Param Name="PSVersion" Value="5.1"/>'
            f'<Param Name="LanguageMode" Value="{lang}"/></InitializationParameters>'
            f'<Resources><Resource ResourceUri="http://schemas.microsoft.com/powershell/{name}" '
            f'SupportsOptions="true" ExactMatch="true"><Security Uri="http://schemas.microsoft.com/powershell/{name}" '
            f'ExactMatch="true" Sddl="O:NSG:BAD:P(A;;GA;;;BA)(A;;GA;;;RM)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)"/>'
            f'<Capability Type="Shell"/></Resource></Resources>'
            f'<Quotas MaxIdleTimeoutms="2147483647" MaxConcurrentUsers="5" IdleTimeoutms="7200000" '
            f'MaxProcessesPerShell="15" MaxMemoryPerShellMB="1024" MaxConcurrentCommandsPerShell="1000" '
            f'MaxShells="25" MaxShellsPerUser="25"/></PlugInConfiguration>'
        )
    return out


def handle(svc: t.Any, handler: t.Any, req: soap.Request) -> bytes:
    uri = req.resource_uri.rstrip("/")
    low = uri.lower()
    base = CFG.lower()
    if req.action == soap.A_GET:
        if low == base:
            body = config_xml(svc)
        elif low == base + "/service":
            body = _service(svc).replace("<cfg:Service>", f'<cfg:Service xmlns:cfg="{CFG}/service">', 1)
        elif low == base + "/client":
            body = _client(svc).replace("<cfg:Client>", f'<cfg:Client xmlns:cfg="{CFG}/client">', 1)
        elif low == base + "/winrs":
            body = _winrs(svc).replace("<cfg:Winrs>", f'<cfg:Winrs xmlns:cfg="{CFG}/winrs">', 1)
        elif low == base + "/plugin" and req.selectors.get("Name"):
            name = req.selectors["Name"].lower()
            match = [p for p in plugins(svc) if f'Name="{name}"'.lower() in p.lower()]
            if not match:
                raise soap.invalid_resource_uri(uri)
            body = match[0]
        else:
            raise soap.invalid_resource_uri(uri)
        return soap.response(req, soap.NS_TRANSFER + "/GetResponse", body, activity=False)
    if req.action == soap.A_ENUMERATE:
        if low == base + "/listener":
            items = listeners(svc)
        elif low == base + "/plugin":
            items = plugins(svc)
        elif low == base:
            items = [config_xml(svc)]
        else:
            raise soap.invalid_resource_uri(uri)
        en = soap.find(req.body, soap.NS_ENUMERATION, "Enumerate")
        optimize = en is not None and soap.find(en, soap.NS_WSMAN, "OptimizeEnumeration") is not None
        n = f'xmlns:n="{soap.NS_ENUMERATION}"'
        if optimize:
            return soap.response(req, soap.NS_ENUMERATION + "/EnumerateResponse",
                                 f"<n:EnumerateResponse {n}><n:EnumerationContext></n:EnumerationContext>"
                                 f"<w:Items>{''.join(items)}</w:Items><w:EndOfSequence/></n:EnumerateResponse>")
        ctx = "uuid:" + str(uuid.uuid4()).upper()
        with _ctx_lock:
            _contexts[ctx] = items
        return soap.response(req, soap.NS_ENUMERATION + "/EnumerateResponse",
                             f"<n:EnumerateResponse {n}><n:EnumerationContext>{ctx}</n:EnumerationContext>"
                             "</n:EnumerateResponse>")
    if req.action == soap.A_PULL:
        ctx = soap.el_text(soap.find(req.body, soap.NS_ENUMERATION, "EnumerationContext"))
        with _ctx_lock:
            items = _contexts.pop(ctx, None)
        if items is None:
            raise soap.Fault("n:InvalidEnumerationContext", "The enumeration context supplied in the message is not "
                             "valid. ", None, None,
                             action="http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault")
        n = f'xmlns:n="{soap.NS_ENUMERATION}"'
        return soap.response(req, soap.NS_ENUMERATION + "/PullResponse",
                             f"<n:PullResponse {n}><n:Items>{''.join(items)}</n:Items><n:EndOfSequence/>"
                             "</n:PullResponse>")
    raise soap.action_not_supported(req.action)
