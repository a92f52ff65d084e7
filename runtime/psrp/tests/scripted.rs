//! Scripted client runs against the real Windows recordings: the client's actions of each
//! recording are replayed through `RunspacePool` (every message it produces is compared with
//! the recorded request), the recorded server responses are fed back as a transport would
//! deliver them, and the events are checked. Skipped when the recordings are absent.

mod common;

use std::collections::HashMap;

use psremote_psrp::clixml::types::{
    CommandMetadata, CommandMetadataCount, ErrorRecord, InformationRecord, InformationalRecord,
    ProgressRecord,
};
use psremote_psrp::clixml::{FromValue, Limits, Value};
use psremote_psrp::{
    Availability, Defragmenter, Event, Message, MessageData, PSInvocationState, PipelineOptions,
    ProtocolVersion, RunspacePool, RunspacePoolOptions, RunspacePoolState, StreamKind,
};
use uuid::Uuid;

use common::{Exchange, blobs, load_named, same};

/// The text between `<tag ...>` and `</tag>` of the first such element.
fn element_text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}");
    let start = xml.find(&open)?;
    let gt = xml[start..].find('>')? + start + 1;
    let end = xml[gt..].find(&format!("</{tag}>"))? + gt;
    Some(&xml[gt..end])
}

fn action(request: &str) -> &str {
    element_text(request, "wsa:Action").unwrap_or_default()
}

/// The shell a request is about: its ShellId selector, or the ShellId of a Create.
fn shell_id(request: &str) -> Option<String> {
    if let Some(at) = request.find("<wsman:Selector Name=\"ShellId\">") {
        let rest = &request[at + "<wsman:Selector Name=\"ShellId\">".len()..];
        return rest.find('<').map(|e| rest[..e].to_owned());
    }
    let at = request.find("<rsp:Shell ShellId=\"")? + "<rsp:Shell ShellId=\"".len();
    request[at..]
        .find('"')
        .map(|e| request[at..at + e].to_owned())
}

/// A WS-Man id as the PSRP header carries it: the recordings before 2019 wrote GUIDs in RFC
/// order, so the id may match either reading (see the fixtures' README).
fn candidates(id: &str) -> Vec<Uuid> {
    match Uuid::parse_str(id) {
        Ok(u) => vec![u, Uuid::from_bytes_le(*u.as_bytes())],
        Err(_) => Vec::new(),
    }
}

#[derive(Default)]
struct Run {
    pools: HashMap<Uuid, RunspacePool>,
    events: Vec<(Uuid, Event)>,
    /// The client's own messages, as they left each pool, decoded.
    sent: Vec<MessageData>,
    /// Errors from receive_data, with the exchange index.
    receive_errors: Vec<(usize, psremote_psrp::Error)>,
    /// Recorded requests that the client's messages did not match.
    mismatches: Vec<String>,
}

impl Run {
    /// The pool a request is about. Old servers chose their own ShellId when the client
    /// did not send one; then the only pool is meant.
    fn pool_for(&mut self, shell: Option<&str>) -> Option<&mut RunspacePool> {
        let id = shell
            .map(candidates)
            .unwrap_or_default()
            .into_iter()
            .find(|c| self.pools.contains_key(c));
        let id = match id {
            Some(id) => id,
            None if self.pools.len() == 1 => *self.pools.keys().next()?,
            None => return None,
        };
        self.pools.get_mut(&id)
    }

    fn drain_events(&mut self) {
        for (id, pool) in &mut self.pools {
            while let Some(e) = pool.next_event() {
                self.events.push((*id, e));
            }
        }
    }
}

fn pipeline_options(c: &psremote_psrp::CreatePipeline) -> PipelineOptions {
    PipelineOptions {
        no_input: c.no_input,
        host_info: c.host_info.clone(),
        apartment_state: c.apartment_state,
        remote_stream_options: c.remote_stream_options,
        is_nested: c.is_nested,
    }
}

/// Replays one recording. `skip_session_key`: the recording's ENCRYPTED_SESSION_KEY was made
/// for pypsrp's RSA key, which this test does not have, so it is checked by shape only.
fn replay(name: &str) -> Option<Run> {
    let exchanges: Vec<Exchange> = load_named(name)?;
    let mut run = Run::default();
    let mut recorded_client = Defragmenter::default();
    let mut pending_capability: Option<psremote_psrp::SessionCapability> = None;
    for (i, ex) in exchanges.iter().enumerate() {
        let act = action(&ex.request).to_owned();
        let shell = shell_id(&ex.request);
        if act.ends_with("/shell/Disconnect") {
            if let Some(p) = run.pool_for(shell.as_deref())
                && let Err(e) = p.disconnected()
            {
                run.mismatches.push(format!("#{i}: disconnect: {e}"));
            }
        } else if act.ends_with("/shell/Reconnect") {
            if let Some(p) = run.pool_for(shell.as_deref())
                && let Err(e) = p.reconnected()
            {
                run.mismatches.push(format!("#{i}: reconnect: {e}"));
            }
        } else if act.ends_with("/shell/Connect") && ex.request.contains("CommandId=\"") {
            let cid = ex
                .request
                .find("CommandId=\"")
                .map(|a| &ex.request[a + 11..a + 47])
                .unwrap_or_default()
                .to_owned();
            if let Some(p) = run.pool_for(shell.as_deref()) {
                // The recording's GUID convention: .NET order when the RPID reads as the
                // ShellId, RFC order otherwise.
                let modern = shell.as_deref().and_then(|s| Uuid::parse_str(s).ok()) == Some(p.id());
                let c = candidates(&cid);
                let pid = if modern { c.first() } else { c.get(1) }.copied();
                if let Some(pid) = pid
                    && let Err(e) = p.connect_pipeline(pid)
                {
                    run.mismatches.push(format!("#{i}: connect pipeline: {e}"));
                }
            }
        } else if act.ends_with("/shell/Signal") && ex.request.contains("signal/crtl_c") {
            let cid = ex
                .request
                .find("CommandId=\"")
                .map(|a| &ex.request[a + 11..a + 47])
                .unwrap_or_default()
                .to_owned();
            if let Some(p) = run.pool_for(shell.as_deref()) {
                let pid = candidates(&cid)
                    .into_iter()
                    .find(|c| p.pipeline_state(*c).is_some());
                if let Some(pid) = pid
                    && let Err(e) = p.stop(pid)
                {
                    run.mismatches.push(format!("#{i}: stop: {e}"));
                }
            }
        }

        // The client's messages in this request, replayed through the API.
        let mut recorded = Vec::new();
        for b in blobs(&ex.request) {
            let mut msgs = Vec::new();
            recorded_client.push_bytes(&b.data, &mut msgs).ok()?;
            let stream = if b.stream_name.as_deref() == Some("pr") {
                StreamKind::PromptResponse
            } else {
                StreamKind::Default
            };
            for m in msgs {
                let m = Message::decode(&m).ok()?;
                let d = MessageData::decode(&m, &Limits::DEFAULT).ok()?;
                recorded.push((m, d, stream));
            }
        }
        let mut touched = Vec::new();
        for (m, d, _) in &recorded {
            let rpid = m.rpid;
            let pid = m.pid;
            touched.push(rpid);
            let result = match d.clone() {
                MessageData::SessionCapability(c) => {
                    pending_capability = Some(c);
                    Ok(())
                }
                MessageData::InitRunspacePool(init) => {
                    let version = pending_capability
                        .take()
                        .map_or(ProtocolVersion::V2_3, |c| {
                            ProtocolVersion::from_version(&c.protocol_version)
                        });
                    let mut pool = RunspacePool::new(RunspacePoolOptions {
                        runspace_pool_id: rpid,
                        min_runspaces: init.min_runspaces,
                        max_runspaces: init.max_runspaces,
                        thread_options: init.thread_options,
                        apartment_state: init.apartment_state,
                        host_info: init.host_info,
                        application_arguments: init.application_arguments,
                        protocol_version: version,
                        ..RunspacePoolOptions::default()
                    });
                    let r = pool.open();
                    run.pools.insert(rpid, pool);
                    r
                }
                MessageData::ConnectRunspacePool { .. } => {
                    pending_capability = None;
                    let mut pool = RunspacePool::new(RunspacePoolOptions {
                        runspace_pool_id: rpid,
                        ..RunspacePoolOptions::default()
                    });
                    let r = pool.connect();
                    run.pools.insert(rpid, pool);
                    r
                }
                other => {
                    let Some(pool) = run.pools.get_mut(&rpid) else {
                        run.mismatches.push(format!("#{i}: no pool {rpid}"));
                        continue;
                    };
                    match other {
                        MessageData::CreatePipeline(c) => {
                            let mut ps = c.power_shell.clone();
                            ps.add_to_history = c.add_to_history;
                            pool.create_pipeline_with_id(pid, ps, pipeline_options(&c))
                                .map(drop)
                        }
                        MessageData::GetCommandMetadata(g) => {
                            pool.get_command_metadata_with_id(pid, g).map(drop)
                        }
                        MessageData::PipelineInput(v) => pool.send_input(pid, vec![v]),
                        MessageData::EndOfPipelineInput => pool.end_input(pid),
                        MessageData::SetMaxRunspaces {
                            max_runspaces,
                            call_id,
                        } => pool.set_max_runspaces(max_runspaces).map(|id| {
                            assert_eq!(id, call_id, "call id");
                        }),
                        MessageData::SetMinRunspaces {
                            min_runspaces,
                            call_id,
                        } => pool.set_min_runspaces(min_runspaces).map(|id| {
                            assert_eq!(id, call_id, "call id");
                        }),
                        MessageData::GetAvailableRunspaces { call_id } => {
                            pool.get_available_runspaces().map(|id| {
                                assert_eq!(id, call_id, "call id");
                            })
                        }
                        MessageData::ResetRunspaceState { call_id } => {
                            pool.reset_runspace_state().map(|id| {
                                assert_eq!(id, call_id, "call id");
                            })
                        }
                        MessageData::PublicKey(_) => pool.exchange_key(),
                        MessageData::PipelineHostResponse(r) => pool.host_response(Some(pid), r),
                        MessageData::RunspacePoolHostResponse(r) => pool.host_response(None, r),
                        o => {
                            run.mismatches
                                .push(format!("#{i}: no API for {:?}", o.message_type()));
                            Ok(())
                        }
                    }
                }
            };
            if let Err(e) = result {
                run.mismatches
                    .push(format!("#{i}: {:?}: {e}", d.message_type()));
            }
        }
        // What the client sent for this request, in order, compared with the recording.
        let mut mine = Vec::new();
        touched.dedup();
        for rpid in touched {
            let Some(pool) = run.pools.get_mut(&rpid) else {
                continue;
            };
            let mut defrag = Defragmenter::default();
            while let Some(p) = pool.data_to_send() {
                assert!(p.data.len() <= pool.max_fragment_size());
                let mut out = Vec::new();
                defrag.push_bytes(&p.data, &mut out).ok()?;
                for m in out {
                    let m = Message::decode(&m).ok()?;
                    let d = MessageData::decode(&m, &Limits::DEFAULT).ok()?;
                    mine.push((m, d, p.stream));
                }
            }
        }
        if mine.len() != recorded.len() {
            run.mismatches.push(format!(
                "#{i}: client sent {} messages, the recording has {}",
                mine.len(),
                recorded.len()
            ));
        }
        for ((mm, md, ms), (rm, rd, rs)) in mine.iter().zip(&recorded) {
            if ms != rs {
                run.mismatches.push(format!(
                    "#{i}: {:?} sent on {ms:?}, recorded on {rs:?}",
                    mm.message_type
                ));
            }
            if (mm.message_type, mm.rpid, mm.pid) != (rm.message_type, rm.rpid, rm.pid) {
                run.mismatches
                    .push(format!("#{i}: header {mm:?} vs recorded {rm:?}"));
                continue;
            }
            run.sent.push(md.clone());
            if matches!(md, MessageData::PublicKey(_)) {
                continue; // our own RSA key
            }
            let version = run
                .pools
                .get(&mm.rpid)
                .map_or(ProtocolVersion::V2_3, RunspacePool::protocol_version);
            if let (Some(a), Some(b)) = (md.to_value(version), rd.to_value(version))
                && let Err(e) = same(&a, &b, mm.message_type.name())
            {
                run.mismatches.push(format!("#{i}: {e}"));
            }
        }

        // The server's answer, fed as a transport delivers it.
        let response_blobs = blobs(&ex.response);
        if !response_blobs.is_empty() {
            let mut errors = Vec::new();
            let Some(pool) = run.pool_for(shell.as_deref()) else {
                run.mismatches
                    .push(format!("#{i}: response for an unknown shell"));
                continue;
            };
            for b in response_blobs {
                if let Err(e) = pool.receive_data(&b.data) {
                    errors.push((i, e));
                }
            }
            run.receive_errors.extend(errors);
        }
        run.drain_events();
    }
    Some(run)
}

fn outputs(run: &Run) -> Vec<&Value> {
    run.events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::PipelineOutput { value, .. } => Some(value),
            _ => None,
        })
        .collect()
}

fn final_states(run: &Run) -> Vec<PSInvocationState> {
    run.events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::PipelineStateChanged { state, .. } if state.is_terminal() => Some(*state),
            _ => None,
        })
        .collect()
}

/// No mismatch, and no receive error but the refused foreign session key (the recorded
/// ENCRYPTED_SESSION_KEY was wrapped for pypsrp's RSA key, which this test does not have).
fn assert_clean(run: &Run) {
    assert!(run.mismatches.is_empty(), "{:#?}", run.mismatches);
    for (i, e) in &run.receive_errors {
        assert!(matches!(e, psremote_psrp::Error::Crypto(_)), "#{i}: {e}");
    }
}

#[test]
fn open_runspace() {
    let Some(run) = replay("test_psrp_open_runspace") else {
        return;
    };
    assert_clean(&run);
    let pool = run.pools.values().next();
    let Some(pool) = pool else { panic!("no pool") };
    assert_eq!(pool.state(), RunspacePoolState::Opened);
    assert_eq!(pool.protocol_version(), ProtocolVersion::V2_3);
    let apd = pool
        .application_private_data()
        .map(psremote_psrp::ApplicationPrivateData);
    let ps_version = apd.and_then(|a| a.ps_version());
    assert_eq!(ps_version.map(|v| (v.major, v.minor)), Some((5, 1)));
    let kinds: Vec<&str> = run
        .events
        .iter()
        .map(|(_, e)| match e {
            Event::SessionCapability(_) => "capability",
            Event::ApplicationPrivateData { .. } => "private data",
            Event::RunspacePoolStateChanged {
                state: RunspacePoolState::Opened,
                ..
            } => "opened",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["capability", "private data", "opened"]);
}

#[test]
fn stream_output_invocation_delivers_every_stream() {
    let Some(run) = replay("test_psrp_stream_output_invocation") else {
        return;
    };
    assert_clean(&run);
    let mut warning = Vec::new();
    let mut verbose = Vec::new();
    let mut debug = Vec::new();
    let mut information = Vec::new();
    let mut progress = 0;
    let mut errors = Vec::new();
    for (_, e) in &run.events {
        match e {
            Event::Warning { record, .. } => warning.push(InformationalRecord::from_value(record)),
            Event::Verbose { record, .. } => verbose.push(InformationalRecord::from_value(record)),
            Event::Debug { record, .. } => debug.push(InformationalRecord::from_value(record)),
            Event::Information { record, .. } => {
                information.push(InformationRecord::from_value(record))
            }
            Event::Progress { record, .. } => {
                assert!(ProgressRecord::from_value(record).is_ok());
                progress += 1;
            }
            Event::ErrorRecord { record, .. } => errors.push(ErrorRecord::from_value(record)),
            _ => {}
        }
    }
    let msg = |v: &[Result<InformationalRecord, _>]| -> Vec<String> {
        v.iter()
            .map(|r| r.as_ref().map(|r| r.message.clone()).unwrap_or_default())
            .collect()
    };
    assert_eq!(msg(&warning), ["warning stream"]);
    assert_eq!(msg(&verbose), ["verbose stream"]);
    assert_eq!(msg(&debug), ["debug stream"]);
    assert_eq!(information.len(), 1);
    assert_eq!(
        information[0].as_ref().ok().map(|i| &i.message_data),
        Some(&Value::String("information stream".into()))
    );
    assert!(progress >= 1);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .as_ref()
            .is_ok_and(|e| e.message == "error stream"),
        "{errors:?}"
    );
    assert_eq!(outputs(&run), [&Value::String("output stream".into())]);
    assert_eq!(final_states(&run), [PSInvocationState::Completed]);
}

#[test]
fn error_failed_carries_the_error_record() {
    let Some(run) = replay("test_psrp_error_failed") else {
        return;
    };
    assert_clean(&run);
    let failed = run.events.iter().find_map(|(_, e)| match e {
        Event::PipelineStateChanged {
            state: PSInvocationState::Failed,
            error,
            ..
        } => Some(error.clone()),
        _ => None,
    });
    let Some(Some(error)) = failed else {
        panic!("no Failed state with an error: {:?}", run.events)
    };
    let record = ErrorRecord::from_value(&error);
    assert!(record.is_ok(), "{record:?}");
    let record = record.ok();
    assert!(
        record
            .as_ref()
            .and_then(|r| r.exception_type_names.first())
            .is_some_and(|t| t.ends_with("Exception")),
        "{record:?}"
    );
    assert_eq!(final_states(&run), [PSInvocationState::Failed]);
}

#[test]
fn get_command_metadata_yields_count_then_commands() {
    let Some(run) = replay("test_psrp_get_command_metadata") else {
        return;
    };
    assert_clean(&run);
    // Three requests, each a pipeline of its own.
    let mut by_pid: HashMap<Uuid, Vec<Value>> = HashMap::new();
    let mut order = Vec::new();
    for (_, e) in &run.events {
        if let Event::PipelineOutput { pid, value } = e {
            if !by_pid.contains_key(pid) {
                order.push(*pid);
            }
            by_pid.entry(*pid).or_default().push(value.clone());
        }
    }
    assert_eq!(order.len(), 3);
    for pid in order {
        let values = &by_pid[&pid];
        let count = CommandMetadataCount::from_value(&values[0]);
        let Ok(count) = count else {
            panic!("{count:?}")
        };
        assert_eq!(count.count as usize, values.len() - 1);
        assert!(count.count > 0);
        for v in &values[1..] {
            let cmd = CommandMetadata::from_value(v);
            assert!(cmd.as_ref().is_ok_and(|c| !c.name.is_empty()), "{cmd:?}");
        }
    }
    assert_eq!(final_states(&run), [PSInvocationState::Completed; 3]);
}

#[test]
fn multiple_commands_with_key_exchange() {
    let Some(run) = replay("test_psrp_multiple_commands") else {
        return;
    };
    assert!(run.mismatches.is_empty(), "{:#?}", run.mismatches);
    // The client sent its own PUBLIC_KEY where pypsrp sent one.
    assert!(
        run.sent
            .iter()
            .any(|m| matches!(m, MessageData::PublicKey(_)))
    );
    // The recorded ENCRYPTED_SESSION_KEY was wrapped for pypsrp's RSA key, not ours: it must
    // be refused with a key error (or, rarely, unwrap to garbage of the right size), and
    // nothing else may fail.
    for (i, e) in &run.receive_errors {
        assert!(matches!(e, psremote_psrp::Error::Crypto(_)), "#{i}: {e}");
    }
    assert!(run.receive_errors.len() <= 1);
    let out = outputs(&run);
    assert_eq!(out.len(), 7);
    assert_eq!(out[0], &Value::String("Hello World".into()));
    // A SecureString the server made with the session key stays encrypted in the value.
    assert!(matches!(out[1], Value::SecureString(b) if b.len() == 16));
    assert_eq!(
        out[2],
        &Value::String("こんにちは - actual_x000A_string\nnewline: \u{10437}".into())
    );
    assert_eq!(out[5], &Value::I32(123));
    assert_eq!(final_states(&run), [PSInvocationState::Completed]);
}

#[test]
fn set_runspaces_answers_by_call_id() {
    let Some(run) = replay("test_psrp_set_runspaces") else {
        return;
    };
    assert_clean(&run);
    let answers: Vec<(i64, Availability)> = run
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::RunspaceAvailability {
                call_id,
                availability,
            } => Some((*call_id, *availability)),
            _ => None,
        })
        .collect();
    assert_eq!(
        answers,
        [
            (0, Availability::Available(1)),
            (1, Availability::Succeeded(true)),
            (2, Availability::Available(5)),
            (3, Availability::Succeeded(true)),
            (4, Availability::Succeeded(false)),
            (5, Availability::Succeeded(false)),
        ]
    );
    let pool = run.pools.values().next();
    // SET_MAX 5 and SET_MIN 2 succeeded; the later ones were refused.
    assert_eq!(
        pool.map(|p| (p.min_runspaces(), p.max_runspaces())),
        Some((2, 5))
    );
}

#[test]
fn protocol_2_1_server() {
    let Some(run) = replay("test_psrp_run_protocol_version_2.1") else {
        return;
    };
    assert_clean(&run);
    let pool = run.pools.values().next();
    assert_eq!(
        pool.map(RunspacePool::protocol_version),
        Some(ProtocolVersion::V2_1)
    );
    assert!(
        run.events
            .iter()
            .any(|(_, e)| matches!(e, Event::Debug { .. }))
    );
    assert_eq!(final_states(&run), [PSInvocationState::Completed]);
}

#[test]
fn host_calls_and_responses() {
    let Some(run) = replay("test_psrp_pshost_ui_mocked_methods") else {
        return;
    };
    assert_clean(&run);
    let calls = run
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::PipelineHostCall { .. }))
        .count();
    assert!(calls >= 10, "{calls}");
    let responses = run
        .sent
        .iter()
        .filter(|m| matches!(m, MessageData::PipelineHostResponse(_)))
        .count();
    assert!(responses >= 5, "{responses}");
}

#[test]
fn disconnect_reconnect_and_connect() {
    let Some(run) = replay("test_psrp_disconnect_runspaces") else {
        return;
    };
    assert_clean(&run);
    let init_data = run
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::RunspacePoolInitData { .. }))
        .count();
    assert_eq!(init_data, 2);
    assert!(
        run.pools
            .values()
            .all(|p| p.state() == RunspacePoolState::Opened)
    );
}

#[test]
fn every_recording_replays() {
    let Some(dir) = common::fixtures_dir() else {
        return;
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|n| n.starts_with("test_psrp") && n.ends_with(".yml"))
                .map(|n| n.trim_end_matches(".yml").to_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut failures = Vec::new();
    for name in &names {
        let Some(run) = replay(name) else {
            failures.push(format!("{name}: replay aborted"));
            continue;
        };
        for m in &run.mismatches {
            failures.push(format!("{name}: {m}"));
        }
        for (i, e) in &run.receive_errors {
            if !matches!(e, psremote_psrp::Error::Crypto(_)) {
                failures.push(format!("{name}: #{i}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
