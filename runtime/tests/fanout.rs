//! Fan-out over many endpoints: throttle, per-host tagging, one bad host, bounded buffering.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures::StreamExt;
use psremote_runtime::fanout::{FanOutEvent, FanOutOptions, invoke_many};
use psremote_runtime::{Command, StreamItem, Value};

fn text(v: &Value) -> String {
    psremote_runtime::session::value_text(v)
}

#[tokio::test]
async fn fifty_hosts_tagged_with_one_bad_host() {
    let Some(peer) = common::peer(&["--listen-count", "50"]) else {
        return;
    };
    assert!(
        peer.ready.http_ports.len() >= 50,
        "{:?}",
        peer.ready.http_ports
    );
    let mut targets: Vec<_> = (0..50)
        .map(|i| common::info_for(&peer, i).computer_name(format!("node{i:02}")))
        .collect();
    // A port nobody listens on: refused at once, reported for that host only.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    targets.insert(
        17,
        psremote_runtime::ConnectionInfo::new(format!("http://127.0.0.1:{dead}/wsman"))
            .auth(psremote_runtime::AuthMethod::Basic)
            .credentials("psremote", "x")
            .allow_unencrypted(true)
            .computer_name("dead-host")
            .connect_timeout(Duration::from_secs(5)),
    );
    let options = FanOutOptions {
        throttle: 8,
        connect_timeout: Some(Duration::from_secs(30)),
        operation_timeout: Some(Duration::from_secs(60)),
        buffer: 16,
        ..FanOutOptions::default()
    };
    let mut events = invoke_many(targets, Command::new("Get-UICulture"), options);
    let mut outputs: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut completed = BTreeSet::new();
    let mut failed = BTreeMap::new();
    while let Some(ev) = events.next().await {
        match ev {
            FanOutEvent::Item {
                computer_name,
                item: StreamItem::Output(v),
            } => outputs.entry(computer_name).or_default().push(v),
            FanOutEvent::Item { .. } => {}
            FanOutEvent::Completed { computer_name, .. } => {
                completed.insert(computer_name);
            }
            FanOutEvent::Failed {
                computer_name,
                error,
            } => {
                failed.insert(computer_name, error.to_string());
            }
        }
    }
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed.contains_key("dead-host"), "{failed:?}");
    assert_eq!(completed.len(), 50);
    assert_eq!(outputs.len(), 50);
    for (host, values) in &outputs {
        assert_eq!(values.len(), 1, "{host}");
        let o = values[0].as_object().expect("CultureInfo object");
        assert_eq!(
            o.get("PSComputerName").map(text).as_deref(),
            Some(host.as_str())
        );
        assert!(matches!(o.get("RunspaceId"), Some(Value::Guid(_))), "{o:?}");
        assert!(
            o.get("Name").is_some(),
            "the culture's own properties stay: {o:?}"
        );
    }
    // Every shell was closed.
    let stats = peer.stats().expect("stats");
    assert_eq!(stats["shells_open"], 0, "{stats}");
}

#[tokio::test]
async fn a_stalled_host_times_out_alone() {
    let Some(good) = common::peer(&["--listen-count", "3"]) else {
        return;
    };
    let Some(stalled) = common::peer(&["--fault", "stall-receive=30"]) else {
        return;
    };
    let mut targets: Vec<_> = (0..3)
        .map(|i| common::info_for(&good, i).computer_name(format!("good{i}")))
        .collect();
    targets.push(common::info(&stalled).computer_name("stalled"));
    let options = FanOutOptions {
        operation_timeout: Some(Duration::from_secs(3)),
        connect_timeout: Some(Duration::from_secs(4)),
        ..FanOutOptions::default()
    };
    let t0 = std::time::Instant::now();
    let mut events = invoke_many(targets, Command::new("Get-Date"), options);
    let mut completed = BTreeSet::new();
    let mut failed = BTreeMap::new();
    while let Some(ev) = events.next().await {
        match ev {
            FanOutEvent::Completed { computer_name, .. } => {
                completed.insert(computer_name);
            }
            FanOutEvent::Failed {
                computer_name,
                error,
            } => {
                failed.insert(computer_name, error);
            }
            FanOutEvent::Item { .. } => {}
        }
    }
    assert_eq!(completed.len(), 3, "{completed:?} {failed:?}");
    let e = failed.get("stalled").expect("the stalled host failed");
    assert!(
        matches!(e, psremote_runtime::Error::Timeout { .. }),
        "{e:?}"
    );
    // Opening the pool needs Receives too, so the stall may hit the connect limit instead;
    // either way the host is given up within its limits (plus the bounded close), not after
    // the stall's 30 s.
    assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
}
