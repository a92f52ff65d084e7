//! What carries PSRP fragments between the sans-IO RunspacePool and a server.
//!
//! The session hands a transport whole fragment payloads, for the pool or a pipeline, on the
//! Default or PromptResponse stream, and the transport pushes what the server sends back into
//! an [`InboundSender`]. The first payload of a pipeline creates it on the server (WS-Man:
//! `Command` with the payload as Arguments; out-of-process: `<Command>` then `<Data>`), so the
//! session never has to know which carrier it drives.

use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::error::Error;
pub use crate::outofproc::DataStream;

pub mod outofproc;
pub mod wsman;

pub use self::outofproc::{OutOfProcTransport, ProcessTarget, SshTarget};
pub use self::wsman::WsmanTransport;

/// Something the server sent.
#[derive(Debug)]
pub enum Inbound {
    /// Fragment bytes for the pool (`pipeline: None`) or a pipeline. When `resume` is set the
    /// carrier waits for it before fetching more for that pipeline: that is how a slow consumer
    /// holds back the server instead of growing a buffer.
    Data {
        pipeline: Option<Uuid>,
        bytes: Vec<u8>,
        resume: Option<oneshot::Sender<()>>,
        /// The carrier delivers nothing more for this pipeline after these bytes: a
        /// `PipelineDone` folded into the last data, so the session wakes once for both.
        done: Option<Uuid>,
    },
    /// The carrier will deliver nothing more for this pipeline (WS-Man CommandState Done).
    PipelineDone(Uuid),
    /// The carrier failed; nothing more will come.
    Failed(Error),
    /// Sending failed. `first` says it was the pipeline's first payload, so the pipeline was
    /// never created on the server.
    SendFailed {
        pipeline: Option<Uuid>,
        first: bool,
        error: Error,
    },
}

/// Where a transport delivers what it receives (bounded: a stalled session stalls the carrier).
pub type InboundSender = mpsc::Sender<Inbound>;

/// A carrier for one RunspacePool.
pub trait Transport: Send + Sync + 'static {
    /// Creates the RunspacePool `runspace_pool_id` on the server with the opening fragments
    /// (SESSION_CAPABILITY + INIT_RUNSPACEPOOL) and starts delivering to `inbound`.
    fn open(
        &self,
        runspace_pool_id: Uuid,
        opening: Vec<u8>,
        inbound: InboundSender,
    ) -> BoxFuture<'_, Result<(), Error>>;

    /// The pool is open and speaks `protocol` (the lower of both sides' versions).
    fn opened(&self, protocol: psremote_psrp::ProtocolVersion) {
        let _ = protocol;
    }

    /// Sends fragments; the first payload for an unknown pipeline creates it.
    fn send(
        &self,
        pipeline: Option<Uuid>,
        stream: DataStream,
        bytes: Vec<u8>,
    ) -> BoxFuture<'_, Result<(), Error>>;

    /// Asks the server to stop a running pipeline (WS-Man Signal ctrl_c; `<Signal>`).
    fn stop(&self, pipeline: Uuid) -> BoxFuture<'_, Result<(), Error>>;

    /// The pipeline reached a terminal state: release what the carrier holds for it.
    fn pipeline_finished(&self, pipeline: Uuid) -> BoxFuture<'_, Result<(), Error>>;

    /// Whether `pipeline_finished` sends nothing, so it may wait for the next send rather
    /// than wake the sender on its own.
    fn finish_is_local(&self) -> bool {
        false
    }

    /// Whether the pool itself needs to be polled (opening, key exchange, pool requests).
    /// Carriers that always read (out-of-process) ignore it.
    fn want_pool_receive(&self, on: bool);

    /// Attaches to a pool another client disconnected (WS-Man Connect with the
    /// CONNECT_RUNSPACEPOOL fragments); returns the server's reply fragments and starts
    /// delivering to `inbound`.
    fn attach(
        &self,
        shell_id: &str,
        connect: Vec<u8>,
        inbound: InboundSender,
    ) -> BoxFuture<'_, Result<Vec<u8>, Error>> {
        let _ = (shell_id, connect, inbound);
        Box::pin(async { Err(Error::Unsupported("attaching to a disconnected pool")) })
    }

    /// The server's id for the pool (the WS-Man ShellId), once open.
    fn shell_id(&self) -> Option<String> {
        None
    }

    /// Disconnects the shell, leaving it running on the server (WS-Man only).
    fn disconnect(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async { Err(Error::Unsupported("disconnect on this transport")) })
    }

    /// Reconnects a shell this client disconnected, and resumes delivering to `inbound`.
    fn reconnect(&self, inbound: InboundSender) -> BoxFuture<'_, Result<(), Error>> {
        let _ = inbound;
        Box::pin(async { Err(Error::Unsupported("reconnect on this transport")) })
    }

    /// Closes the RunspacePool and the carrier (WS-Man Delete; `<Close>` and end the process).
    fn close(&self) -> BoxFuture<'_, Result<(), Error>>;

    /// The name to tag output with (PSComputerName).
    fn computer_name(&self) -> &str;

    /// The largest fragment payload the carrier takes in one message, if it limits it. It may
    /// change during the session (the session reads it before each message it sends).
    fn max_fragment_size(&self) -> Option<usize> {
        None
    }
}

/// A shared transport.
pub type SharedTransport = Arc<dyn Transport>;
