//! What a running pipeline produces, as it arrives.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use psremote_clixml::Value;
use psremote_psrp::PSInvocationState;
use tokio::sync::mpsc;

use crate::error::Error;
use crate::record::{ErrorRecord, InformationRecord, InformationalRecord, ProgressRecord};

/// One record of any of PowerShell's streams.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    Output(Value),
    Error(ErrorRecord),
    Warning(InformationalRecord),
    Verbose(InformationalRecord),
    Debug(InformationalRecord),
    Information(InformationRecord),
    Progress(ProgressRecord),
}

/// How a pipeline ended.
#[derive(Debug)]
pub(crate) enum PipelineEnd {
    Completed,
    Stopped,
    Failed(Error),
}

/// What the session hands a pipeline's consumer: records, then exactly one end.
#[derive(Debug)]
pub(crate) enum Delivery {
    Item(StreamItem),
    End(PipelineEnd),
    /// A pipeline's last deliveries at once, its end last: the consumer is woken once for
    /// them, not once per item (a warm call's output and end arrive together).
    Last(Vec<Delivery>),
}

/// Everything one pipeline produced (`invoke_full`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Invocation {
    pub output: Vec<Value>,
    pub errors: Vec<ErrorRecord>,
    pub warnings: Vec<InformationalRecord>,
    pub verbose: Vec<InformationalRecord>,
    pub debug: Vec<InformationalRecord>,
    pub information: Vec<InformationRecord>,
    pub progress: Vec<ProgressRecord>,
    /// Completed or Stopped (Failed is returned as `Err(Error::PipelineFailed)`).
    pub state: InvocationState,
}

/// The final state of a pipeline that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InvocationState {
    #[default]
    Completed,
    Stopped,
}

impl InvocationState {
    pub fn to_psrp(self) -> PSInvocationState {
        match self {
            InvocationState::Completed => PSInvocationState::Completed,
            InvocationState::Stopped => PSInvocationState::Stopped,
        }
    }
}

impl Invocation {
    pub(crate) fn push(&mut self, item: StreamItem) {
        match item {
            StreamItem::Output(v) => self.output.push(v),
            StreamItem::Error(r) => self.errors.push(r),
            StreamItem::Warning(r) => self.warnings.push(r),
            StreamItem::Verbose(r) => self.verbose.push(r),
            StreamItem::Debug(r) => self.debug.push(r),
            StreamItem::Information(r) => self.information.push(r),
            StreamItem::Progress(r) => self.progress.push(r),
        }
    }
}

/// A running pipeline's records as a `Stream`. Bounded: when the consumer is slow the session
/// stops fetching from the server for this pipeline. Dropping it stops the remote pipeline.
/// A pipeline that ends Failed yields `Err(Error::PipelineFailed)` last; a stopped one
/// `Err(Error::PipelineStopped)`.
pub struct PipelineStream {
    pub(crate) rx: mpsc::Receiver<Delivery>,
    pub(crate) done: bool,
    pub(crate) stopper: Option<crate::session::Stopper>,
    /// The rest of a `Delivery::Last` batch.
    pub(crate) buf: VecDeque<Delivery>,
}

impl PipelineStream {
    pub(crate) fn new(
        rx: mpsc::Receiver<Delivery>,
        stopper: Option<crate::session::Stopper>,
    ) -> PipelineStream {
        PipelineStream {
            rx,
            done: false,
            stopper,
            buf: VecDeque::new(),
        }
    }

    /// Unpacks a batch into the buffer and returns its first delivery.
    fn unbatch(&mut self, d: Option<Delivery>) -> Option<Delivery> {
        match d {
            Some(Delivery::Last(items)) => {
                self.buf.extend(items);
                self.buf.pop_front()
            }
            other => other,
        }
    }

    /// A handle that stops this pipeline from elsewhere (e.g. a Ctrl-C handler).
    pub fn stopper(&self) -> Option<crate::session::Stopper> {
        self.stopper.clone()
    }

    /// The next delivery, keeping the end state (for `invoke_full`).
    pub(crate) async fn next_delivery(&mut self) -> Option<Delivery> {
        if self.done {
            return None;
        }
        let d = match self.buf.pop_front() {
            Some(d) => Some(d),
            None => {
                let r = self.rx.recv().await;
                self.unbatch(r)
            }
        };
        match &d {
            Some(Delivery::End(_)) | None => self.done = true,
            _ => {}
        }
        d
    }
}

impl Stream for PipelineStream {
    type Item = Result<StreamItem, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let next = match self.buf.pop_front() {
            Some(d) => Poll::Ready(Some(d)),
            None => match self.rx.poll_recv(cx) {
                Poll::Ready(r) => Poll::Ready(self.unbatch(r)),
                Poll::Pending => Poll::Pending,
            },
        };
        match next {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(Some(Err(Error::Closed)))
            }
            Poll::Ready(Some(Delivery::Item(i))) => Poll::Ready(Some(Ok(i))),
            Poll::Ready(Some(Delivery::End(end))) => {
                self.done = true;
                match end {
                    PipelineEnd::Completed => Poll::Ready(None),
                    PipelineEnd::Stopped => Poll::Ready(Some(Err(Error::PipelineStopped))),
                    PipelineEnd::Failed(e) => Poll::Ready(Some(Err(e))),
                }
            }
            // Batches are unpacked above and never nested.
            Poll::Ready(Some(Delivery::Last(_))) => {
                self.done = true;
                Poll::Ready(Some(Err(Error::Closed)))
            }
        }
    }
}
