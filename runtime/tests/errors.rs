//! What users get when something is wrong: one typed error, one clear line, in bounded time;
//! and the secure paths (NTLM with message encryption, HTTPS) working end to end.

mod common;

use std::time::{Duration, Instant};

use psremote_runtime::{AuthMethod, Command, ConnectionInfo, Error, Session, Value};
use psremote_test_support::{PASSWORD, Peer, USER};

fn one_line(e: &Error) -> String {
    let s = e.to_string();
    assert!(!s.contains('\n'), "not one line: {s}");
    s
}

#[tokio::test]
async fn unreachable_host_is_host_not_reachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let t0 = Instant::now();
    let e = Session::connect(
        ConnectionInfo::new(format!("127.0.0.1:{port}"))
            .auth(AuthMethod::Basic)
            .credentials("u", "p")
            .allow_unencrypted(true)
            .connect_timeout(Duration::from_secs(5)),
    )
    .await
    .expect_err("nobody listens");
    assert!(matches!(e, Error::HostNotReachable { .. }), "{e:?}");
    assert!(one_line(&e).contains("127.0.0.1"));
    assert!(t0.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn basic_over_http_is_refused_locally_unless_allowed() {
    let e = Session::connect(
        ConnectionInfo::new("127.0.0.1:1")
            .auth(AuthMethod::Basic)
            .credentials("u", "p"),
    )
    .await
    .expect_err("refused before any traffic");
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(one_line(&e).contains("HTTPS"));
}

#[tokio::test]
async fn wrong_password_is_an_auth_error() {
    let Some(peer) = common::peer(&[]) else {
        return;
    };
    let e = Session::connect(common::info(&peer).credentials(USER, "not the password"))
        .await
        .expect_err("401");
    assert!(
        matches!(e, Error::Wsman(psremote_runtime::wsman::Error::Auth { .. })),
        "{e:?}"
    );
    one_line(&e);
}

#[tokio::test]
async fn unknown_configuration_carries_the_fix_hint() {
    let Some(peer) = common::peer(&[]) else {
        return;
    };
    let e = Session::connect(common::info(&peer).configuration_name("No.Such.Endpoint"))
        .await
        .expect_err("no such configuration");
    let fault = match &e {
        Error::Wsman(w) => w.fault().cloned(),
        _ => None,
    };
    let fault = fault.unwrap_or_else(|| panic!("not a WS-Man fault: {e:?}"));
    assert!(fault.hint.is_some(), "{fault:?}");
    assert!(one_line(&e).contains("configuration"), "{e}");
}

#[tokio::test]
async fn restricted_endpoint_refuses_scripts_but_runs_listed_commands() {
    let Some(peer) = common::peer(&[]) else {
        return;
    };
    let password = peer
        .ready
        .users
        .get("restricted")
        .cloned()
        .unwrap_or_default();
    let s = Session::connect(
        common::info(&peer)
            .credentials("restricted", password)
            .configuration_name("Restricted"),
    )
    .await
    .expect("connect to the restricted configuration");
    let e = s
        .invoke(Command::script("Get-Date"))
        .await
        .expect_err("NoLanguage refuses script text");
    let rec = e
        .error_record()
        .unwrap_or_else(|| panic!("not PipelineFailed: {e:?}"));
    assert!(rec.fully_qualified_error_id().is_some(), "{rec:?}");
    one_line(&e);
    let out = s
        .invoke(Command::new("Get-Date"))
        .await
        .expect("a listed command");
    assert_eq!(out.len(), 1);
    s.close().await.expect("close");
}

#[tokio::test]
async fn ntlm_with_message_encryption_runs_a_session() {
    let peer = match Peer::start(&["--auth", "negotiate"]) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("SKIPPED: endpoint not available: {e}");
            return;
        }
    };
    let s = Session::connect(
        ConnectionInfo::new(peer.http_url())
            .auth(AuthMethod::Negotiate)
            .credentials(USER, PASSWORD)
            .operation_timeout(Duration::from_secs(5)),
    )
    .await
    .expect("NTLM over HTTP, encrypted");
    s.invoke(Command::script("$v = 20")).await.expect("set");
    assert_eq!(
        s.invoke(Command::script("$v + 1")).await.expect("get"),
        [Value::I32(21)]
    );
    s.close().await.expect("close");
}

#[tokio::test]
async fn https_with_the_endpoint_ca_runs_a_session() {
    let peer = match Peer::start(&["--https", "--auth", "basic"]) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("SKIPPED: endpoint not available: {e}");
            return;
        }
    };
    let Some(ca) = peer.ready.ca_file.clone() else {
        panic!("the endpoint wrote no CA file");
    };
    let s = Session::connect(
        ConnectionInfo::new(peer.https_url())
            .auth(AuthMethod::Basic)
            .credentials(USER, PASSWORD)
            .ca_file(ca),
    )
    .await
    .expect("Basic over HTTPS, verified");
    assert_eq!(
        s.invoke(Command::new("Get-Date"))
            .await
            .expect("call")
            .len(),
        1
    );
    s.close().await.expect("close");
    // Without the CA the certificate is not trusted.
    let e = Session::connect(
        ConnectionInfo::new(peer.https_url())
            .auth(AuthMethod::Basic)
            .credentials(USER, PASSWORD),
    )
    .await
    .expect_err("unknown CA");
    assert!(
        matches!(e, Error::Wsman(psremote_runtime::wsman::Error::Tls { .. })),
        "{e:?}"
    );
}

#[tokio::test]
async fn bad_fragments_fail_the_call_typed_and_fast() {
    let Some(peer) = common::peer(&[]) else {
        return;
    };
    for knob in ["corrupt-fragment", "truncate-fragment", "oversize-fragment"] {
        let s = Session::connect(common::info(&peer))
            .await
            .expect("connect");
        common::set_faults(&peer, &format!(r#"["{knob}=1"]"#));
        let t0 = Instant::now();
        let r = tokio::time::timeout(
            Duration::from_secs(30),
            s.invoke(Command::new("Get-Service")),
        )
        .await
        .unwrap_or_else(|_| panic!("{knob}: hung"));
        let e = r.expect_err(knob);
        assert!(
            matches!(e, Error::Protocol(_) | Error::RunspacePoolBroken { .. }),
            "{knob}: {e:?}"
        );
        one_line(&e);
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "{knob}: {:?}",
            t0.elapsed()
        );
        common::set_faults(&peer, "[]");
        let _ = s.close().await;
    }
}
