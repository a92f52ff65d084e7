//! The psrp-rs side of `benches/compare`: the same scenarios and JSON lines as
//! `psremote-client`, through psrp-rs 4's public API (WinrmClient + RunspacePool).
//!
//! ```text
//! psrp-rs-bench-client warm   --url U --auth basic|ntlm --calls N
//! psrp-rs-bench-client open   --url U --auth basic|ntlm --calls N
//! psrp-rs-bench-client large  --url U (--count N | --megabytes M)
//! psrp-rs-bench-client fanout --urls-file F --throttle T
//! psrp-rs-bench-client decode --file F [--runs R]
//! psrp-rs-bench-client close-check --url U
//! ```

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use psrp_rs::{
    AuthMethod, Command, EncryptionMode, Pipeline, PsValue, RunspacePool, WinrmClient, WinrmConfig,
    WinrmCredentials, WinrmPsrpTransport,
};

const USER: &str = "psremote";
const PASSWORD: &str = "Psr3mote!pass";

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

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

/// "http://127.0.0.1:PORT/wsman" → ("127.0.0.1", PORT).
fn host_port(url: &str) -> Res<(String, u16)> {
    let hp = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .ok_or("bad url")?;
    let (h, p) = hp.rsplit_once(':').ok_or("url without port")?;
    Ok((h.to_string(), p.parse()?))
}

/// The endpoint's counters: (requests, cpu_seconds).
fn peer_stats(url: &str) -> Res<(f64, f64)> {
    let (h, p) = host_port(url)?;
    let mut s = TcpStream::connect((h.as_str(), p))?;
    write!(
        s,
        "GET /psremote-peer/stats HTTP/1.0\r\nHost: {h}:{p}\r\n\r\n"
    )?;
    let mut body = String::new();
    s.read_to_string(&mut body)?;
    let json = body.split_once("\r\n\r\n").ok_or("no body")?.1;
    Ok((
        json_number(json, "requests")?,
        json_number(json, "cpu_seconds")?,
    ))
}

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

fn client(url: &str, auth: &str) -> Res<(WinrmClient, String)> {
    let (host, port) = host_port(url)?;
    let (auth_method, encryption) = match auth {
        // Basic over plain HTTP needs the explicit consent EncryptionMode::Never.
        "basic" => (AuthMethod::Basic, EncryptionMode::Never),
        // NTLM seals every body over HTTP (Auto).
        "ntlm" => (AuthMethod::Ntlm, EncryptionMode::Auto),
        other => return Err(format!("unknown auth {other}").into()),
    };
    let config = WinrmConfig {
        port: Some(port),
        auth_method,
        encryption,
        max_output_bytes: None,
        operation_timeout_secs: 60,
        ..WinrmConfig::http()
    };
    Ok((
        WinrmClient::new(config, WinrmCredentials::new(USER, PASSWORD, ""))?,
        host,
    ))
}

async fn open_pool<'c>(
    c: &'c WinrmClient,
    host: &str,
) -> Res<RunspacePool<WinrmPsrpTransport<'c>>> {
    let (rpid, creation) = RunspacePool::<WinrmPsrpTransport>::build_creation_fragments(1, 1)?;
    let transport = WinrmPsrpTransport::open(c, host, &creation).await?;
    Ok(RunspacePool::open_from_transport(transport, rpid, 1, 1).await?)
}

async fn get_date(pool: &mut RunspacePool<WinrmPsrpTransport<'_>>) -> Res<Vec<PsValue>> {
    Ok(Pipeline::empty()
        .add_command(Command::new("Get-Date"))
        .run(pool)
        .await?)
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
    let (c, host) = client(url, arg(args, "auth")?)?;
    let mut pool = open_pool(&c, &host).await?;
    for _ in 0..20 {
        get_date(&mut pool).await?;
    }
    let (r0, e0) = peer_stats(url)?;
    let u0 = usage();
    let mut lat = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        let out = get_date(&mut pool).await?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        if out.len() != 1 {
            return Err(format!("Get-Date returned {} objects", out.len()).into());
        }
    }
    let u1 = usage();
    let (r1, e1) = peer_stats(url)?;
    // The close result is not part of the measurement (see close-check).
    let _ = pool.close().await;
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
    let (r0, _) = peer_stats(url)?;
    let mut times = Vec::with_capacity(calls);
    let mut cpu = Vec::with_capacity(calls);
    for _ in 0..calls {
        // A new client each time, as psremote's Session::connect and pypsrp's WSMan are: the
        // figure includes the TCP connect and the authentication.
        let (t, u0) = (Instant::now(), usage());
        let (c, host) = client(url, arg(args, "auth")?)?;
        let pool = open_pool(&c, &host).await?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        cpu.push((usage().cpu - u0.cpu).as_secs_f64() * 1e3);
        let _ = pool.close().await;
    }
    let (r1, _) = peer_stats(url)?;
    Ok(format!(
        "{{\"open_ms\":{:.3},\"cpu_ms\":{:.3},\"requests_per_open_close\":{:.2}}}",
        median(&mut times),
        median(&mut cpu),
        (r1 - r0) / calls as f64
    ))
}

/// psrp-rs has no streaming API for pipeline output: `run` collects every object first.
async fn large(args: &HashMap<String, String>) -> Res<String> {
    let url = arg(args, "url")?;
    let (c, host) = client(url, "basic")?;
    let mut pool = open_pool(&c, &host).await?;
    let cmd = match (args.get("count"), args.get("megabytes")) {
        (Some(n), _) => Command::new("Get-PSRemoteLargeOutput")
            .with_parameter("Count", PsValue::I32(n.parse()?)),
        (None, Some(m)) => Command::new("Get-PSRemoteLargeOutput")
            .with_parameter("Megabytes", PsValue::I32(m.parse()?)),
        _ => return Err("large needs --count or --megabytes".into()),
    };
    let (r0, e0) = peer_stats(url)?;
    let (t, u0) = (Instant::now(), usage());
    let out = Pipeline::empty().add_command(cmd).run(&mut pool).await?;
    let objects = out.len();
    drop(out);
    let secs = t.elapsed().as_secs_f64();
    let u1 = usage();
    let (r1, e1) = peer_stats(url)?;
    let _ = pool.close().await;
    Ok(format!(
        "{{\"seconds\":{secs:.3},\"objects\":{objects},\"objects_per_s\":{:.0},\"cpu_s\":{:.3},\
         \"max_rss_mb\":{:.1},\"requests\":{},\"endpoint_cpu_s\":{:.3}}}",
        objects as f64 / secs,
        (u1.cpu - u0.cpu).as_secs_f64(),
        u1.max_rss_kb as f64 / 1024.0,
        r1 - r0,
        e1 - e0
    ))
}

/// One task per target behind a semaphore of `throttle` (psrp-rs has no fan-out of its own).
async fn fanout(args: &HashMap<String, String>) -> Res<String> {
    let urls: Vec<String> = std::fs::read_to_string(arg(args, "urls-file")?)?
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let throttle: usize = arg(args, "throttle")?.parse()?;
    let n = urls.len();
    let (t, u0) = (Instant::now(), usage());
    let sem = Arc::new(tokio::sync::Semaphore::new(throttle));
    let mut tasks = tokio::task::JoinSet::new();
    for url in urls {
        let permit = sem.clone().acquire_owned().await?;
        tasks.spawn(async move {
            let _permit = permit;
            let (c, host) = client(&url, "basic")?;
            let mut pool = open_pool(&c, &host).await?;
            let out = get_date(&mut pool).await?;
            let _ = pool.close().await;
            Res::Ok(out.len())
        });
    }
    let (mut ok, mut outputs, mut failed, mut first) = (0usize, 0usize, 0usize, None);
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok(Ok(k)) => {
                ok += 1;
                outputs += k;
            }
            Ok(Err(e)) => {
                failed += 1;
                first.get_or_insert(e.to_string());
            }
            Err(e) => {
                failed += 1;
                first.get_or_insert(e.to_string());
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let u1 = usage();
    if let Some(f) = first {
        eprintln!("{failed} of {n} targets failed, first: {f}");
    }
    Ok(format!(
        "{{\"seconds\":{secs:.3},\"targets\":{n},\"completed\":{ok},\"outputs\":{outputs},\
         \"failed\":{failed},\"cpu_s\":{:.3},\"max_rss_mb\":{:.1}}}",
        (u1.cpu - u0.cpu).as_secs_f64(),
        u1.max_rss_kb as f64 / 1024.0
    ))
}

fn decode(args: &HashMap<String, String>) -> Res<String> {
    let xml = std::fs::read_to_string(arg(args, "file")?)?;
    let runs: usize = args.get("runs").map_or(Ok(3), |s| s.parse())?;
    let mb = xml.len() as f64 / 1e6;
    let (mut best, mut objects) = (f64::MAX, 0);
    for _ in 0..runs {
        let t = Instant::now();
        let v = psrp_rs::parse_clixml(&xml)?;
        best = best.min(t.elapsed().as_secs_f64());
        objects = v.len();
    }
    Ok(format!(
        "{{\"mb\":{mb:.1},\"objects\":{objects},\"psrp_rs_mb_s\":{:.1}}}",
        mb / best
    ))
}

/// Opens and closes one pool; reports what the close did and that the endpoint still answers
/// on the same client afterwards (psrp-rs sends message type 0x0002100E on close).
async fn close_check(args: &HashMap<String, String>) -> Res<String> {
    let url = arg(args, "url")?;
    let (c, host) = client(url, "basic")?;
    let pool = open_pool(&c, &host).await?;
    let closed = pool.close().await;
    let mut again = open_pool(&c, &host).await?;
    let after = get_date(&mut again).await.map(|v| v.len());
    let _ = again.close().await;
    let json_str = |s: String| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    Ok(format!(
        "{{\"close\":{},\"next_session_get_date\":{}}}",
        json_str(match closed {
            Ok(()) => "ok".into(),
            Err(e) => format!("error: {e}"),
        }),
        json_str(match after {
            Ok(n) => format!("ok, {n} object(s)"),
            Err(e) => format!("error: {e}"),
        })
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
        eprintln!("usage: psrp-rs-bench-client SCENARIO --key value …");
        std::process::exit(2);
    };
    let args: HashMap<String, String> = rest
        .chunks(2)
        .filter_map(|kv| Some((kv[0].strip_prefix("--")?.to_string(), kv.get(1)?.clone())))
        .collect();
    // BENCH_CURRENT_THREAD=1: the same calls on a current-thread runtime (as the psremote client).
    let mut builder = if std::env::var_os("BENCH_CURRENT_THREAD").is_some() {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let rt = match builder.enable_all().build()
    {
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
            "decode" => decode(&args),
            "close-check" => close_check(&args).await,
            other => Err(format!("unknown scenario {other}").into()),
        }
    });
    match result {
        Ok(line) => println!("{line}"),
        Err(e) => {
            eprintln!("psrp-rs-bench-client {scenario}: {e}");
            std::process::exit(1);
        }
    }
}
