//! Soak driver (scripts/soak.sh; not part of CI): many calls on one session, then many sessions
//! opened and closed, against the loopback endpoint. Reports the client's RSS and open file
//! descriptors (from /proc/self) before and after each phase, and the endpoint's open shell
//! count, and exits non-zero when a goal is missed:
//! RSS growth ≤ 5 %, no fd growth, `shells_open` back to 0.
//!
//!     cargo run --release --example soak -- [CALLS] [SESSIONS] [--auth basic|ntlm]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use psremote::{AuthMethod, Command, ConnectionInfo, Session, Value};
use psremote_test_support::{PASSWORD, Peer, USER};

/// Counts live heap bytes, to tell a leak (live bytes grow) from the allocator keeping freed
/// pages (RSS grows, live bytes do not).
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// A GlobalAlloc must be an unsafe impl; it only forwards to the system allocator.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live_kb() -> isize {
    LIVE.load(Ordering::Relaxed) / 1024
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

fn shells_open(peer: &Peer) -> i64 {
    peer.stats()
        .ok()
        .and_then(|s| s.get("shells_open").and_then(serde_json::Value::as_i64))
        .unwrap_or(-1)
}

struct Sample {
    rss_kb: u64,
    live_kb: isize,
    fds: usize,
}

fn sample() -> Sample {
    Sample {
        rss_kb: rss_kb(),
        live_kb: live_kb(),
        fds: fds(),
    }
}

fn growth(before: &Sample, after: &Sample) -> f64 {
    (after.rss_kb as f64 - before.rss_kb as f64) / before.rss_kb.max(1) as f64 * 100.0
}

#[tokio::main]
async fn main() {
    let mut positional = Vec::new();
    let mut auth = AuthMethod::Basic;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--auth" => {
                auth = match args.next().as_deref() {
                    Some("ntlm") => AuthMethod::Ntlm,
                    Some("negotiate") => AuthMethod::Negotiate,
                    _ => AuthMethod::Basic,
                }
            }
            _ => positional.push(a),
        }
    }
    let calls: u32 = positional
        .first()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let sessions: u32 = positional
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000);

    let peer = match Peer::start(&["--allow-unencrypted", "--auth", "basic,negotiate"]) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot start the endpoint: {e}");
            std::process::exit(2);
        }
    };
    let info = ConnectionInfo::new(peer.http_url())
        .auth(auth.clone())
        .credentials(USER, PASSWORD)
        .allow_unencrypted(true)
        .operation_timeout(Duration::from_secs(10));
    println!("soak: {calls} calls on one session, {sessions} sessions, auth {auth:?}");
    let mut failed = false;

    // Phase 1: calls on one session. Warm up first so the baseline includes the pool, the
    // connection slots and the allocator's steady state.
    let s = Session::connect(info.clone()).await.expect("connect");
    for _ in 0..200 {
        s.invoke(Command::new("Get-Date"))
            .await
            .expect("warm-up call");
    }
    let before = sample();
    let t0 = Instant::now();
    let mut max_rss = before.rss_kb;
    for i in 0..calls {
        let out = s
            .invoke(Command::script("$i = $i + 1; $i"))
            .await
            .unwrap_or_else(|e| panic!("call {i}: {e}"));
        assert_eq!(out.len(), 1, "call {i}");
        if i % 500 == 0 {
            max_rss = max_rss.max(rss_kb());
        }
    }
    let elapsed = t0.elapsed();
    let last = s.invoke(Command::script("$i")).await.expect("count");
    assert_eq!(
        last,
        [Value::I32(calls as i32)],
        "state kept across every call"
    );
    let after = sample();
    let g = growth(&before, &after);
    println!(
        "calls: {calls} in {:.1} s ({:.2} ms/call); RSS {} kB -> {} kB ({g:+.2} %, peak {max_rss} kB); live heap {} kB -> {} kB; fds {} -> {}",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / f64::from(calls.max(1)),
        before.rss_kb,
        after.rss_kb,
        before.live_kb,
        after.live_kb,
        before.fds,
        after.fds
    );
    failed |= g > 5.0 || after.fds > before.fds;
    s.close().await.expect("close");
    drop(s);

    // Phase 2: sessions opened, used once and closed.
    for _ in 0..20 {
        let s = Session::connect(info.clone())
            .await
            .expect("warm-up session");
        s.close().await.expect("close");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = sample();
    let t0 = Instant::now();
    // RSS after each tenth of the sessions: a leak grows in a line, an allocator settling in
    // grows early and then stays flat.
    let mut tenths = Vec::with_capacity(10);
    for i in 0..sessions {
        let s = Session::connect(info.clone())
            .await
            .unwrap_or_else(|e| panic!("session {i}: {e}"));
        s.invoke(Command::new("Get-Date"))
            .await
            .unwrap_or_else(|e| panic!("session {i} call: {e}"));
        s.close()
            .await
            .unwrap_or_else(|e| panic!("session {i} close: {e}"));
        if sessions >= 10 && (i + 1) % (sessions / 10) == 0 {
            tenths.push(format!("{}/{}", rss_kb(), live_kb()));
        }
    }
    let elapsed = t0.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = sample();
    let g = growth(&before, &after);
    let open = shells_open(&peer);
    println!(
        "sessions: {sessions} in {:.1} s ({:.1} ms/session); RSS {} kB -> {} kB ({g:+.2} %); live heap {} kB -> {} kB; fds {} -> {}; endpoint shells_open {open}",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / f64::from(sessions.max(1)),
        before.rss_kb,
        after.rss_kb,
        before.live_kb,
        after.live_kb,
        before.fds,
        after.fds
    );
    if !tenths.is_empty() {
        println!(
            "sessions: RSS/live heap (kB) after each tenth: {}",
            tenths.join(" ")
        );
    }
    failed |= g > 5.0 || after.fds > before.fds || open != 0;
    if let Ok(stats) = peer.stats() {
        println!("endpoint stats: {stats}");
    }
    if failed {
        println!("soak: FAILED (a goal was missed)");
        // exit() skips destructors: stop the endpoint first.
        drop(peer);
        std::process::exit(1);
    }
    println!("soak: OK");
}
