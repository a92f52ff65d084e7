//! The client state machines against a scripted server made of this crate's own message
//! types: opening, negotiation, pipelines with input, host calls, stop, Broken, key exchange
//! and SecureStrings, and every illegal transition giving `Error::InvalidState`.

use psremote_psrp::clixml::{Limits, Value, Version};
use psremote_psrp::{
    Availability, Command, Defragmenter, Destination, Error, Event, Fragmenter, HostCall,
    HostMethodIdentifier, HostResponse, KeyExchange, Message, MessageData, PSInvocationState,
    PipelineOptions, PowerShell, ProtocolVersion, RunspacePool, RunspacePoolOptions,
    RunspacePoolState, SessionCapability, StreamKind, wrap_session_key,
};
use uuid::Uuid;

/// The server side of the conversation, as far as these tests need it.
struct Server {
    fragmenter: Fragmenter,
    defragmenter: Defragmenter,
    rpid: Uuid,
    version: ProtocolVersion,
}

impl Server {
    fn new(rpid: Uuid, version: ProtocolVersion, fragment_size: usize) -> Server {
        Server {
            fragmenter: Fragmenter::new(fragment_size),
            defragmenter: Defragmenter::default(),
            rpid,
            version,
        }
    }

    /// Sends one message to the pool, fragmented, chunk by chunk as a transport would.
    fn send(
        &mut self,
        pool: &mut RunspacePool,
        data: MessageData,
        pid: Option<Uuid>,
    ) -> Result<(), Error> {
        let m = data.to_message(
            Destination::Client,
            self.rpid,
            pid.unwrap_or_else(Uuid::nil),
            self.version,
        );
        self.fragmenter.queue(m.encode());
        while let Some(chunk) = self.fragmenter.next_payload() {
            pool.receive_data(&chunk)?;
        }
        Ok(())
    }

    /// Everything the client queued, decoded, with the stream and pipeline of each payload.
    fn take(&mut self, pool: &mut RunspacePool) -> Vec<(StreamKind, Option<Uuid>, MessageData)> {
        let mut out = Vec::new();
        while let Some(p) = pool.data_to_send() {
            assert!(p.data.len() <= pool.max_fragment_size());
            let mut msgs = Vec::new();
            assert_eq!(self.defragmenter.push_bytes(&p.data, &mut msgs), Ok(()));
            for m in msgs {
                let m = Message::decode(&m).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(m.destination, Destination::Server);
                assert_eq!(m.rpid, self.rpid);
                let pid = (!m.pid.is_nil()).then_some(m.pid);
                assert_eq!(pid, p.pipeline_id);
                let d = MessageData::decode(&m, &Limits::DEFAULT).unwrap_or_else(|e| panic!("{e}"));
                out.push((p.stream, pid, d));
            }
        }
        out
    }

    fn capability(&self) -> MessageData {
        let mut c = SessionCapability::client(self.version);
        c.ps_version = Version {
            major: 5,
            minor: 1,
            build: None,
            revision: None,
        };
        MessageData::SessionCapability(c)
    }
}

fn events(pool: &mut RunspacePool) -> Vec<Event> {
    std::iter::from_fn(|| pool.next_event()).collect()
}

/// A pool opened against the scripted server.
fn opened(version: ProtocolVersion, fragment_size: usize) -> (RunspacePool, Server) {
    let mut pool = RunspacePool::new(RunspacePoolOptions {
        max_fragment_size: fragment_size,
        ..RunspacePoolOptions::default()
    });
    let mut server = Server::new(pool.id(), version, fragment_size);
    assert_eq!(pool.open(), Ok(()));
    let sent = server.take(&mut pool);
    assert!(matches!(
        sent.as_slice(),
        [
            (StreamKind::Default, None, MessageData::SessionCapability(_)),
            (StreamKind::Default, None, MessageData::InitRunspacePool(_))
        ]
    ));
    let cap = server.capability();
    assert_eq!(server.send(&mut pool, cap, None), Ok(()));
    assert_eq!(pool.state(), RunspacePoolState::NegotiationSucceeded);
    let apd = MessageData::ApplicationPrivateData(Value::Null);
    assert_eq!(server.send(&mut pool, apd, None), Ok(()));
    let state = MessageData::RunspacePoolState {
        state: RunspacePoolState::Opened,
        error: None,
    };
    assert_eq!(server.send(&mut pool, state, None), Ok(()));
    assert_eq!(pool.state(), RunspacePoolState::Opened);
    assert_eq!(pool.protocol_version(), version.min(ProtocolVersion::V2_3));
    events(&mut pool);
    (pool, server)
}

#[test]
fn opening_negotiates_the_lower_protocol_version() {
    let (pool, _) = opened(ProtocolVersion::V2_1, 32 * 1024);
    assert_eq!(pool.protocol_version(), ProtocolVersion::V2_1);
}

#[test]
fn tiny_fragments_carry_a_whole_session() {
    // 60-byte payloads: every message is split into many fragments both ways.
    let (mut pool, mut server) = opened(ProtocolVersion::V2_3, 60);
    let ps = PowerShell::from(Command::new("Get-Service").param("Name", "win*"))
        .pipe(Command::new("Select-Object").param("First", 2i32));
    let pid = pool.create_pipeline(ps.clone(), PipelineOptions::default());
    let Ok(pid) = pid else { panic!("{pid:?}") };
    let sent = server.take(&mut pool);
    let [(StreamKind::Default, Some(p), MessageData::CreatePipeline(c))] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    assert_eq!(*p, pid);
    assert_eq!(c.power_shell, ps);
    assert!(c.no_input);
    for i in 0..3 {
        let out = MessageData::PipelineOutput(Value::String(format!("svc{i}").repeat(20)));
        assert_eq!(server.send(&mut pool, out, Some(pid)), Ok(()));
    }
    let done = MessageData::PipelineState {
        state: PSInvocationState::Completed,
        error: None,
    };
    assert_eq!(server.send(&mut pool, done, Some(pid)), Ok(()));
    let ev = events(&mut pool);
    assert_eq!(ev.len(), 4);
    assert!(ev.iter().all(|e| e.pipeline_id() == Some(pid)));
    assert_eq!(
        ev[2],
        Event::PipelineOutput {
            pid,
            value: Value::String("svc2".repeat(20))
        }
    );
    assert_eq!(pool.pipeline_state(pid), Some(PSInvocationState::Completed));
}

#[test]
fn input_then_end_of_input() {
    let (mut pool, mut server) = opened(ProtocolVersion::V2_3, 32 * 1024);
    let opts = PipelineOptions {
        no_input: false,
        ..PipelineOptions::default()
    };
    let pid = pool.create_pipeline(Command::new("Measure-Object").into(), opts);
    let Ok(pid) = pid else { panic!() };
    assert_eq!(
        pool.send_input(pid, vec![Value::I32(1), Value::I32(2)]),
        Ok(())
    );
    assert_eq!(pool.end_input(pid), Ok(()));
    let kinds: Vec<_> = server
        .take(&mut pool)
        .into_iter()
        .map(|(_, p, d)| (p, d.message_type().name()))
        .collect();
    assert_eq!(
        kinds,
        [
            (Some(pid), "CREATE_PIPELINE"),
            (Some(pid), "PIPELINE_INPUT"),
            (Some(pid), "PIPELINE_INPUT"),
            (Some(pid), "END_OF_PIPELINE_INPUT")
        ]
    );
    // No input after the end.
    assert!(matches!(
        pool.send_input(pid, vec![Value::Null]),
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(pool.end_input(pid), Err(Error::InvalidState(_))));
}

#[test]
fn input_refused_for_a_no_input_pipeline() {
    let (mut pool, _server) = opened(ProtocolVersion::V2_3, 32 * 1024);
    let pid = pool.create_pipeline(Command::new("Get-Date").into(), PipelineOptions::default());
    let Ok(pid) = pid else { panic!() };
    assert!(matches!(
        pool.send_input(pid, vec![Value::I32(1)]),
        Err(Error::InvalidState(_))
    ));
    assert_eq!(
        pool.send_input(Uuid::nil(), vec![]),
        Err(Error::UnknownPipeline(Uuid::nil()))
    );
}

#[test]
fn illegal_transitions_are_errors_not_panics() {
    let mut pool = RunspacePool::new(RunspacePoolOptions::default());
    let ps = PowerShell::from(Command::new("Get-Date"));
    assert!(matches!(
        pool.create_pipeline(ps.clone(), PipelineOptions::default()),
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(
        pool.set_max_runspaces(2),
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(
        pool.get_available_runspaces(),
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(pool.exchange_key(), Err(Error::InvalidState(_))));
    assert!(matches!(pool.disconnected(), Err(Error::InvalidState(_))));
    assert!(matches!(pool.reconnected(), Err(Error::InvalidState(_))));
    assert!(matches!(
        pool.encrypt_secure_string("x"),
        Err(Error::InvalidState(_))
    ));
    assert_eq!(pool.open(), Ok(()));
    assert!(matches!(pool.open(), Err(Error::InvalidState(_))));
    assert!(matches!(pool.connect(), Err(Error::InvalidState(_))));
    // Server messages out of order.
    let mut server = Server::new(pool.id(), ProtocolVersion::V2_3, 32 * 1024);
    server.take(&mut pool);
    let opened = MessageData::RunspacePoolState {
        state: RunspacePoolState::Opened,
        error: None,
    };
    assert!(matches!(
        server.send(&mut pool, opened, None),
        Err(Error::InvalidState(_))
    ));
    let answer = MessageData::RunspaceAvailability {
        call_id: 9,
        availability: Availability::Succeeded(true),
    };
    assert!(matches!(
        server.send(&mut pool, answer, None),
        Err(Error::InvalidState(_))
    ));
    let stray = MessageData::PipelineOutput(Value::Null);
    assert!(matches!(
        server.send(&mut pool, stray, Some(Uuid::from_u128(7))),
        Err(Error::UnknownPipeline(_))
    ));
    let key = MessageData::EncryptedSessionKey("AAAA".into());
    assert!(matches!(
        server.send(&mut pool, key, None),
        Err(Error::InvalidState(_))
    ));
    // A client message coming from the server.
    let wrong = MessageData::GetAvailableRunspaces { call_id: 1 };
    assert!(matches!(
        server.send(&mut pool, wrong, None),
        Err(Error::Payload { .. })
    ));
    // A message for another pool.
    let mut other = Server::new(Uuid::from_u128(1), ProtocolVersion::V2_3, 1024);
    let cap = other.capability();
    assert_eq!(
        other
            .send(&mut pool, MessageData::UserEvent(Value::Null), None)
            .map_err(|e| matches!(e, Error::WrongRunspacePool { .. })),
        Err(true)
    );
    // After the refusals the pool still opens normally.
    assert_eq!(server.send(&mut pool, cap, None), Ok(()));
    let opened = MessageData::RunspacePoolState {
        state: RunspacePoolState::Opened,
        error: None,
    };
    assert_eq!(server.send(&mut pool, opened, None), Ok(()));
    assert_eq!(pool.state(), RunspacePoolState::Opened);
}

#[test]
fn pipeline_state_after_the_end_is_an_error() {
    let (mut pool, mut server) = opened(ProtocolVersion::V2_3, 32 * 1024);
    let pid = pool.create_pipeline(Command::new("Get-Date").into(), PipelineOptions::default());
    let Ok(pid) = pid else { panic!() };
    let failed = MessageData::PipelineState {
        state: PSInvocationState::Failed,
        error: Some(Value::String("boom".into())),
    };
    assert_eq!(server.send(&mut pool, failed.clone(), Some(pid)), Ok(()));
    assert_eq!(
        events(&mut pool),
        [Event::PipelineStateChanged {
            pid,
            state: PSInvocationState::Failed,
            error: Some(Value::String("boom".into()))
        }]
    );
    assert!(matches!(
        server.send(&mut pool, failed, Some(pid)),
        Err(Error::InvalidState(_))
    ));
    // The id may be reused once the pipeline ended.
    assert_eq!(
        pool.create_pipeline_with_id(
            pid,
            Command::new("Get-Date").into(),
            PipelineOptions::default()
        ),
        Ok(pid)
    );
    // …but not while it runs.
    assert!(matches!(
        pool.create_pipeline_with_id(
            pid,
            Command::new("Get-Date").into(),
            PipelineOptions::default()
        ),
        Err(Error::InvalidState(_))
    ));
}

#[test]
fn stop_then_stopped() {
    let (mut pool, mut server) = opened(ProtocolVersion::V2_3, 32 * 1024);
    let opts = PipelineOptions {
        no_input: false,
        ..PipelineOptions::default()
    };
    let pid = pool.create_pipeline(Command::new("Start-Sleep").into(), opts);
    let Ok(pid) = pid else { panic!() };
    server.take(&mut pool);
    assert_eq!(pool.send_input(pid, vec![Value::I32(1)]), Ok(()));
    assert_eq!(pool.stop(pid), Ok(()));
    // Input queued before the stop is not sent.
    assert!(server.take(&mut pool).is_empty());
    assert_eq!(pool.stop(pid), Ok(()));
    let stopped = MessageData::PipelineState {
        state: PSInvocationState::Stopped,
        error: None,
    };
    assert_eq!(server.send(&mut pool, stopped, Some(pid)), Ok(()));
    let states: Vec<_> = events(&mut pool)
        .into_iter()
        .filter_map(|e| match e {
            Event::PipelineStateChanged { state, .. } => Some(state),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        [PSInvocationState::Stopping, PSInvocationState::Stopped]
    );
    assert!(matches!(pool.stop(pid), Err(Error::InvalidState(_))));
}

#[test]
fn broken_pool_reports_its_error_and_fails_pipelines() {
    let (mut pool, mut server) = opened(ProtocolVersion::V2_3, 32 * 1024);
    let pid = pool.create_pipeline(Command::new("Get-Date").into(), PipelineOptions::default());
    let Ok(pid) = pid else { panic!() };
    let broken = MessageData::RunspacePoolState {
        state: RunspacePoolState::Broken,
        error: Some(Value::String("the shell died".into())),
    };
    assert_eq!(server.send(&mut pool, broken, None), Ok(()));
    assert_eq!(
        events(&mut pool),
        [Event::RunspacePoolStateChanged {
            state: RunspacePoolState::Broken,
            error: Some(Value::String("the shell died".into()))
        }]
    );
    assert_eq!(pool.pipeline_state(pid), Some(PSInvocationState::Failed));
    assert!(matches!(
        pool.create_pipeline(Command::new("x").into(), PipelineOptions::default()),
        Err(Error::InvalidState(_))
    ));
}

#[test]
fn host_call_and_response_go_on_the_prompt_stream() {
    let (mut pool, mut server) = opened(ProtocolVersion::V2_3, 32 * 1024);
    let pid = pool.create_pipeline(Command::new("Read-Host").into(), PipelineOptions::default());
    let Ok(pid) = pid else { panic!() };
    server.take(&mut pool);
    let call = HostCall {
        call_id: 5,
        method: HostMethodIdentifier::ReadLine,
        parameters: vec![],
    };
    let msg = MessageData::PipelineHostCall(call.clone());
    assert_eq!(server.send(&mut pool, msg, Some(pid)), Ok(()));
    assert_eq!(events(&mut pool), [Event::PipelineHostCall { pid, call }]);
    let response = HostResponse {
        call_id: 5,
        method: HostMethodIdentifier::ReadLine,
        result: Some(Value::String("typed".into())),
        error: None,
    };
    assert_eq!(pool.host_response(Some(pid), response.clone()), Ok(()));
    // Answering twice, or a call never made, is refused.
    assert!(matches!(
        pool.host_response(Some(pid), response.clone()),
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(
        pool.host_response(None, response.clone()),
        Err(Error::InvalidState(_))
    ));
    let sent = server.take(&mut pool);
    assert_eq!(
        sent,
        [(
            StreamKind::PromptResponse,
            Some(pid),
            MessageData::PipelineHostResponse(response)
        )]
    );
    // A pool-level host call, void: no response is expected.
    let void = HostCall {
        call_id: 6,
        method: HostMethodIdentifier::WriteLine2,
        parameters: vec![Value::String("hi".into())],
    };
    let msg = MessageData::RunspacePoolHostCall(void.clone());
    assert_eq!(server.send(&mut pool, msg, None), Ok(()));
    assert_eq!(
        events(&mut pool),
        [Event::RunspacePoolHostCall { call: void }]
    );
    let r = HostResponse {
        call_id: 6,
        method: HostMethodIdentifier::WriteLine2,
        result: None,
        error: None,
    };
    assert!(matches!(
        pool.host_response(None, r),
        Err(Error::InvalidState(_))
    ));
}

#[test]
fn runspace_calls_are_numbered_and_answered() {
    let (mut pool, mut server) = opened(ProtocolVersion::V2_3, 32 * 1024);
    assert_eq!(pool.get_available_runspaces(), Ok(0));
    assert_eq!(pool.set_max_runspaces(4), Ok(1));
    assert_eq!(pool.set_min_runspaces(2), Ok(2));
    assert_eq!(pool.reset_runspace_state(), Ok(3));
    let sent: Vec<_> = server
        .take(&mut pool)
        .into_iter()
        .map(|(_, _, d)| d)
        .collect();
    assert_eq!(
        sent,
        [
            MessageData::GetAvailableRunspaces { call_id: 0 },
            MessageData::SetMaxRunspaces {
                max_runspaces: 4,
                call_id: 1
            },
            MessageData::SetMinRunspaces {
                min_runspaces: 2,
                call_id: 2
            },
            MessageData::ResetRunspaceState { call_id: 3 },
        ]
    );
    for (call_id, availability) in [
        (1, Availability::Succeeded(true)),
        (2, Availability::Succeeded(false)),
        (0, Availability::Available(1)),
    ] {
        let m = MessageData::RunspaceAvailability {
            call_id,
            availability,
        };
        assert_eq!(server.send(&mut pool, m, None), Ok(()));
    }
    assert_eq!((pool.min_runspaces(), pool.max_runspaces()), (1, 4));
    assert_eq!(events(&mut pool).len(), 3);
}

#[test]
fn reset_needs_protocol_2_3() {
    let (mut pool, _) = opened(ProtocolVersion::V2_2, 32 * 1024);
    assert!(matches!(
        pool.reset_runspace_state(),
        Err(Error::InvalidState(_))
    ));
}

#[test]
fn key_exchange_and_secure_strings() {
    let (mut pool, mut server) = opened(ProtocolVersion::V2_3, 32 * 1024);
    // A small key keeps the debug-build test quick; the protocol is the same at 2048 bits.
    let mut rng = rand::rng();
    let private = rsa::RsaPrivateKey::new(&mut rng, 1024).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        pool.exchange_key_with(KeyExchange::from_private_key(private)),
        Ok(())
    );
    let sent = server.take(&mut pool);
    let [(_, None, MessageData::PublicKey(blob))] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(blob)
        .unwrap_or_default();
    let public = psremote_psrp::decode_public_key_blob(&raw).unwrap_or_else(|e| panic!("{e}"));
    let session = psremote_psrp::SessionKey([0x42; 32]);
    let wrapped = wrap_session_key(&public, &session).unwrap_or_else(|e| panic!("{e}"));
    // Windows sends the key exchange with a nil RPID.
    server.rpid = Uuid::nil();
    let msg = MessageData::EncryptedSessionKey(wrapped);
    assert_eq!(server.send(&mut pool, msg, None), Ok(()));
    assert_eq!(events(&mut pool), [Event::EncryptedSessionKey]);
    assert_eq!(pool.session_key(), Some(&session));
    let ss = pool.encrypt_secure_string("s3cret ✓");
    let Ok(ss) = ss else { panic!("{ss:?}") };
    assert!(matches!(&ss, Value::SecureString(b) if b.len() % 16 == 0));
    assert_eq!(pool.decrypt_secure_string(&ss), Ok("s3cret ✓".to_owned()));
    // A second exchange is a no-op once the key is there.
    assert_eq!(pool.exchange_key(), Ok(()));
    assert!(server.take(&mut pool).is_empty());
}

#[test]
fn public_key_request_starts_the_exchange() {
    let (mut pool, mut server) = opened(ProtocolVersion::V2_3, 32 * 1024);
    server.rpid = Uuid::nil();
    assert_eq!(
        server.send(&mut pool, MessageData::PublicKeyRequest, None),
        Ok(())
    );
    server.rpid = pool.id();
    let sent = server.take(&mut pool);
    assert!(matches!(
        sent.as_slice(),
        [(_, None, MessageData::PublicKey(_))]
    ));
}

#[test]
fn reconnect_from_a_new_client() {
    let mut pool = RunspacePool::new(RunspacePoolOptions::default());
    let mut server = Server::new(pool.id(), ProtocolVersion::V2_3, 32 * 1024);
    assert_eq!(pool.connect(), Ok(()));
    let sent: Vec<_> = server
        .take(&mut pool)
        .into_iter()
        .map(|(_, _, d)| d.message_type().name())
        .collect();
    assert_eq!(sent, ["SESSION_CAPABILITY", "CONNECT_RUNSPACEPOOL"]);
    let cap = server.capability();
    assert_eq!(server.send(&mut pool, cap, None), Ok(()));
    let init = MessageData::RunspacePoolInitData {
        min_runspaces: 1,
        max_runspaces: 3,
    };
    assert_eq!(server.send(&mut pool, init, None), Ok(()));
    assert_eq!(pool.state(), RunspacePoolState::Opened);
    // Windows follows with RUNSPACEPOOL_STATE Opened: no second state change.
    events(&mut pool);
    let opened = MessageData::RunspacePoolState {
        state: RunspacePoolState::Opened,
        error: None,
    };
    assert_eq!(server.send(&mut pool, opened, None), Ok(()));
    assert_eq!(pool.state(), RunspacePoolState::Opened);
    assert!(events(&mut pool).is_empty());
    assert_eq!(pool.max_runspaces(), 3);
    // Attach to a pipeline that kept running on the server.
    let pid = Uuid::from_u128(99);
    assert_eq!(pool.connect_pipeline(pid), Ok(()));
    let out = MessageData::PipelineOutput(Value::I32(1));
    assert_eq!(server.send(&mut pool, out, Some(pid)), Ok(()));
    assert!(events(&mut pool).contains(&Event::PipelineOutput {
        pid,
        value: Value::I32(1)
    }));
}

#[test]
fn disconnect_and_reconnect_the_same_client() {
    let (mut pool, _) = opened(ProtocolVersion::V2_3, 32 * 1024);
    let pid = pool.create_pipeline(Command::new("Get-Date").into(), PipelineOptions::default());
    let Ok(pid) = pid else { panic!() };
    assert_eq!(pool.disconnected(), Ok(()));
    assert_eq!(
        pool.pipeline_state(pid),
        Some(PSInvocationState::Disconnected)
    );
    assert!(matches!(
        pool.create_pipeline(Command::new("x").into(), PipelineOptions::default()),
        Err(Error::InvalidState(_))
    ));
    assert_eq!(pool.reconnected(), Ok(()));
    assert_eq!(pool.pipeline_state(pid), Some(PSInvocationState::Running));
    assert_eq!(pool.close(), Ok(()));
    assert_eq!(pool.state(), RunspacePoolState::Closed);
}

#[test]
fn unknown_message_types_become_events() {
    let (mut pool, mut server) = opened(ProtocolVersion::V2_3, 32 * 1024);
    let m = Message {
        destination: Destination::Client,
        message_type: psremote_psrp::MessageType::Unknown(0x0002_100E),
        rpid: pool.id(),
        pid: Uuid::nil(),
        data: b"<S>x</S>".to_vec(),
    };
    server.fragmenter.queue(m.encode());
    while let Some(chunk) = server.fragmenter.next_payload() {
        assert_eq!(pool.receive_data(&chunk), Ok(()));
    }
    assert_eq!(
        events(&mut pool),
        [Event::UnknownMessage {
            message_type: 0x0002_100E,
            pid: None
        }]
    );
}

#[test]
fn corrupt_bytes_are_typed_errors() {
    let (mut pool, _) = opened(ProtocolVersion::V2_3, 32 * 1024);
    // A fragment promising more bytes than it has.
    let mut f = vec![0u8; 21];
    f[7] = 9;
    f[16] = 3;
    f[20] = 200;
    assert!(matches!(pool.receive_data(&f), Err(Error::Fragment(_))));
    // A whole fragment whose message is too short for a header.
    let mut g = vec![0u8; 21];
    g[7] = 10;
    g[16] = 3;
    g[20] = 4;
    g.extend_from_slice(&[1, 0, 0, 0]);
    assert_eq!(
        pool.receive_data(&g),
        Err(Error::MessageTooShort { len: 4 })
    );
    // A message whose CLIXML is broken.
    let m = Message {
        destination: Destination::Client,
        message_type: psremote_psrp::MessageType::RunspacePoolState,
        rpid: pool.id(),
        pid: Uuid::nil(),
        data: b"<Obj><MS><I32 N=".to_vec(),
    };
    let mut fr = Fragmenter::new(1024);
    fr.queue(m.encode());
    let chunk = fr.next_payload().unwrap_or_default();
    assert!(matches!(
        pool.receive_data(&chunk),
        Err(Error::Clixml { .. })
    ));
    assert_eq!(pool.state(), RunspacePoolState::Opened);
}

#[test]
fn an_unknown_pipeline_never_hides_a_worse_error_in_the_same_chunk() {
    let (mut pool, _) = opened(ProtocolVersion::V2_3, 32 * 1024);
    let rpid = pool.id();
    let message = |pid: Uuid, data: &[u8]| Message {
        destination: Destination::Client,
        message_type: psremote_psrp::MessageType::PipelineOutput,
        rpid,
        pid,
        data: data.to_vec(),
    };
    let stale = Uuid::new_v4();
    let Ok(running) =
        pool.create_pipeline(Command::new("Get-Date").into(), PipelineOptions::default())
    else {
        panic!()
    };
    // Alone, a message for a pipeline the pool does not know names it.
    let mut fr = Fragmenter::new(1024);
    fr.queue(message(stale, b"<S>x</S>").encode());
    let alone = fr.next_payload().unwrap_or_default();
    assert_eq!(
        pool.receive_data(&alone),
        Err(Error::UnknownPipeline(stale))
    );
    // First in a chunk with a broken message for a running pipeline, the broken one wins:
    // a caller that drops unknown pipelines must still see it.
    fr.queue(message(stale, b"<S>x</S>").encode());
    fr.queue(message(running, b"<S>x</").encode());
    let mut chunk = Vec::new();
    while let Some(p) = fr.next_payload() {
        chunk.extend_from_slice(&p);
    }
    assert!(matches!(
        pool.receive_data(&chunk),
        Err(Error::Clixml { .. })
    ));
    // And a fragment error after it too.
    fr.queue(message(stale, b"<S>x</S>").encode());
    let mut chunk = fr.next_payload().unwrap_or_default();
    chunk.extend_from_slice(&[
        0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 200,
    ]);
    assert!(matches!(pool.receive_data(&chunk), Err(Error::Fragment(_))));
}

#[test]
fn envelope_size_sets_the_fragment_limit() {
    let (mut pool, mut server) = opened(ProtocolVersion::V2_3, 32 * 1024);
    // pypsrp's numbers for MaxEnvelopeSize 32768 (test_psrp_small_msg_size).
    pool.set_max_envelope_size(32768, 1666);
    assert_eq!(pool.max_fragment_size(), 23326);
    let big = "x".repeat(60_000);
    let pid = pool.create_pipeline(
        Command::script(big.clone()).into(),
        PipelineOptions::default(),
    );
    let Ok(pid) = pid else { panic!() };
    let mut sizes = Vec::new();
    let mut d = Defragmenter::default();
    let mut msgs = Vec::new();
    while let Some(p) = pool.data_to_send_for(Some(pid)) {
        sizes.push(p.data.len());
        assert_eq!(d.push_bytes(&p.data, &mut msgs), Ok(()));
    }
    assert!(sizes.len() >= 3, "{sizes:?}");
    assert!(sizes.iter().all(|&s| s <= 23326));
    assert_eq!(sizes[0], 23326);
    assert_eq!(msgs.len(), 1);
    let m = Message::decode(&msgs[0]).unwrap_or_else(|e| panic!("{e}"));
    let Ok(MessageData::CreatePipeline(c)) = MessageData::decode(&m, &Limits::DEFAULT) else {
        panic!()
    };
    assert_eq!(c.power_shell.commands[0].name, big);
    let _ = &mut server;
}

#[test]
fn finished_pipelines_are_forgotten_after_a_while() {
    let (mut pool, mut server) = opened(ProtocolVersion::V2_3, 32 * 1024);
    let mut ids = Vec::new();
    for _ in 0..psremote_psrp::FINISHED_PIPELINES_KEPT + 10 {
        let pid = pool.create_pipeline(Command::new("Get-Date").into(), PipelineOptions::default());
        let Ok(pid) = pid else { panic!() };
        let done = MessageData::PipelineState {
            state: PSInvocationState::Completed,
            error: None,
        };
        assert_eq!(server.send(&mut pool, done, Some(pid)), Ok(()));
        ids.push(pid);
    }
    server.take(&mut pool);
    // The oldest are gone, the recent ones still answer.
    assert_eq!(pool.pipeline_state(ids[0]), None);
    assert_eq!(pool.pipeline_state(ids[9]), None);
    assert_eq!(
        pool.pipeline_state(ids[10]),
        Some(PSInvocationState::Completed)
    );
    let last = ids[ids.len() - 1];
    assert_eq!(
        pool.pipeline_state(last),
        Some(PSInvocationState::Completed)
    );
    // A running pipeline is never forgotten.
    let running = pool.create_pipeline(Command::new("x").into(), PipelineOptions::default());
    let Ok(running) = running else { panic!() };
    for _ in 0..psremote_psrp::FINISHED_PIPELINES_KEPT + 1 {
        let pid = pool.create_pipeline(Command::new("y").into(), PipelineOptions::default());
        let Ok(pid) = pid else { panic!() };
        let done = MessageData::PipelineState {
            state: PSInvocationState::Completed,
            error: None,
        };
        assert_eq!(server.send(&mut pool, done, Some(pid)), Ok(()));
    }
    assert_eq!(
        pool.pipeline_state(running),
        Some(PSInvocationState::Running)
    );
}
