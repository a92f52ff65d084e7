//! The psremote side of `benches/compare`: runs one scenario against the loopback endpoint and
//! prints one JSON line of measurements (the orchestrator `bench.py` takes medians and ratios).
//!
//! Every figure is measured by this process itself: CPU with getrusage(RUSAGE_SELF) (user+sys,
//! microseconds), peak RSS from VmHWM, HTTP requests and endpoint CPU from the endpoint's
//! `GET /psremote-peer/stats` read just before and after the timed part.
//!
//! ```text
//! psremote-bench-client warm   --url U --auth basic|ntlm --calls N
//! psremote-bench-client open   --url U --auth basic|ntlm --calls N
//! psremote-bench-client large  --url U (--count N | --megabytes M)
//! psremote-bench-client fanout --urls-file F --throttle T
//! psremote-bench-client gen-corpus --out F [--objects N]
//! psremote-bench-client decode --file F [--runs R]
//! ```

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use futures::StreamExt;
use psremote_clixml::{Limits, ListKind, ObjContent, Property, PsObject, Value};
use psremote_runtime::{
    AuthMethod, Command, ConnectionInfo, FanOutEvent, FanOutOptions, Session, StreamItem,
};

const USER: &str = "psremote";
const PASSWORD: &str = "Psr3mote!pass";

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// This process's user+system CPU time and peak RSS (getrusage).
struct Usage {
    cpu: Duration,
    max_rss_kb: i64,
}

#[allow(unsafe_code)] // getrusage has no safe wrapper in std; the struct is plain data.
fn usage() -> Usage {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage; RUSAGE_SELF is a valid `who`.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Usage {
        cpu: Duration::from_micros(us(ru.ru_utime) + us(ru.ru_stime)),
        max_rss_kb: peak_rss_kb().unwrap_or(ru.ru_maxrss),
    }
}

/// VmHWM of /proc/self/status: unlike ru_maxrss it starts afresh at exec, so a large parent
/// (the orchestrator) does not show up as this process's peak.
fn peak_rss_kb() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The endpoint's counters: (requests, cpu_seconds). Plain HTTP/1.0 on loopback.
fn peer_stats(url: &str) -> Res<(f64, f64)> {
    let hostport = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .ok_or("bad url")?;
    let mut s = TcpStream::connect(hostport)?;
    write!(
        s,
        "GET /psremote-peer/stats HTTP/1.0\r\nHost: {hostport}\r\n\r\n"
    )?;
    let mut body = String::new();
    s.read_to_string(&mut body)?;
    let json = body.split_once("\r\n\r\n").ok_or("no body")?.1;
    Ok((
        json_number(json, "requests")?,
        json_number(json, "cpu_seconds")?,
    ))
}

/// A top-level number field of a flat JSON object (enough for the stats document).
fn json_number(json: &str, key: &str) -> Res<f64> {
    let pat = format!("\"{key}\":");
    let at = json
        .find(&pat)
        .ok_or_else(|| format!("no {key} in stats"))?
        + pat.len();
    let rest = json[at..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E' || c == '-'))
        .unwrap_or(rest.len());
    Ok(rest[..end].parse()?)
}

fn info(url: &str, auth: &str) -> Res<ConnectionInfo> {
    let method = match auth {
        "basic" => AuthMethod::Basic,
        "ntlm" => AuthMethod::Ntlm,
        other => return Err(format!("unknown auth {other}").into()),
    };
    Ok(ConnectionInfo::new(url)
        .auth(method.clone())
        .credentials(USER, PASSWORD)
        // Basic over HTTP has no message encryption; NTLM seals every body (the default).
        .allow_unencrypted(method == AuthMethod::Basic)
        .operation_timeout(Duration::from_secs(60))
        .open_timeout(Duration::from_secs(120)))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

async fn warm(args: &HashMap<String, String>) -> Res<String> {
    let url = arg(args, "url")?;
    let calls: usize = arg(args, "calls")?.parse()?;
    let s = Session::connect(info(url, arg(args, "auth")?)?).await?;
    for _ in 0..20 {
        s.invoke(Command::new("Get-Date")).await?;
    }
    let (r0, e0) = peer_stats(url)?;
    let u0 = usage();
    let mut lat = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        let out = s.invoke(Command::new("Get-Date")).await?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        if out.len() != 1 {
            return Err(format!("Get-Date returned {} objects", out.len()).into());
        }
    }
    let u1 = usage();
    let (r1, e1) = peer_stats(url)?;
    s.close().await?;
    let n = calls as f64;
    Ok(format!(
        "{{\"wall_ms\":{:.4},\"cpu_ms\":{:.4},\"requests_per_call\":{:.3},\"endpoint_cpu_ms\":{:.4}}}",
        median(&mut lat),
        (u1.cpu - u0.cpu).as_secs_f64() * 1e3 / n,
        (r1 - r0) / n,
        (e1 - e0) * 1e3 / n
    ))
}

async fn open(args: &HashMap<String, String>) -> Res<String> {
    let url = arg(args, "url")?;
    let calls: usize = arg(args, "calls")?.parse()?;
    let info = info(url, arg(args, "auth")?)?;
    let (r0, _) = peer_stats(url)?;
    let mut times = Vec::with_capacity(calls);
    let mut cpu = Vec::with_capacity(calls);
    for _ in 0..calls {
        let (t, u0) = (Instant::now(), usage());
        let s = Session::connect(info.clone()).await?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        cpu.push((usage().cpu - u0.cpu).as_secs_f64() * 1e3);
        s.close().await?;
    }
    let (r1, _) = peer_stats(url)?;
    Ok(format!(
        "{{\"open_ms\":{:.3},\"cpu_ms\":{:.3},\"requests_per_open_close\":{:.2}}}",
        median(&mut times),
        median(&mut cpu),
        (r1 - r0) / calls as f64
    ))
}

/// Streams Get-PSRemoteLargeOutput and drops each object as it arrives.
async fn large(args: &HashMap<String, String>) -> Res<String> {
    let url = arg(args, "url")?;
    let s = Session::connect(info(url, "basic")?).await?;
    let cmd = match (args.get("count"), args.get("megabytes")) {
        (Some(n), _) => {
            Command::new("Get-PSRemoteLargeOutput").param("Count", Value::I32(n.parse()?))
        }
        (None, Some(m)) => {
            Command::new("Get-PSRemoteLargeOutput").param("Megabytes", Value::I32(m.parse()?))
        }
        _ => return Err("large needs --count or --megabytes".into()),
    };
    let (r0, e0) = peer_stats(url)?;
    let (t, u0) = (Instant::now(), usage());
    let mut stream = s.stream(cmd, Vec::new()).await?;
    let (mut objects, mut payload) = (0u64, 0u64);
    while let Some(item) = stream.next().await {
        if let StreamItem::Output(v) = item? {
            objects += 1;
            if let Value::Object(o) = &v {
                payload += o
                    .get("Payload")
                    .and_then(|p| match p {
                        Value::String(s) => Some(s.len() as u64),
                        _ => None,
                    })
                    .unwrap_or(0);
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let u1 = usage();
    let (r1, e1) = peer_stats(url)?;
    s.close().await?;
    Ok(format!(
        "{{\"seconds\":{secs:.3},\"objects\":{objects},\"payload_mb\":{:.1},\"objects_per_s\":{:.0},\
         \"payload_mb_per_s\":{:.2},\"cpu_s\":{:.3},\"max_rss_mb\":{:.1},\"requests\":{},\
         \"endpoint_cpu_s\":{:.3}}}",
        payload as f64 / 1e6,
        objects as f64 / secs,
        payload as f64 / 1e6 / secs,
        (u1.cpu - u0.cpu).as_secs_f64(),
        u1.max_rss_kb as f64 / 1024.0,
        r1 - r0,
        e1 - e0
    ))
}

async fn fanout(args: &HashMap<String, String>) -> Res<String> {
    let urls = std::fs::read_to_string(arg(args, "urls-file")?)?;
    let throttle: usize = arg(args, "throttle")?.parse()?;
    let targets: Vec<ConnectionInfo> = urls
        .lines()
        .filter(|l| !l.is_empty())
        .map(|u| info(u, "basic"))
        .collect::<Res<_>>()?;
    let n = targets.len();
    let (t, u0) = (Instant::now(), usage());
    let options = FanOutOptions {
        throttle,
        ..FanOutOptions::default()
    };
    let mut events = Box::pin(psremote_runtime::invoke_many(
        targets,
        Command::new("Get-Date"),
        options,
    ));
    let (mut ok, mut outputs, mut failed) = (0usize, 0usize, Vec::new());
    while let Some(e) = events.next().await {
        match e {
            FanOutEvent::Item {
                item: StreamItem::Output(_),
                ..
            } => outputs += 1,
            FanOutEvent::Item { .. } => {}
            FanOutEvent::Completed { .. } => ok += 1,
            FanOutEvent::Failed {
                computer_name,
                error,
            } => failed.push(format!("{computer_name}: {error}")),
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let u1 = usage();
    if let Some(f) = failed.first() {
        eprintln!("{} of {n} targets failed, first: {f}", failed.len());
    }
    Ok(format!(
        "{{\"seconds\":{secs:.3},\"targets\":{n},\"completed\":{ok},\"outputs\":{outputs},\
         \"failed\":{},\"cpu_s\":{:.3},\"max_rss_mb\":{:.1}}}",
        failed.len(),
        (u1.cpu - u0.cpu).as_secs_f64(),
        u1.max_rss_kb as f64 / 1024.0
    ))
}

fn enum_obj(type_name: &str, member: &str, v: i32) -> Value {
    Value::object(
        PsObject::with_type_names([
            type_name,
            "System.Enum",
            "System.ValueType",
            "System.Object",
        ])
        .with_to_string(member)
        .with_content(ObjContent::Value(Value::I32(v))),
    )
}

/// A `Get-Service` object as Windows PowerShell 5.1 serializes it (Deserialized type names,
/// enums as nested objects, service lists, an extended PSComputerName).
fn service(i: usize) -> Value {
    let name = format!("Svc{i:06}");
    let deps: Vec<Value> = (0..(i % 3))
        .map(|d| Value::String(format!("RpcSs{d}")))
        .collect();
    let list = |items: Vec<Value>| {
        Value::object(
            PsObject::with_type_names([
                "Deserialized.System.ServiceProcess.ServiceController[]",
                "System.Object",
            ])
            .with_content(ObjContent::List(ListKind::List, items)),
        )
    };
    let running = !i.is_multiple_of(4);
    let mut o = PsObject::with_type_names([
        "Deserialized.System.ServiceProcess.ServiceController",
        "Deserialized.System.ComponentModel.Component",
        "Deserialized.System.MarshalByRefObject",
        "Deserialized.System.Object",
    ])
    .with_to_string(format!("System.ServiceProcess.ServiceController ({name})"))
    .with_adapted("Name", name.clone())
    .with_adapted("RequiredServices", list(deps.clone()))
    .with_adapted("CanPauseAndContinue", false)
    .with_adapted("CanShutdown", i.is_multiple_of(5))
    .with_adapted("CanStop", running)
    .with_adapted(
        "DisplayName",
        format!("Windows Service Number {i} & Co <x>"),
    )
    .with_adapted("DependentServices", list(Vec::new()))
    .with_adapted("MachineName", ".")
    .with_adapted("ServiceName", name)
    .with_adapted("ServicesDependedOn", list(deps))
    .with_adapted("ServiceHandle", Value::Null)
    .with_adapted(
        "Status",
        if running {
            enum_obj(
                "System.ServiceProcess.ServiceControllerStatus",
                "Running",
                4,
            )
        } else {
            enum_obj(
                "System.ServiceProcess.ServiceControllerStatus",
                "Stopped",
                1,
            )
        },
    )
    .with_adapted(
        "ServiceType",
        enum_obj("System.ServiceProcess.ServiceType", "Win32OwnProcess", 16),
    )
    .with_adapted(
        "StartType",
        enum_obj("System.ServiceProcess.ServiceStartMode", "Automatic", 2),
    )
    .with_adapted("Site", Value::Null)
    .with_adapted("Container", Value::Null);
    o.extended.push(Property {
        name: "PSComputerName".into(),
        value: Value::String("WIN-NNMU24VVKJ0".into()),
    });
    Value::object(o)
}

/// A `Get-Process` object as Windows PowerShell 5.1 serializes it.
fn process(i: usize) -> Value {
    let name = ["svchost", "explorer", "pwsh", "lsass", "winlogon"][i % 5];
    Value::object(
        PsObject::with_type_names([
            "Deserialized.System.Diagnostics.Process",
            "Deserialized.System.ComponentModel.Component",
            "Deserialized.System.MarshalByRefObject",
            "Deserialized.System.Object",
        ])
        .with_to_string(format!("System.Diagnostics.Process ({name})"))
        .with_adapted("Id", (i as i32).wrapping_mul(4))
        .with_adapted("ProcessName", name)
        .with_adapted("Handles", 200 + (i % 900) as i32)
        .with_adapted("WorkingSet64", 1_048_576i64 * (i % 300) as i64)
        .with_adapted("CPU", (i as f64) * 0.015625)
        .with_adapted(
            "StartTime",
            Value::DateTime(psremote_clixml::DateTime(format!(
                "2026-11-{:02}T{:02}:{:02}:{:02}.{:07}+00:00",
                1 + i % 28,
                i % 24,
                i % 60,
                (i * 7) % 60,
                i % 10_000_000
            ))),
        )
        .with_adapted("Path", format!("C:\\Windows\\System32\\{name}.exe"))
        .with_adapted("Responding", true)
        .with_adapted(
            "PriorityClass",
            enum_obj("System.Diagnostics.ProcessPriorityClass", "Normal", 32),
        )
        .with_extended("PSComputerName", "WIN-NNMU24VVKJ0"),
    )
}

/// 10⁵ objects by default, services and processes alternating (~60 MB, one Export-Clixml
/// document, so type names are shared through `<TNRef>`).
fn gen_corpus(args: &HashMap<String, String>) -> Res<String> {
    let objects: usize = args.get("objects").map_or(Ok(100_000), |s| s.parse())?;
    let values: Vec<Value> = (0..objects)
        .map(|i| if i % 2 == 0 { service(i) } else { process(i) })
        .collect();
    let xml = psremote_clixml::to_objs_document(&values);
    std::fs::write(arg(args, "out")?, &xml)?;
    Ok(format!(
        "{{\"objects\":{objects},\"mb\":{:.1}}}",
        xml.len() as f64 / 1e6
    ))
}

fn tokenize(xml: &str) -> Res<usize> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut events = 0usize;
    loop {
        match reader.read_event()? {
            quick_xml::events::Event::Eof => return Ok(events),
            e => {
                std::hint::black_box(&e);
                events += 1;
            }
        }
    }
}

/// Best of R runs each: psremote_clixml::from_str_with and quick-xml's raw tokenizer, same bytes.
fn decode(args: &HashMap<String, String>) -> Res<String> {
    let xml = std::fs::read_to_string(arg(args, "file")?)?;
    let runs: usize = args.get("runs").map_or(Ok(5), |s| s.parse())?;
    let mb = xml.len() as f64 / 1e6;
    let (mut best_decode, mut best_token, mut objects) = (f64::MAX, f64::MAX, 0);
    for _ in 0..runs {
        let t = Instant::now();
        let v = psremote_clixml::from_str_with(&xml, &Limits::UNLIMITED_SIZE)?;
        best_decode = best_decode.min(t.elapsed().as_secs_f64());
        objects = v.len();
        drop(v);
        let t = Instant::now();
        std::hint::black_box(tokenize(&xml)?);
        best_token = best_token.min(t.elapsed().as_secs_f64());
    }
    Ok(format!(
        "{{\"mb\":{mb:.1},\"objects\":{objects},\"psremote_mb_s\":{:.1},\"quick_xml_mb_s\":{:.1}}}",
        mb / best_decode,
        mb / best_token
    ))
}

fn arg<'a>(args: &'a HashMap<String, String>, name: &str) -> Res<&'a str> {
    args.get(name)
        .map(String::as_str)
        .ok_or_else(|| format!("missing --{name}").into())
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some((scenario, rest)) = argv.split_first() else {
        eprintln!("usage: psremote-bench-client SCENARIO --key value …");
        std::process::exit(2);
    };
    let args: HashMap<String, String> = rest
        .chunks(2)
        .filter_map(|kv| Some((kv[0].strip_prefix("--")?.to_string(), kv.get(1)?.clone())))
        .collect();
    // What `#[tokio::main]` gives a user; BENCH_CURRENT_THREAD=1 measures the same calls on a
    // current-thread runtime (no wakeups across worker threads), for the profile notes.
    let mut builder = if std::env::var_os("BENCH_CURRENT_THREAD").is_some() {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let rt = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio: {e}");
            std::process::exit(1);
        }
    };
    let result = rt.block_on(async {
        match scenario.as_str() {
            "warm" => warm(&args).await,
            "open" => open(&args).await,
            "large" => large(&args).await,
            "fanout" => fanout(&args).await,
            "gen-corpus" => gen_corpus(&args),
            "decode" => decode(&args),
            other => Err(format!("unknown scenario {other}").into()),
        }
    });
    match result {
        Ok(line) => println!("{line}"),
        Err(e) => {
            eprintln!("psremote-bench-client {scenario}: {e}");
            std::process::exit(1);
        }
    }
}
