//! The fault matrix (RELIABILITY.md): every way a WinRM host or the network fails, driven by the
//! loopback endpoint's fault knobs, through the public `psremote` API. For each row: the typed
//! error, the time it takes to surface (bounded by the configured timeout), no panic, no hang
//! (every call runs under a tokio timeout), no partial output passed off as complete, and
//! recovery where PowerShell recovers.
//!
//! Each row prints `MATRIX|row|outcome|milliseconds` (run with `--nocapture` to collect them).

use std::future::Future;
use std::time::{Duration, Instant};

use psremote::wsman::fault::hint;
use psremote::{AuthMethod, Command, ConnectionInfo, Error, LazySession, Session, Value, wsman};
use psremote_test_support::{PASSWORD, Peer, USER};

/// The operation timeout every row configures; failures must surface within a small multiple.
const OP_TIMEOUT: Duration = Duration::from_secs(3);
/// `ConnectionInfo::request_grace` of the stall row: how long past OperationTimeout the client
/// waits for the reply to a Receive long poll before it gives up on a silent server.
const STALL_GRACE: Duration = Duration::from_secs(2);
/// The outer guard: longer than any legitimate path, so exceeding it is a hang.
const HANG: Duration = Duration::from_secs(60);

fn peer(extra: &[&str]) -> Option<Peer> {
    let mut args = vec!["--allow-unencrypted", "--auth", "basic,negotiate"];
    args.extend_from_slice(extra);
    match Peer::start(&args) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("SKIPPED: the loopback endpoint is not available: {e}");
            None
        }
    }
}

fn info(peer: &Peer) -> ConnectionInfo {
    ConnectionInfo::new(peer.http_url())
        .auth(AuthMethod::Basic)
        .credentials(USER, PASSWORD)
        .allow_unencrypted(true)
        .operation_timeout(OP_TIMEOUT)
        .connect_timeout(OP_TIMEOUT)
        .open_timeout(Duration::from_secs(30))
}

fn set_faults(peer: &Peer, json: &str) {
    use std::io::{Read, Write};
    let port = peer
        .ready
        .http_ports
        .first()
        .copied()
        .expect("an HTTP port");
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        s,
        "POST /psremote-peer/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{json}",
        json.len()
    )
    .expect("write");
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
}

/// Runs `fut` under the hang guard and returns its result and how long it took.
async fn timed<T>(what: &str, fut: impl Future<Output = T>) -> (T, Duration) {
    let t0 = Instant::now();
    let r = tokio::time::timeout(HANG, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: hung for {HANG:?}"));
    (r, t0.elapsed())
}

fn record(row: &str, outcome: &str, took: Duration) {
    eprintln!("MATRIX|{row}|{outcome}|{}", took.as_millis());
}

/// Every error prints as one line (what the CLI shows).
fn one_line(e: &Error) -> String {
    let s = e.to_string();
    assert!(!s.contains('\n'), "not one line: {s}");
    s
}

fn fault_of(e: &Error) -> Option<&wsman::WsmanFault> {
    match e {
        Error::Wsman(w) => w.fault(),
        Error::NotStarted { source } => fault_of(source),
        _ => None,
    }
}

/// `1..N` as a script: N ordered integers, so partial output is detectable.
fn count_to(n: u32) -> Command {
    Command::script(format!("1..{n}"))
}

fn assert_complete(out: &[Value], n: u32) {
    let want: Vec<Value> = (1..=n).map(|i| Value::I32(i as i32)).collect();
    assert_eq!(out, want.as_slice(), "output incomplete or reordered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_reset_mid_receive() {
    let Some(peer) = peer(&[]) else { return };
    let s = Session::connect(info(&peer)).await.expect("connect");
    assert_complete(&s.invoke(count_to(5)).await.expect("warm"), 5);
    // The endpoint reads the Receive, then closes the TCP connection without answering.
    set_faults(&peer, r#"{"drop-receive": 1}"#);
    let (r, took) = timed("reset mid-Receive", s.invoke(count_to(20))).await;
    set_faults(&peer, "[]");
    match r {
        // The command had started: output may be lost, so the call must fail rather than
        // return fewer items as if complete, and must not be re-run silently.
        Err(e) => {
            assert!(
                e.is_session_lost() || matches!(e, Error::Wsman(wsman::Error::Io(_))),
                "{e:?}"
            );
            one_line(&e);
            record("connection reset mid-Receive", &format!("Err: {e}"), took);
        }
        Ok(out) => {
            assert_complete(&out, 20);
            record(
                "connection reset mid-Receive",
                "Ok (re-polled, complete)",
                took,
            );
        }
    }
    assert!(took < OP_TIMEOUT * 3, "{took:?}");
    // Recovery as PowerShell does it: the shell is still there on the server; a fresh session
    // (the implicit-remoting binding does this itself) works at once.
    let s2 = Session::connect(info(&peer)).await.expect("reconnect");
    assert_complete(&s2.invoke(count_to(3)).await.expect("after reset"), 3);
    let _ = s.close().await;
    s2.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stall_beyond_the_operation_timeout() {
    let Some(peer) = peer(&[]) else { return };
    let s = Session::connect(info(&peer).request_grace(STALL_GRACE))
        .await
        .expect("connect");
    set_faults(&peer, r#"["stall-receive=40"]"#);
    let (r, took) = timed("stalled Receive", s.invoke(count_to(3))).await;
    set_faults(&peer, "[]");
    let e = r.expect_err("a Receive that never answers");
    assert!(
        matches!(
            e,
            Error::Timeout { .. } | Error::Wsman(wsman::Error::Timeout(_))
        ) || e.is_session_lost(),
        "{e:?}"
    );
    one_line(&e);
    // OperationTimeout + the configured request grace, never the 40 s stall (nor the 15 s
    // default grace).
    assert!(took >= OP_TIMEOUT + STALL_GRACE, "{took:?}");
    assert!(
        took < OP_TIMEOUT + STALL_GRACE + Duration::from_secs(3),
        "{took:?}"
    );
    record("stall beyond OperationTimeout", &format!("Err: {e}"), took);
    let s2 = Session::connect(info(&peer)).await.expect("new session");
    assert_complete(&s2.invoke(count_to(2)).await.expect("after stall"), 2);
    let _ = s.close().await;
    s2.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn common_wsman_faults_are_typed_with_their_hint() {
    let Some(peer) = peer(&[]) else { return };
    for (name, at, subcode, want_hint) in [
        (
            "access-denied",
            "Create",
            "AccessDenied",
            Some(hint::ACCESS_DENIED),
        ),
        (
            "shell-not-found",
            "Command",
            "InvalidSelectors",
            Some(hint::SHELL_NOT_FOUND),
        ),
        ("quota-exceeded", "Create", "QuotaLimit", Some(hint::QUOTA)),
        (
            "unknown-configuration",
            "Create",
            "InvalidResourceURI",
            Some(hint::NO_CONFIGURATION),
        ),
        (
            "encoding-limit",
            "Command",
            "EncodingLimit",
            Some(hint::ENVELOPE_SIZE),
        ),
    ] {
        let row = format!("WS-Man fault {name} on {at}");
        let pre = if at == "Create" {
            None
        } else {
            Some(Session::connect(info(&peer)).await.expect("connect"))
        };
        set_faults(&peer, &format!(r#"["wsman-fault={name}@{at}"]"#));
        let (r, took) = timed(&row, async {
            match &pre {
                None => Session::connect(info(&peer)).await.map(|_| Vec::new()),
                Some(s) => s.invoke(count_to(3)).await,
            }
        })
        .await;
        set_faults(&peer, "[]");
        let e = r.expect_err(&row);
        let f = fault_of(&e).unwrap_or_else(|| panic!("{row}: not a WS-Man fault: {e:?}"));
        assert_eq!(f.subcode, subcode, "{row}: {f:?}");
        assert_eq!(f.hint, want_hint, "{row}: {f:?}");
        assert!(f.wsman_code.is_some(), "{row}: {f:?}");
        let text = one_line(&e);
        assert!(took < OP_TIMEOUT * 2, "{row}: {took:?}");
        // The Command was refused: nothing ran, so retrying elsewhere is safe.
        if at == "Command" {
            assert!(e.never_started(), "{row}: {e:?}");
        }
        record(&row, &format!("Err: {text}"), took);
        if let Some(s) = pre {
            // A refused Command leaves the pool usable unless the shell is gone.
            match s.invoke(count_to(2)).await {
                Ok(out) => assert_complete(&out, 2),
                Err(e) => assert!(e.is_session_lost(), "{row}: {e:?}"),
            }
            let _ = s.close().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_fragments_fail_the_pipeline_never_return_partial_output() {
    let Some(peer) = peer(&[]) else { return };
    for knob in ["corrupt-fragment", "truncate-fragment", "oversize-fragment"] {
        let s = Session::connect(info(&peer)).await.expect("connect");
        set_faults(&peer, &format!(r#"["{knob}=1"]"#));
        let (r, took) = timed(knob, s.invoke(count_to(50))).await;
        set_faults(&peer, "[]");
        match r {
            Err(e) => {
                assert!(
                    matches!(
                        e,
                        Error::Protocol(_)
                            | Error::RunspacePoolBroken { .. }
                            | Error::UnexpectedValue(_)
                    ),
                    "{knob}: {e:?}"
                );
                record(knob, &format!("Err: {}", one_line(&e)), took);
            }
            // A garbled byte inside a string can still be valid CLIXML; then every item
            // must still be there (the knob hits one fragment, never drops one).
            Ok(out) => {
                assert_eq!(out.len(), 50, "{knob}: partial output reported as complete");
                record(
                    knob,
                    "Ok: garbled bytes decoded as valid CLIXML, 50/50 items",
                    took,
                );
            }
        }
        assert!(took < OP_TIMEOUT * 3, "{knob}: {took:?}");
        let _ = s.close().await;
        // A new session on the same endpoint is unaffected.
        let s2 = Session::connect(info(&peer)).await.expect("new session");
        assert_complete(&s2.invoke(count_to(3)).await.expect("recovered"), 3);
        s2.close().await.expect("close");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_envelope_size_shrunk_mid_session() {
    let Some(peer) = peer(&[]) else { return };
    let s = Session::connect(info(&peer)).await.expect("connect");
    // ~300 KB of pipeline input: fine under the 500 KiB WinRM default the session starts with.
    let big = "x".repeat(300 * 1024);
    let call = || Command::script("param($s) $s.Length").arg(Value::String(big.clone()));
    assert_eq!(
        s.invoke(call()).await.expect("under 500 KB"),
        [Value::I32(300 * 1024)]
    );
    // The administrator lowers MaxEnvelopeSizekb while the session is open.
    set_faults(&peer, r#"["max-envelope-kb=64"]"#);
    let (r, took) = timed("shrunk MaxEnvelopeSize", s.invoke(call())).await;
    let e = r.expect_err("a request larger than the new limit");
    let f = fault_of(&e).unwrap_or_else(|| panic!("not a WS-Man fault: {e:?}"));
    assert_eq!(f.hint, Some(hint::ENVELOPE_SIZE), "{f:?}");
    assert!(e.never_started(), "{e:?}");
    assert!(took < OP_TIMEOUT * 2, "{took:?}");
    record(
        "MaxEnvelopeSize shrunk mid-session",
        &format!("Err: {}", one_line(&e)),
        took,
    );
    // The fault taught the session the new MaxEnvelopeSizekb: the same call now goes in
    // fragments that fit, on the same pool.
    assert_eq!(
        s.invoke(call())
            .await
            .expect("same session, fragmented to 64 KB"),
        [Value::I32(300 * 1024)]
    );
    // A session told the size fits from its first call.
    let s2 = Session::connect(info(&peer).max_envelope_size(64 * 1024))
        .await
        .expect("new session");
    assert_eq!(
        s2.invoke(call()).await.expect("fragmented to 64 KB"),
        [Value::I32(300 * 1024)]
    );
    set_faults(&peer, "[]");
    let _ = s.close().await;
    s2.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_basic_and_ntlm() {
    let Some(peer) = peer(&[]) else { return };
    for auth in [AuthMethod::Basic, AuthMethod::Negotiate] {
        let row = format!("wrong password ({auth:?})");
        let (r, took) = timed(
            &row,
            Session::connect(
                info(&peer)
                    .auth(auth.clone())
                    .credentials(USER, "not the password"),
            ),
        )
        .await;
        let e = r.err().unwrap_or_else(|| panic!("{row}: connected"));
        assert!(
            matches!(e, Error::Wsman(wsman::Error::Auth { .. })),
            "{row}: {e:?}"
        );
        let text = one_line(&e);
        assert!(!text.contains("not the password"), "{text}");
        assert!(took < OP_TIMEOUT * 2, "{row}: {took:?}");
        record(&row, &format!("Err: {text}"), took);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_shell_fails_typed_and_lazy_binding_recreates_it() {
    let Some(peer) = peer(&["--fault", "expire-shell=2"]) else {
        return;
    };
    let s = Session::connect(info(&peer)).await.expect("connect");
    s.invoke(Command::script("$mark = 1")).await.expect("set");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (r, took) = timed("expired shell", s.invoke(count_to(2))).await;
    let e = r.expect_err("the server deleted the shell");
    assert!(e.is_session_lost(), "{e:?}");
    assert!(e.never_started(), "{e:?}");
    assert!(took < OP_TIMEOUT * 2, "{took:?}");
    record("expired shell", &format!("Err: {}", one_line(&e)), took);
    let _ = s.close().await;
    // Recovery as PowerShell does it: a new session (the implicit-remoting binding does this
    // by itself and retries the unstarted call: runtime/tests/binding.rs
    // `lazy_session_recreates_an_expired_shell_and_retries_the_unstarted_call`).
    let s2 = Session::connect(info(&peer)).await.expect("new session");
    assert_complete(&s2.invoke(count_to(2)).await.expect("on the new shell"), 2);
    s2.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_shell_fails_typed() {
    let Some(peer) = peer(&[]) else { return };
    let a = Session::connect(info(&peer)).await.expect("connect");
    // Another client (an administrator's Remove-PSSession / winrm delete) deletes the shell.
    let shell = a.shell_id().expect("a shell id");
    let client = wsman::WsmanClient::new({
        let mut ep = wsman::Endpoint::new(
            peer.http_url(),
            wsman::Auth::Basic(wsman::Credentials::new(USER, PASSWORD)),
        );
        ep.allow_unencrypted = true;
        ep
    })
    .expect("client");
    let shells = client.enumerate_shells().await.expect("enumerate shells");
    let victim = shells
        .into_iter()
        .find(|sh| sh.shell_id.eq_ignore_ascii_case(&shell))
        .expect("our shell is listed");
    client.delete(&victim).await.expect("delete");
    let (r, took) = timed("deleted shell", a.invoke(count_to(2))).await;
    let e = r.expect_err("the shell is gone");
    assert!(e.is_session_lost(), "{e:?}");
    assert!(took < OP_TIMEOUT * 2, "{took:?}");
    record("deleted shell", &format!("Err: {}", one_line(&e)), took);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_restart() {
    let Some(first) = peer(&[]) else { return };
    let port = first
        .ready
        .http_ports
        .first()
        .copied()
        .expect("port")
        .to_string();
    let lazy = LazySession::new(info(&first));
    let s = lazy.session().await.expect("connect");
    assert_complete(&s.invoke(count_to(2)).await.expect("before"), 2);
    drop(first); // the service restarts: every shell is gone
    let (r, took) = timed("endpoint down", s.invoke(count_to(2))).await;
    let e = r.expect_err("nobody listens");
    assert!(e.is_session_lost(), "{e:?}");
    assert!(took < OP_TIMEOUT * 2, "{took:?}");
    record("endpoint down", &format!("Err: {}", one_line(&e)), took);
    let Some(second) = peer(&["--port", &port]) else {
        return;
    };
    let (r, took) = timed("endpoint back", async {
        let s = lazy.session().await?;
        s.invoke(count_to(2)).await
    })
    .await;
    // The binding notices the lost shell and opens a new one on the restarted service.
    let out = match r {
        Ok(out) => out,
        Err(e) => {
            assert!(e.is_session_lost(), "{e:?}");
            lazy.session()
                .await
                .expect("new shell")
                .invoke(count_to(2))
                .await
                .expect("on the restarted service")
        }
    };
    assert_complete(&out, 2);
    record("endpoint restart (recovery)", "Ok: new shell", took);
    lazy.close().await.expect("close");
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kdc_down_is_an_auth_error_in_bounded_time() {
    // No KDC listens on this port (bound, then closed): the AS exchange is refused.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let Some(peer) = peer(&[]) else { return };
    let (r, took) = timed(
        "KDC down",
        Session::connect(
            info(&peer)
                .auth(AuthMethod::Kerberos)
                .kdc(format!("127.0.0.1:{dead}"))
                .kerberos_realm("PSREMOTE.TEST")
                .spn_hostname("localhost"),
        ),
    )
    .await;
    let e = r.map(drop).expect_err("no KDC");
    assert!(
        matches!(
            e,
            Error::Wsman(wsman::Error::Auth { .. } | wsman::Error::Io(_))
        ),
        "{e:?}"
    );
    assert!(took < OP_TIMEOUT * 2, "{took:?}");
    record(
        "KDC down (refused)",
        &format!("Err: {}", one_line(&e)),
        took,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kdc_black_hole_is_bounded_by_the_connect_timeout() {
    // A KDC that accepts the TCP connection and never answers.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = hole.local_addr().expect("addr").port();
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        while let Ok((c, _)) = hole.accept() {
            conns.push(c);
            if conns.len() >= 8 {
                break;
            }
        }
    });
    let Some(peer) = peer(&[]) else { return };
    let (r, took) = timed(
        "KDC black hole",
        Session::connect(
            info(&peer)
                .auth(AuthMethod::Kerberos)
                .kdc(format!("127.0.0.1:{port}"))
                .kerberos_realm("PSREMOTE.TEST")
                .spn_hostname("localhost"),
        ),
    )
    .await;
    let e = r.map(drop).expect_err("no KDC reply");
    assert!(
        matches!(
            e,
            Error::Wsman(wsman::Error::Auth { .. } | wsman::Error::Timeout(_))
        ),
        "{e:?}"
    );
    record("KDC black hole", &format!("Err: {}", one_line(&e)), took);
    assert!(took < OP_TIMEOUT * 2, "{took:?}");
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_unknown_ca_and_name_mismatch() {
    let Some(peer) = peer(&["--https"]) else {
        return;
    };
    let https = |url: String| {
        ConnectionInfo::new(url)
            .auth(AuthMethod::Basic)
            .credentials(USER, PASSWORD)
            .connect_timeout(OP_TIMEOUT)
            .operation_timeout(OP_TIMEOUT)
    };
    // Verification is on by default: the endpoint's own CA is not trusted.
    let (r, took) = timed(
        "unknown CA",
        Session::connect(https(peer.https_url().into())),
    )
    .await;
    let e = r.map(drop).expect_err("unknown CA must fail");
    assert!(
        matches!(
            e,
            Error::Wsman(wsman::Error::Tls {
                kind: wsman::TlsFailure::UnknownIssuer,
                ..
            })
        ),
        "{e:?}"
    );
    record("TLS unknown CA", &format!("Err: {}", one_line(&e)), took);
    // A name the certificate does not carry, verified in place of the URL's host (which the
    // certificate names): same address, same CA.
    let ca = peer.ready.ca_file.clone().expect("CA file");
    let (r, took) = timed(
        "name mismatch",
        Session::connect(
            https(peer.https_url().into())
                .ca_file(&ca)
                .tls_server_name("not-this-host.example"),
        ),
    )
    .await;
    let e = r.map(drop).expect_err("name mismatch must fail");
    assert!(
        matches!(
            e,
            Error::Wsman(wsman::Error::Tls {
                kind: wsman::TlsFailure::NameMismatch,
                ..
            })
        ),
        "{e:?}"
    );
    record("TLS name mismatch", &format!("Err: {}", one_line(&e)), took);
    // With the CA and the right name it connects (the failure was the check, not the service).
    let s = Session::connect(https(peer.https_url().into()).ca_file(ca))
        .await
        .expect("verified");
    s.close().await.expect("close");
}
