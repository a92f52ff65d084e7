""".NET types the catalog's commands return or take: public properties (name, type, in the order
the type declares them) and enum members with their values, as `[Enum]::GetValues` lists them.
These feed the discovery script's `types` answer and the objects the commands write."""

from __future__ import annotations

import typing as t

# enum type -> (flags, {name: value})
ENUMS: dict[str, tuple[bool, dict[str, int]]] = {
    "System.ServiceProcess.ServiceControllerStatus": (False, {
        "Stopped": 1, "StartPending": 2, "StopPending": 3, "Running": 4, "ContinuePending": 5,
        "PausePending": 6, "Paused": 7}),
    "System.ServiceProcess.ServiceStartMode": (False, {
        "Boot": 0, "System": 1, "Automatic": 2, "Manual": 3, "Disabled": 4}),
    "System.ServiceProcess.ServiceType": (True, {
        "KernelDriver": 1, "FileSystemDriver": 2, "Adapter": 4, "RecognizerDriver": 8,
        "Win32OwnProcess": 16, "Win32ShareProcess": 32, "InteractiveProcess": 256}),
    "System.Diagnostics.ProcessPriorityClass": (False, {
        "Normal": 32, "Idle": 64, "High": 128, "RealTime": 256, "BelowNormal": 16384, "AboveNormal": 32768}),
    "System.Management.Automation.CommandTypes": (True, {
        "Alias": 1, "Function": 2, "Filter": 4, "Cmdlet": 8, "ExternalScript": 16, "Application": 32,
        "Script": 64, "Workflow": 128, "Configuration": 256, "All": 511}),
    "System.Management.Automation.ActionPreference": (False, {
        "SilentlyContinue": 0, "Stop": 1, "Continue": 2, "Inquire": 3, "Ignore": 4, "Suspend": 5}),
    "System.DayOfWeek": (False, {
        "Sunday": 0, "Monday": 1, "Tuesday": 2, "Wednesday": 3, "Thursday": 4, "Friday": 5, "Saturday": 6}),
    "System.DateTimeKind": (False, {"Unspecified": 0, "Utc": 1, "Local": 2}),
    "Microsoft.PowerShell.Commands.DisplayHintType": (False, {"Date": 0, "Time": 1, "DateTime": 2}),
    "System.Diagnostics.EventLogEntryType": (False, {
        "Error": 1, "Warning": 2, "Information": 4, "SuccessAudit": 8, "FailureAudit": 16}),
    "System.ConsoleColor": (False, {
        "Black": 0, "DarkBlue": 1, "DarkGreen": 2, "DarkCyan": 3, "DarkRed": 4, "DarkMagenta": 5,
        "DarkYellow": 6, "Gray": 7, "DarkGray": 8, "Blue": 9, "Green": 10, "Cyan": 11, "Red": 12,
        "Magenta": 13, "Yellow": 14, "White": 15}),
    "System.Management.Automation.ErrorCategory": (False, {
        "NotSpecified": 0, "OpenError": 1, "CloseError": 2, "DeviceError": 3, "DeadlockDetected": 4,
        "InvalidArgument": 5, "InvalidData": 6, "InvalidOperation": 7, "InvalidResult": 8, "InvalidType": 9,
        "MetadataError": 10, "NotImplemented": 11, "NotInstalled": 12, "ObjectNotFound": 13,
        "OperationStopped": 14, "OperationTimeout": 15, "SyntaxError": 16, "ParserError": 17,
        "PermissionDenied": 18, "ResourceBusy": 19, "ResourceExists": 20, "ResourceUnavailable": 21,
        "ReadError": 22, "WriteError": 23, "FromStdErr": 24, "SecurityError": 25, "ProtocolError": 26,
        "ConnectionError": 27, "AuthenticationError": 28, "LimitsExceeded": 29, "QuotaExceeded": 30,
        "NotEnabled": 31}),
    "System.Management.AuthenticationLevel": (False, {
        "Default": 0, "None": 1, "Connect": 2, "Call": 3, "Packet": 4, "PacketIntegrity": 5, "PacketPrivacy": 6,
        "Unchanged": -1}),
    "System.Management.ImpersonationLevel": (False, {
        "Default": 0, "Anonymous": 1, "Identify": 2, "Impersonate": 3, "Delegate": 4}),
    "Microsoft.PowerShell.Commands.WaitForServiceTypes": (False, {"Wmi": 0, "WinRM": 1, "PowerShell": 2}),
    "Microsoft.PowerShell.ExecutionPolicy": (False, {
        "Unrestricted": 0, "RemoteSigned": 1, "AllSigned": 2, "Restricted": 3, "Bypass": 4, "Undefined": 5}),
    "System.Net.NetworkInformation.IPStatus": (False, {
        "Unknown": -1, "Success": 0, "DestinationNetworkUnreachable": 11002, "DestinationHostUnreachable": 11003,
        "DestinationProtocolUnreachable": 11004, "DestinationPortUnreachable": 11005, "NoResources": 11006,
        "BadOption": 11007, "HardwareError": 11008, "PacketTooBig": 11009, "TimedOut": 11010, "BadRoute": 11012,
        "TtlExpired": 11013, "TtlReassemblyTimeExceeded": 11014, "ParameterProblem": 11015,
        "SourceQuench": 11016, "BadDestination": 11018, "DestinationUnreachable": 11040,
        "TimeExceeded": 11041, "BadHeader": 11042, "UnrecognizedNextHeader": 11043, "IcmpError": 11044,
        "DestinationScopeMismatch": 11045}),
    "System.Management.Automation.PSMemberTypes": (True, {
        "AliasProperty": 1, "CodeProperty": 2, "Property": 4, "NoteProperty": 8, "ScriptProperty": 16,
        "Properties": 31, "PropertySet": 32, "Method": 64, "CodeMethod": 128, "ScriptMethod": 256,
        "Methods": 448, "ParameterizedProperty": 512, "MemberSet": 1024, "Event": 2048, "Dynamic": 4096,
        "InferredProperty": 8192, "All": 16383}),
    "Microsoft.Win32.RegistryValueKind": (False, {
        "None": -1, "Unknown": 0, "String": 1, "ExpandString": 2, "Binary": 3, "DWord": 4, "MultiString": 7,
        "QWord": 11}),
    "Microsoft.PowerShell.Commands.BaseCsvWritingCommand+QuoteKind": (False, {
        "Never": 0, "Always": 1, "AsNeeded": 2}),
    "Microsoft.PowerShell.Commands.UpdateHelpScope": (False, {"CurrentUser": 0, "AllUsers": 1}),
    "Newtonsoft.Json.StringEscapeHandling": (False, {"Default": 0, "EscapeNonAscii": 1, "EscapeHtml": 2}),
    "System.Management.Automation.Runspaces.AuthenticationMechanism": (False, {
        "Default": 0, "Basic": 1, "Negotiate": 2, "NegotiateWithImplicitCredential": 3, "Credssp": 4,
        "Digest": 5, "Kerberos": 6}),
}

# type -> [(property, type)], declared order (the order Get-Member -MemberType Property gives is
# alphabetical; the discovery script keeps the reflection order, which is this one)
PROPERTIES: dict[str, list[tuple[str, str]]] = {
    "System.ServiceProcess.ServiceController": [
        ("CanPauseAndContinue", "System.Boolean"), ("CanShutdown", "System.Boolean"), ("CanStop", "System.Boolean"),
        ("DisplayName", "System.String"), ("DependentServices", "System.ServiceProcess.ServiceController[]"),
        ("MachineName", "System.String"), ("ServiceName", "System.String"),
        ("ServicesDependedOn", "System.ServiceProcess.ServiceController[]"),
        ("ServiceHandle", "System.Runtime.InteropServices.SafeHandle"),
        ("Status", "System.ServiceProcess.ServiceControllerStatus"),
        ("ServiceType", "System.ServiceProcess.ServiceType"),
        ("StartType", "System.ServiceProcess.ServiceStartMode"),
        ("Site", "System.ComponentModel.ISite"), ("Container", "System.ComponentModel.IContainer"),
    ],
    "System.Diagnostics.Process": [
        ("BasePriority", "System.Int32"), ("ExitCode", "System.Int32"), ("HasExited", "System.Boolean"),
        ("Handle", "System.IntPtr"), ("HandleCount", "System.Int32"), ("Id", "System.Int32"),
        ("MachineName", "System.String"), ("MainWindowTitle", "System.String"),
        ("NonpagedSystemMemorySize64", "System.Int64"), ("PagedMemorySize64", "System.Int64"),
        ("PeakWorkingSet64", "System.Int64"), ("PriorityClass", "System.Diagnostics.ProcessPriorityClass"),
        ("PrivateMemorySize64", "System.Int64"), ("ProcessName", "System.String"),
        ("Responding", "System.Boolean"), ("SessionId", "System.Int32"), ("StartTime", "System.DateTime"),
        ("Threads", "System.Diagnostics.ProcessThreadCollection"), ("VirtualMemorySize64", "System.Int64"),
        ("WorkingSet64", "System.Int64"),
    ],
    "System.Management.ManagementObject#root\\cimv2\\Win32_QuickFixEngineering": [
        ("Caption", "System.String"), ("CSName", "System.String"), ("Description", "System.String"),
        ("FixComments", "System.String"), ("HotFixID", "System.String"), ("InstallDate", "System.String"),
        ("InstalledBy", "System.String"), ("InstalledOn", "System.DateTime"), ("Name", "System.String"),
        ("ServicePackInEffect", "System.String"), ("Status", "System.String"),
    ],
    "System.Management.ManagementObject#root\\cimv2\\Win32_PingStatus": [
        ("Address", "System.String"), ("BufferSize", "System.UInt32"), ("NoFragmentation", "System.Boolean"),
        ("PrimaryAddressResolutionStatus", "System.UInt32"), ("ProtocolAddress", "System.String"),
        ("ReplySize", "System.UInt32"), ("ResponseTime", "System.UInt32"), ("ResponseTimeToLive", "System.UInt32"),
        ("StatusCode", "System.UInt32"), ("Timeout", "System.UInt32"), ("TimeToLive", "System.UInt32"),
        ("IPV4Address", "System.Net.IPAddress"), ("IPV6Address", "System.Net.IPAddress"),
    ],
    "Microsoft.PowerShell.Commands.TestConnectionCommand+PingStatus": [
        ("Ping", "System.UInt32"), ("Source", "System.String"), ("Destination", "System.String"),
        ("Address", "System.Net.IPAddress"), ("DisplayAddress", "System.String"), ("Latency", "System.Int64"),
        ("Status", "System.Net.NetworkInformation.IPStatus"), ("BufferSize", "System.Int32"),
    ],
    "System.Globalization.CultureInfo": [
        ("Parent", "System.Globalization.CultureInfo"), ("LCID", "System.Int32"),
        ("KeyboardLayoutId", "System.Int32"), ("Name", "System.String"), ("IetfLanguageTag", "System.String"),
        ("DisplayName", "System.String"), ("NativeName", "System.String"), ("EnglishName", "System.String"),
        ("TwoLetterISOLanguageName", "System.String"), ("ThreeLetterISOLanguageName", "System.String"),
        ("ThreeLetterWindowsLanguageName", "System.String"), ("IsNeutralCulture", "System.Boolean"),
        ("UseUserOverride", "System.Boolean"), ("IsReadOnly", "System.Boolean"),
    ],
    "System.DateTime": [
        ("Date", "System.DateTime"), ("Day", "System.Int32"), ("DayOfWeek", "System.DayOfWeek"),
        ("DayOfYear", "System.Int32"), ("Hour", "System.Int32"), ("Kind", "System.DateTimeKind"),
        ("Millisecond", "System.Int32"), ("Minute", "System.Int32"), ("Month", "System.Int32"),
        ("Second", "System.Int32"), ("Ticks", "System.Int64"), ("TimeOfDay", "System.TimeSpan"),
        ("Year", "System.Int32"),
    ],
    "System.Diagnostics.EventLogEntry": [
        ("Index", "System.Int32"), ("EntryType", "System.Diagnostics.EventLogEntryType"),
        ("InstanceId", "System.Int64"), ("Message", "System.String"), ("Source", "System.String"),
        ("TimeGenerated", "System.DateTime"), ("TimeWritten", "System.DateTime"), ("UserName", "System.String"),
        ("MachineName", "System.String"), ("Category", "System.String"), ("EventID", "System.Int32"),
    ],
    "System.Diagnostics.Eventing.Reader.EventLogRecord": [
        ("Id", "System.Int32"), ("Level", "System.Nullable`1[System.Byte]"), ("LevelDisplayName", "System.String"),
        ("LogName", "System.String"), ("Message", "System.String"), ("ProviderName", "System.String"),
        ("RecordId", "System.Nullable`1[System.Int64]"), ("TimeCreated", "System.Nullable`1[System.DateTime]"),
        ("MachineName", "System.String"),
    ],
    "Microsoft.PowerShell.Commands.MemberDefinition": [
        ("TypeName", "System.String"), ("Name", "System.String"),
        ("MemberType", "System.Management.Automation.PSMemberTypes"), ("Definition", "System.String"),
    ],
    "System.Management.Automation.PathInfo": [
        ("Drive", "System.Management.Automation.PSDriveInfo"), ("Provider", "System.Management.Automation.ProviderInfo"),
        ("ProviderPath", "System.String"), ("Path", "System.String"),
    ],
    "Microsoft.PowerShell.Commands.GenericMeasureInfo": [
        ("Count", "System.Int32"), ("Average", "System.Nullable`1[System.Double]"),
        ("Sum", "System.Nullable`1[System.Double]"), ("Maximum", "System.Nullable`1[System.Double]"),
        ("Minimum", "System.Nullable`1[System.Double]"), ("Property", "System.String"),
    ],
    "System.Management.Automation.CommandInfo": [
        ("CommandType", "System.Management.Automation.CommandTypes"), ("Name", "System.String"),
        ("Version", "System.Version"), ("Source", "System.String"), ("ModuleName", "System.String"),
        ("Definition", "System.String"),
    ],
    "System.Management.Automation.CmdletInfo": [
        ("CommandType", "System.Management.Automation.CommandTypes"), ("Name", "System.String"),
        ("Version", "System.Version"), ("Source", "System.String"), ("ModuleName", "System.String"),
        ("Definition", "System.String"), ("HelpUri", "System.String"),
        ("DefaultParameterSet", "System.String"),
    ],
}


def enum_values(type_name: str) -> dict[str, int] | None:
    e = ENUMS.get(type_name)
    return e[1] if e else None


def describe(type_name: str) -> dict[str, t.Any] | None:
    if type_name in ENUMS:
        flags, values = ENUMS[type_name]
        return {"enum_values": list(values), "flags": flags}
    if type_name in PROPERTIES:
        return {"properties": [{"name": n, "type": ty} for n, ty in PROPERTIES[type_name]]}
    return None
