//! Measures the client's receive path: PIPELINE_OUTPUT messages carrying service-like
//! objects, fragmented as a WS-Man server sends them, through `RunspacePool::receive_data`
//! to events; beside the CLIXML decode of the same messages alone.
//!
//! `cargo run --release -p psremote-psrp --example receive_throughput [objects]`

use psremote_psrp::clixml::{Limits, Value};
use psremote_psrp::{
    Command, Destination, Event, Fragmenter, MessageData, PipelineOptions, ProtocolVersion,
    RunspacePool, RunspacePoolOptions, RunspacePoolState, SessionCapability,
};
use uuid::Uuid;

const SERVICE: &str = r#"<Obj RefId="0"><TN RefId="0"><T>System.ServiceProcess.ServiceController</T><T>System.ComponentModel.Component</T><T>System.MarshalByRefObject</T><T>System.Object</T></TN><ToString>System.ServiceProcess.ServiceController</ToString><Props><S N="Name">WinRM</S><S N="DisplayName">Windows Remote Management (WS-Management)</S><S N="MachineName">.</S><S N="ServiceName">WinRM</S><Obj N="Status" RefId="1"><TN RefId="1"><T>System.ServiceProcess.ServiceControllerStatus</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>Running</ToString><I32>4</I32></Obj><B N="CanPauseAndContinue">false</B><B N="CanShutdown">true</B><B N="CanStop">true</B><Obj N="ServiceType" RefId="2"><TN RefId="2"><T>System.ServiceProcess.ServiceType</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>Win32ShareProcess</ToString><I32>32</I32></Obj></Props></Obj>"#;

/// CPU time of this thread (Linux schedstat, ns): the machine is shared, so wall time would
/// mostly measure the other processes.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|n| n.parse::<f64>().ok())
        })
        .map_or(0.0, |ns| ns / 1e9)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mut pool = RunspacePool::new(RunspacePoolOptions::default());
    let rpid = pool.id();
    let send = |pool: &mut RunspacePool, d: MessageData, pid: Uuid| {
        let m = d.to_message(Destination::Client, rpid, pid, ProtocolVersion::V2_3);
        let mut f = Fragmenter::new(150_000);
        f.queue(m.encode());
        while let Some(c) = f.next_payload() {
            pool.receive_data(&c).expect("receive");
        }
    };
    pool.open().expect("open");
    while pool.data_to_send().is_some() {}
    send(
        &mut pool,
        MessageData::SessionCapability(SessionCapability::client(ProtocolVersion::V2_3)),
        Uuid::nil(),
    );
    send(
        &mut pool,
        MessageData::RunspacePoolState {
            state: RunspacePoolState::Opened,
            error: None,
        },
        Uuid::nil(),
    );
    let pid = pool
        .create_pipeline(
            Command::new("Get-Service").into(),
            PipelineOptions::default(),
        )
        .expect("pipeline");
    while pool.data_to_send().is_some() {}
    while pool.next_event().is_some() {}

    // The server's side: n PIPELINE_OUTPUT messages packed into ~150 KB Receive payloads.
    let mut server = Fragmenter::new(150_000);
    let mut messages = Vec::with_capacity(n);
    for _ in 0..n {
        let m = psremote_psrp::Message {
            destination: Destination::Client,
            message_type: psremote_psrp::MessageType::PipelineOutput,
            rpid,
            pid,
            data: SERVICE.as_bytes().to_vec(),
        };
        messages.push(m.data.clone());
        server.queue(m.encode());
    }
    let mut chunks = Vec::new();
    while let Some(c) = server.next_payload() {
        chunks.push(c);
    }
    let bytes: usize = chunks.iter().map(Vec::len).sum();

    // Warm the allocator up first, so neither measurement pays for growing the heap.
    let warm: Vec<_> = messages
        .iter()
        .map(|m| psremote_psrp::clixml::from_bytes_with(m, &Limits::DEFAULT))
        .collect();
    drop(warm);

    let t = cpu_seconds();
    let mut outputs = 0usize;
    for c in &chunks {
        pool.receive_data(c).expect("receive");
        while let Some(e) = pool.next_event() {
            if let Event::PipelineOutput {
                value: Value::Object(_),
                ..
            } = e
            {
                outputs += 1;
            }
        }
    }
    let full = cpu_seconds() - t;
    assert_eq!(outputs, n);

    let t = cpu_seconds();
    let mut decoded = 0usize;
    for m in &messages {
        decoded += psremote_psrp::clixml::from_bytes_with(m, &Limits::DEFAULT)
            .expect("clixml")
            .len();
    }
    let clixml = cpu_seconds() - t;
    assert_eq!(decoded, n);

    // A warm-session call as the session layer makes it: CREATE_PIPELINE out, one output
    // object and PIPELINE_STATE Completed in, events drained.
    let calls = 20_000;
    let date = b"<DT>2026-11-23T21:30:00.1234567+00:00</DT>".to_vec();
    let done = b"<Obj RefId=\"0\"><MS><I32 N=\"PipelineState\">4</I32></MS></Obj>".to_vec();
    let t = cpu_seconds();
    for _ in 0..calls {
        let pid = pool
            .create_pipeline(Command::new("Get-Date").into(), PipelineOptions::default())
            .expect("pipeline");
        let mut sent = 0;
        while let Some(p) = pool.data_to_send() {
            sent += p.data.len();
        }
        assert!(sent > 0);
        let mut reply = Fragmenter::new(150_000);
        for (t, data) in [
            (psremote_psrp::MessageType::PipelineOutput, &date),
            (psremote_psrp::MessageType::PipelineState, &done),
        ] {
            let m = psremote_psrp::Message {
                destination: Destination::Client,
                message_type: t,
                rpid,
                pid,
                data: data.clone(),
            };
            reply.queue(m.encode());
        }
        while let Some(c) = reply.next_payload() {
            pool.receive_data(&c).expect("receive");
        }
        let mut ended = false;
        while let Some(e) = pool.next_event() {
            ended |= matches!(e, Event::PipelineStateChanged { .. });
        }
        assert!(ended);
        pool.remove_pipeline(pid);
    }
    let per_call = (cpu_seconds() - t) / f64::from(calls);

    let mb = bytes as f64 / 1e6;
    println!(
        "{n} objects, {mb:.1} MB of fragments\n  receive_data → events: {:.3} s CPU, {:.0} MB/s, {:.0} objects/s\n  CLIXML decode alone:   {:.3} s CPU, {:.0} MB/s\n  PSRP layer overhead:   {:.1} %",
        full,
        mb / full,
        n as f64 / full,
        clixml,
        mb / clixml,
        (full / clixml - 1.0) * 100.0
    );
    println!(
        "  warm call (CREATE_PIPELINE + output + state, server side included): {:.1} µs CPU",
        per_call * 1e6
    );
}
