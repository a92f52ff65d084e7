"""The command catalog: what Get-Command, GET_COMMAND_METADATA and the discovery script see.

Facts of the real cmdlets come from `shared/fixtures/cmdlet-metadata/<version>/*.json` at run time
(names, types, sets, flags; the one-line synopsis is the only prose kept). When that folder is
absent the engine falls back to `builtin_facts.py`, written for the seed's cmdlets.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import re
import typing as t
from pathlib import Path

ALL_SETS = "__AllParameterSets"
SWITCH = "System.Management.Automation.SwitchParameter"

# Type names the docs abbreviate.
_TYPE_FIXUPS = {
    "SwitchParameter": SWITCH,
    "Switch": SWITCH,
    "UInt32": "System.UInt32",
    "Runspace": "System.Management.Automation.Runspaces.Runspace",
    "String": "System.String",
    "String[]": "System.String[]",
    "Int32": "System.Int32",
}

# Module versions as Get-Module reports them on the two hosts.
MODULE_VERSIONS = {
    "5.1": {
        "Microsoft.PowerShell.Core": "3.0.0.0",
        "Microsoft.PowerShell.Management": "3.1.0.0",
        "Microsoft.PowerShell.Utility": "3.1.0.0",
        "Microsoft.PowerShell.Security": "3.0.0.0",
        "Microsoft.PowerShell.Diagnostics": "3.0.0.0",
        "Microsoft.WSMan.Management": "3.0.0.0",
        "CimCmdlets": "1.0.0.0",
        "PSScheduledJob": "1.1.0.0",
    },
    "7.6": {
        "Microsoft.PowerShell.Core": "7.6.0",
        "Microsoft.PowerShell.Management": "7.0.0.0",
        "Microsoft.PowerShell.Utility": "7.0.0.0",
        "Microsoft.PowerShell.Security": "7.0.0.0",
        "Microsoft.PowerShell.Diagnostics": "7.0.0.0",
        "Microsoft.WSMan.Management": "7.0.0.0",
        "CimCmdlets": "7.0.0.0",
    },
}

# The .NET namespace of each module's cmdlet classes (used in FullyQualifiedErrorIds).
_CLASS_NAMESPACES = {
    "Microsoft.WSMan.Management": "Microsoft.WSMan.Management",
    "CimCmdlets": "Microsoft.Management.Infrastructure.CimCmdlets",
    "PSScheduledJob": "Microsoft.PowerShell.ScheduledJob",
}

# The common parameters every cmdlet / advanced function has (about_CommonParameters), in the order
# GET_COMMAND_METADATA lists them; then the risk-mitigation pair for SupportsShouldProcess.
COMMON_PARAMETERS: list[tuple[str, str, list[str]]] = [
    ("Verbose", SWITCH, ["vb"]),
    ("Debug", SWITCH, ["db"]),
    ("ErrorAction", "System.Management.Automation.ActionPreference", ["ea"]),
    ("WarningAction", "System.Management.Automation.ActionPreference", ["wa"]),
    ("InformationAction", "System.Management.Automation.ActionPreference", ["infa"]),
    ("ErrorVariable", "System.String", ["ev"]),
    ("WarningVariable", "System.String", ["wv"]),
    ("InformationVariable", "System.String", ["iv"]),
    ("OutVariable", "System.String", ["ov"]),
    ("OutBuffer", "System.Int32", ["ob"]),
    ("PipelineVariable", "System.String", ["pv"]),
]
SHOULD_PROCESS_PARAMETERS: list[tuple[str, str, list[str]]] = [
    ("WhatIf", SWITCH, ["wi"]),
    ("Confirm", SWITCH, ["cf"]),
]
COMMON_NAMES = {n.lower() for n, _, _ in COMMON_PARAMETERS}


@dataclasses.dataclass
class SetMembership:
    """ParameterAttribute facts of one parameter in one set (CommandParameterInfo)."""

    set: str
    mandatory: bool = False
    position: int | None = None
    value_from_pipeline: bool = False
    value_from_pipeline_by_property_name: bool = False
    value_from_remaining_arguments: bool = False
    help_message: str | None = None


@dataclasses.dataclass
class Parameter:
    name: str
    type: str
    sets: list[SetMembership]
    aliases: list[str] = dataclasses.field(default_factory=list)
    dynamic: bool = False
    validate_set: list[str] | None = None
    validate_range: tuple[t.Any, t.Any] | None = None
    validate_length: tuple[int, int] | None = None
    validate_count: tuple[int, int] | None = None
    validate_pattern: str | None = None
    common: bool = False

    @property
    def is_switch(self) -> bool:
        return self.type == SWITCH

    def membership(self, set_name: str) -> SetMembership | None:
        for m in self.sets:
            if m.set == set_name:
                return m
        for m in self.sets:
            if m.set == ALL_SETS:
                return m
        return None

    def in_set(self, set_name: str) -> bool:
        return self.membership(set_name) is not None


@dataclasses.dataclass
class Command:
    name: str
    command_type: str  # Cmdlet | Function | Alias
    module: str
    module_version: str = "1.0.0.0"
    help_uri: str = ""
    synopsis: str | None = None
    default_parameter_set: str | None = None
    parameter_sets: list[str] = dataclasses.field(default_factory=list)
    parameters: list[Parameter] = dataclasses.field(default_factory=list)
    output_types: list[str] = dataclasses.field(default_factory=list)
    resolved_command_name: str | None = None
    supports_common_parameters: bool = True
    impl: t.Callable[..., t.Any] | None = None
    dynamic_parameters: t.Callable[[dict[str, t.Any]], list[Parameter]] | None = None
    implementing_type_override: str | None = None

    @property
    def implementing_type(self) -> str:
        """The .NET class in `NamedParameterNotFound,<class>` (cmdlets) or the name (functions)."""
        if self.implementing_type_override:
            return self.implementing_type_override
        if self.command_type != "Cmdlet":
            return self.name
        ns = _CLASS_NAMESPACES.get(self.module, "Microsoft.PowerShell.Commands")
        return f"{ns}.{self.name.replace('-', '')}Command"

    @property
    def supports_should_process(self) -> bool:
        return any(p.name in ("WhatIf", "Confirm") for p in self.parameters)

    @property
    def effective_default_set(self) -> str:
        return self.default_parameter_set or ALL_SETS

    def named_sets(self) -> list[str]:
        """Sets a caller can be in; a command without named sets has just `__AllParameterSets`."""
        sets = [s for s in self.parameter_sets if s != ALL_SETS]
        return sets or [ALL_SETS]

    def own_parameters(self) -> list[Parameter]:
        return [p for p in self.parameters if not p.common]

    def all_parameters(self, include_common: bool = True) -> list[Parameter]:
        """The command's parameters as CommandInfo.Parameters orders them: its own (without
        WhatIf/Confirm), the common ones, then WhatIf/Confirm."""
        own = [p for p in self.parameters if p.name not in ("WhatIf", "Confirm")]
        sp = sorted((p for p in self.parameters if p.name in ("WhatIf", "Confirm")),
                    key=lambda p: p.name != "WhatIf")  # ShouldProcess adds -WhatIf, then -Confirm
        if not include_common or not self.supports_common_parameters:
            return own + sp
        return own + common_parameters() + sp

    def find_parameter(self, name: str) -> Parameter | None:
        ln = name.lower()
        for p in self.all_parameters():
            if p.name.lower() == ln:
                return p
        return None


_COMMON_CACHE: list[Parameter] = []


def common_parameters() -> list[Parameter]:
    if not _COMMON_CACHE:
        for n, ty, al in COMMON_PARAMETERS:
            _COMMON_CACHE.append(Parameter(n, ty, [SetMembership(ALL_SETS)], aliases=list(al), common=True))
    return _COMMON_CACHE


class Catalog:
    """Commands by name (case-insensitive), in a stable order."""

    def __init__(self, name: str, ps_version: str) -> None:
        self.name = name
        self.ps_version = ps_version
        self._commands: dict[str, Command] = {}
        self.types: dict[str, dict[str, t.Any]] = {}  # discovery "types" table
        self.source = "builtin"

    def add(self, cmd: Command) -> None:
        self._commands[cmd.name.lower()] = cmd

    def get(self, name: str) -> Command | None:
        return self._commands.get(name.lower())

    def commands(self) -> list[Command]:
        return list(self._commands.values())

    def __len__(self) -> int:
        return len(self._commands)

    def match(self, patterns: t.Sequence[str] | None = None, modules: t.Sequence[str] | None = None,
              command_types: t.Sequence[str] | None = None,
              visible: t.Callable[[Command], bool] | None = None) -> list[Command]:
        """Wildcard name/module/type filters as Get-Command applies them, sorted like it sorts."""
        pats = [compile_wildcard(p) for p in (patterns or ["*"])]
        mods = [compile_wildcard(m) for m in modules] if modules else None
        types = {c.lower() for c in command_types} if command_types else None
        if types and "all" in types:
            types = None
        out = []
        for c in self._commands.values():
            if visible is not None and not visible(c):
                continue
            if not any(p.match(c.name) for p in pats):
                continue
            if mods is not None and not any(m.match(c.module) for m in mods):
                continue
            if types is not None and c.command_type.lower() not in types:
                continue
            out.append(c)
        out.sort(key=lambda c: c.name.lower())
        return out


_WILDCARD_CACHE: dict[str, re.Pattern[str]] = {}


def compile_wildcard(pattern: str) -> re.Pattern[str]:
    """PowerShell wildcards (`*`, `?`, `[a-z]`, backtick escape), case-insensitive, whole string."""
    cached = _WILDCARD_CACHE.get(pattern)
    if cached is not None:
        return cached
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "`" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[":
            j = pattern.find("]", i + 1)
            if j > i + 1:
                body = pattern[i + 1:j].replace("\\", "\\\\")
                out.append("[" + body + "]")
                i = j + 1
                continue
            out.append(re.escape(ch))
        else:
            out.append(re.escape(ch))
        i += 1
    rx = re.compile("^" + "".join(out) + "$", re.IGNORECASE | re.DOTALL)
    if len(_WILDCARD_CACHE) < 4096:
        _WILDCARD_CACHE[pattern] = rx
    return rx


def wildcard_match(pattern: str, text: str) -> bool:
    return bool(compile_wildcard(pattern).match(text))


def has_wildcard(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


# --- loading the documented metadata ---------------------------------------------------------

_TYPE_NAME_RX = re.compile(r"^[A-Za-z_][\w.`+#\\\[\], =]*$")


def _fix_type(ty: str) -> str:
    ty = ty.strip()
    if ty.startswith("[") and ty.endswith("]") and "[" not in ty[1:-1]:
        ty = ty[1:-1]  # a docs typo: "[System.DateTime]"
    return _TYPE_FIXUPS.get(ty, ty)


def _is_string_type(ty: str) -> bool:
    return ty in ("System.String", "System.String[]")


_PRIMITIVE_PREFIXES = ("System.String", "System.Int", "System.UInt", "System.Object", "System.Boolean",
                       "System.Double", "System.Single", "System.Char", "System.Byte", "System.Nullable",
                       "System.Management.Automation.SwitchParameter")


def shared_dir() -> Path | None:
    """`$PSREMOTE_SHARED`, else `<repo>/../shared` (DESIGN.md §3)."""
    env = os.environ.get("PSREMOTE_SHARED")
    if env:
        p = Path(env)
        return p if p.is_dir() else None
    repo = Path(__file__).resolve().parents[4]
    p = repo.parent / "shared"
    return p if p.is_dir() else None


def docs_metadata_dir(version: str) -> Path | None:
    root = shared_dir()
    if root is None:
        return None
    d = root / "fixtures" / "cmdlet-metadata" / version
    return d if d.is_dir() and any(d.glob("*.json")) else None


# Commands the docs list as cmdlets that Windows implements as script functions (their
# CommandInfo is a FunctionInfo; GET_COMMAND_METADATA with CommandType=Function returns them,
# as the fixture's second call shows for New-Guid and New-TemporaryFile).
FUNCTIONS = {
    "5.1": {"New-Guid", "New-TemporaryFile", "Format-Hex", "Get-FileHash", "Import-PowerShellDataFile",
            "ConvertFrom-SddlString", "Clear-Host", "Get-Verb"},
    "7.6": {"Clear-Host"},
}


def command_from_doc(doc: dict[str, t.Any], version: str, enums: dict[str, list[str]]) -> Command:
    """One command of the docs JSON → Command. Accepted values on a string parameter are its
    ValidateSet; on any other non-primitive type they are the enum's names."""
    module = doc["module"]
    params: list[Parameter] = []
    for p in doc.get("parameters", []):
        ty = _fix_type(p.get("type") or "System.Object")
        sets = []
        for s in p.get("sets") or [{"set": ALL_SETS}]:
            sets.append(SetMembership(
                set=s.get("set") or ALL_SETS,
                mandatory=bool(s.get("mandatory")),
                position=s.get("position"),
                value_from_pipeline=bool(s.get("value_from_pipeline")),
                value_from_pipeline_by_property_name=bool(s.get("value_from_pipeline_by_property_name")),
                value_from_remaining_arguments=bool(s.get("value_from_remaining_arguments")),
            ))
        accepted = [str(v) for v in (p.get("accepted_values") or [])]
        validate_set = None
        if accepted:
            elem = ty[:-2] if ty.endswith("[]") else ty
            if _is_string_type(ty) or elem.startswith(_PRIMITIVE_PREFIXES):
                validate_set = accepted
            else:
                enums.setdefault(elem, accepted)
        params.append(Parameter(
            name=p["name"], type=ty, sets=sets, aliases=list(p.get("aliases") or []),
            dynamic=bool(p.get("dynamic")), validate_set=validate_set,
        ))
    sets = list(doc.get("parameter_sets") or [ALL_SETS])
    outputs = []
    for o in doc.get("outputs") or []:
        o = o.strip()
        if o and o != "None" and _TYPE_NAME_RX.match(o) and "." in o:
            outputs.append(o)
    return Command(
        name=doc["name"],
        command_type="Function" if doc["name"] in FUNCTIONS.get(version, set()) else "Cmdlet",
        module=module,
        module_version=MODULE_VERSIONS.get(version, {}).get(module, "1.0.0.0"),
        help_uri=doc.get("help_uri") or "",
        synopsis=doc.get("synopsis"),
        default_parameter_set=doc.get("default_parameter_set"),
        parameter_sets=sets,
        parameters=params,
        output_types=outputs,
        supports_common_parameters=bool(doc.get("supports_common_parameters", True)),
    )


def load_docs(version: str, catalog: Catalog) -> dict[str, list[str]]:
    """Adds every documented cmdlet of `version`; returns enum names the docs revealed."""
    enums: dict[str, list[str]] = {}
    d = docs_metadata_dir(version)
    if d is None:
        return enums
    for f in sorted(d.glob("*.json")):
        with open(f, encoding="utf-8") as fh:
            for doc in json.load(fh):
                cmd = command_from_doc(doc, version, enums)
                catalog.add(cmd)
                for alias in doc.get("command_aliases") or []:
                    catalog.add(alias_command(alias, cmd))
    catalog.source = str(d)
    return enums


def alias_command(alias: str, target: Command) -> Command:
    """An AliasInfo: Get-Command lists it with ResolvedCommandName; it has the target's parameters."""
    return Command(
        name=alias, command_type="Alias", module=target.module, module_version=target.module_version,
        help_uri=target.help_uri, synopsis=None, default_parameter_set=target.default_parameter_set,
        parameter_sets=list(target.parameter_sets), parameters=target.parameters,
        output_types=list(target.output_types), resolved_command_name=target.name,
        supports_common_parameters=target.supports_common_parameters, impl=target.impl,
        dynamic_parameters=target.dynamic_parameters, implementing_type_override=target.implementing_type,
    )


def param(name: str, ty: str = "System.String", *, sets: t.Sequence[SetMembership] | None = None,
          mandatory: bool = False, position: int | None = None, pipeline: bool = False,
          by_name: bool = False, remaining: bool = False, aliases: t.Sequence[str] = (),
          help_message: str | None = None, **kw: t.Any) -> Parameter:
    """Short constructor for parameters written in code (builtin facts, synthetic commands)."""
    if sets is None:
        sets = [SetMembership(ALL_SETS, mandatory, position, pipeline, by_name, remaining, help_message)]
    return Parameter(name=name, type=ty, sets=list(sets), aliases=list(aliases), **kw)


def in_set(set_name: str, mandatory: bool = False, position: int | None = None, pipeline: bool = False,
           by_name: bool = False, remaining: bool = False, help_message: str | None = None) -> SetMembership:
    return SetMembership(set_name, mandatory, position, pipeline, by_name, remaining, help_message)


def visible_in(names: t.Iterable[str]) -> t.Callable[[Command], bool]:
    allowed = {n.lower() for n in names}
    return lambda c: c.name.lower() in allowed


def fnmatch_any(patterns: t.Iterable[str], name: str) -> bool:
    return any(fnmatch.fnmatchcase(name.lower(), p.lower()) for p in patterns)
