//! The carriers on their own: each transport opens a RunspacePool and runs `Get-Date` on the
//! loopback endpoint, driven by hand-built PSRP messages (no RunspacePool state machine), so a
//! transport bug shows here and not as a session failure.

mod common;

use std::sync::Arc;
use std::time::Duration;

use psremote_psrp::{
    ApartmentState, Command, CreatePipeline, DefragmentLimits, Defragmenter, Destination,
    Fragmenter, HostInfo, InitRunspacePool, Message, MessageData, MessageType, PSInvocationState,
    PSThreadOptions, PowerShell, ProtocolVersion, RemoteStreamOptions, RunspacePoolState,
    SessionCapability,
};
use psremote_runtime::transport::{
    DataStream, Inbound, OutOfProcTransport, SharedTransport, Transport, WsmanTransport,
};
use tokio::sync::mpsc;
use uuid::Uuid;

const V: ProtocolVersion = ProtocolVersion::V2_3;

fn fragments(messages: &[Message]) -> Vec<u8> {
    let mut f = Fragmenter::new(32 * 1024);
    for m in messages {
        f.queue(m.encode());
    }
    let mut out = Vec::new();
    while let Some(p) = f.next_payload() {
        out.extend_from_slice(&p);
    }
    out
}

struct Raw {
    t: SharedTransport,
    rx: mpsc::Receiver<Inbound>,
    defrag: Defragmenter,
    rpid: Uuid,
}

impl Raw {
    async fn open(t: SharedTransport) -> Raw {
        let rpid = Uuid::new_v4();
        let cap = MessageData::SessionCapability(SessionCapability::client(V)).to_message(
            Destination::Server,
            rpid,
            Uuid::nil(),
            V,
        );
        let init = MessageData::InitRunspacePool(InitRunspacePool {
            min_runspaces: 1,
            max_runspaces: 1,
            thread_options: PSThreadOptions::default(),
            apartment_state: ApartmentState::default(),
            host_info: HostInfo::default(),
            application_arguments: None,
        })
        .to_message(Destination::Server, rpid, Uuid::nil(), V);
        let (tx, rx) = mpsc::channel(16);
        t.want_pool_receive(true);
        t.open(rpid, fragments(&[cap, init]), tx)
            .await
            .expect("open");
        let mut raw = Raw {
            t,
            rx,
            defrag: Defragmenter::new(DefragmentLimits::default()),
            rpid,
        };
        loop {
            let msgs = raw.next_messages().await;
            let opened = msgs.iter().any(|(_, d)| {
                matches!(
                    d,
                    MessageData::RunspacePoolState {
                        state: RunspacePoolState::Opened,
                        ..
                    }
                )
            });
            if opened {
                break;
            }
        }
        raw.t.want_pool_receive(false);
        raw
    }

    /// The messages in the next delivery (releasing the carrier right away).
    async fn next_messages(&mut self) -> Vec<(Option<Uuid>, MessageData)> {
        let inb = tokio::time::timeout(Duration::from_secs(30), self.rx.recv())
            .await
            .expect("nothing from the transport within 30 s")
            .expect("transport channel closed");
        match inb {
            Inbound::Data {
                pipeline,
                bytes,
                resume,
                ..
            } => {
                if let Some(r) = resume {
                    let _ = r.send(());
                }
                let mut out = Vec::new();
                self.defrag.push_bytes(&bytes, &mut out).expect("fragments");
                out.into_iter()
                    .map(|m| {
                        let m = Message::decode(&m).expect("message");
                        // psrpcore answers SESSION_CAPABILITY before it knows the pool id.
                        assert!(
                            m.rpid == self.rpid
                                || (m.rpid.is_nil()
                                    && m.message_type == MessageType::SessionCapability),
                            "{:?} for pool {}",
                            m.message_type,
                            m.rpid
                        );
                        let d = MessageData::decode(&m, &Default::default()).expect("data");
                        (pipeline, d)
                    })
                    .collect()
            }
            Inbound::PipelineDone(_) => Vec::new(),
            Inbound::Failed(e) | Inbound::SendFailed { error: e, .. } => {
                panic!("transport failed: {e}")
            }
        }
    }

    /// Runs a one-command pipeline; returns its outputs once it reports Completed.
    async fn run(&mut self, cmd: Command) -> Vec<psremote_psrp::clixml::Value> {
        let pid = Uuid::new_v4();
        let create = MessageData::CreatePipeline(CreatePipeline {
            no_input: true,
            apartment_state: ApartmentState::default(),
            remote_stream_options: RemoteStreamOptions::None,
            add_to_history: false,
            host_info: HostInfo::default(),
            power_shell: PowerShell::from(cmd),
            is_nested: false,
        })
        .to_message(Destination::Server, self.rpid, pid, V);
        assert_eq!(create.message_type, MessageType::CreatePipeline);
        self.t
            .send(Some(pid), DataStream::Default, fragments(&[create]))
            .await
            .expect("create pipeline");
        let mut output = Vec::new();
        loop {
            for (_, d) in self.next_messages().await {
                match d {
                    MessageData::PipelineOutput(v) => output.push(v),
                    MessageData::PipelineState { state, .. } if !state.is_terminal() => {}
                    MessageData::PipelineState { state, error } => {
                        assert_eq!(state, PSInvocationState::Completed, "{error:?}");
                        self.t.pipeline_finished(pid).await.expect("finish");
                        return output;
                    }
                    _ => {}
                }
            }
        }
    }
}

async fn get_date_over(t: SharedTransport) {
    let mut raw = Raw::open(t).await;
    let out = raw.run(Command::new("Get-Date")).await;
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(
        matches!(out[0], psremote_psrp::clixml::Value::DateTime(_)) || out[0].as_object().is_some(),
        "{out:?}"
    );
    // State persists on the pool between pipelines.
    raw.run(Command::script("$x = 41")).await;
    let out = raw.run(Command::script("$x + 1")).await;
    assert_eq!(out, [psremote_psrp::clixml::Value::I32(42)]);
    raw.t.close().await.expect("close");
}

#[tokio::test]
async fn process_transport_runs_a_pipeline() {
    let Some(target) = common::stdio_target(&[]) else {
        return;
    };
    let t = OutOfProcTransport::spawn(&target, "localhost").expect("spawn");
    get_date_over(Arc::new(t)).await;
}

#[tokio::test]
async fn ssh_transport_runs_a_pipeline_through_sshd() {
    let Some(sshd) = common::Sshd::start() else {
        return;
    };
    let info = sshd.connection_info();
    let psremote_runtime::Target::Ssh(target) = &info.target else {
        panic!("not ssh");
    };
    let t = OutOfProcTransport::spawn_ssh(target).expect("spawn ssh");
    get_date_over(Arc::new(t)).await;
}

#[tokio::test]
async fn ssh_failure_is_reported_with_ssh_own_words() {
    let Some(sshd) = common::Sshd::start() else {
        return;
    };
    // Right port, wrong key: ssh refuses, and its stderr reaches the error.
    let info =
        psremote_runtime::ConnectionInfo::ssh(format!("nobody-here@127.0.0.1:{}", sshd.port))
            .ssh_option("StrictHostKeyChecking=no")
            .ssh_option("UserKnownHostsFile=/dev/null")
            .ssh_option("BatchMode=yes")
            .ssh_option("IdentitiesOnly=yes")
            .ssh_option("IdentityFile=/dev/null");
    let psremote_runtime::Target::Ssh(target) = &info.target else {
        panic!("not ssh");
    };
    let t = OutOfProcTransport::spawn_ssh(target).expect("spawn ssh");
    let (tx, mut rx) = mpsc::channel(4);
    let _ = t.open(Uuid::new_v4(), vec![0u8; 4], tx).await;
    let inb = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("ssh did not fail in time");
    match inb {
        Some(Inbound::Failed(e)) => {
            let text = e.to_string();
            assert!(
                text.contains("Permission denied") || text.contains("127.0.0.1"),
                "{text}"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn wsman_transport_runs_a_pipeline() {
    let Some(peer) = common::peer(&[]) else {
        return;
    };
    let info = common::info(&peer);
    let t = WsmanTransport::new(&info).expect("client");
    get_date_over(Arc::new(t)).await;
    let stats = peer.stats().expect("stats");
    assert_eq!(
        stats["shells_open"], 0,
        "Delete must close the shell: {stats}"
    );
}
