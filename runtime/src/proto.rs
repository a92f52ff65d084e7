//! The session's use of the sans-IO `psremote_psrp::RunspacePool`, in one place.

use psremote_clixml::Value;
use psremote_psrp as psrp;
use psrp::{Event, Payload, PowerShell};
use uuid::Uuid;

use crate::connection::ConnectionInfo;
use crate::error::{Error, Result};
use crate::host::{HostCall, HostError};
use crate::record::ErrorRecord;

/// A RunspacePool request answered by RUNSPACE_AVAILABILITY (MS-PSRP 2.2.2.6–8, 2.2.2.11).
#[derive(Debug, Clone, Copy)]
pub(crate) enum PoolCall {
    SetMax(i32),
    SetMin(i32),
    GetAvailable,
}

/// The client RunspacePool of one session.
pub(crate) struct Pool {
    inner: psrp::RunspacePool,
}

impl Pool {
    pub(crate) fn new(
        info: &ConnectionInfo,
        interactive_host: bool,
        max_fragment_size: Option<usize>,
        runspace_pool_id: Option<Uuid>,
    ) -> Result<Pool> {
        // MS-PSRP 2.2.3.14: with no UI the server answers prompts itself (with the
        // non-interactive error); with one it calls back through PIPELINE_HOST_CALL.
        let host_info = if interactive_host {
            psrp::HostInfo {
                is_host_null: false,
                is_host_ui_null: false,
                is_host_raw_ui_null: true,
                use_runspace_host: false,
                host_default_data: None,
            }
        } else {
            psrp::HostInfo::default()
        };
        let mut options = psrp::RunspacePoolOptions {
            min_runspaces: i32::try_from(info.min_runspaces).unwrap_or(i32::MAX),
            max_runspaces: i32::try_from(info.max_runspaces).unwrap_or(i32::MAX),
            host_info,
            ..Default::default()
        };
        if let Some(max) = max_fragment_size {
            options.max_fragment_size = max;
        }
        if let Some(id) = runspace_pool_id {
            options.runspace_pool_id = id;
        }
        Ok(Pool {
            inner: psrp::RunspacePool::new(options),
        })
    }

    /// The protocol version both sides speak (after SESSION_CAPABILITY).
    pub(crate) fn protocol_version(&self) -> psrp::ProtocolVersion {
        self.inner.protocol_version()
    }

    /// Fragments the next messages to at most `max` bytes of payload.
    pub(crate) fn sync_max_fragment_size(&mut self, max: usize) {
        if self.inner.max_fragment_size() != max {
            self.inner.set_max_fragment_size(max);
        }
    }

    /// The RunspacePool id (RPID; the ShellId over WS-Man).
    pub(crate) fn id(&self) -> Uuid {
        self.inner.id()
    }

    /// SESSION_CAPABILITY + INIT_RUNSPACEPOOL fragments, for the shell's creationXml.
    pub(crate) fn open(&mut self) -> Result<Vec<u8>> {
        self.inner.open()?;
        let mut opening = Vec::new();
        while let Some(p) = self.inner.data_to_send() {
            opening.extend_from_slice(&p.data);
        }
        Ok(opening)
    }

    pub(crate) fn drain_sends(&mut self) -> Vec<Payload> {
        let mut v = Vec::new();
        while let Some(p) = self.inner.data_to_send() {
            v.push(p);
        }
        v
    }

    pub(crate) fn receive(&mut self, bytes: &[u8]) -> Result<()> {
        self.inner.receive_data(bytes)?;
        Ok(())
    }

    pub(crate) fn next_event(&mut self) -> Option<Event> {
        self.inner.next_event()
    }

    /// CONNECT_RUNSPACEPOOL (with SESSION_CAPABILITY) fragments, for the Connect's connectXml.
    pub(crate) fn connect(&mut self) -> Result<Vec<u8>> {
        self.inner.connect()?;
        let mut bytes = Vec::new();
        while let Some(p) = self.inner.data_to_send() {
            bytes.extend_from_slice(&p.data);
        }
        Ok(bytes)
    }

    pub(crate) fn create_pipeline(&mut self, ps: PowerShell, has_input: bool) -> Result<Uuid> {
        let options = psrp::PipelineOptions {
            no_input: !has_input,
            ..Default::default()
        };
        Ok(self.inner.create_pipeline(ps, options)?)
    }

    pub(crate) fn send_input(&mut self, pid: Uuid, values: Vec<Value>) -> Result<()> {
        self.inner.send_input(pid, values)?;
        Ok(())
    }

    pub(crate) fn end_input(&mut self, pid: Uuid) -> Result<()> {
        self.inner.end_input(pid)?;
        Ok(())
    }

    pub(crate) fn get_command_metadata(&mut self, names: &[String]) -> Result<Uuid> {
        let request = if names.is_empty() {
            psrp::GetCommandMetadata::names(["*"])
        } else {
            psrp::GetCommandMetadata::names(names.iter().cloned())
        };
        Ok(self.inner.get_command_metadata(request)?)
    }

    pub(crate) fn host_response(
        &mut self,
        pipeline: Option<Uuid>,
        call: &HostCall,
        result: std::result::Result<Option<Value>, HostError>,
    ) -> Result<()> {
        let method = psrp::HostMethodIdentifier::from_i32(call.method_id);
        if method.is_void() && result.is_ok() {
            // MS-PSRP 3.1.4.8: void methods get no response.
            return Ok(());
        }
        let (result, error) = match result {
            Ok(v) => (Some(v.unwrap_or(Value::Null)), None),
            Err(e) => (None, Some(host_error_record(&e.message))),
        };
        let response = psrp::HostResponse {
            call_id: call.call_id,
            method,
            result,
            error,
        };
        self.inner.host_response(pipeline, response)?;
        Ok(())
    }

    /// Queues a pool request answered by RUNSPACE_AVAILABILITY; returns its call id.
    pub(crate) fn pool_call(&mut self, call: PoolCall) -> Result<i64> {
        Ok(match call {
            PoolCall::SetMax(n) => self.inner.set_max_runspaces(n)?,
            PoolCall::SetMin(n) => self.inner.set_min_runspaces(n)?,
            PoolCall::GetAvailable => self.inner.get_available_runspaces()?,
        })
    }

    pub(crate) fn has_session_key(&self) -> bool {
        self.inner.session_key().is_some()
    }

    /// Starts the session key exchange (MS-PSRP 3.1.4.7) with a key pair made off the driver.
    pub(crate) fn exchange_key_with(&mut self, kx: psrp::KeyExchange) -> Result<()> {
        self.inner.exchange_key_with(kx)?;
        Ok(())
    }

    /// A `<SS>` value encrypted with the session key.
    pub(crate) fn encrypt_secure_string(&self, text: &str) -> Result<Value> {
        Ok(self.inner.encrypt_secure_string(text)?)
    }

    /// Marks the pipeline Stopping and drops its unsent input; the transport sends the signal.
    pub(crate) fn stop(&mut self, pid: Uuid) -> Result<()> {
        self.inner.stop(pid)?;
        Ok(())
    }

    pub(crate) fn remove_pipeline(&mut self, pid: Uuid) {
        self.inner.remove_pipeline(pid);
    }

    pub(crate) fn disconnected(&mut self) -> Result<()> {
        self.inner.disconnected()?;
        Ok(())
    }

    pub(crate) fn reconnected(&mut self) -> Result<()> {
        self.inner.reconnected()?;
        Ok(())
    }

    /// Over WS-Man and out-of-process, closing is the transport's (Delete / `<Close>`).
    pub(crate) fn close(&mut self) -> Result<()> {
        self.inner.close()?;
        Ok(())
    }
}

/// The host call in an event, if it is one.
pub(crate) fn host_call(ev: &Event) -> Option<(Option<Uuid>, HostCall)> {
    let (pipeline, call) = match ev {
        Event::PipelineHostCall { pid, call } => (Some(*pid), call),
        Event::RunspacePoolHostCall { call } => (None, call),
        _ => return None,
    };
    Some((
        pipeline,
        HostCall {
            call_id: call.call_id,
            method_id: call.method.as_i32(),
            method_name: call.method.label(),
            parameters: call.parameters.clone(),
            pipeline,
        },
    ))
}

/// The error for a PIPELINE_STATE Failed: its ExceptionAsErrorRecord (MS-PSRP 2.2.2.21).
pub(crate) fn failure_from_state_error(v: Value) -> Error {
    Error::failed(ErrorRecord::new(v))
}

/// GET_COMMAND_METADATA replies with a CommandMetadataCount object, then one CommandMetadata
/// per command (MS-PSRP 2.2.3.21–22); check the count and return the commands.
pub(crate) fn strip_metadata_count(values: Vec<Value>) -> Result<Vec<Value>> {
    let mut it = values.into_iter();
    let Some(first) = it.next() else {
        return Ok(Vec::new());
    };
    let count = first
        .as_object()
        .filter(|o| {
            o.type_names()
                .iter()
                .any(|t| t.ends_with("CommandMetadataCount"))
        })
        .and_then(|o| match o.get("Count") {
            Some(Value::I32(n)) => Some(*n),
            _ => None,
        });
    let rest: Vec<Value> = match count {
        Some(_) => it.collect(),
        None => std::iter::once(first).chain(it).collect(),
    };
    if let Some(n) = count
        && usize::try_from(n).ok() != Some(rest.len())
    {
        return Err(Error::UnexpectedValue(format!(
            "CommandMetadataCount says {n} commands, {} arrived",
            rest.len()
        )));
    }
    Ok(rest)
}

/// The ErrorRecord a host call answers with when the client's host refuses it (a
/// HostException, category NotImplemented, as PowerShell's hosts report it).
pub(crate) fn host_error_record(message: &str) -> Value {
    use psremote_clixml::ToValue;
    use psremote_clixml::types::{ErrorCategory, ErrorRecord as TypedErrorRecord};
    TypedErrorRecord::new(
        message,
        "System.Management.Automation.Host.HostException",
        "HostFunctionNotImplemented",
        ErrorCategory(11),
    )
    .to_value()
}
