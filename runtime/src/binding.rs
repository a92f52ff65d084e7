//! Implicit session binding: what generated stubs run on ([`crate::implicit::Invoker`]).
//!
//! A live [`Session`] runs calls as they come. A [`LazySession`] holds connection settings
//! instead, like the module Import-PSSession writes (its Get-PSImplicitRemotingSession): it
//! connects on the first call, reconnects a Disconnected session, and replaces a Broken,
//! closed or expired one. A call is retried on the new session only if it certainly never
//! ran on the old one (`Error::never_started`), so nothing the user asked for runs twice.
//! After every (re)connect an optional catalog check compares the live command catalog with
//! the one the stubs were generated from and warns on drift.
//!
//! Either becomes what stubs take with `ImplicitSession::new(session)`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use futures::StreamExt;
use secrecy::SecretString;

use crate::connection::ConnectionInfo;
use crate::error::{Error, Result};
use crate::implicit::{BoxFuture, BoxStream, Event, Invoker, PowerShell, Value};
use crate::session::{Session, SessionOptions, SessionState};
use crate::stream::StreamItem;

fn to_event(item: StreamItem) -> Event<Value> {
    match item {
        StreamItem::Output(v) => Event::Output(v),
        StreamItem::Error(r) => Event::Error(r),
        StreamItem::Warning(r) => Event::Warning(r),
        StreamItem::Verbose(r) => Event::Verbose(r),
        StreamItem::Debug(r) => Event::Debug(r),
        StreamItem::Information(r) => Event::Information(r),
        StreamItem::Progress(r) => Event::Progress(r),
    }
}

fn stream_on(
    session: Session,
    pipeline: PowerShell,
    input: Vec<Value>,
) -> BoxStream<'static, Result<Event<Value>>> {
    let start = async move { session.stream(pipeline, input).await };
    Box::pin(futures::stream::once(start).flat_map(|r| match r {
        Ok(s) => s.map(|i| i.map(to_event)).boxed(),
        Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
    }))
}

impl Invoker for Session {
    fn invoke(&self, pipeline: PowerShell, input: Vec<Value>) -> BoxFuture<'_, Result<Vec<Value>>> {
        Box::pin(async move { self.invoke_with_input(pipeline, input).await })
    }

    fn stream(
        &self,
        pipeline: PowerShell,
        input: Vec<Value>,
    ) -> BoxStream<'static, Result<Event<Value>>> {
        stream_on(self.clone(), pipeline, input)
    }

    fn secure_string<'a>(&'a self, plain: &'a SecretString) -> BoxFuture<'a, Result<Value>> {
        Box::pin(async move { Session::secure_string(self, plain).await })
    }
}

/// Checks a freshly opened session's catalog: returns the live catalog hash (the codegen layer
/// computes it the same way as the cached one).
pub type CatalogHashFn =
    Arc<dyn Fn(Session) -> BoxFuture<'static, Result<String>> + Send + Sync + 'static>;

/// The catalog the stubs were generated from, and how to hash the live one.
#[derive(Clone)]
pub struct CatalogCheck {
    pub expected_hash: String,
    pub live_hash: CatalogHashFn,
}

/// How often the holder connected, reconnected and recreated (for logs and tests).
#[derive(Debug, Default)]
pub struct BindingStats {
    pub connects: AtomicU64,
    pub reconnects: AtomicU64,
    pub recreations: AtomicU64,
    pub retries: AtomicU64,
}

struct LazyInner {
    info: ConnectionInfo,
    options: SessionOptions,
    current: tokio::sync::Mutex<Option<Session>>,
    catalog: Option<CatalogCheck>,
    drift: AtomicBool,
    stats: BindingStats,
}

/// Connection settings that become a session on first use and heal it afterwards.
#[derive(Clone)]
pub struct LazySession {
    inner: Arc<LazyInner>,
}

impl std::fmt::Debug for LazySession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazySession")
            .field("computer_name", &self.inner.info.computer_name)
            .field("stats", &self.inner.stats)
            .finish()
    }
}

impl LazySession {
    pub fn new(info: ConnectionInfo) -> LazySession {
        LazySession::with_options(info, SessionOptions::default(), None)
    }

    pub fn with_options(
        info: ConnectionInfo,
        options: SessionOptions,
        catalog: Option<CatalogCheck>,
    ) -> LazySession {
        LazySession {
            inner: Arc::new(LazyInner {
                info,
                options,
                current: tokio::sync::Mutex::new(None),
                catalog,
                drift: AtomicBool::new(false),
                stats: BindingStats::default(),
            }),
        }
    }

    pub fn stats(&self) -> &BindingStats {
        &self.inner.stats
    }

    /// Whether the last catalog check found the live catalog different from the cached one.
    pub fn catalog_drift(&self) -> bool {
        self.inner.drift.load(Ordering::Relaxed)
    }

    /// The live session, if one is open.
    pub async fn current(&self) -> Option<Session> {
        self.inner.current.lock().await.clone()
    }

    /// A usable session: the current one, reconnected if Disconnected, or a new one if there
    /// is none or it is Broken/Closed.
    pub async fn session(&self) -> Result<Session> {
        let mut cur = self.inner.current.lock().await;
        if let Some(s) = cur.as_ref() {
            match s.state() {
                SessionState::Opened | SessionState::Opening => return Ok(s.clone()),
                SessionState::Disconnected => match s.reconnect().await {
                    Ok(()) => {
                        self.inner.stats.reconnects.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(computer = %s.computer_name(), "reconnected the session");
                        return Ok(s.clone());
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "reconnect failed; opening a new session");
                    }
                },
                SessionState::Broken(reason) => {
                    tracing::warn!(%reason, "the session is broken; opening a new one");
                }
                SessionState::Closed => {}
            }
            if let Some(old) = cur.take() {
                // Best effort: the shell may already be gone.
                let _ = old.close().await;
            }
            self.inner.stats.recreations.fetch_add(1, Ordering::Relaxed);
        }
        let s = Session::connect_with(self.inner.info.clone(), self.inner.options.clone()).await?;
        self.inner.stats.connects.fetch_add(1, Ordering::Relaxed);
        self.check_catalog(&s).await;
        *cur = Some(s.clone());
        Ok(s)
    }

    async fn check_catalog(&self, s: &Session) {
        let Some(check) = &self.inner.catalog else {
            return;
        };
        match (check.live_hash)(s.clone()).await {
            Ok(live) if live == check.expected_hash => {
                self.inner.drift.store(false, Ordering::Relaxed);
            }
            Ok(live) => {
                self.inner.drift.store(true, Ordering::Relaxed);
                tracing::warn!(
                    computer = %s.computer_name(),
                    expected = %check.expected_hash,
                    live = %live,
                    "the remote command catalog differs from the cached metadata the stubs were \
                     generated from; run `psremote metadata --check` and regenerate"
                );
            }
            Err(e) => tracing::warn!(error = %e, "cannot check the remote command catalog"),
        }
    }

    /// Forgets a session that failed a call, so the next call heals.
    async fn drop_if_lost(&self, s: &Session, e: &Error) {
        if e.is_session_lost() || !matches!(s.state(), SessionState::Opened) {
            let mut cur = self.inner.current.lock().await;
            if let Some(c) = cur.as_ref()
                && c.runspace_pool_id() == s.runspace_pool_id()
                && matches!(c.state(), SessionState::Broken(_) | SessionState::Closed)
            {
                let _ = c.close().await;
                *cur = None;
                self.inner.stats.recreations.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Closes the current session, if any.
    pub async fn close(&self) -> Result<()> {
        let s = self.inner.current.lock().await.take();
        match s {
            Some(s) => s.close().await,
            None => Ok(()),
        }
    }

    async fn invoke_healing(&self, pipeline: PowerShell, input: Vec<Value>) -> Result<Vec<Value>> {
        let s = self.session().await?;
        match s.invoke_with_input(pipeline.clone(), input.clone()).await {
            Err(e) if e.never_started() => {
                tracing::info!(error = %e, "the call did not start; retrying on a healed session");
                self.drop_if_lost(&s, &e).await;
                self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                let s = self.session().await?;
                s.invoke_with_input(pipeline, input).await
            }
            Err(e) => {
                self.drop_if_lost(&s, &e).await;
                Err(e)
            }
            ok => ok,
        }
    }
}

impl Invoker for LazySession {
    fn invoke(&self, pipeline: PowerShell, input: Vec<Value>) -> BoxFuture<'_, Result<Vec<Value>>> {
        Box::pin(self.invoke_healing(pipeline, input))
    }

    fn stream(
        &self,
        pipeline: PowerShell,
        input: Vec<Value>,
    ) -> BoxStream<'static, Result<Event<Value>>> {
        let this = self.clone();
        // The first record tells whether the command reached the server: a pipeline that
        // could not be created ends at once with a never-started error, and is retried.
        let start = async move {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let s = this.session().await?;
                let r = match s.stream(pipeline.clone(), input.clone()).await {
                    Ok(mut st) => match st.next().await {
                        Some(Err(e)) => Err(e),
                        first => Ok(futures::stream::iter(first).chain(st)),
                    },
                    Err(e) => Err(e),
                };
                match r {
                    Err(e) if e.never_started() && attempt == 1 => {
                        this.drop_if_lost(&s, &e).await;
                        this.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        this.drop_if_lost(&s, &e).await;
                        return Err(e);
                    }
                    Ok(st) => return Ok(st),
                }
            }
        };
        Box::pin(futures::stream::once(start).flat_map(|r| match r {
            Ok(s) => s.map(|i| i.map(to_event)).boxed(),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        }))
    }

    fn secure_string<'a>(&'a self, plain: &'a SecretString) -> BoxFuture<'a, Result<Value>> {
        Box::pin(async move {
            let s = self.session().await?;
            s.secure_string(plain).await
        })
    }
}
