"""Facts of the seed's cmdlets (names, types, parameter sets, flags) for when the shared cmdlet
metadata is not on disk. Written for this endpoint from the cmdlets' syntax; no prose.

Compact notation, one string per parameter:
    "Name:Type [sets] [flags] [alias=a|b] [set=v|v]"
where sets is `@Set1,Set2` (default: all sets), and flags are `m` (mandatory), `0`..`9` (position),
`p` (ValueFromPipeline), `n` (ValueFromPipelineByPropertyName), `r` (ValueFromRemainingArguments)."""

from __future__ import annotations

import typing as t

from .catalog import ALL_SETS, MODULE_VERSIONS, Catalog, Command, Parameter, SetMembership, alias_command

S = "System.String"
SA = "System.String[]"
SW = "System.Management.Automation.SwitchParameter"
I32 = "System.Int32"
OBJ = "System.Object"
PSO = "System.Management.Automation.PSObject"
SB = "System.Management.Automation.ScriptBlock"
CRED = "System.Management.Automation.PSCredential"

_MGMT = "Microsoft.PowerShell.Management"
_UTIL = "Microsoft.PowerShell.Utility"
_CORE = "Microsoft.PowerShell.Core"
_DIAG = "Microsoft.PowerShell.Diagnostics"

_OPS = ["EQ", "CEQ", "NE", "CNE", "GT", "CGT", "LT", "CLT", "GE", "CGE", "LE", "CLE", "Like", "CLike", "NotLike",
        "CNotLike", "Match", "CMatch", "NotMatch", "CNotMatch", "Contains", "CContains", "NotContains",
        "CNotContains", "In", "CIn", "NotIn", "CNotIn", "Is", "IsNot"]

# name, module, default set, [sets], [outputs], [aliases], [params]
FACTS: list[tuple[str, str, str | None, list[str], list[str], list[str], list[str]]] = [
    ("Get-Service", _MGMT, "Default", ["Default", "DisplayName", "InputObject"],
     ["System.ServiceProcess.ServiceController"], ["gsv"], [
         f"ComputerName:{SA} n alias=Cn", f"DependentServices:{SW} alias=DS",
         f"DisplayName:{SA} @DisplayName m", f"Exclude:{SA}", f"Include:{SA}",
         "InputObject:System.ServiceProcess.ServiceController[] @InputObject p",
         f"Name:{SA} @Default 0pn alias=ServiceName", f"RequiredServices:{SW} alias=SDO|ServicesDependedOn"]),
    ("Set-Service", _MGMT, "Name", ["Name", "InputObject"], ["System.ServiceProcess.ServiceController"], [], [
        f"ComputerName:{SA} n alias=cn", f"Description:{S}", f"DisplayName:{S} alias=DN",
        "InputObject:System.ServiceProcess.ServiceController @InputObject 0p", f"Name:{S} @Name m0pn alias=ServiceName|SN",
        f"PassThru:{SW}", "StartupType:System.ServiceProcess.ServiceStartMode alias=StartMode|SM|ST",
        f"Status:{S} set=Running|Stopped|Paused", f"Confirm:{SW} alias=cf", f"WhatIf:{SW} alias=wi"]),
    ("Get-Process", _MGMT, "Name", ["Name", "Id", "InputObject"], ["System.Diagnostics.Process"], ["gps", "ps"], [
        f"ComputerName:{SA} n alias=Cn", f"FileVersionInfo:{SW} alias=FV|FVI", "Id:System.Int32[] @Id m n alias=PID",
        "InputObject:System.Diagnostics.Process[] @InputObject m p", f"Module:{SW}",
        f"Name:{SA} @Name 0n alias=ProcessName"]),
    ("Get-HotFix", _MGMT, "Default", ["Default", "Description"],
     ["System.Management.ManagementObject#root\\cimv2\\Win32_QuickFixEngineering"], [], [
         f"ComputerName:{SA} n alias=CN|__Server|IPAddress", f"Credential:{CRED}",
         f"Description:{SA} @Description", f"Id:{SA} @Default 0 alias=HFID"]),
    ("Restart-Computer", _MGMT, "DefaultSet", ["DefaultSet", "DcomSet", "WsmanSet"], [], [], [
        f"AsJob:{SW} @DcomSet", f"ComputerName:{SA} 0n alias=CN|__SERVER|Server|IPAddress", f"Credential:{CRED} 1",
        "DcomAuthentication:System.Management.AuthenticationLevel @DcomSet alias=Authentication",
        f"Force:{SW} alias=f", f"Wait:{SW} @DefaultSet", f"Timeout:{I32} @DefaultSet alias=TimeoutSec",
        f"Confirm:{SW} alias=cf", f"WhatIf:{SW} alias=wi"]),
    ("Test-Connection", _MGMT, "Default", ["Default", "Source", "Quiet"],
     ["System.Management.ManagementObject#root\\cimv2\\Win32_PingStatus", "System.Boolean"], [], [
         f"AsJob:{SW} @Default,Source", f"BufferSize:{I32} alias=Size|Bytes|BS",
         f"ComputerName:{SA} m0n alias=CN|IPAddress|__SERVER|Server|Destination", f"Count:{I32}",
         f"Delay:{I32}", f"Quiet:{SW} @Quiet", f"Source:{SA} @Source m1 alias=FCN|SRC",
         f"TimeToLive:{I32} alias=TTL"]),
    ("Get-EventLog", _MGMT, "LogName", ["LogName", "List"], ["System.Diagnostics.EventLogEntry"], [], [
        f"ComputerName:{SA} alias=Cn", "EntryType:System.String[] @LogName set=Error|Information|FailureAudit|SuccessAudit|Warning alias=ET",
        "InstanceId:System.Int64[] @LogName 1", f"List:{SW} @List", f"LogName:{S} @LogName m0 alias=LN",
        f"Newest:{I32} @LogName", f"Source:{SA} @LogName alias=ADO"]),
    ("Clear-EventLog", _MGMT, None, [ALL_SETS], [], [], [
        f"ComputerName:{SA} 1 alias=Cn", f"LogName:{SA} m0 alias=LN", f"Confirm:{SW} alias=cf",
        f"WhatIf:{SW} alias=wi"]),
    ("Get-WinEvent", _DIAG, "GetLogSet", ["GetLogSet", "ListLogSet"], ["System.Diagnostics.Eventing.Reader.EventLogRecord"],
     [], [f"ListLog:{SA} @ListLogSet m0", f"LogName:{SA} @GetLogSet 0", "MaxEvents:System.Int64",
          f"ComputerName:{S} alias=Cn", f"Oldest:{SW}"]),
    ("Get-WmiObject", _MGMT, "query", ["query", "list"], ["System.Management.ManagementObject"], ["gwmi"], [
        f"Class:{S} @query m0 alias=ClassName", f"Property:{SA} @query 1", f"Filter:{S} @query",
        f"List:{SW} @list", f"Namespace:{S} alias=NS", f"ComputerName:{SA} alias=Cn"]),
    ("Get-UICulture", _UTIL, None, [ALL_SETS], ["System.Globalization.CultureInfo"], [], []),
    ("Get-Date", _UTIL, "net", ["net", "UFormat"], ["System.DateTime", "System.String"], [], [
        "Date:System.DateTime 0pn alias=LastWriteTime", f"Day:{I32}",
        "DisplayHint:Microsoft.PowerShell.Commands.DisplayHintType", f"Format:{S} @net", f"Hour:{I32}",
        f"Minute:{I32}", f"Month:{I32}", f"Second:{I32}", f"UFormat:{S} @UFormat", f"Year:{I32}"]),
    ("Get-Command", _CORE, "CmdletSet", ["CmdletSet", "AllCommandSet"], ["System.Management.Automation.CommandInfo"],
     ["gcm"], [
         f"ArgumentList:{OBJ}[] 1 alias=Args", "CommandType:System.Management.Automation.CommandTypes @AllCommandSet n alias=Type",
         f"Module:{SA} n alias=PSSnapin", f"Name:{SA} @AllCommandSet 0n", f"Noun:{SA} @CmdletSet n",
         f"TotalCount:{I32}", f"Verb:{SA} @CmdletSet n", f"Syntax:{SW}", f"ListImported:{SW}"]),
    ("Get-Help", _CORE, "AllUsersView", ["AllUsersView", "DetailedView", "Examples", "Parameters", "Online"], [], [], [
        f"Name:{S} 0", f"Detailed:{SW} @DetailedView m", f"Examples:{SW} @Examples m",
        f"Parameter:{S} @Parameters m", f"Online:{SW} @Online m", f"Full:{SW} @AllUsersView"]),
    ("Get-FormatData", _UTIL, None, [ALL_SETS], ["System.Management.Automation.ExtendedTypeDefinition"], [], [
        f"TypeName:{SA} 0", "PowerShellVersion:System.Version"]),
    ("Clear-Host", _CORE, None, [ALL_SETS], [], ["cls"], []),
    ("Exit-PSSession", _CORE, None, [ALL_SETS], [], ["exsn"], []),
    ("Out-Default", _CORE, None, [ALL_SETS], [], [], [f"InputObject:{PSO} p", f"Transcript:{SW}"]),
    ("Out-Null", _CORE, None, [ALL_SETS], [], [], [f"InputObject:{PSO} p"]),
    ("Write-Output", _UTIL, None, [ALL_SETS], [PSO], ["echo", "write"], [
        f"InputObject:{PSO}[] m0p", f"NoEnumerate:{SW}"]),
    ("Write-Error", _UTIL, "NoException", ["NoException", "WithException", "ErrorRecord"], [], [], [
        f"Message:{S} @NoException m0p alias=Msg", "Exception:System.Exception @WithException m",
        "ErrorRecord:System.Management.Automation.ErrorRecord @ErrorRecord m",
        "Category:System.Management.Automation.ErrorCategory @NoException,WithException",
        f"ErrorId:{S} @NoException,WithException", f"TargetObject:{OBJ} @NoException,WithException",
        f"RecommendedAction:{S}", f"CategoryActivity:{S} alias=Activity", f"CategoryReason:{S} alias=Reason",
        f"CategoryTargetName:{S} alias=TargetName", f"CategoryTargetType:{S} alias=TargetType"]),
    ("Write-Warning", _UTIL, None, [ALL_SETS], [], [], [f"Message:{S} m0p alias=Msg"]),
    ("Write-Verbose", _UTIL, None, [ALL_SETS], [], [], [f"Message:{S} m0p alias=Msg"]),
    ("Write-Debug", _UTIL, None, [ALL_SETS], [], [], [f"Message:{S} m0p alias=Msg"]),
    ("Write-Information", _UTIL, None, [ALL_SETS], [], [], [f"MessageData:{OBJ} m0 alias=Msg|Message",
                                                           f"Tags:{SA} 1"]),
    ("Write-Host", _UTIL, None, [ALL_SETS], [], [], [
        f"Object:{OBJ} 0pr alias=Msg|Message", f"NoNewline:{SW}", f"Separator:{OBJ}",
        "ForegroundColor:System.ConsoleColor", "BackgroundColor:System.ConsoleColor"]),
    ("Write-Progress", _UTIL, None, [ALL_SETS], [], [], [
        f"Activity:{S} m0", f"Status:{S} 1", f"Id:{I32} 2", f"PercentComplete:{I32}", f"SecondsRemaining:{I32}",
        f"CurrentOperation:{S}", f"ParentId:{I32}", f"Completed:{SW}", f"SourceId:{I32}"]),
    ("Read-Host", _UTIL, None, [ALL_SETS], ["System.String", "System.Security.SecureString"], [], [
        f"Prompt:{OBJ} 0r", f"AsSecureString:{SW}"]),
    ("Start-Sleep", _UTIL, "Seconds", ["Seconds", "Milliseconds"], [], ["sleep"], [
        f"Seconds:{I32} @Seconds m0p n", f"Milliseconds:{I32} @Milliseconds m p n"]),
    ("Where-Object", _CORE, "EqualSet", ["EqualSet", "ScriptBlockSet"] + [f"{op}Set" for op in _OPS if op != "EQ"],
     [OBJ], ["?", "where"], [
         f"InputObject:{PSO} p", f"FilterScript:{SB} @ScriptBlockSet m0",
         "Property:" + S + " @" + ",".join(["EqualSet"] + [f"{op}Set" for op in _OPS if op != "EQ"]) + " m0",
         "Value:" + OBJ + " @" + ",".join(["EqualSet"] + [f"{op}Set" for op in _OPS if op != "EQ"]) + " 1"]
     + [f"{op}:{SW} @{op if op != 'EQ' else 'Equal'}Set" + (" m" if op != "EQ" else "") for op in _OPS]),
    ("ForEach-Object", _CORE, "ScriptBlockSet", ["ScriptBlockSet", "PropertyAndMethodSet"], [OBJ], ["%", "foreach"], [
        f"InputObject:{PSO} p", f"Begin:{SB} @ScriptBlockSet", f"Process:{SB}[] @ScriptBlockSet m0",
        f"End:{SB} @ScriptBlockSet", f"RemainingScripts:{SB}[] @ScriptBlockSet r",
        f"MemberName:{S} @PropertyAndMethodSet m0", f"ArgumentList:{OBJ}[] @PropertyAndMethodSet alias=Args"]),
    ("Select-Object", _UTIL, "DefaultParameter", ["DefaultParameter", "SkipLastParameter", "IndexParameter"],
     [PSO], ["select"], [
         f"InputObject:{PSO} p", f"Property:{OBJ}[] @DefaultParameter,SkipLastParameter 0",
         f"ExcludeProperty:{SA} @DefaultParameter,SkipLastParameter", f"ExpandProperty:{S} @DefaultParameter,SkipLastParameter",
         f"Unique:{SW}", f"Last:{I32} @DefaultParameter", f"First:{I32} @DefaultParameter", f"Skip:{I32} @DefaultParameter",
         f"SkipLast:{I32} @SkipLastParameter", f"Wait:{SW} @DefaultParameter,IndexParameter",
         "Index:System.Int32[] @IndexParameter"]),
    ("Sort-Object", _UTIL, None, [ALL_SETS], [PSO], ["sort"], [
        f"Descending:{SW}", f"Unique:{SW}", f"InputObject:{PSO} p", f"Property:{OBJ}[] 0", f"Culture:{S}",
        f"CaseSensitive:{SW}"]),
    ("Measure-Object", _UTIL, "GenericMeasure", ["GenericMeasure", "TextMeasure"],
     ["Microsoft.PowerShell.Commands.GenericMeasureInfo", "Microsoft.PowerShell.Commands.TextMeasureInfo"],
     ["measure"], [
         f"InputObject:{PSO} p", f"Property:{SA} 0", f"Sum:{SW} @GenericMeasure", f"Average:{SW} @GenericMeasure",
         f"Maximum:{SW} @GenericMeasure", f"Minimum:{SW} @GenericMeasure", f"Line:{SW} @TextMeasure",
         f"Word:{SW} @TextMeasure", f"Character:{SW} @TextMeasure", f"IgnoreWhiteSpace:{SW} @TextMeasure"]),
    ("Get-Variable", _UTIL, None, [ALL_SETS], ["System.Management.Automation.PSVariable"], ["gv"], [
        f"Name:{SA} 0pn", f"ValueOnly:{SW}", f"Include:{SA}", f"Exclude:{SA}", f"Scope:{S}"]),
    ("Out-String", _UTIL, None, [ALL_SETS], [S], [], [f"Stream:{SW}", f"Width:{I32}", f"InputObject:{PSO} p"]),
]


def parse_param(spec: str, all_sets: list[str]) -> Parameter:
    words = spec.split()
    name, ty = words[0].split(":", 1)
    sets = list(all_sets) if all_sets != [ALL_SETS] else [ALL_SETS]
    explicit_sets = False
    flags = ""
    aliases: list[str] = []
    vset = None
    for w in words[1:]:
        if w.startswith("@"):
            sets = w[1:].split(",")
            explicit_sets = True
        elif w.startswith("alias="):
            aliases = w[6:].split("|")
        elif w.startswith("set="):
            vset = w[4:].split("|")
        else:
            flags += w
    pos = next((int(c) for c in flags if c.isdigit()), None)
    members = []
    for s in (sets if explicit_sets else [ALL_SETS]):
        members.append(SetMembership(s, "m" in flags, pos, "p" in flags, "n" in flags, "r" in flags))
    return Parameter(name=name, type=ty, sets=members, aliases=aliases, validate_set=vset)


def load(catalog: Catalog, version: str) -> None:
    for name, module, default, sets, outputs, aliases, params in FACTS:
        cmd = Command(
            name=name, command_type="Cmdlet", module=module,
            module_version=MODULE_VERSIONS.get(version, {}).get(module, "1.0.0.0"),
            default_parameter_set=default, parameter_sets=sets,
            parameters=[parse_param(p, sets) for p in params], output_types=outputs,
        )
        catalog.add(cmd)
        for a in aliases:
            catalog.add(alias_command(a, cmd))
    catalog.source = "builtin"


# Aliases PowerShell defines that the docs front matter does not always list.
_DEFAULT_ALIASES = {"?": "Where-Object", "where": "Where-Object", "%": "ForEach-Object",
                    "foreach": "ForEach-Object", "select": "Select-Object", "sort": "Sort-Object",
                    "measure": "Measure-Object", "echo": "Write-Output", "write": "Write-Output",
                    "gsv": "Get-Service", "gps": "Get-Process", "ps": "Get-Process", "gcm": "Get-Command",
                    "sleep": "Start-Sleep", "gwmi": "Get-WmiObject", "cls": "Clear-Host", "exsn": "Exit-PSSession",
                    "gv": "Get-Variable", "gm": "Get-Member", "cd": "Set-Location", "pwd": "Get-Location",
                    "gl": "Get-Location", "sl": "Set-Location", "chdir": "Set-Location"}


def add_session_functions(catalog: Catalog) -> None:
    """Functions every session has outside any module: `prompt` (run by Enter-PSSession)."""
    if catalog.get("prompt") is None:
        catalog.add(Command(name="prompt", command_type="Function", module="", module_version="",
                            default_parameter_set=None, parameter_sets=[ALL_SETS], parameters=[],
                            output_types=[], supports_common_parameters=False))


def add_missing_aliases(catalog: Catalog) -> None:
    for alias, target in _DEFAULT_ALIASES.items():
        if catalog.get(alias) is None:
            cmd = catalog.get(target)
            if cmd is not None:
                catalog.add(alias_command(alias, cmd))


def command_names() -> list[str]:
    return [f[0] for f in FACTS]


__all__ = ["FACTS", "load", "add_missing_aliases", "command_names", "parse_param", "t"]
