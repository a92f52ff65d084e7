"""The pypsrp 0.9.1 side of benches/compare: same scenarios and JSON lines as psremote-client.

    pypsrp_client.py warm   --url U --auth basic|ntlm --calls N
    pypsrp_client.py open   --url U --auth basic|ntlm --calls N
    pypsrp_client.py large  --url U (--count N | --megabytes M)
    pypsrp_client.py fanout --urls-file F --throttle T     (ThreadPoolExecutor(T))
    pypsrp_client.py decode --file F [--objects N]          (psrpcore's deserializer)

CPU comes from resource.getrusage(RUSAGE_SELF), peak RSS from VmHWM, in this process.
"""

import concurrent.futures
import json
import resource
import statistics
import sys
import time
import urllib.parse
import urllib.request

from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

USER = "psremote"
PASSWORD = "Psr3mote!pass"


def usage():
    """(user+sys CPU seconds, peak RSS MB). Peak RSS is VmHWM: ru_maxrss survives exec, so it
    would report the orchestrator's size for a small child."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    with open("/proc/self/status") as f:
        hwm = next((int(line.split()[1]) for line in f if line.startswith("VmHWM:")), ru.ru_maxrss)
    return ru.ru_utime + ru.ru_stime, hwm / 1024.0


def peer_stats(url):
    u = urllib.parse.urlsplit(url)
    with urllib.request.urlopen(f"http://{u.hostname}:{u.port}/psremote-peer/stats") as r:
        s = json.load(r)
    return s["requests"], s["cpu_seconds"]


def wsman(url, auth):
    u = urllib.parse.urlsplit(url)
    # Basic over HTTP cannot be encrypted; NTLM seals every message ("auto").
    return WSMan(u.hostname, port=u.port, username=USER, password=PASSWORD, ssl=False,
                 auth=auth, encryption="never" if auth == "basic" else "auto",
                 operation_timeout=60, read_timeout=90)


def get_date(pool):
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-Date")
    return ps.invoke()


def warm(a):
    calls = int(a["calls"])
    with wsman(a["url"], a["auth"]) as w, RunspacePool(w) as pool:
        for _ in range(20):
            get_date(pool)
        r0, e0 = peer_stats(a["url"])
        c0, _ = usage()
        lat = []
        for _ in range(calls):
            t = time.perf_counter()
            out = get_date(pool)
            lat.append((time.perf_counter() - t) * 1e3)
            if len(out) != 1:
                raise RuntimeError(f"Get-Date returned {len(out)} objects")
        c1, _ = usage()
        r1, e1 = peer_stats(a["url"])
    return {"wall_ms": statistics.median(lat), "cpu_ms": (c1 - c0) * 1e3 / calls,
            "requests_per_call": (r1 - r0) / calls, "endpoint_cpu_ms": (e1 - e0) * 1e3 / calls}


def open_(a):
    times, cpu = [], []
    r0, _ = peer_stats(a["url"])
    for _ in range(int(a["calls"])):
        w = wsman(a["url"], a["auth"])
        t, (c0, _) = time.perf_counter(), usage()
        pool = RunspacePool(w)
        pool.open()
        times.append((time.perf_counter() - t) * 1e3)
        cpu.append((usage()[0] - c0) * 1e3)
        pool.close()
        w.close()
    r1, _ = peer_stats(a["url"])
    return {"open_ms": statistics.median(times), "cpu_ms": statistics.median(cpu),
            "requests_per_open_close": (r1 - r0) / int(a["calls"])}


def large(a):
    """pypsrp has no streaming output API: invoke() keeps every object in ps.output."""
    with wsman(a["url"], "basic") as w, RunspacePool(w) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-PSRemoteLargeOutput")
        if "count" in a:
            ps.add_parameter("Count", int(a["count"]))
        else:
            ps.add_parameter("Megabytes", int(a["megabytes"]))
        r0, e0 = peer_stats(a["url"])
        t, (c0, _) = time.perf_counter(), usage()
        out = ps.invoke()
        objects = len(out)
        del out, ps
        secs = time.perf_counter() - t
        c1, rss = usage()
        r1, e1 = peer_stats(a["url"])
    return {"seconds": secs, "objects": objects, "objects_per_s": objects / secs, "cpu_s": c1 - c0,
            "max_rss_mb": rss, "requests": r1 - r0, "endpoint_cpu_s": e1 - e0}


def fanout(a):
    with open(a["urls-file"]) as f:
        urls = [line.strip() for line in f if line.strip()]

    def one(url):
        with wsman(url, "basic") as w, RunspacePool(w) as pool:
            return len(get_date(pool))

    t, (c0, _) = time.perf_counter(), usage()
    ok = outputs = failed = 0
    first = None
    with concurrent.futures.ThreadPoolExecutor(int(a["throttle"])) as ex:
        for fut in concurrent.futures.as_completed([ex.submit(one, u) for u in urls]):
            try:
                outputs += fut.result()
                ok += 1
            except Exception as e:  # a failed target is counted, not fatal
                failed += 1
                first = first or repr(e)
    secs = time.perf_counter() - t
    c1, rss = usage()
    if first:
        print(f"{failed} of {len(urls)} targets failed, first: {first}", file=sys.stderr)
    return {"seconds": secs, "targets": len(urls), "completed": ok, "outputs": outputs, "failed": failed,
            "cpu_s": c1 - c0, "max_rss_mb": rss}


def decode(a):
    """psrpcore's deserialize_clixml on the first --objects objects of the corpus (it decodes
    ~1 MB/s, so the whole 60 MB would take a minute per run); MB/s is over the bytes decoded."""
    from psrpcore.types import deserialize_clixml

    with open(a["file"], encoding="utf-8") as f:
        xml = f.read()
    n = int(a.get("objects", "0"))
    if n:
        # Cut after the n-th top-level </Obj> of the <Objs> document (objects do not nest
        # "\n  <Obj" at depth one in the writer's output, so count closing tags at depth one).
        depth, pos, count, i = 0, 0, 0, xml.index("<Objs")
        i = xml.index(">", i) + 1
        body_start = i
        while count < n:
            j = xml.find("<", i)
            if j < 0:
                break
            if xml.startswith("</Obj>", j):
                depth -= 1
                if depth == 0:
                    count += 1
                    pos = j + len("</Obj>")
            elif xml.startswith("<Obj ", j) or xml.startswith("<Obj>", j):
                depth += 1
            i = j + 1
        xml = xml[:body_start] + xml[body_start:pos] + "</Objs>"
    t = time.perf_counter()
    v = deserialize_clixml(xml, None)  # no SecureStrings in the corpus
    secs = time.perf_counter() - t
    mb = len(xml.encode()) / 1e6
    return {"mb": mb, "objects": len(v), "psrpcore_mb_s": mb / secs}


def main():
    scenario, rest = sys.argv[1], sys.argv[2:]
    a = {k[2:]: v for k, v in zip(rest[::2], rest[1::2])}
    fn = {"warm": warm, "open": open_, "large": large, "fanout": fanout, "decode": decode}[scenario]
    print(json.dumps(fn(a)))


if __name__ == "__main__":
    main()
