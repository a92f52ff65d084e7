"""Evaluates the parsed PowerShell subset. Pipelines are chains of generators, so objects stream
from one command to the next (and to the client) as they are produced, like PowerShell's
ProcessRecord loop; nothing is collected unless PowerShell would collect it (assignment)."""

from __future__ import annotations

import collections.abc
import datetime
import math
import decimal
import enum
import re
import typing as t

from psrpcore.types import ErrorCategory, PSDict, PSObject

from . import objects as o
from . import parser as ast
from .binder import Arg, Bound
from .catalog import Command
from .errors import EngineError, command_not_found, error_record, runtime_error
from .objects import ScriptBlock

if t.TYPE_CHECKING:
    from .engine import Engine, Runspace


class ReturnSignal(Exception):
    def __init__(self, values: list[t.Any]) -> None:
        self.values = values


class ExitSignal(Exception):
    pass


class LoopSignal(Exception):
    def __init__(self, kind: str) -> None:
        self.kind = kind


# Automatic variables that belong to the block that is running, even when it is dot-sourced.
_BLOCK_LOCAL = frozenset({"_", "psitem", "input", "args"})


class Scope:
    """A variable scope; the runspace's variables are the global scope (MS-PSRP 3.1.4).

    A dot-sourced scope (`dot=True`: the Where-Object/ForEach-Object blocks, a top-level script)
    keeps only `$_`, `$input`, `$args` for itself and writes every other variable to its parent,
    so each pipeline has its own `$_` while `$x = …` still lands in the runspace."""

    def __init__(self, variables: dict[str, t.Any], parent: Scope | None = None, dot: bool = False) -> None:
        self.vars = variables
        self.parent = parent
        self.dot = dot

    def lookup(self, name: str) -> tuple[bool, t.Any]:
        key = name.lower()
        s: Scope | None = self
        while s is not None:
            if key in s.vars:
                return True, s.vars[key]
            s = s.parent
        return False, None

    def set(self, name: str, value: t.Any) -> None:
        key = name.lower()
        if self.dot and self.parent is not None and key not in _BLOCK_LOCAL:
            self.parent.set(key, value)
        else:
            self.vars[key] = value


_CONSTANTS = {"true": True, "false": False, "null": None}

_PREFERENCE_DEFAULTS = {
    "verbosepreference": "SilentlyContinue",
    "debugpreference": "SilentlyContinue",
    "warningpreference": "Continue",
    "informationpreference": "SilentlyContinue",
    "erroractionpreference": "Continue",
    "progresspreference": "Continue",
}

TYPE_ACCELERATORS = {
    "int": "System.Int32", "int32": "System.Int32", "long": "System.Int64", "int64": "System.Int64",
    "string": "System.String", "bool": "System.Boolean", "double": "System.Double", "float": "System.Single",
    "single": "System.Single", "decimal": "System.Decimal", "datetime": "System.DateTime", "array": "System.Array",
    "object[]": "System.Object[]", "string[]": "System.String[]", "int[]": "System.Int32[]",
    "hashtable": "System.Collections.Hashtable", "pscustomobject": "System.Management.Automation.PSCustomObject",
    "psobject": "System.Management.Automation.PSObject", "scriptblock": "System.Management.Automation.ScriptBlock",
    "char": "System.Char", "byte": "System.Byte", "object": "System.Object", "void": "System.Void",
    "switch": "System.Management.Automation.SwitchParameter", "ordered": "ordered", "math": "System.Math",
    "guid": "System.Guid", "version": "System.Version", "timespan": "System.TimeSpan", "regex": "System.Text.RegularExpressions.Regex",
}


class Streams:
    """Where one command's records go: the client (through the PipelineContext), or its own
    output when the Command asked to merge that stream (MS-PSRP 2.2.3.11 MergeMyResult…)."""

    def __init__(self, ctx: t.Any, merges: dict[str, bool] | None = None) -> None:
        self.ctx = ctx
        self.merges = merges or {}
        self.pending: list[t.Any] = []

    def _merged(self, stream: str, record_factory: t.Callable[[], t.Any]) -> bool:
        if self.merges.get(stream):
            self.pending.append(record_factory())
            return True
        return False

    def error(self, record: t.Any) -> None:
        if not self._merged("error", lambda: record):
            self.ctx.write_error(record)

    def warning(self, message: str) -> None:
        from psrpcore.types import WarningRecord

        if not self._merged("warning", lambda: WarningRecord(Message=message)):
            self.ctx.write_warning(message)

    def verbose(self, message: str) -> None:
        from psrpcore.types import VerboseRecord

        if not self._merged("verbose", lambda: VerboseRecord(Message=message)):
            self.ctx.write_verbose(message)

    def debug(self, message: str) -> None:
        from psrpcore.types import DebugRecord

        if not self._merged("debug", lambda: DebugRecord(Message=message)):
            self.ctx.write_debug(message)

    def information(self, data: t.Any, source: str, tags: list[str] | None) -> None:
        if self.merges.get("information"):
            from psrpcore.types import InformationRecord

            self.pending.append(InformationRecord(MessageData=data, Source=source, Tags=tags or []))
            return
        self.ctx.write_information(data, source, tags)

    def progress(self, activity: str, activity_id: int, status: str, percent: int, completed: bool) -> None:
        self.ctx.write_progress(activity, activity_id, status, percent, completed)


_ARRAYLIST_TN = ["System.Collections.ArrayList", "System.Object"]


class Invocation:
    """One command in a running pipeline: what its implementation sees."""

    def __init__(self, interp: Interpreter, command: Command, bound: Bound, input_iter: t.Iterator[t.Any] | None,
                 streams: Streams, invocation_name: str) -> None:
        self.interp = interp
        self.command = command
        self.bound = bound
        self._input = input_iter
        self.streams = streams
        self.invocation_name = invocation_name

    @property
    def params(self) -> dict[str, t.Any]:
        return self.bound.params

    @property
    def ctx(self) -> t.Any:
        return self.interp.ctx

    @property
    def stopping(self) -> bool:
        return bool(getattr(self.interp.ctx, "stopping", False))

    @property
    def expecting_input(self) -> bool:
        return self._input is not None

    def input(self) -> t.Iterator[t.Any]:
        if self._input is None:
            return iter(())
        return self._input

    def each_input(self) -> t.Iterator[tuple[t.Any, dict[str, t.Any]]]:
        """(input object, parameters bound for it): ProcessRecord once per object, or once without
        input when the command is first in the pipeline."""
        binder = self.interp.engine.binder
        if self._input is None:
            yield None, self.bound.params
            return
        for obj in self._input:
            if self.stopping:
                return
            try:
                params = binder.bind_input(self.bound, obj)
            except EngineError as e:
                self.write_error(e.record)
                continue
            yield obj, params

    # records ------------------------------------------------------------------------------------

    def _pref(self, common: str, variable: str) -> str:
        v = self.params.get(common)
        if v is not None:
            return o.to_string(v)
        found, val = self.interp.scope.lookup(variable)
        return o.to_string(val) if found and val is not None else _PREFERENCE_DEFAULTS[variable.lower()]

    def invocation_info(self) -> t.Any:
        """InvocationInfo (MS-PSRP 2.2.3.15.1) of this command, as a cmdlet's WriteError adds it."""
        from psrpcore.types import CommandOrigin, CommandTypes, InvocationInfo, SessionStateEntryVisibility
        from psrpcore.types._complex import RemoteCommandInfo

        from .cmdlets import syntax

        cmd = self.command
        bound = o.make_dict(((k, o.to_wire(v)) for k, v in self.params.items()),
                            ["System.Collections.Generic.Dictionary`2[[System.String, mscorlib, Version=4.0.0.0, "
                             "Culture=neutral, PublicKeyToken=b77a5c561934e089],[System.Object, mscorlib, "
                             "Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089]]", "System.Object"])
        return InvocationInfo(
            BoundParameters=bound, CommandOrigin=CommandOrigin.Internal, DisplayScriptPosition=None,
            ExpectingInput=self.expecting_input, HistoryId=1, InvocationName=self.invocation_name, Line="",
            MyCommand=RemoteCommandInfo(CommandType=CommandTypes[cmd.command_type], Name=cmd.name,
                                        Definition=syntax(cmd) if cmd.command_type != "Alias" else
                                        cmd.resolved_command_name, Visibility=SessionStateEntryVisibility.Public),
            OffsetInLine=0, PipelineLength=1, PipelinePosition=1, PositionMessage="", PSCommandPath=None,
            PSScriptRoot="", ScriptLineNumber=0, ScriptName="", UnboundArguments=o.make_list([], _ARRAYLIST_TN))

    def attach_invocation_info(self, record: t.Any) -> None:
        if getattr(record, "InvocationInfo", None) is None and self.command is not None:
            record.InvocationInfo = self.invocation_info()
            record.PipelineIterationInfo = o.make_list([], _ARRAYLIST_TN)
            record.serialize_extended_info = True

    def write_error(self, record: t.Any) -> None:
        self.attach_invocation_info(record)
        pref = self._pref("ErrorAction", "ErrorActionPreference").lower()
        if pref in ("silentlycontinue", "ignore"):
            return
        if pref == "stop":
            raise EngineError(record, terminating=True)
        self.streams.error(record)

    def write_warning(self, message: str) -> None:
        pref = self._pref("WarningAction", "WarningPreference").lower()
        if pref in ("silentlycontinue", "ignore"):
            return
        self.streams.warning(message)

    def write_verbose(self, message: str) -> None:
        if self.params.get("Verbose") is True or (
                "Verbose" not in self.params and self._pref("", "VerbosePreference").lower() in ("continue", "inquire")):
            self.streams.verbose(message)

    def write_debug(self, message: str) -> None:
        if self.params.get("Debug") is True or (
                "Debug" not in self.params and self._pref("", "DebugPreference").lower() in ("continue", "inquire")):
            self.streams.debug(message)

    def write_information(self, data: t.Any, tags: list[str] | None = None) -> None:
        if self._pref("InformationAction", "InformationPreference").lower() == "ignore":
            return
        self.streams.information(data, self.command.name if self.command else "", tags)

    def write_progress(self, activity: str, activity_id: int, status: str, percent: int = -1,
                       completed: bool = False) -> None:
        if self._pref("", "ProgressPreference").lower() in ("silentlycontinue", "ignore"):
            return
        self.streams.progress(activity, activity_id, status, percent, completed)

    def host_call(self, method: t.Any, args: list[t.Any]) -> t.Any:
        return self.interp.ctx.host_call(method, args)

    def invoke_block(self, block: ScriptBlock, dollar_under: t.Any = None, args: list[t.Any] | None = None,
                     new_scope: bool = False, set_underscore: bool = True) -> t.Iterator[t.Any]:
        return self.interp.invoke_block(block, dollar_under, args or [], new_scope=new_scope,
                                        set_underscore=set_underscore)


class Interpreter:
    def __init__(self, engine: Engine, runspace: Runspace, ctx: t.Any) -> None:
        self.engine = engine
        self.runspace = runspace
        self.ctx = ctx
        self.scope = Scope(runspace.variables)
        self.streams = Streams(ctx)
        self.script_text = ""

    # -- scripts ------------------------------------------------------------------------------

    def in_frame(self, gen: t.Iterator[t.Any], scope: Scope, streams: Streams) -> t.Iterator[t.Any]:
        """Run a lazy pipeline stage in its own scope and streams. Stages are generators that
        interleave (each yields to the next), so the frame is set again on every resume."""
        while True:
            saved = (self.scope, self.streams)
            self.scope, self.streams = scope, streams
            try:
                item = next(gen)
            except StopIteration:
                return
            finally:
                self.scope, self.streams = saved
            yield item

    def run_script(self, script: ast.Script, args: list[Arg], input_iter: t.Iterator[t.Any] | None,
                   streams: Streams, use_local_scope: bool) -> t.Iterator[t.Any]:
        """A script Command: `param()` binds -name/positional args, `$args` gets the rest, `$input`
        the pipeline input; the script is dot-sourced into the runspace's global scope unless it
        asked for a local one (useLocalScope, MS-PSRP 2.2.3.11) or declares parameters."""
        local = use_local_scope or script.params is not None or bool(args)
        scope = Scope({}, self.scope, dot=not local)
        saved = self.scope
        self.scope = scope
        try:
            self._bind_script_args(script, args)
        finally:
            self.scope = saved

        def body() -> t.Iterator[t.Any]:
            try:
                yield from self.exec_body(script, input_iter, top_level=True)
            except ExitSignal:
                return

        return self.in_frame(body(), scope, streams)

    def exec_body(self, script: ast.Script, input_iter: t.Iterator[t.Any] | None,
                  top_level: bool = False) -> t.Iterator[t.Any]:
        """A script body: plain (the end block, `$input` = all input) or begin/process/end, where
        process runs once per input object with `$_` (once with no input when there is none)."""
        blocks = script.named_blocks
        if blocks is None:
            self.scope.set("input", input_iter if input_iter is not None else iter(()))
            try:
                yield from self.exec_statements(script.statements, top_level=top_level)
            except ReturnSignal as r:
                yield from r.values
            return
        self.scope.set("input", iter(()))
        for name in ("begin", "process", "end"):
            block = blocks.get(name)
            if name == "process":
                items: t.Iterable[t.Any] = input_iter if input_iter is not None else [None]
                for item in items:
                    if block is None:
                        continue
                    self.scope.set("_", item)
                    self.scope.set("input", iter([item] if input_iter is not None else []))
                    try:
                        yield from self.exec_statements(block.statements, top_level=top_level)
                    except ReturnSignal as r:
                        yield from r.values
                continue
            if block is None:
                continue
            self.scope.set("input", iter(()))
            try:
                yield from self.exec_statements(block.statements, top_level=top_level)
            except ReturnSignal as r:
                yield from r.values

    def _bind_script_args(self, script: ast.Script, args: list[Arg]) -> None:
        decls = script.params or []
        named: dict[str, t.Any] = {}
        positional: list[t.Any] = []
        i = 0
        while i < len(args):
            a = args[i]
            if a.name is not None:
                match = [d for d in decls if d.name.lower() == a.name.lower()] or [
                    d for d in decls if d.name.lower().startswith(a.name.lower())]
                if len(match) != 1:
                    if not decls:
                        positional.append(a.text or f"-{a.name}")
                        i += 1
                        continue
                    raise EngineError(error_record(
                        f"A parameter cannot be found that matches parameter name '{a.name}'.",
                        "NamedParameterNotFound", ErrorCategory.InvalidArgument,
                        exception="ParameterBindingException"))
                d = match[0]
                if a.has_value:
                    named[d.name.lower()] = a.value
                elif d.type and d.type.lower() == "switch":
                    named[d.name.lower()] = True
                elif i + 1 < len(args) and args[i + 1].name is None:
                    named[d.name.lower()] = args[i + 1].value
                    i += 1
                else:
                    raise EngineError(error_record(
                        f"Missing an argument for parameter '{d.name}'. Specify a parameter of type "
                        f"'{TYPE_ACCELERATORS.get((d.type or 'object').lower(), d.type or 'System.Object')}' and "
                        "try again.", "MissingArgument", ErrorCategory.InvalidArgument,
                        exception="ParameterBindingException"))
            else:
                positional.append(a.value)
            i += 1
        for d in decls:
            key = d.name.lower()
            if key in named:
                value = named[key]
            elif positional:
                value = positional.pop(0)
            elif d.mandatory:
                raise EngineError(error_record(
                    f"Cannot process command because of one or more missing mandatory parameters: {d.name}.",
                    "MissingMandatoryParameter", ErrorCategory.InvalidArgument, exception="ParameterBindingException"))
            elif d.default is not None:
                value = self.eval(d.default)
            else:
                value = None
            if d.type:
                value = self.cast(d.type, value, d.pos)
            self.scope.set(d.name, value)
        self.scope.set("args", list(positional))

    def exec_statements(self, statements: list[ast.Node], top_level: bool = False) -> t.Iterator[t.Any]:
        for st in statements:
            if getattr(self.ctx, "stopping", False):
                return
            try:
                yield from self.exec_statement(st)
            except EngineError as e:
                if e.terminating or not top_level:
                    raise
                # statement-terminating: reported, and the script goes on (about_Throw)
                self.streams.error(e.record)

    def exec_statement(self, st: ast.Node) -> t.Iterator[t.Any]:
        if isinstance(st, ast.Assign):
            self.assign(st)
            return
        if isinstance(st, ast.Pipeline):
            yield from self.run_pipeline(st)
            return
        if isinstance(st, ast.If):
            for cond, body in st.clauses:
                if o.is_true(self.pipeline_value(cond)):
                    yield from self.exec_statements(body.statements)
                    return
            if st.else_block is not None:
                yield from self.exec_statements(st.else_block.statements)
            return
        if isinstance(st, ast.Foreach):
            for item in list(o.enumerate_value(self.pipeline_value(st.iterable))):
                self.scope.set(st.var, item)
                try:
                    yield from self.exec_statements(st.body.statements)
                except LoopSignal as sig:
                    if sig.kind == "break":
                        break
            return
        if isinstance(st, ast.Flow):
            values = list(self.run_pipeline(st.value)) if st.value is not None else []
            if st.kind == "return":
                raise ReturnSignal(values)
            if st.kind == "throw":
                raise self.throw(values, st.pos)
            if st.kind == "exit":
                raise ExitSignal()
            raise LoopSignal(st.kind)
        yield from o.enumerate_value(self.eval(st))

    def throw(self, values: list[t.Any], pos: int) -> EngineError:
        v = values[0] if len(values) == 1 else (values or None)
        if isinstance(v, PSObject) and "System.Management.Automation.ErrorRecord" in o.type_names(v):
            return EngineError(v, terminating=True)
        msg = o.to_string(v) if v is not None else "ScriptHalted"
        rec = error_record(msg, msg, ErrorCategory.OperationStopped, exception="RuntimeException",
                           target_object=v)
        return EngineError(rec, terminating=True)

    def assign(self, st: ast.Assign) -> None:
        value = self.statement_value(st.value)
        if st.op != "=":
            current = self.eval(st.target)
            value = self.binary(st.op[0], current, value, st.pos)
        target = st.target
        if isinstance(target, ast.Var):
            if target.name.lower() in _CONSTANTS:
                raise runtime_error(f"Cannot overwrite variable {target.name} because it is read-only or constant.",
                                    "VariableNotWritable", ErrorCategory.WriteError)
            self.scope.set(target.name, value)
        elif isinstance(target, ast.Member):
            obj = self.eval(target.obj)
            name = target.name if isinstance(target.name, str) else o.to_string(self.eval(target.name))
            self.set_member(obj, name, value)
        elif isinstance(target, ast.Index):
            obj = self.eval(target.obj)
            idx = self.eval(target.index)
            if isinstance(obj, (dict, PSDict)):
                obj[idx] = value
            elif isinstance(obj, list):
                obj[int(o.plain(idx))] = value
            else:
                raise runtime_error("Unable to index into an object of type "
                                    f"{o.type_names(obj)[0] if obj is not None else 'null'}.", "CannotIndex")

    def set_member(self, obj: t.Any, name: str, value: t.Any) -> None:
        from .host import RemoteHostRawUI

        if isinstance(obj, RemoteHostRawUI) and obj.set_member(name, value):
            return
        if isinstance(obj, (dict, PSDict)):
            for k in list(obj.keys()):
                if str(k).lower() == name.lower():
                    obj[k] = value
                    return
            obj[name] = value
            return
        if isinstance(obj, PSObject):
            for p in list(obj.PSObject.extended_properties) + list(obj.PSObject.adapted_properties):
                if p.name.lower() == name.lower():
                    p.set_value(value, obj)
                    return
        raise runtime_error(f"The property '{name}' cannot be found on this object. Verify that the property exists "
                            "and can be set.", "PropertyAssignmentException", ErrorCategory.InvalidOperation)

    def statement_value(self, node: ast.Node) -> t.Any:
        """The value of the right-hand side of `=`: an expression's value as is; a pipeline's output
        collected ($null, the single object, or object[])."""
        if isinstance(node, ast.Pipeline) and len(node.elements) == 1 and not isinstance(
                node.elements[0], ast.CommandNode):
            value = self.eval(node.elements[0])
            return None if value is o.VOID else value
        if isinstance(node, ast.Assign):
            self.assign(node)
            return self.eval(node.target)
        out = list(self.exec_statement(node))
        if not out:
            return None
        return out[0] if len(out) == 1 else out

    def pipeline_value(self, node: ast.Node) -> t.Any:
        return self.statement_value(node)

    # -- pipelines -----------------------------------------------------------------------------------

    def run_pipeline(self, pl: ast.Node) -> t.Iterator[t.Any]:
        if not isinstance(pl, ast.Pipeline):
            yield from o.enumerate_value(self.eval(pl))
            return
        stream: t.Iterator[t.Any] | None = None
        for i, el in enumerate(pl.elements):
            if isinstance(el, ast.CommandNode):
                stream = self.run_command_node(el, stream)
            else:
                value = self.eval(el)
                # an enumerator ($input) streams; other values are unrolled one level
                stream = o.enumerate_value(value) if isinstance(value, collections.abc.Iterator) \
                    else iter(list(o.enumerate_value(value)))
        if stream is not None:
            yield from stream

    def run_command_node(self, node: ast.CommandNode, input_iter: t.Iterator[t.Any] | None) -> t.Iterator[t.Any]:
        args = self.eval_args(node.args)
        target = node.name
        if not isinstance(target, str):
            target = self.eval(target)
        if isinstance(target, ScriptBlock):
            return self.invoke_block_command(target, args, input_iter, new_scope=node.invoke_op != ".")
        name = o.to_string(target)
        return self.invoke_command(name, args, input_iter, self.streams)

    def eval_args(self, cargs: list[ast.CmdArg]) -> list[Arg]:
        out: list[Arg] = []
        for a in cargs:
            if a.kind == "param":
                if a.value is not None:
                    out.append(Arg(self.eval(a.value), a.name, True, a.text))
                else:
                    out.append(Arg(None, a.name, False, a.text))
            else:
                assert a.value is not None
                if isinstance(a.value, ast.Var) and a.value.splat:
                    found, v = self.scope.lookup(a.value.name)
                    if isinstance(v, (dict, PSDict)):
                        for k, val in v.items():
                            out.append(Arg(val, o.to_string(k), True))
                    elif isinstance(v, list):
                        out.extend(Arg(x) for x in v)
                    continue
                out.append(Arg(self.eval(a.value)))
        return out

    def invoke_command(self, name: str, args: list[Arg], input_iter: t.Iterator[t.Any] | None,
                       streams: Streams) -> t.Iterator[t.Any]:
        cmd = self.engine.resolve_command(self.runspace, name)
        if cmd is None:
            raise command_not_found(name)
        if cmd.impl is None:
            raise runtime_error(
                f"The command '{cmd.name}' is described by this endpoint's catalog but it has no behaviour here.",
                "CommandNotImplemented", ErrorCategory.NotImplemented, activity=cmd.name,
                exception="InvalidOperationException")
        unbindable = None
        if input_iter is not None and not _takes_pipeline_input(cmd):
            # Nothing can take the input: each object is an InputObjectNotBound error and the
            # command runs without input (CmdletParameterBinderController).
            unbindable, input_iter = input_iter, None
        try:
            bound = self.engine.binder.bind(cmd, args, expects_input=input_iter is not None)
        except EngineError as e:
            # a ParameterBindingException carries the command's InvocationInfo too
            empty = Bound(cmd, {}, [], [])
            Invocation(self, cmd, empty, input_iter, streams, name).attach_invocation_info(e.record)
            raise
        inv = Invocation(self, cmd, bound, input_iter, streams, name)

        def stage() -> t.Iterator[t.Any]:
            if unbindable is not None:
                self._unbindable_input(cmd, unbindable, streams)
            yield from cmd.impl(inv)  # type: ignore[misc]

        return self.in_frame(self._drain(stage(), streams), self.scope, self.streams)

    def _unbindable_input(self, cmd: Command, input_iter: t.Iterator[t.Any], streams: Streams) -> None:
        from .errors import binding_error

        for obj in input_iter:
            streams.error(binding_error(
                "The input object cannot be bound to any parameters for the command either because the command "
                "does not take pipeline input or the input and its properties do not match any of the parameters "
                "that take pipeline input.", "InputObjectNotBound", cmd, target_object=obj).record)

    def _drain(self, gen: t.Iterator[t.Any], streams: Streams) -> t.Iterator[t.Any]:
        """Interleave records merged into output with the command's own output, in order."""
        for item in gen:
            if streams.pending:
                yield from streams.pending
                streams.pending.clear()
            yield item
        if streams.pending:
            yield from streams.pending
            streams.pending.clear()

    def invoke_block_command(self, block: ScriptBlock, args: list[Arg], input_iter: t.Iterator[t.Any] | None,
                             new_scope: bool) -> t.Iterator[t.Any]:
        """`& { … }` (a child scope) or `. { … }` (dot-sourced) as a pipeline stage."""
        scope = Scope({}, self.scope, dot=not new_scope)
        saved = self.scope
        self.scope = scope
        try:
            self._bind_script_args(block.ast, args)
        finally:
            self.scope = saved
        return self.in_frame(self.exec_body(block.ast, input_iter), scope, self.streams)

    def invoke_block(self, block: ScriptBlock, dollar_under: t.Any, args: list[t.Any], new_scope: bool = False,
                     set_underscore: bool = True) -> t.Iterator[t.Any]:
        """A script block run by Where-Object/ForEach-Object: `$_` set in the block's own frame;
        dot-sourced as PowerShell runs those blocks (other assignments reach the caller)."""
        scope = Scope({}, self.scope, dot=not new_scope)
        if set_underscore:
            scope.vars["_"] = dollar_under
            scope.vars["psitem"] = dollar_under
        if block.ast.params is not None or args:
            scope = Scope({}, scope)
            saved = self.scope
            self.scope = scope
            try:
                self._bind_script_args(block.ast, [Arg(a) for a in args])
            finally:
                self.scope = saved
        return self.in_frame(self.exec_body(block.ast, None), scope, self.streams)

    # -- expressions ---------------------------------------------------------------------------

    def eval(self, node: ast.Node) -> t.Any:
        m = getattr(self, "eval_" + type(node).__name__, None)
        if m is None:
            raise runtime_error(f"Unsupported expression {type(node).__name__}.", "UnsupportedExpression")
        return m(node)

    def eval_Pipeline(self, node: ast.Pipeline) -> t.Any:
        return self.statement_value(node)

    def eval_Assign(self, node: ast.Assign) -> t.Any:
        self.assign(node)
        return None

    def eval_Const(self, node: ast.Const) -> t.Any:
        return node.value

    def eval_Expand(self, node: ast.Expand) -> t.Any:
        out = []
        for p in node.parts:
            if isinstance(p, str):
                out.append(p)
            else:
                v = self.eval(p)
                if isinstance(p, ast.SubExpr) and isinstance(v, list):
                    out.append(" ".join(o.to_string(x) for x in v))
                else:
                    out.append(o.to_string(v))
        return "".join(out)

    def eval_Var(self, node: ast.Var) -> t.Any:
        name = node.name.lower()
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if name == "psitem":
            name = "_"
        found, v = self.scope.lookup(name)
        if found:
            return v
        if name in _PREFERENCE_DEFAULTS:
            return _PREFERENCE_DEFAULTS[name]
        if name == "host":
            from .host import RemoteHost

            return RemoteHost(self)
        return self.engine.automatic_variable(self.runspace, name)

    def eval_Member(self, node: ast.Member) -> t.Any:
        obj = self.eval(node.obj)
        name = node.name if isinstance(node.name, str) else o.to_string(self.eval(node.name))
        if node.static:
            return self.static_member(obj, name)
        from .host import HOST_TYPES

        if isinstance(obj, HOST_TYPES):
            return obj.member(name)
        return o.get_property(obj, name)

    def static_member(self, ty: t.Any, name: str) -> t.Any:
        tname = ty.type if isinstance(ty, ast.TypeLit) else o.to_string(ty)
        full = TYPE_ACCELERATORS.get(tname.lower(), tname)
        values = self.engine.enum_values(full)
        if values is not None:
            for k in values:
                if k.lower() == name.lower():
                    return o.enum_value(full, values, k)
        from .binder import _NUMERIC

        if full in _NUMERIC and name.lower() in ("maxvalue", "minvalue") and _NUMERIC[full][1] is not None:
            _, lo, hi = _NUMERIC[full]
            return hi if name.lower() == "maxvalue" else lo
        if full == "System.DateTime" and name.lower() == "now":
            return datetime.datetime.now()
        raise runtime_error(f"Unable to find type [{tname}].", "TypeNotFound", ErrorCategory.InvalidOperation)

    def eval_TypeLit(self, node: ast.TypeLit) -> t.Any:
        return node

    def eval_Index(self, node: ast.Index) -> t.Any:
        obj = self.eval(node.obj)
        idx = self.eval(node.index)
        if isinstance(obj, (dict, PSDict)):
            if isinstance(idx, list):
                return [self._index_dict(obj, i) for i in idx]
            return self._index_dict(obj, idx)
        if obj is None:
            raise runtime_error("Cannot index into a null array.", "NullArray", ErrorCategory.InvalidOperation)
        seq: t.Any = obj if isinstance(obj, (list, str)) else [obj]
        if isinstance(idx, list):
            return [self._index_seq(seq, i) for i in idx]
        return self._index_seq(seq, idx)

    def _index_dict(self, d: t.Any, key: t.Any) -> t.Any:
        for k in d.keys():
            if o.to_string(k).lower() == o.to_string(key).lower():
                return d[k]
        return None

    def _index_seq(self, seq: t.Any, idx: t.Any) -> t.Any:
        try:
            i = int(o.plain(idx))
        except (TypeError, ValueError):
            return None
        if -len(seq) <= i < len(seq):
            return seq[i]
        return None

    def eval_Call(self, node: ast.Call) -> t.Any:
        obj = self.eval(node.obj)
        args = [self.eval(a) for a in node.args]
        name = node.name.lower()
        if node.static:
            tname = node.obj.type if isinstance(node.obj, ast.TypeLit) else o.to_string(obj)
            return self.static_call(tname, name, args)
        from .host import HOST_TYPES

        if isinstance(obj, HOST_TYPES):
            return obj.method(node.name, args)
        if isinstance(obj, str) or (isinstance(obj, PSObject) and isinstance(obj, str)):
            s = str.__str__(obj)
            fn = _STRING_METHODS.get(name)
            if fn is not None:
                return fn(s, *args)
        if name == "tostring":
            if isinstance(obj, datetime.datetime) and args:
                return _dotnet_date_format(obj, o.to_string(args[0]))
            return o.to_string(obj)
        if name == "gettype":
            return o.type_names(obj)[0] if obj is not None else None
        if isinstance(obj, datetime.datetime):
            if name == "adddays":
                return obj + datetime.timedelta(days=float(o.plain(args[0])))
            if name == "addhours":
                return obj + datetime.timedelta(hours=float(o.plain(args[0])))
        if isinstance(obj, (list,)) and name == "contains":
            return any(self.compare("eq", x, args[0]) for x in obj)
        if isinstance(obj, (dict, PSDict)):
            if name == "containskey":
                return any(o.to_string(k).lower() == o.to_string(args[0]).lower() for k in obj.keys())
            if name == "add":
                obj[args[0]] = args[1]
                return o.VOID
        raise runtime_error(
            f"Method invocation failed because [{o.type_names(obj)[0] if obj is not None else 'null'}] does not "
            f"contain a method named '{node.name}'.", "MethodNotFound", ErrorCategory.InvalidOperation)

    def static_call(self, tname: str, name: str, args: list[t.Any]) -> t.Any:
        full = TYPE_ACCELERATORS.get(tname.lower(), tname)
        if full == "System.Math":
            fns: dict[str, t.Callable[..., t.Any]] = {
                "round": lambda x, d=0: round(float(o.plain(x)), int(o.plain(d))) if d else _round_half_even(x),
                "floor": lambda x: float(int(float(o.plain(x)) // 1)),
                "ceiling": lambda x: float(-int(-float(o.plain(x)) // 1)),
                "abs": lambda x: abs(o.plain(x)), "max": lambda a, b: max(o.plain(a), o.plain(b)),
                "min": lambda a, b: min(o.plain(a), o.plain(b)), "sqrt": lambda x: float(o.plain(x)) ** 0.5,
                "pow": lambda a, b: float(o.plain(a)) ** float(o.plain(b)),
            }
            if name in fns:
                return fns[name](*args)
        if full == "System.String" and name == "join":
            return o.to_string(args[0]).join(o.to_string(x) for x in (args[1] if isinstance(args[1], list) else args[1:]))
        if full == "System.String" and name == "isnullorempty":
            return args[0] is None or o.to_string(args[0]) == ""
        raise runtime_error(f"Method invocation failed because [{full}] does not contain a method named '{name}'.",
                            "MethodNotFound", ErrorCategory.InvalidOperation)

    def eval_ArrayLit(self, node: ast.ArrayLit) -> t.Any:
        return [self.eval(i) for i in node.items]

    def eval_SubExpr(self, node: ast.SubExpr) -> t.Any:
        out = list(self.exec_statements(node.statements))
        if node.array:
            return out
        if not out:
            return None
        return out[0] if len(out) == 1 else out

    def eval_Paren(self, node: ast.Paren) -> t.Any:
        return self.statement_value(node.pipeline)

    def eval_HashLit(self, node: ast.HashLit) -> t.Any:
        d: dict[t.Any, t.Any] = {}
        for k, v in node.pairs:
            key = self.eval(k)
            value = self.statement_value(v)
            for existing in d:
                if o.to_string(existing).lower() == o.to_string(key).lower():
                    raise runtime_error(f"Duplicate keys '{o.to_string(key)}' are not allowed in hash literals.",
                                        "DuplicateKeyInHashLiteral", ErrorCategory.ParserError)
            d[key] = value
        return d

    def eval_BlockLit(self, node: ast.BlockLit) -> t.Any:
        return node.block

    def eval_Cast(self, node: ast.Cast) -> t.Any:
        if node.type.lower() in ("pscustomobject", "psobject") and isinstance(node.operand, ast.HashLit):
            d = self.eval(node.operand)
            if node.type.lower() == "pscustomobject":
                type_name = None
                props = []
                for k, v in d.items():
                    if o.to_string(k).lower() == "pstypename":
                        type_name = o.to_string(v)
                    else:
                        props.append((o.to_string(k), o.to_wire(v)))
                names = [type_name, "System.Management.Automation.PSCustomObject", "System.Object"] if type_name \
                    else ["System.Management.Automation.PSCustomObject", "System.Object"]
                return o.make_custom(props, names)
        if node.type.lower() == "ordered":
            return self.eval(node.operand)
        return self.cast(node.type, self.eval(node.operand), node.pos)

    def cast(self, type_name: str, value: t.Any, pos: int) -> t.Any:
        low = type_name.lower()
        full = TYPE_ACCELERATORS.get(low, type_name)
        if full in ("System.Object", "System.Management.Automation.PSObject"):
            return value
        if full == "System.Void":
            return o.VOID
        if full == "System.Management.Automation.PSCustomObject":
            if isinstance(value, (dict, PSDict)):
                return o.make_custom([(o.to_string(k), o.to_wire(v)) for k, v in value.items()],
                                     ["System.Management.Automation.PSCustomObject", "System.Object"])
            return value
        if full == "System.Array" or full == "System.Object[]":
            return list(value) if o.is_collection(value) else ([] if value is None else [value])
        if full == "System.Collections.Hashtable":
            if isinstance(value, (dict, PSDict)):
                return value
        from .binder import _ConversionError

        try:
            return self.engine.binder._convert(full, value)
        except _ConversionError as e:
            raise runtime_error(
                f"Cannot convert value \"{o.to_string(value)}\" to type \"{e.target}\". Error: \"{e.detail}\"",
                "InvalidCastFromStringToInteger" if "Int" in full else "ConvertToFinalInvalidCastException",
                ErrorCategory.InvalidArgument)

    def eval_Unary(self, node: ast.Unary) -> t.Any:
        v = self.eval(node.operand)
        if node.op == "not":
            return not o.is_true(v)
        if node.op == "-":
            n = self._num(v, node.pos)
            return -n
        if node.op == "+":
            return self._num(v, node.pos)
        if node.op == "bnot":
            return ~int(self._num(v, node.pos))
        if node.op == "join":
            return "".join(o.to_string(x) for x in (v if isinstance(v, list) else [v]))
        if node.op == "split":
            return o.to_string(v).split()
        raise runtime_error(f"Unsupported operator -{node.op}.", "UnsupportedOperator")

    def eval_BinOp(self, node: ast.BinOp) -> t.Any:
        op = node.op
        if op == "and":
            return o.is_true(self.eval(node.left)) and o.is_true(self.eval(node.right))
        if op == "or":
            return o.is_true(self.eval(node.left)) or o.is_true(self.eval(node.right))
        left = self.eval(node.left)
        if op in ("is", "isnot", "as") and isinstance(node.right, ast.TypeLit):
            full = TYPE_ACCELERATORS.get(node.right.type.lower(), node.right.type)
            names = [n.replace("Deserialized.", "", 1) for n in o.type_names(left)]
            if op == "as":
                try:
                    return self.cast(node.right.type, left, node.pos)
                except EngineError:
                    return None
            return (full in names) == (op == "is")
        right = self.eval(node.right)
        if op == "xor":
            return o.is_true(left) != o.is_true(right)
        if op in "+-*/%":
            return self.binary(op, left, right, node.pos)
        if op == "..":
            a, b = int(self._num(left, node.pos)), int(self._num(right, node.pos))
            _check_size(abs(b - a) + 1, "range")
            return list(range(a, b + 1)) if a <= b else list(range(a, b - 1, -1))
        if op == "f":
            return _format(o.to_string(left), right if isinstance(right, list) else [right])
        return self.comparison(op, left, right, node.pos)

    # -- operators -----------------------------------------------------------------------------------

    def _num(self, v: t.Any, pos: int) -> t.Any:
        v = o.plain(v)
        if isinstance(v, enum.Enum):
            return int(v.value)
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, (int, float, decimal.Decimal)):
            return v
        if v is None:
            return 0
        if isinstance(v, str):
            s = v.strip()
            if s == "":
                return 0
            n = ast._parse_number(s)
            if n is not None:
                return n
        raise runtime_error(f"Cannot convert value \"{o.to_string(v)}\" to type \"System.Int32\". Error: \"Input "
                            "string was not in a correct format.\"", "InvalidCastFromStringToInteger",
                            ErrorCategory.InvalidArgument)

    def binary(self, op: str, left: t.Any, right: t.Any, pos: int) -> t.Any:
        left_p = o.plain(left)
        if op == "+":
            if isinstance(left, list):
                return list(left) + (list(right) if isinstance(right, list) else [right])
            if isinstance(left_p, str):
                return left_p + o.to_string(right)
            if isinstance(left, (dict, PSDict)) and isinstance(right, (dict, PSDict)):
                d = dict(left)
                d.update(right)
                return d
            if isinstance(left, datetime.datetime) and isinstance(right, datetime.timedelta):
                return _as_datetime(left) + right
            if isinstance(left, datetime.timedelta) and isinstance(right, datetime.timedelta):
                return _as_timedelta(left) + right
            return _arith(self._num(left, pos), self._num(right, pos), op)
        if op == "-" and isinstance(left, datetime.datetime):
            if isinstance(right, datetime.datetime):
                a, b = _as_datetime(left), _as_datetime(right)
                if (a.tzinfo is None) != (b.tzinfo is None):
                    a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
                return a - b  # a TimeSpan
            if isinstance(right, datetime.timedelta):
                return _as_datetime(left) - right
        if op == "*" and isinstance(left_p, str):
            times = int(self._num(right, pos))
            _check_size(len(left_p) * max(times, 0), "string")
            return left_p * times
        if op == "*" and isinstance(left, list):
            times = int(self._num(right, pos))
            _check_size(len(left) * max(times, 0), "array")
            return list(left) * times
        a, b = self._num(left, pos), self._num(right, pos)
        if op in "/%" and b == 0:
            raise runtime_error("Attempted to divide by zero.", "RuntimeException", ErrorCategory.NotSpecified)
        return _arith(a, b, op)

    def comparison(self, op: str, left: t.Any, right: t.Any, pos: int) -> t.Any:
        case = False
        base = op
        if op[0] in "ic" and op[1:] in ast.COMPARISON_OPS:
            case = op[0] == "c"
            base = op[1:]
        if base == "replace":
            args = right if isinstance(right, list) else [right]
            pattern = o.to_string(args[0])
            repl = o.to_string(args[1]) if len(args) > 1 else ""
            repl = re.sub(r"\$(\d+)", r"\\\1", repl)
            flags = 0 if case else re.IGNORECASE
            if isinstance(left, list):
                return [re.sub(pattern, repl, o.to_string(x), flags=flags) for x in left]
            return re.sub(pattern, repl, o.to_string(left), flags=flags)
        if base == "split":
            flags = 0 if case else re.IGNORECASE
            return re.split(o.to_string(right), o.to_string(left), flags=flags)
        if base == "join":
            items = left if isinstance(left, list) else [left]
            return o.to_string(right).join(o.to_string(x) for x in items)
        if base in ("contains", "notcontains"):
            items = left if isinstance(left, list) else [left]
            found = any(self.compare("eq", x, right, case) for x in items)
            return found if base == "contains" else not found
        if base in ("in", "notin"):
            items = right if isinstance(right, list) else [right]
            found = any(self.compare("eq", x, left, case) for x in items)
            return found if base == "in" else not found
        if isinstance(left, list):
            # comparison operators filter a collection on the left (about_Comparison_Operators)
            return [x for x in left if self.compare(base, x, right, case)]
        if base in ("match", "notmatch"):
            s = o.to_string(left)
            m = re.search(o.to_string(right), s, 0 if case else re.IGNORECASE)
            if base == "match":
                if m:
                    self.scope.set("matches", {**{0: m.group(0)}, **{i + 1: g for i, g in enumerate(m.groups())},
                                               **m.groupdict()})
                return m is not None
            return m is None
        return self.compare(base, left, right, case)

    def compare(self, op: str, left: t.Any, right: t.Any, case: bool = False) -> bool:
        if op in ("like", "notlike"):
            from .catalog import compile_wildcard

            rx = compile_wildcard(o.to_string(right))
            ok = bool(rx.match(o.to_string(left))) if not case else bool(
                re.match(rx.pattern, o.to_string(left), re.DOTALL))
            return ok if op == "like" else not ok
        if op in ("match", "notmatch"):
            m = re.search(o.to_string(right), o.to_string(left), 0 if case else re.IGNORECASE)
            return (m is not None) == (op == "match")
        lv, rv = _coerce_pair(left, right)
        if op == "eq":
            return _eq(lv, rv, case)
        if op == "ne":
            return not _eq(lv, rv, case)
        try:
            if isinstance(lv, str) and isinstance(rv, str) and not case:
                lv, rv = lv.lower(), rv.lower()
            if lv is None or rv is None:
                lv2 = "" if lv is None else lv
                rv2 = "" if rv is None else rv
                if isinstance(lv2, str) != isinstance(rv2, str):
                    lv2, rv2 = (0 if lv is None else lv), (0 if rv is None else rv)
                lv, rv = lv2, rv2
            if op == "gt":
                return bool(lv > rv)
            if op == "lt":
                return bool(lv < rv)
            if op == "ge":
                return bool(lv >= rv)
            if op == "le":
                return bool(lv <= rv)
        except TypeError:
            raise runtime_error(f"Cannot compare \"{o.to_string(left)}\" because it is not IComparable.",
                                "NotIcomparable", ErrorCategory.InvalidOperation)
        raise runtime_error(f"Unsupported operator -{op}.", "UnsupportedOperator")


# Bounds that keep one script from exhausting the endpoint's memory (a Windows host would
# try and page); beyond them the statement fails with an ErrorRecord.
MAX_COLLECTION = 10_000_000


def _check_size(n: int, what: str) -> None:
    if n > MAX_COLLECTION:
        raise runtime_error(f"The {what} would have {n} elements; this endpoint allows at most {MAX_COLLECTION}.",
                            "EndpointLimitExceeded", ErrorCategory.LimitsExceeded)


def _as_datetime(d: datetime.datetime) -> datetime.datetime:
    return datetime.datetime(d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond, d.tzinfo)


def _as_timedelta(d: datetime.timedelta) -> datetime.timedelta:
    return datetime.timedelta(days=d.days, seconds=d.seconds, microseconds=d.microseconds)


def _takes_pipeline_input(cmd: Command) -> bool:
    return any(m.value_from_pipeline or m.value_from_pipeline_by_property_name
               for p in cmd.parameters for m in p.sets)


def _coerce_pair(left: t.Any, right: t.Any) -> tuple[t.Any, t.Any]:
    """Convert the right operand to the left operand's type, as PowerShell's comparison does."""
    if isinstance(left, enum.Enum):
        if isinstance(o.plain(right), str):
            return o.to_string(left).lower(), o.plain(right).lower()
        if isinstance(right, enum.Enum):
            return int(left.value), int(right.value)
        return int(left.value), o.plain(right)
    lp, rp = o.plain(left), o.plain(right)
    if lp is None or rp is None:
        return lp, rp
    if isinstance(lp, bool):
        return lp, o.is_true(rp)
    if isinstance(lp, (int, float, decimal.Decimal)):
        if isinstance(rp, enum.Enum):
            return lp, int(rp.value)
        if isinstance(rp, str):
            n = ast._parse_number(rp.strip())
            return (lp, n) if n is not None else (o.to_string(lp), rp)
        if isinstance(rp, bool):
            return lp, int(rp)
        return lp, rp
    if isinstance(lp, str):
        return lp, o.to_string(right)
    if isinstance(lp, datetime.datetime):
        if isinstance(rp, datetime.datetime) and (lp.tzinfo is None) != (rp.tzinfo is None):
            # a Local DateTime against an Unspecified one compares wall-clock times, as .NET does
            def naive(d: datetime.datetime) -> datetime.datetime:
                return d.astimezone().replace(tzinfo=None) if d.tzinfo else d

            return naive(lp), naive(rp)
        if isinstance(rp, str):
            try:
                return lp, datetime.datetime.fromisoformat(rp)
            except ValueError:
                return o.to_string(lp), rp
        return lp, rp
    if isinstance(left, PSObject) and isinstance(rp, str):
        return o.to_string(left), rp
    return left, right


def _eq(a: t.Any, b: t.Any, case: bool) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a == b if case else a.lower() == b.lower()
    if a is None or b is None:
        return a is None and b is None
    try:
        return bool(a == b)
    except Exception:
        return a is b


def _arith(a: t.Any, b: t.Any, op: str) -> t.Any:
    if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
        a, b = decimal.Decimal(a), decimal.Decimal(b)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "%":
        if isinstance(a, int) and isinstance(b, int):
            return a - b * int(a / b) if abs(a) < 2**52 else int(decimal.Decimal(a) % decimal.Decimal(b))
        return math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else a % b  # .NET: sign of a
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b
    return a / b


def _round_half_even(x: t.Any) -> float:
    return float(round(float(o.plain(x))))


def _format(fmt: str, args: list[t.Any]) -> str:
    """`-f` with .NET composite format items `{0}`, `{0,5}`, `{0:N2}` (common cases)."""
    def repl(m: re.Match[str]) -> str:
        idx = int(m.group(1))
        v = args[idx] if idx < len(args) else None
        spec = m.group(3)
        if spec:
            kind, digits = spec[0].upper(), spec[1:]
            n = o.plain(v)
            if kind == "N" and isinstance(n, (int, float)):
                s = f"{n:,.{int(digits or 2)}f}"
            elif kind == "F" and isinstance(n, (int, float)):
                s = f"{n:.{int(digits or 2)}f}"
            elif kind == "D" and isinstance(n, int):
                s = str(n).zfill(int(digits or 0))
            elif kind == "X" and isinstance(n, int):
                s = format(n, "X" if spec[0] == "X" else "x").zfill(int(digits or 0))
            else:
                s = o.to_string(v)
        else:
            s = o.to_string(v)
        if m.group(2):
            width = int(m.group(2))
            s = s.rjust(width) if width > 0 else s.ljust(-width)
        return s

    out = re.sub(r"\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}", repl, fmt.replace("{{", "\0").replace("}}", "\1"))
    return out.replace("\0", "{").replace("\1", "}")


def _dotnet_date_format(d: datetime.datetime, fmt: str) -> str:
    mapping = [("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")]
    out = fmt
    if fmt == "o":
        return d.isoformat()
    for a, b in mapping:
        out = out.replace(a, b)
    return d.strftime(out)


_STRING_METHODS: dict[str, t.Callable[..., t.Any]] = {
    "toupper": lambda s, *a: s.upper(),
    "tolower": lambda s, *a: s.lower(),
    "trim": lambda s, *a: s.strip(o.to_string(a[0])) if a else s.strip(),
    "trimstart": lambda s, *a: s.lstrip(o.to_string(a[0])) if a else s.lstrip(),
    "trimend": lambda s, *a: s.rstrip(o.to_string(a[0])) if a else s.rstrip(),
    "startswith": lambda s, x, *a: s.startswith(o.to_string(x)),
    "endswith": lambda s, x, *a: s.endswith(o.to_string(x)),
    "contains": lambda s, x, *a: o.to_string(x) in s,
    "replace": lambda s, a, b: s.replace(o.to_string(a), o.to_string(b)),
    "split": lambda s, sep=None, *a: s.split(o.to_string(sep)) if sep is not None and len(o.to_string(sep)) > 0 else s.split(),
    "substring": lambda s, start, length=None: s[int(o.plain(start)):] if length is None
    else s[int(o.plain(start)):int(o.plain(start)) + int(o.plain(length))],
    "indexof": lambda s, x, *a: s.find(o.to_string(x)),
    "padleft": lambda s, n, c=" ": s.rjust(int(o.plain(n)), o.to_string(c)),
    "padright": lambda s, n, c=" ": s.ljust(int(o.plain(n)), o.to_string(c)),
    "tostring": lambda s, *a: s,
    "equals": lambda s, x: s == o.to_string(x),
}

