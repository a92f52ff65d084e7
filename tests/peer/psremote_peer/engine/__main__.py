"""Run a script on the engine in-process and print what a client would receive, as CLIXML:
`python -m psremote_peer.engine [--catalog windows-5.1|pwsh-7.6|scale:N] [--restricted] 'script'`.
A quick look at object shapes without starting the WS-Man server."""

from __future__ import annotations

import argparse
import sys
from xml.etree import ElementTree as ET

from psrpcore.types._serializer import serialize

from . import create_engine
from .testing import run, script


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m psremote_peer.engine")
    ap.add_argument("--catalog", default="windows-5.1")
    ap.add_argument("--restricted", action="store_true", help="run on the NoLanguage configuration")
    ap.add_argument("script")
    ns = ap.parse_args(argv)
    engine = create_engine(ns.catalog)
    rs = engine.new_runspace("Restricted" if ns.restricted else "Microsoft.PowerShell", None)
    ctx, failed = run(engine, rs, script(ns.script))
    for v in ctx.output:
        print("OUTPUT ", ET.tostring(serialize(v, None)).decode())
    for kind, items in (("ERROR  ", ctx.errors), ("WARNING", ctx.warnings), ("VERBOSE", ctx.verbose),
                        ("DEBUG  ", ctx.debug), ("INFO   ", [i[0] for i in ctx.information]),
                        ("PROGRESS", ctx.progress)):
        for item in items:
            print(kind, item if isinstance(item, (str, tuple)) else ET.tostring(serialize(item, None)).decode())
    if failed is not None:
        print("FAILED ", ET.tostring(serialize(failed, None)).decode())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
