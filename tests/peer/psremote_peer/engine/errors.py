"""ErrorRecords shaped like the ones Windows PowerShell produces (MS-PSRP 2.2.3.15).

The exception carried by an ErrorRecord is serialized with its .NET type chain (e.g.
`System.Management.Automation.ParameterBindingException`, `…RuntimeException`,
`System.SystemException`, `System.Exception`, `System.Object`), as a real host does.
"""

from __future__ import annotations

import typing as t

from psrpcore.types import ErrorCategory, ErrorCategoryInfo, ErrorRecord

_SMA = "System.Management.Automation"

# Exception type chains as .NET reports them (Type.BaseType walk).
EXCEPTION_CHAINS: dict[str, list[str]] = {
    "ParseException": [f"{_SMA}.ParseException", f"{_SMA}.RuntimeException", "System.SystemException",
                       "System.Exception", "System.Object"],
    "IncompleteParseException": [f"{_SMA}.IncompleteParseException", f"{_SMA}.ParseException",
                                 f"{_SMA}.RuntimeException", "System.SystemException", "System.Exception",
                                 "System.Object"],
    "ParameterBindingException": [f"{_SMA}.ParameterBindingException", f"{_SMA}.RuntimeException",
                                  "System.SystemException", "System.Exception", "System.Object"],
    "ParameterBindingValidationException": [f"{_SMA}.ParameterBindingValidationException",
                                            f"{_SMA}.ParameterBindingException", f"{_SMA}.RuntimeException",
                                            "System.SystemException", "System.Exception", "System.Object"],
    "ParameterBindingArgumentTransformationException": [
        f"{_SMA}.ParameterBindingArgumentTransformationException", f"{_SMA}.ParameterBindingException",
        f"{_SMA}.RuntimeException", "System.SystemException", "System.Exception", "System.Object"],
    "CommandNotFoundException": [f"{_SMA}.CommandNotFoundException", f"{_SMA}.RuntimeException",
                                 "System.SystemException", "System.Exception", "System.Object"],
    "RuntimeException": [f"{_SMA}.RuntimeException", "System.SystemException", "System.Exception",
                         "System.Object"],
    "WriteErrorException": ["Microsoft.PowerShell.Commands.WriteErrorException", "System.SystemException",
                            "System.Exception", "System.Object"],
    "InvalidOperationException": ["System.InvalidOperationException", "System.SystemException",
                                  "System.Exception", "System.Object"],
    "ArgumentException": ["System.ArgumentException", "System.SystemException", "System.Exception",
                          "System.Object"],
    "PipelineStoppedException": [f"{_SMA}.PipelineStoppedException", f"{_SMA}.RuntimeException",
                                 "System.SystemException", "System.Exception", "System.Object"],
    "ItemNotFoundException": [f"{_SMA}.ItemNotFoundException", f"{_SMA}.SessionStateException",
                              f"{_SMA}.RuntimeException", "System.SystemException", "System.Exception",
                              "System.Object"],
    "ServiceCommandException": ["Microsoft.PowerShell.Commands.ServiceCommandException",
                                "System.SystemException", "System.Exception", "System.Object"],
    "ArgumentOutOfRangeException": ["System.ArgumentOutOfRangeException", "System.ArgumentException",
                                    "System.SystemException", "System.Exception", "System.Object"],
}

# HResults of those exceptions (COR_E_* values .NET assigns).
_HRESULTS = {
    "ArgumentException": -2147024809,
    "ArgumentOutOfRangeException": -2146233086,
    "InvalidOperationException": -2146233079,
}


def make_exception(kind: str, message: str) -> t.Any:
    """The exception as Windows serializes it: its type chain, ToString "<type>: <message>", and
    the System.Exception properties in .NET's order (RuntimeException adds ErrorRecord and
    WasThrownFromThrowStatement; ParseException adds Errors), Data an empty ListDictionaryInternal."""
    from . import objects as o

    names = list(EXCEPTION_CHAINS.get(kind, EXCEPTION_CHAINS["RuntimeException"]))
    runtime = "System.Management.Automation.RuntimeException" in names
    props: list[tuple[str, t.Any]] = []
    if kind in ("ParseException", "IncompleteParseException"):
        props.append(("Errors", None))
    props.append(("Message", message))
    if runtime:
        props += [("ErrorRecord", message), ("WasThrownFromThrowStatement", False)]
    props += [("Data", o.make_dict([], ["System.Collections.ListDictionaryInternal", "System.Object"])),
              ("InnerException", None), ("TargetSite", None), ("StackTrace", None), ("HelpLink", None),
              ("Source", "System.Management.Automation" if runtime else None),
              ("HResult", _HRESULTS.get(kind, -2146233087))]
    return o.make_object(names, adapted=props, to_string=f"{names[0]}: {message}")


class CategoryInfo(ErrorCategoryInfo):
    """ErrorCategoryInfo whose message is ErrorCategoryInfo.GetMessage's: `Category: (Target:Type)
    [Activity], Reason`, a target longer than 40 characters shortened to 15 + "..." + 15 (as in the
    recordings: `ParserError: (Set-Item -Path ...d -Value $false:String) [], ParseException`)."""

    def __str__(self) -> str:
        target = self.TargetName or ""
        if len(target) > 40:
            target = f"{target[:15]}...{target[-15:]}"
        return (f"{self.Category.name}: ({target}:{self.TargetType or ''}) [{self.Activity or ''}], "
                f"{self.Reason or ''}")


def error_record(
    message: str,
    fqid: str,
    category: ErrorCategory,
    exception: str = "RuntimeException",
    target_object: t.Any = None,
    activity: str = "",
    target_name: str = "",
    target_type: str = "",
) -> ErrorRecord:
    """An ErrorRecord; CategoryInfo.Reason is the exception's short type name like Windows sets."""
    exc = make_exception(exception, message)
    reason = exc.PSObject.type_names[0].rsplit(".", 1)[-1]
    info = CategoryInfo(
        Category=category, Activity=activity, Reason=reason, TargetName=target_name, TargetType=target_type
    )
    rec = ErrorRecord(
        Exception=exc,
        CategoryInfo=info,
        TargetObject=target_object,
        FullyQualifiedErrorId=fqid,
    )
    rec.PSObject.to_string = message
    return rec


class EngineError(Exception):
    """An error raised inside the engine carrying the ErrorRecord to report.

    `terminating=True` stops the whole pipeline (PipelineFailed); otherwise it is statement
    terminating: inside a script the record goes to the error stream and the next statement runs.
    """

    def __init__(self, record: ErrorRecord, terminating: bool = False) -> None:
        super().__init__(str(record.Exception.Message))
        self.record = record
        self.terminating = terminating


def parse_error(message: str, script: str, offset: int, error_id: str = "ParseException",
                incomplete: bool = False) -> EngineError:
    """A ParseException as PowerShell reports a script it cannot parse: `At line:L char:C`
    position, the source line, a caret, then the parser's message; category ParserError."""
    line_no = script.count("\n", 0, offset) + 1
    line_start = script.rfind("\n", 0, offset) + 1
    line_end = script.find("\n", offset)
    if line_end < 0:
        line_end = len(script)
    line = script[line_start:line_end].rstrip("\r")
    col = offset - line_start + 1
    text = f"At line:{line_no} char:{col}\r\n+ {line}\r\n+ {' ' * (col - 1)}~\r\n{message}"
    kind = "IncompleteParseException" if incomplete else "ParseException"
    # Over remoting the record's FQID is the parser's error id (e.g. ExpectedValueExpression);
    # CategoryInfo says ParserError / ParseException.
    rec = error_record(text, error_id, ErrorCategory.ParserError, exception=kind)
    return EngineError(rec, terminating=True)


def command_not_found(name: str) -> EngineError:
    msg = (f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or "
           "operable program. Check the spelling of the name, or if a path was included, verify that "
           "the path is correct and try again.")
    rec = error_record(msg, "CommandNotFoundException", ErrorCategory.ObjectNotFound,
                       exception="CommandNotFoundException", target_object=name, target_name=name,
                       target_type="String")
    return EngineError(rec)


def scripts_not_allowed(script: str) -> EngineError:
    """What a NoLanguage (JEA) session answers to a script (see the jea fixture)."""
    msg = "The syntax is not supported by this runspace. This can occur if the runspace is in no-language mode."
    rec = error_record(msg, "ScriptsNotAllowed", ErrorCategory.ParserError, exception="ParseException",
                       target_object=script, target_name=script, target_type="String")
    return EngineError(rec, terminating=True)


def binding_error(
    message: str,
    error_id: str,
    command: t.Any,
    category: ErrorCategory = ErrorCategory.InvalidArgument,
    exception: str = "ParameterBindingException",
    target_object: t.Any = None,
) -> EngineError:
    """A ParameterBindingException; FQID is `<ErrorId>,<implementing type>` as PowerShell forms it."""
    rec = error_record(message, f"{error_id},{command.implementing_type}", category, exception=exception,
                       target_object=target_object, activity=command.name)
    return EngineError(rec)


def runtime_error(message: str, fqid: str = "RuntimeException",
                  category: ErrorCategory = ErrorCategory.NotSpecified, target_object: t.Any = None,
                  exception: str = "RuntimeException", activity: str = "") -> EngineError:
    return EngineError(error_record(message, fqid, category, exception=exception, target_object=target_object,
                                    activity=activity))
