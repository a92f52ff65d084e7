"""Runs the comparison scenarios (issue #9) for psremote, pypsrp and psrp-rs against the loopback
endpoint and prints a Markdown table of medians and ratios plus the machine. Called by run.sh,
which builds the clients first; run it through run.sh.

Each client is a separate process that measures itself (getrusage) and prints one JSON line;
the clients take turns (A/B/C/A/B/C, …) so drift on a shared machine hits all of them alike.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", "/work/targets/bench")
PY = os.environ.get("PSREMOTE_PEER_PYTHON", os.path.join(ROOT, ".venv", "bin", "python"))
PASSWORD = "Psr3mote!pass"

CLIENTS = {
    "psremote": [os.path.join(TARGET, "release", "psremote-bench-client")],
    "pypsrp": [PY, os.path.join(HERE, "pypsrp_client.py")],
    "psrp-rs": [os.path.join(TARGET, "release", "psrp-rs-bench-client")],
}


class Endpoint:
    """One `python -m psremote_peer serve` process."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [PY, "-m", "psremote_peer", "serve", "--port", "0", "--allow-unencrypted", *args],
            cwd=os.path.join(ROOT, "tests", "peer"), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PSREMOTE-PEER-READY "):
            raise RuntimeError(f"endpoint did not start: {line!r}")
        self.ready = json.loads(line.split(" ", 1)[1])
        self.ports = self.ready["http_ports"]
        self.url = self.ready["http_url"]

    def stats(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[0]}/psremote-peer/stats") as r:
            return json.load(r)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def run_client(name, scenario, timeout=900, env=None, **kw):
    cmd = CLIENTS[name] + [scenario]
    for k, v in kw.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, **env) if env else None)
    if p.returncode != 0:
        msg = (p.stderr.strip().splitlines() or ["(no message)"])[-1]
        return {"error": msg[:200]}
    if p.stderr.strip():
        print(f"  [{name} {scenario}] {p.stderr.strip().splitlines()[-1][:200]}", file=sys.stderr)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"unreadable output: {p.stdout.strip()[:200]!r}"}


def alternate(clients, reps, scenario, env=None, **kw):
    """{client: [result, …]} with the clients taking turns."""
    out = {c: [] for c in clients}
    for _ in range(reps):
        for c in clients:
            r = run_client(c, scenario, env=env, **kw)
            print(f"  {scenario} {kw.get('auth', '')} {c}: {r}", file=sys.stderr)
            out[c].append(r)
    return out


def med(results, key):
    vals = [r[key] for r in results if key in r]
    return statistics.median(vals) if vals else None


def err(results):
    for r in results:
        if "error" in r:
            return r["error"]
    return None


def fmt(v, digits=2):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.{digits}f}"


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def machine():
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        mem = f"{int(f.readline().split()[1]) // 1024} MiB"
    return (f"nproc {os.cpu_count()}, CPU {model}, RAM {mem}, kernel {platform.release()}, {rustc}, "
            f"Python {platform.python_version()}, pypsrp 0.9.1, psrpcore 0.3.1, psrp-rs 4.0.0")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", help="also write every raw result here")
    ap.add_argument("--only", help="comma-separated scenarios: warm,warm-ct,open,large,decode,fanout,codegen")
    a = ap.parse_args()
    q = a.quick
    only = set(a.only.split(",")) if a.only else None
    want = lambda s: only is None or s in only  # noqa: E731
    names = list(CLIENTS)
    raw, rows = {}, []
    t_start = time.time()

    # One endpoint process for the single-session scenarios: the client is judged by its own
    # CPU; wall time is compared with the endpoint's CPU per call, reported beside it.
    if want("warm") or want("warm-ct") or want("open") or want("large") or want("close"):
        ep = Endpoint("--auth", "basic,negotiate")
        try:
            if want("warm"):
                for auth in ("basic", "ntlm"):
                    r = alternate(names, 2 if q else 5, "warm", url=ep.url, auth=auth, calls=100 if q else 300)
                    raw[f"warm-{auth}"] = r
                    label = "Basic" if auth == "basic" else "NTLM+enc"
                    for metric, key in (("client CPU ms/call", "cpu_ms"), ("wall ms/call", "wall_ms"),
                                        ("HTTP requests/call", "requests_per_call"),
                                        ("endpoint CPU ms/call", "endpoint_cpu_ms")):
                        rows.append((f"warm Get-Date, {label}", metric, {c: med(r[c], key) for c in names},
                                     {c: err(r[c]) for c in names}, key != "requests_per_call"))
            if want("warm-ct"):
                # The same calls with both Rust clients on a current-thread tokio runtime
                # (`#[tokio::main(flavor = "current_thread")]`): no cross-thread wake-ups.
                rust = [c for c in names if c != "pypsrp"]
                for auth in ("basic", "ntlm"):
                    r = alternate(rust, 2 if q else 5, "warm", env={"BENCH_CURRENT_THREAD": "1"},
                                  url=ep.url, auth=auth, calls=100 if q else 300)
                    raw[f"warm-ct-{auth}"] = r
                    label = "Basic" if auth == "basic" else "NTLM+enc"
                    for metric, key in (("client CPU ms/call", "cpu_ms"), ("wall ms/call", "wall_ms")):
                        rows.append((f"warm Get-Date, {label}, current-thread runtime", metric,
                                     {c: med(r.get(c, []), key) for c in names},
                                     {c: err(r.get(c, [])) for c in names}, True))
            if want("open"):
                r = alternate(names, 1 if q else 3, "open", url=ep.url, auth="basic", calls=5 if q else 15)
                raw["open"] = r
                rows.append(("session open (Basic)", "wall ms", {c: med(r[c], "open_ms") for c in names},
                             {c: err(r[c]) for c in names}, True))
                rows.append(("session open (Basic)", "client CPU ms", {c: med(r[c], "cpu_ms") for c in names},
                             {c: err(r[c]) for c in names}, True))
                rows.append(("session open (Basic)", "HTTP requests per open+close",
                             {c: med(r[c], "requests_per_open_close") for c in names},
                             {c: err(r[c]) for c in names}, True))
            if want("large"):
                count = 2_000 if q else 20_000
                r = alternate(names, 1, "large", url=ep.url, count=count)
                raw["large-objects"] = r
                label = f"large output, {count} objects"
                for metric, key, lower in (("objects/s", "objects_per_s", False), ("client CPU s", "cpu_s", True),
                                           ("client peak RSS MB", "max_rss_mb", True),
                                           ("endpoint CPU s", "endpoint_cpu_s", True)):
                    rows.append((label, metric, {c: med(r[c], key) for c in names}, {c: err(r[c]) for c in names},
                                 lower))
                # psremote streams 1 GiB; pypsrp and psrp-rs have no streaming API (they keep every
                # object until the pipeline ends), so they get 128 MiB: their RSS grows with it.
                mb = {"psremote": 32 if q else 1024, "pypsrp": 32 if q else 128, "psrp-rs": 32 if q else 128}
                r = {c: [run_client(c, "large", url=ep.url, megabytes=mb[c])] for c in names}
                for c in names:
                    print(f"  large {mb[c]} MiB {c}: {r[c]}", file=sys.stderr)
                for c in names:
                    for x in r[c]:
                        if "seconds" in x:
                            x["payload_mb_per_s"] = mb[c] * 1.048576 / x["seconds"]
                raw["large-bytes"] = r
                label = "large output, MiB streamed (" + ", ".join(f"{c} {mb[c]}" for c in names) + ")"
                for metric, key, lower in (("MB/s (payload)", "payload_mb_per_s", False),
                                           ("seconds", "seconds", True), ("client CPU s", "cpu_s", True),
                                           ("client peak RSS MB", "max_rss_mb", True),
                                           ("endpoint CPU s", "endpoint_cpu_s", True)):
                    rows.append((label, metric, {c: med(r[c], key) for c in names}, {c: err(r[c]) for c in names},
                                 lower))
            if want("close") or only is None:
                raw["psrp-rs-close"] = run_client("psrp-rs", "close-check", url=ep.url)
        finally:
            ep.stop()

    if want("decode"):
        with tempfile.TemporaryDirectory() as d:
            corpus = os.path.join(d, "corpus.xml")
            gen = run_client("psremote", "gen-corpus", out=corpus, objects=100_000)
            ours = run_client("psremote", "decode", file=corpus, runs=3 if q else 5)
            theirs = run_client("psrp-rs", "decode", file=corpus, runs=2 if q else 3)
            py = run_client("pypsrp", "decode", file=corpus, objects=2_000 if q else 10_000)
            raw["decode"] = {"corpus": gen, "psremote": ours, "psrp-rs": theirs, "psrpcore": py}
            rows.append((f"CLIXML decode, {gen.get('mb')} MB / {gen.get('objects')} objects", "MB/s",
                         {"psremote": ours.get("psremote_mb_s"), "pypsrp": py.get("psrpcore_mb_s"),
                          "psrp-rs": theirs.get("psrp_rs_mb_s")},
                         {"psremote": ours.get("error"), "pypsrp": py.get("error"), "psrp-rs": theirs.get("error")},
                         False))
            rows.append(("", "quick-xml raw tokenizer MB/s", {"psremote": ours.get("quick_xml_mb_s")}, {}, False))

    if want("fanout"):
        targets = 200 if q else 1000
        procs = max(2, os.cpu_count() or 2)
        per = -(-targets // procs)
        eps = [Endpoint("--auth", "basic", "--listen-count", str(per)) for _ in range(procs)]
        try:
            with tempfile.TemporaryDirectory() as d:
                urls = os.path.join(d, "urls.txt")
                # Interleaved, so that the targets a throttled client works on at any moment are
                # spread over every endpoint process (in port order, the first 500 would all
                # queue on one process while the other waits).
                ports = [p for group in zip(*(e.ports for e in eps)) for p in group][:targets]
                with open(urls, "w") as f:
                    f.writelines(f"http://127.0.0.1:{p}/wsman\n" for p in ports)
                res = {}
                for c in names:
                    before = [e.stats()["cpu_seconds"] for e in eps]
                    r = run_client(c, "fanout", urls_file=urls, throttle=100)
                    after = [e.stats()["cpu_seconds"] for e in eps]
                    ep_cpu = sum(after) - sum(before)
                    # The endpoint-bound ideal: the endpoints' CPU spread over the cores they can use.
                    r["endpoint_cpu_s"] = ep_cpu
                    r["ideal_s"] = ep_cpu / min(len(eps), os.cpu_count() or 1)
                    if "seconds" in r:
                        r["vs_ideal"] = r["seconds"] / r["ideal_s"]
                    print(f"  fanout {c}: {r}", file=sys.stderr)
                    res[c] = [r]
                raw["fanout"] = res
                label = f"fan-out, {targets} targets, throttle 100"
                for metric, key, lower in (("wall s", "seconds", True), ("endpoint-bound ideal s", "ideal_s", True),
                                           ("wall / ideal", "vs_ideal", True), ("client CPU s", "cpu_s", True),
                                           ("client peak RSS MB", "max_rss_mb", True),
                                           ("failed targets", "failed", True)):
                    rows.append((label, metric, {c: med(res[c], key) for c in names},
                                 {c: err(res[c]) for c in names}, lower))
        finally:
            for e in eps:
                e.stop()

    if want("codegen"):
        raw["codegen"] = codegen(q)
        cg = raw["codegen"]
        for metric in ("discovery s", "generation s", "cargo check s", "lines generated", "commands"):
            rows.append(("2,000-command catalog (psremote only)", metric, {"psremote": cg.get(metric)},
                         {"psremote": cg.get("error")}, True))

    print(f"\n## Results ({'quick' if q else 'full'} run, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{time.time() - t_start:.0f} s)\n")
    print(f"Machine: {machine()}\n")
    print("| scenario | metric | psremote | pypsrp | psrp-rs | pypsrp / psremote | psrp-rs / psremote |")
    print("|---|---|---|---|---|---|---|")
    for scen, metric, vals, errs, _lower in rows:
        cells = []
        for c in names:
            e = errs.get(c)
            cells.append(f"error: {e}" if e and vals.get(c) is None else fmt(vals.get(c)))
        r1 = ratio(vals.get("pypsrp"), vals.get("psremote"))
        r2 = ratio(vals.get("psrp-rs"), vals.get("psremote"))
        print(f"| {scen} | {metric} | {' | '.join(cells)} | {fmt(r1)} | {fmt(r2)} |")
    if "psrp-rs-close" in raw:
        print(f"\npsrp-rs close (sends message type 0x0002100E): {raw['psrp-rs-close']}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(raw, f, indent=1)


def codegen(quick):
    """psremote metadata (discovery) + export (generation) + cargo check, via the release CLI."""
    cli = os.environ.get("PSREMOTE_CLI") or os.path.join(TARGET, "release", "psremote")
    if not os.path.exists(cli):
        return {"error": "not yet: the psremote CLI was not built (run.sh builds it when it compiles)"}
    print(f"  codegen with {cli}", file=sys.stderr)
    ep = Endpoint("--auth", "basic", "--catalog", "scale:2000")
    out = {}
    try:
        with tempfile.TemporaryDirectory() as d:
            env = dict(os.environ, PSREMOTE_PASSWORD=PASSWORD)
            conn = ["--auth", "basic", "--user", "psremote", "--allow-unencrypted", "--port", str(ep.ports[0])]
            meta = os.path.join(d, "scale.json")
            t = time.perf_counter()
            p = subprocess.run([cli, *conn, "metadata", "127.0.0.1", "--out", meta], env=env,
                               capture_output=True, text=True, timeout=300)
            out["discovery s"] = time.perf_counter() - t
            if p.returncode != 0:
                return {"error": "metadata: " + (p.stderr.strip().splitlines() or ["?"])[-1][:200]}
            with open(meta) as f:
                out["commands"] = len(json.load(f)["commands"])
            crate = os.path.join(d, "scale_stubs")
            t = time.perf_counter()
            p = subprocess.run([cli, "export", "--from-metadata", meta, "--out", crate, "--runtime-path",
                                os.path.join(ROOT, "runtime")], env=env, capture_output=True, text=True,
                               timeout=300)
            out["generation s"] = time.perf_counter() - t
            if p.returncode != 0:
                return {**out, "error": "export: " + (p.stderr.strip().splitlines() or ["?"])[-1][:200]}
            lines = 0
            for dirpath, _, files in os.walk(os.path.join(crate, "src")):
                for fn in files:
                    with open(os.path.join(dirpath, fn)) as f:
                        lines += sum(1 for _ in f)
            out["lines generated"] = lines
            # Dependencies are checked once untimed, so the figure is the generated crate itself.
            tdir = os.path.join(TARGET, "codegen-check")
            cenv = dict(os.environ, CARGO_TARGET_DIR=tdir)
            subprocess.run(["cargo", "check", "-q", "--manifest-path", os.path.join(crate, "Cargo.toml")],
                           env=cenv, capture_output=True, timeout=1200)
            subprocess.run(["touch", os.path.join(crate, "src", "lib.rs")])
            t = time.perf_counter()
            p = subprocess.run(["cargo", "check", "-q", "--manifest-path", os.path.join(crate, "Cargo.toml")],
                               env=cenv, capture_output=True, text=True, timeout=1200)
            out["cargo check s"] = time.perf_counter() - t
            if p.returncode != 0:
                out["error"] = "cargo check: " + (p.stderr.strip().splitlines() or ["?"])[-1][:200]
    finally:
        ep.stop()
    return out


if __name__ == "__main__":
    if shutil.which("rustc") is None:
        sys.exit("rustc not found")
    main()
