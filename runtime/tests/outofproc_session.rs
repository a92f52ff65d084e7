//! `Session` over the out-of-process transports: a local child process and SSH through a real
//! sshd, each with state across calls, streams, input, host calls and stop.

mod common;

use std::time::{Duration, Instant};

use futures::StreamExt;
use std::sync::Arc;

use futures::future::BoxFuture;
use psremote_runtime::{
    Command, ConnectionInfo, Error, Host, HostCall, HostError, Session, SessionOptions,
    SessionState, StreamItem, Value,
};

/// Answers ReadLine; host responses travel on the PromptResponse stream.
struct LineHost;

impl Host for LineHost {
    fn call(&self, call: HostCall) -> BoxFuture<'static, Result<Option<Value>, HostError>> {
        Box::pin(async move {
            match call.method_name.as_str() {
                "ReadLine" => Ok(Some(Value::String("from the client host".into()))),
                _ if psremote_runtime::host::is_void_method(call.method_id) => Ok(None),
                other => Err(HostError::new(format!("{other} is not supported"))),
            }
        })
    }
}

fn text(v: &Value) -> String {
    psremote_runtime::session::value_text(v)
}

async fn exercise(s: &Session) {
    assert_eq!(s.state(), SessionState::Opened);
    let out = s.invoke(Command::new("Get-Date")).await.expect("Get-Date");
    assert_eq!(out.len(), 1);
    s.invoke(Command::script("$h = Get-HotFix"))
        .await
        .expect("set");
    let filtered = s
        .invoke(Command::script(
            r#"$h | where {$_.InstalledBy -ne "NT AUTHORITY\SYSTEM"}"#,
        ))
        .await
        .expect("filter");
    assert!(!filtered.is_empty());
    let inv = s
        .invoke_full(
            Command::script("Write-Warning 'w'; Write-Output 'o'"),
            Vec::new(),
        )
        .await
        .expect("streams");
    assert_eq!(inv.output.iter().map(text).collect::<Vec<_>>(), ["o"]);
    assert_eq!(inv.warnings.len(), 1);
    let out = s
        .invoke_with_input(
            Command::new("ForEach-Object").arg(Value::ScriptBlock("$_ + 1".into())),
            [Value::I32(1), Value::I32(2)],
        )
        .await
        .expect("input");
    assert_eq!(out, [Value::I32(2), Value::I32(3)]);
    let e = s
        .invoke(Command::new("Get-NoSuchCommand"))
        .await
        .expect_err("fails");
    assert!(e.error_record().is_some(), "{e}");

    // Stop (out-of-process `<Signal>`).
    let t0 = Instant::now();
    let mut st = s
        .stream(
            Command::new("Start-Sleep").param("Seconds", Value::I32(60)),
            Vec::new(),
        )
        .await
        .expect("start");
    let stopper = st.stopper().expect("stopper");
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stopper.stop().await;
    });
    let mut end = None;
    while let Some(item) = st.next().await {
        match item {
            Err(e) => end = Some(e),
            Ok(StreamItem::Output(v)) => panic!("unexpected output {v:?}"),
            Ok(_) => {}
        }
    }
    assert!(matches!(end, Some(Error::PipelineStopped)), "{end:?}");
    assert!(t0.elapsed() < Duration::from_secs(20));
    assert_eq!(
        s.invoke(Command::script("1 + 2")).await.expect("after"),
        [Value::I32(3)]
    );
}

#[tokio::test]
async fn session_over_a_child_process() {
    let Some(target) = common::stdio_target(&[]) else {
        return;
    };
    let s = Session::connect(ConnectionInfo::process(target))
        .await
        .expect("connect");
    exercise(&s).await;
    s.close().await.expect("close");
    assert_eq!(s.state(), SessionState::Closed);
}

#[tokio::test]
async fn session_over_ssh() {
    let Some(sshd) = common::Sshd::start() else {
        return;
    };
    let s = Session::connect(sshd.connection_info())
        .await
        .expect("connect over ssh");
    assert_eq!(s.computer_name(), "127.0.0.1");
    exercise(&s).await;
    s.close().await.expect("close");
}

#[tokio::test]
async fn ssh_refusal_is_one_clear_error() {
    let Some(sshd) = common::Sshd::start() else {
        return;
    };
    let info = ConnectionInfo::ssh(format!("nobody-here@127.0.0.1:{}", sshd.port))
        .ssh_option("StrictHostKeyChecking=no")
        .ssh_option("UserKnownHostsFile=/dev/null")
        .ssh_option("BatchMode=yes")
        .ssh_option("IdentitiesOnly=yes")
        .ssh_option("IdentityFile=/dev/null")
        .open_timeout(Duration::from_secs(20));
    let e = Session::connect(info).await.expect_err("refused");
    let line = e.to_string();
    assert!(matches!(e, Error::HostNotReachable { .. }), "{e:?}");
    assert!(line.contains("Permission denied"), "{line}");
    assert!(!line.contains('\n'), "{line}");
}

#[tokio::test]
async fn host_calls_over_a_child_process() {
    let Some(target) = common::stdio_target(&[]) else {
        return;
    };
    let s = Session::connect_with(
        ConnectionInfo::process(target),
        SessionOptions {
            host: Arc::new(LineHost),
        },
    )
    .await
    .expect("connect");
    let out = s
        .invoke(Command::new("Read-Host"))
        .await
        .expect("Read-Host");
    assert_eq!(
        out.iter().map(text).collect::<Vec<_>>(),
        ["from the client host"]
    );
    s.close().await.expect("close");
}
