//! `Session` against the loopback endpoint over WS-Man: calls, state, streams, failures, stop,
//! host calls, input, concurrency, disconnect/reconnect.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::BoxFuture;
use psremote_runtime::{
    Command, Error, Host, HostCall, HostError, PowerShell, Session, SessionOptions, SessionState,
    StreamItem, Value,
};

fn text(v: &Value) -> String {
    psremote_runtime::session::value_text(v)
}

#[tokio::test]
async fn connect_and_get_date() {
    let Some(peer) = common::peer(&[]) else {
        return;
    };
    let s = Session::connect(common::info(&peer))
        .await
        .expect("connect");
    assert_eq!(s.state(), SessionState::Opened);
    let out = s.invoke(Command::new("Get-Date")).await.expect("Get-Date");
    assert_eq!(out.len(), 1, "{out:?}");
    let is_date = match &out[0] {
        Value::DateTime(_) => true,
        Value::Object(o) => matches!(
            o.content,
            psremote_runtime::clixml::ObjContent::Value(Value::DateTime(_))
        ),
        _ => false,
    };
    assert!(is_date, "{:?}", out[0]);
    assert!(s.application_private_data().is_some());
    s.close().await.expect("close");
    assert_eq!(s.state(), SessionState::Closed);
    let stats = peer.stats().expect("stats");
    assert_eq!(stats["shells_open"], 0, "{stats}");
}
