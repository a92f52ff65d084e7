"""The PowerShell engine of the loopback endpoint: catalog, language subset, command behaviour.

`create_engine(catalog)` is what `contract.load_engine` calls. Catalogs: `windows-5.1` (default),
`pwsh-7.6`, and `scale:N` (the 5.1 catalog plus N generated commands)."""

from __future__ import annotations

from . import psrpcore_fixes
from .catalog import Catalog
from .engine import Engine, Runspace

psrpcore_fixes.apply()


def build_catalog(name: str) -> tuple[Catalog, dict[str, list[str]]]:
    from . import builtin_facts, synthetic
    from .catalog import load_docs
    from .cmdlets import IMPLEMENTATIONS

    scale = 0
    version = "5.1"
    if name.startswith("scale:"):
        scale = int(name.split(":", 1)[1])
    elif name in ("pwsh-7.6", "7.6"):
        version = "7.6"
    elif name not in ("windows-5.1", "5.1", "default", ""):
        raise ValueError(f"unknown catalog {name!r} (windows-5.1, pwsh-7.6, scale:N)")
    ps_version = "5.1.20348.2849" if version == "5.1" else "7.6.0"
    catalog = Catalog(name or "windows-5.1", ps_version)
    enums = load_docs(version, catalog)
    if len(catalog) == 0:
        builtin_facts.load(catalog, version)
    builtin_facts.add_missing_aliases(catalog)
    builtin_facts.add_session_functions(catalog)
    synthetic.add(catalog)
    if scale:
        synthetic.add_scale(catalog, scale)
    for cmd in catalog.commands():
        target = cmd.resolved_command_name or cmd.name
        impl = IMPLEMENTATIONS.get(target.lower())
        if impl is not None and cmd.impl is None:
            cmd.impl = impl
    return catalog, enums


def create_engine(catalog: str = "windows-5.1") -> Engine:
    from .metadata import gc_paused

    with gc_paused():
        cat, enums = build_catalog(catalog)
    return Engine(cat, enums)


__all__ = ["create_engine", "build_catalog", "Engine", "Runspace"]
