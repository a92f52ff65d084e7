//! Implicit session binding: generated-stub calls on a live `Session` and on a `LazySession`
//! that connects on first use, reconnects a Disconnected session and recreates an expired or
//! broken one, retrying only calls that never started.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use psremote_runtime::implicit::{Call, ImplicitSession};
use psremote_runtime::{CatalogCheck, Command, LazySession, Session, SessionOptions, Value};

fn text(v: &Value) -> String {
    psremote_runtime::session::value_text(v)
}

#[tokio::test]
async fn stubs_run_on_a_live_session() {
    let Some(peer) = common::peer(&[]) else {
        return;
    };
    let s = Session::connect(common::info(&peer))
        .await
        .expect("connect");
    let rs = ImplicitSession::new(s.clone());
    let mut call = Call::new(&rs, "Get-Service");
    call.param("Name", Value::String("WinRM".into()));
    let out: Vec<Value> = call.invoke().await.expect("Get-Service");
    assert_eq!(out.len(), 1);
    let name = out[0].as_object().and_then(|o| o.get("Name")).map(text);
    assert_eq!(name.as_deref(), Some("WinRM"));
    s.close().await.expect("close");
}

#[tokio::test]
async fn lazy_session_connects_on_first_call_and_reconnects() {
    let Some(peer) = common::peer(&[]) else {
        return;
    };
    let lazy = LazySession::new(common::info(&peer));
    assert!(
        lazy.current().await.is_none(),
        "nothing before the first call"
    );
    assert_eq!(peer.stats().expect("stats")["shells_created"], 0);
    let rs = ImplicitSession::new(lazy.clone());
    let out: Vec<Value> = Call::new(&rs, "Get-Date")
        .invoke()
        .await
        .expect("first call");
    assert_eq!(out.len(), 1);
    assert_eq!(lazy.stats().connects.load(Ordering::Relaxed), 1);

    // State lives in the one session.
    let s = lazy.session().await.expect("session");
    s.invoke(Command::script("$kept = 'yes'"))
        .await
        .expect("set");
    // A Disconnected session is reconnected, not replaced: the variable is still there.
    s.disconnect().await.expect("disconnect");
    let mut call = Call::new(&rs, "Write-Output");
    call.param("InputObject", Value::String("after".into()));
    let out: Vec<Value> = call.invoke().await.expect("after disconnect");
    assert_eq!(out.iter().map(text).collect::<Vec<_>>(), ["after"]);
    assert_eq!(lazy.stats().reconnects.load(Ordering::Relaxed), 1);
    assert_eq!(lazy.stats().connects.load(Ordering::Relaxed), 1);
    let s = lazy.session().await.expect("session");
    let out = s.invoke(Command::script("$kept")).await.expect("kept");
    assert_eq!(out.iter().map(text).collect::<Vec<_>>(), ["yes"]);
    lazy.close().await.expect("close");
}

#[tokio::test]
async fn lazy_session_recreates_an_expired_shell_and_retries_the_unstarted_call() {
    let Some(peer) = common::peer(&["--fault", "expire-shell=2"]) else {
        return;
    };
    let info = common::info(&peer).operation_timeout(Duration::from_secs(1));
    let lazy = LazySession::new(info);
    let rs = ImplicitSession::new(lazy.clone());
    let s = lazy.session().await.expect("session");
    s.invoke(Command::script("$mark = 'old shell'"))
        .await
        .expect("set");
    // Idle past IdleTimeout: the endpoint deletes the shell, as WinRM does.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut call = Call::new(&rs, "Write-Output");
    call.param("InputObject", Value::String("healed".into()));
    let out: Vec<Value> = call.invoke().await.expect("call after expiry");
    assert_eq!(out.iter().map(text).collect::<Vec<_>>(), ["healed"]);
    assert_eq!(lazy.stats().retries.load(Ordering::Relaxed), 1);
    assert_eq!(lazy.stats().recreations.load(Ordering::Relaxed), 1);
    assert_eq!(lazy.stats().connects.load(Ordering::Relaxed), 2);
    // It is a new shell: the old state is gone, and nothing was re-run on it.
    let s = lazy.session().await.expect("session");
    let out = s
        .invoke(Command::script("$mark -eq $null"))
        .await
        .expect("mark");
    assert_eq!(out, [Value::Bool(true)]);
    lazy.close().await.expect("close");
}

#[tokio::test]
async fn dropped_receive_fails_typed_is_not_rerun_and_the_next_call_heals() {
    let Some(peer) = common::peer(&[]) else {
        return;
    };
    let lazy = LazySession::new(common::info(&peer));
    let rs = ImplicitSession::new(lazy.clone());
    let _: Vec<Value> = Call::new(&rs, "Get-Date").invoke().await.expect("warm");

    // The connection drops under the call's Receive: the command had started, so the call
    // fails (typed, at once) rather than being re-run or silently missing output.
    common::set_faults(&peer, r#"{"drop-receive": 1}"#);
    let e = tokio::time::timeout(
        Duration::from_secs(30),
        Call::new(&rs, "Get-Date").invoke::<Value>(),
    )
    .await
    .expect("must not hang")
    .expect_err("the connection dropped");
    assert!(e.to_string().contains("connection"), "{e}");
    assert_eq!(lazy.stats().retries.load(Ordering::Relaxed), 0);

    // The next call replaces the broken session.
    let out: Vec<Value> = Call::new(&rs, "Get-Date").invoke().await.expect("healed");
    assert_eq!(out.len(), 1);
    assert_eq!(lazy.stats().connects.load(Ordering::Relaxed), 2);
    assert_eq!(lazy.stats().recreations.load(Ordering::Relaxed), 1);
    lazy.close().await.expect("close");
}

#[tokio::test]
async fn catalog_drift_is_detected_on_connect() {
    let Some(peer) = common::peer(&[]) else {
        return;
    };
    let live_hash: psremote_runtime::binding::CatalogHashFn = Arc::new(|s: Session| {
        Box::pin(async move {
            let names = s
                .run_script_collect_strings(
                    "Get-Command -Name Get-Date, Get-Service | ForEach-Object { $_.Name }",
                )
                .await?;
            Ok(names.join(","))
        })
    });
    let same = LazySession::with_options(
        common::info(&peer),
        SessionOptions::default(),
        Some(CatalogCheck {
            expected_hash: "Get-Date,Get-Service".into(),
            live_hash: live_hash.clone(),
        }),
    );
    same.session().await.expect("connect");
    assert!(!same.catalog_drift());
    let drifted = LazySession::with_options(
        common::info(&peer),
        SessionOptions::default(),
        Some(CatalogCheck {
            expected_hash: "Get-Date".into(),
            live_hash,
        }),
    );
    drifted.session().await.expect("connect");
    assert!(drifted.catalog_drift());
    same.close().await.expect("close");
    drifted.close().await.expect("close");
}

#[tokio::test]
async fn sessions_convert_into_what_stubs_take() {
    fn takes(_: impl Into<ImplicitSession>) {}
    let Some(peer) = common::peer(&[]) else {
        return;
    };
    let s = Session::connect(common::info(&peer))
        .await
        .expect("connect");
    takes(s.clone());
    takes(LazySession::new(common::info(&peer)));
    s.close().await.expect("close");
}
