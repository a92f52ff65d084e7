//! Fan-out: one pipeline on many computers at once (Invoke-Command -ComputerName a,b,…
//! -ThrottleLimit N). Results stream as they arrive, each tagged with its computer; one
//! host's failure is reported for that host and the others go on. Memory is bounded: at most
//! `throttle` sessions are open, and every channel is bounded, so a slow consumer holds the
//! servers back instead of buffering their output.

use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use psremote_clixml::{ObjContent, Property, PsObject, Value};
use psremote_psrp::PowerShell;
use tokio::sync::{Semaphore, mpsc};
use uuid::Uuid;

use crate::connection::ConnectionInfo;
use crate::error::Error;
use crate::session::{Session, SessionOptions};
use crate::stream::{InvocationState, StreamItem};

/// PowerShell's default -ThrottleLimit.
pub const DEFAULT_THROTTLE: usize = 32;

/// Fan-out settings.
#[derive(Clone)]
pub struct FanOutOptions {
    /// How many computers are worked on at once.
    pub throttle: usize,
    /// Per-host limit on connecting (opening the pool); `None` uses each ConnectionInfo's.
    pub connect_timeout: Option<Duration>,
    /// Per-host limit on running the pipeline, once connected.
    pub operation_timeout: Option<Duration>,
    /// Events buffered between the hosts and the consumer.
    pub buffer: usize,
    /// Tag output objects with PSComputerName / RunspaceId / PSShowComputerName.
    pub tag_output: bool,
    pub session: SessionOptions,
}

impl Default for FanOutOptions {
    fn default() -> Self {
        FanOutOptions {
            throttle: DEFAULT_THROTTLE,
            connect_timeout: None,
            operation_timeout: None,
            buffer: 256,
            tag_output: true,
            session: SessionOptions::default(),
        }
    }
}

/// What happened on one computer.
#[derive(Debug)]
pub enum FanOutEvent {
    /// A record from `computer_name`.
    Item {
        computer_name: String,
        item: StreamItem,
    },
    /// The pipeline finished on `computer_name` (Completed or Stopped).
    Completed {
        computer_name: String,
        state: InvocationState,
    },
    /// `computer_name` failed: unreachable, refused, timed out, or the pipeline Failed.
    Failed { computer_name: String, error: Error },
}

impl FanOutEvent {
    pub fn computer_name(&self) -> &str {
        match self {
            FanOutEvent::Item { computer_name, .. }
            | FanOutEvent::Completed { computer_name, .. }
            | FanOutEvent::Failed { computer_name, .. } => computer_name,
        }
    }
}

/// Adds PSComputerName, RunspaceId and PSShowComputerName note properties to an output value,
/// as Invoke-Command does (primitives are wrapped in an object carrying the notes).
pub fn tag_output(value: Value, computer_name: &str, runspace_id: Option<Uuid>) -> Value {
    let mut obj = match value {
        Value::Object(o) => Arc::unwrap_or_clone(o),
        Value::Null => PsObject::default(),
        prim => PsObject {
            content: ObjContent::Value(prim),
            ..PsObject::default()
        },
    };
    obj.extended.retain(|p| {
        !matches!(
            p.name.as_str(),
            "PSComputerName" | "RunspaceId" | "PSShowComputerName"
        )
    });
    obj.extended.push(Property {
        name: "PSComputerName".into(),
        value: Value::String(computer_name.to_string()),
    });
    if let Some(id) = runspace_id {
        obj.extended.push(Property {
            name: "RunspaceId".into(),
            value: Value::Guid(id),
        });
    }
    obj.extended.push(Property {
        name: "PSShowComputerName".into(),
        value: Value::Bool(true),
    });
    Value::object(obj)
}

/// Runs `ps` on every target; at most `options.throttle` at once.
pub fn invoke_many(
    targets: Vec<ConnectionInfo>,
    ps: impl Into<PowerShell>,
    options: FanOutOptions,
) -> impl Stream<Item = FanOutEvent> + Send + 'static {
    let ps = ps.into();
    let (tx, rx) = mpsc::channel::<FanOutEvent>(options.buffer.max(1));
    let throttle = Arc::new(Semaphore::new(options.throttle.max(1)));
    tokio::spawn(async move {
        let mut tasks = tokio::task::JoinSet::new();
        for target in targets {
            // Wait for a slot before spawning, so at most `throttle` hosts hold memory.
            let Ok(permit) = throttle.clone().acquire_owned().await else {
                break;
            };
            if tx.is_closed() {
                break;
            }
            let tx = tx.clone();
            let ps = ps.clone();
            let options = options.clone();
            tasks.spawn(async move {
                let computer_name = target.computer_name.clone();
                let r = run_one(target, ps, &options, &tx).await;
                let ev = match r {
                    Ok(state) => FanOutEvent::Completed {
                        computer_name,
                        state,
                    },
                    Err(error) => FanOutEvent::Failed {
                        computer_name,
                        error,
                    },
                };
                let _ = tx.send(ev).await;
                drop(permit);
            });
            // Reap finished hosts as we go (JoinSet keeps their results otherwise).
            while let Some(r) = tasks.try_join_next() {
                if let Err(e) = r {
                    tracing::warn!(error = %e, "fan-out task panicked");
                }
            }
        }
        while tasks.join_next().await.is_some() {}
    });
    tokio_stream(rx)
}

fn tokio_stream(mut rx: mpsc::Receiver<FanOutEvent>) -> impl Stream<Item = FanOutEvent> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

async fn run_one(
    mut target: ConnectionInfo,
    ps: PowerShell,
    options: &FanOutOptions,
    tx: &mpsc::Sender<FanOutEvent>,
) -> Result<InvocationState, Error> {
    if let Some(t) = options.connect_timeout {
        target.open_timeout = t;
        target.connect_timeout = target.connect_timeout.min(t);
    }
    let computer_name = target.computer_name.clone();
    let session = Session::connect_with(target, options.session.clone()).await?;
    let runspace_id = session.runspace_pool_id();
    let work = async {
        let mut stream = session.stream(ps, Vec::new()).await?;
        while let Some(item) = stream.next().await {
            let item = match item {
                Ok(i) => i,
                Err(Error::PipelineStopped) => return Ok(InvocationState::Stopped),
                Err(e) => return Err(e),
            };
            let item = match item {
                StreamItem::Output(v) if options.tag_output => {
                    StreamItem::Output(tag_output(v, &computer_name, runspace_id))
                }
                other => other,
            };
            if tx
                .send(FanOutEvent::Item {
                    computer_name: computer_name.clone(),
                    item,
                })
                .await
                .is_err()
            {
                // The consumer went away: dropping the stream stops the remote pipeline.
                return Ok(InvocationState::Stopped);
            }
        }
        Ok(InvocationState::Completed)
    };
    let r = match options.operation_timeout {
        Some(t) => match tokio::time::timeout(t, work).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout {
                what: format!("the pipeline on {computer_name}"),
                after: t,
            }),
        },
        None => work.await,
    };
    let _ = session.close().await;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_objects_and_wraps_primitives() {
        let id = Uuid::from_u128(7);
        let v = tag_output(Value::I32(5), "srv1", Some(id));
        let o = v.as_object().expect("present");
        assert_eq!(o.content, ObjContent::Value(Value::I32(5)));
        assert_eq!(o.get("PSComputerName"), Some(&Value::String("srv1".into())));
        assert_eq!(o.get("RunspaceId"), Some(&Value::Guid(id)));

        let mut obj = PsObject::with_type_names(["Deserialized.System.Globalization.CultureInfo"]);
        obj.adapted.push(Property {
            name: "Name".into(),
            value: Value::String("en-US".into()),
        });
        let v = tag_output(Value::object(obj), "srv2", None);
        let o = v.as_object().expect("present");
        assert_eq!(o.get("Name"), Some(&Value::String("en-US".into())));
        assert_eq!(o.get("pscomputername"), Some(&Value::String("srv2".into())));
        // Re-tagging replaces, not duplicates.
        let v = tag_output(v, "srv3", None);
        let o = v.as_object().expect("present");
        assert_eq!(
            o.extended
                .iter()
                .filter(|p| p.name == "PSComputerName")
                .count(),
            1
        );
        assert_eq!(o.get("PSComputerName"), Some(&Value::String("srv3".into())));
    }
}
