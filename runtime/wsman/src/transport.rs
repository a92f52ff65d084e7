//! HTTP/1.1 to the WinRM listener over hyper's connection API.
//!
//! NTLM and Kerberos authenticate the TCP connection, not the request: the security context
//! (and with it the message-encryption sequence numbers) lives as long as its connection. So
//! each pooled `Slot` owns exactly one connection and its context, is used by one request at a
//! time, and re-authenticates when the server closed the connection or forgot the context.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls_pki_types::pem::PemObject;
use secrecy::ExposeSecret;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, MutexGuard};

use crate::auth::{Auth, Credentials, KerberosOptions, SecurityContext, channel_bindings};
use crate::encryption;
use crate::error::{Error, Result, TlsFailure};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const SOAP_CONTENT_TYPE: &str = "application/soap+xml;charset=UTF-8";
/// WinRM's header for certificate authentication (the HTTPS mutual security profile).
pub const CERT_PROFILE: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual";

/// TLS settings.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Trust only the CA certificates in this PEM file (instead of the system store).
    pub ca_file: Option<std::path::PathBuf>,
    /// Accept any server certificate. Only for tests and throw-away labs.
    pub insecure_skip_verify: bool,
    /// tls-server-end-point channel binding for NTLM/Kerberos over HTTPS (on by default, as
    /// WinRM's CbtHardeningLevel=Relaxed/Strict expects).
    pub disable_channel_binding: bool,
    /// Name to verify the server certificate against (and send as SNI) when it differs from
    /// the URL's host, e.g. connecting by address to a host whose certificate names it.
    pub server_name: Option<String>,
}

/// Message encryption for NTLM/Negotiate/Kerberos (MS-WSMV 2.2.9.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encryption {
    /// On over HTTP, off over HTTPS (what Windows clients do).
    #[default]
    Auto,
    Always,
    /// Off: only accepted by a service with AllowUnencrypted=true.
    Never,
}

/// An HTTP proxy (`http://proxy:3128`): absolute-form requests for http://, CONNECT for https://.
#[derive(Debug, Clone)]
pub struct Proxy {
    pub url: String,
    pub credentials: Option<Credentials>,
}

#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub https: bool,
    pub host: String,
    pub port: u16,
    pub path: String,
    pub authority: String,
    pub url: String,
}

impl Target {
    pub fn parse(url: &str) -> Result<Target> {
        let uri: http::Uri = url
            .parse()
            .map_err(|e| Error::Config(format!("bad URL {url:?}: {e}")))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            other => {
                return Err(Error::Config(format!(
                    "URL scheme {other:?} is not http/https"
                )));
            }
        };
        let host = uri
            .host()
            .ok_or_else(|| Error::Config(format!("URL {url:?} has no host")))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(if https { 5986 } else { 5985 });
        let path = uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .filter(|p| p != "/" && !p.is_empty())
            .unwrap_or_else(|| "/wsman".to_owned());
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let url = format!(
            "{}://{authority}{path}",
            if https { "https" } else { "http" }
        );
        Ok(Target {
            https,
            host,
            port,
            path,
            authority,
            url,
        })
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct Connection {
    sender: SendRequest<Full<Bytes>>,
    /// The server's leaf certificate (DER), for channel binding.
    peer_cert: Option<Vec<u8>>,
}

/// One pooled connection and the security context bound to it.
#[derive(Default)]
pub(crate) struct Slot {
    conn: Option<Connection>,
    ctx: Option<SecurityContext>,
}

impl Slot {
    fn reset(&mut self) {
        self.conn = None;
        self.ctx = None;
    }
}

pub(crate) struct HttpResponse {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    pub www_authenticate: Vec<String>,
}

/// Counters for tests and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    /// HTTP requests written (authentication legs included).
    pub requests: AtomicU64,
    /// TCP (and TLS) connections opened.
    pub connections: AtomicU64,
    /// Security-context handshakes completed.
    pub authentications: AtomicU64,
}

pub(crate) struct Settings {
    pub target: Target,
    pub auth: Auth,
    pub encrypt: bool,
    pub allow_unencrypted: bool,
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub channel_binding: bool,
    pub tls_server_name: Option<String>,
    pub proxy: Option<(Target, Option<String>)>,
    pub connect_timeout: Duration,
    pub kerberos: KerberosOptions,
    pub max_response_bytes: usize,
}

pub(crate) struct Transport {
    pub settings: Settings,
    slots: Vec<Mutex<Slot>>,
    next: AtomicUsize,
    pub stats: Stats,
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::Config(format!("bad PEM in {}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Error::Config(format!(
            "no certificate in {}",
            path.display()
        )));
    }
    Ok(certs)
}

/// Accepts any server certificate (the explicit insecure switch); signatures are still checked
/// so the handshake itself stays sound.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The rustls client configuration: roots (CA file or system store), client certificate.
pub(crate) fn tls_config(tls: &TlsOptions, auth: &Auth) -> Result<Arc<rustls::ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS: {e}")))?;
    let builder = if tls.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        match &tls.ca_file {
            Some(path) => {
                for c in load_certs(path)? {
                    roots
                        .add(c)
                        .map_err(|e| Error::Config(format!("bad CA certificate: {e}")))?;
                }
            }
            None => {
                let native = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(native.certs);
            }
        }
        builder.with_root_certificates(roots)
    };
    let config = match auth {
        Auth::Certificate(cc) => {
            let chain = load_certs(&cc.cert_pem)?;
            let key = PrivateKeyDer::from_pem_file(&cc.key_pem).map_err(|e| {
                Error::Config(format!("cannot read the key {}: {e}", cc.key_pem.display()))
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| Error::Config(format!("client certificate: {e}")))?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// Maps a transport error, looking through its sources for rustls and I/O errors.
pub(crate) fn classify(e: &(dyn std::error::Error + 'static), what: &str) -> Error {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(mut err) = cur {
        // io::Error's source() skips the error it wraps: look inside explicitly.
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            && inner.downcast_ref::<rustls::Error>().is_some()
        {
            err = inner;
        }
        if let Some(t) = err.downcast_ref::<rustls::Error>() {
            use rustls::{AlertDescription as A, CertificateError as C};
            let kind = match t {
                rustls::Error::InvalidCertificate(c) => match c {
                    C::UnknownIssuer | C::BadSignature => TlsFailure::UnknownIssuer,
                    C::NotValidForName | C::NotValidForNameContext { .. } => {
                        TlsFailure::NameMismatch
                    }
                    C::Expired | C::ExpiredContext { .. } | C::NotValidYet => TlsFailure::Expired,
                    _ => TlsFailure::Other,
                },
                rustls::Error::AlertReceived(
                    A::CertificateRequired | A::BadCertificate | A::UnknownCA | A::AccessDenied,
                ) => TlsFailure::ClientCertificate,
                _ => TlsFailure::Other,
            };
            return Error::Tls {
                kind,
                message: format!("{what}: {t}"),
            };
        }
        cur = err.source();
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Error::Io(format!("{what}: {io}"));
        }
        cur = err.source();
    }
    Error::Io(format!("{what}: {e}"))
}

/// Runs security-context work that may block (a Kerberos step may talk to the KDC) without
/// stalling other tasks on a multi-threaded runtime. Work that cannot block runs in place:
/// `block_in_place` hands the worker to another thread, and that thread churn costs CPU and
/// grows the allocator's per-thread arenas (measured by examples/soak.rs).
fn blocking<T>(may_block: bool, f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if may_block && h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

fn auth_error(message: impl Into<String>, resp: Option<&HttpResponse>) -> Error {
    Error::Auth {
        message: message.into(),
        offered: resp
            .map(|r| {
                r.www_authenticate
                    .iter()
                    .filter_map(|h| h.split_whitespace().next())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

impl Transport {
    pub fn new(settings: Settings, max_connections: usize) -> Transport {
        let n = max_connections.max(1);
        Transport {
            settings,
            slots: (0..n).map(|_| Mutex::new(Slot::default())).collect(),
            next: AtomicUsize::new(0),
            stats: Stats::default(),
        }
    }

    /// A free slot, or wait for one (round robin) when all are busy (e.g. long polls).
    async fn acquire(&self) -> MutexGuard<'_, Slot> {
        for s in &self.slots {
            if let Ok(g) = s.try_lock() {
                return g;
            }
        }
        // `slots` is never empty (see `new`).
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        self.slots[i].lock().await
    }

    /// POSTs one SOAP envelope and returns (status, envelope text), encrypting and
    /// authenticating as configured. `timeout` bounds the whole exchange.
    pub async fn post(&self, soap: String, timeout: Duration) -> Result<(u16, String)> {
        let mut slot = self.acquire().await;
        match tokio::time::timeout(timeout, self.post_on(&mut slot, soap.into_bytes())).await {
            Ok(r) => {
                if matches!(r, Err(Error::Io(_) | Error::Encryption(_))) {
                    slot.reset();
                }
                r
            }
            Err(_) => {
                // The connection is mid-exchange: never reuse it.
                slot.reset();
                Err(Error::Timeout(timeout))
            }
        }
    }

    /// A request without authentication (the unauthenticated Identify).
    pub async fn post_anonymous(
        &self,
        soap: String,
        headers: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<(u16, String)> {
        let mut slot = Slot::default();
        let fut = async {
            self.ensure_connected(&mut slot).await?;
            let r = self
                .send_raw(
                    &mut slot,
                    soap.into_bytes(),
                    SOAP_CONTENT_TYPE,
                    None,
                    headers,
                )
                .await?;
            if r.status == 401 {
                return Err(auth_error("anonymous request refused (HTTP 401)", Some(&r)));
            }
            Ok((r.status, String::from_utf8_lossy(&r.body).into_owned()))
        };
        tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| Error::Timeout(timeout))?
    }

    async fn post_on(&self, slot: &mut Slot, body: Vec<u8>) -> Result<(u16, String)> {
        let s = &self.settings;
        if matches!(s.auth, Auth::Basic(_)) && !s.target.https && !s.allow_unencrypted {
            return Err(Error::Config(
                "Basic authentication over plain HTTP sends the password in clear: use HTTPS, \
                 Negotiate/Kerberos, or allow unencrypted traffic explicitly"
                    .into(),
            ));
        }
        if matches!(s.auth, Auth::Certificate(_)) && !s.target.https {
            return Err(Error::Config(
                "certificate authentication needs HTTPS".into(),
            ));
        }
        for attempt in 0..2 {
            let fresh = self.ensure_connected(slot).await?;
            let had_context = slot.ctx.is_some();
            if s.auth.is_sspi() && !had_context {
                self.authenticate(slot).await?;
            }
            let (content_type, payload) = if s.auth.is_sspi() && s.encrypt {
                let ctx = slot
                    .ctx
                    .as_mut()
                    .ok_or_else(|| Error::Encryption("no security context".into()))?;
                let protocol = s.auth.encryption_protocol();
                (
                    encryption::content_type(protocol),
                    encryption::seal(ctx, protocol, &body)?,
                )
            } else {
                (SOAP_CONTENT_TYPE.to_owned(), body.clone())
            };
            let authz = match &s.auth {
                Auth::Basic(_) => s.auth.basic_header(),
                Auth::Certificate(_) => Some(CERT_PROFILE.to_owned()),
                _ => None,
            };
            let resp = self
                .send_raw(slot, payload, &content_type, authz.as_deref(), &[])
                .await;
            let resp = match resp {
                Err(Error::Io(m)) if attempt == 0 && !fresh && m.contains("canceled") => {
                    // The idle keep-alive connection was closed before our request went out:
                    // nothing reached the server, so sending again is safe.
                    slot.reset();
                    continue;
                }
                r => r?,
            };
            if resp.status == 401 {
                slot.ctx = None;
                if s.auth.is_sspi() && had_context && attempt == 0 {
                    // The server dropped the context (new connection behind a proxy, restart):
                    // authenticate again and resend, once.
                    continue;
                }
                return Err(auth_error(
                    "the server refused the credentials (HTTP 401)",
                    Some(&resp),
                ));
            }
            let encrypted = resp.content_type.starts_with("multipart/encrypted");
            let plain = if encrypted {
                let ctx = slot.ctx.as_mut().ok_or_else(|| {
                    Error::Encryption("encrypted response without a security context".into())
                })?;
                encryption::unseal(ctx, &resp.content_type, &resp.body)?
            } else {
                if s.auth.is_sspi() && s.encrypt && resp.status == 200 {
                    return Err(Error::Encryption(
                        "the server answered an encrypted request in clear text".into(),
                    ));
                }
                resp.body
            };
            let text = String::from_utf8(plain)
                .map_err(|_| Error::Protocol("response is not UTF-8".into()))?;
            return Ok((resp.status, text));
        }
        Err(auth_error(
            "authentication did not hold on this connection",
            None,
        ))
    }

    /// Reuses the slot's connection when it is still open; true when a new one was made.
    async fn ensure_connected(&self, slot: &mut Slot) -> Result<bool> {
        if let Some(c) = &mut slot.conn
            && !c.sender.is_closed()
            && c.sender.ready().await.is_ok()
        {
            return Ok(false);
        }
        slot.reset();
        slot.conn = Some(self.connect().await?);
        Ok(true)
    }

    async fn connect(&self) -> Result<Connection> {
        let s = &self.settings;
        let (host, port) = match &s.proxy {
            Some((p, _)) => (p.host.clone(), p.port),
            None => (s.target.host.clone(), s.target.port),
        };
        let tcp =
            tokio::time::timeout(s.connect_timeout, TcpStream::connect((host.as_str(), port)))
                .await
                .map_err(|_| Error::Timeout(s.connect_timeout))?
                .map_err(|e| Error::Io(format!("connect to {host}:{port}: {e}")))?;
        tcp.set_nodelay(true)
            .map_err(|e| Error::Io(format!("TCP_NODELAY: {e}")))?;
        let mut io: Box<dyn Io> = Box::new(tcp);
        if let (Some((_, proxy_auth)), true) = (&s.proxy, s.target.https) {
            io = self.tunnel(io, proxy_auth.as_deref()).await?;
        }
        let mut peer_cert = None;
        if s.target.https {
            let cfg = s
                .tls
                .clone()
                .ok_or_else(|| Error::Config("HTTPS without a TLS configuration".into()))?;
            let name = ServerName::try_from(
                s.tls_server_name
                    .clone()
                    .unwrap_or_else(|| s.target.host.clone()),
            )
            .map_err(|e| Error::Config(format!("bad TLS server name: {e}")))?;
            let tls = tokio::time::timeout(
                s.connect_timeout,
                tokio_rustls::TlsConnector::from(cfg).connect(name, io),
            )
            .await
            .map_err(|_| Error::Timeout(s.connect_timeout))?
            .map_err(|e| classify(&e, "TLS handshake"))?;
            peer_cert = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.as_ref().to_vec());
            io = Box::new(tls);
        }
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| classify(&e, "HTTP handshake"))?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("HTTP connection ended: {e}");
            }
        });
        self.stats.connections.fetch_add(1, Ordering::Relaxed);
        Ok(Connection { sender, peer_cert })
    }

    /// HTTP CONNECT through the proxy (RFC 9110 9.3.6).
    async fn tunnel(&self, mut io: Box<dyn Io>, proxy_auth: Option<&str>) -> Result<Box<dyn Io>> {
        let t = &self.settings.target;
        let mut req = format!("CONNECT {0} HTTP/1.1\r\nHost: {0}\r\n", t.authority);
        if let Some(a) = proxy_auth {
            req.push_str(&format!("Proxy-Authorization: {a}\r\n"));
        }
        req.push_str("\r\n");
        io.write_all(req.as_bytes())
            .await
            .map_err(|e| Error::Io(format!("proxy: {e}")))?;
        let mut head = Vec::with_capacity(256);
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() > 16 * 1024 {
                return Err(Error::Protocol("proxy reply header too long".into()));
            }
            let n = io
                .read(&mut byte)
                .await
                .map_err(|e| Error::Io(format!("proxy: {e}")))?;
            if n == 0 {
                return Err(Error::Io("proxy closed the connection".into()));
            }
            head.extend_from_slice(&byte);
        }
        let line = String::from_utf8_lossy(&head);
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok())
            .unwrap_or(0);
        if status != 200 {
            return Err(Error::Http {
                status,
                body: format!(
                    "proxy refused CONNECT: {}",
                    line.lines().next().unwrap_or("")
                ),
            });
        }
        Ok(io)
    }

    async fn send_raw(
        &self,
        slot: &mut Slot,
        payload: Vec<u8>,
        content_type: &str,
        authorization: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Result<HttpResponse> {
        let s = &self.settings;
        let conn = slot
            .conn
            .as_mut()
            .ok_or_else(|| Error::Io("not connected".into()))?;
        let uri = if s.proxy.is_some() && !s.target.https {
            s.target.url.clone()
        } else {
            s.target.path.clone()
        };
        let mut b = http::Request::builder()
            .method(http::Method::POST)
            .uri(uri)
            .header(http::header::HOST, &s.target.authority)
            .header(http::header::USER_AGENT, "psremote/0.1")
            .header(http::header::CONTENT_TYPE, content_type);
        if let Some(a) = authorization {
            b = b.header(http::header::AUTHORIZATION, a);
        }
        if let (Some((_, Some(pa))), false) = (&s.proxy, s.target.https) {
            b = b.header(http::header::PROXY_AUTHORIZATION, pa);
        }
        for (k, v) in extra {
            b = b.header(*k, *v);
        }
        let req = b
            .body(Full::new(Bytes::from(payload)))
            .map_err(|e| Error::Config(format!("bad request header: {e}")))?;
        // hyper hands a request to the connection only once it is ready for the next one
        // (the previous response fully read); otherwise the request is canceled.
        conn.sender
            .ready()
            .await
            .map_err(|e| Error::Io(format!("request canceled: connection closed: {e}")))?;
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let resp = conn.sender.send_request(req).await.map_err(|e| {
            if e.is_canceled() {
                Error::Io(format!("request canceled: {e}"))
            } else {
                classify(&e, "HTTP")
            }
        })?;
        let status = resp.status().as_u16();
        let header = |name: http::header::HeaderName| {
            resp.headers()
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let content_type = header(http::header::CONTENT_TYPE)
            .into_iter()
            .next()
            .unwrap_or_default();
        let www_authenticate = header(http::header::WWW_AUTHENTICATE);
        let body = Limited::new(resp.into_body(), s.max_response_bytes)
            .collect()
            .await
            .map_err(|e| Error::Io(format!("reading the response: {e}")))?
            .to_bytes()
            .to_vec();
        Ok(HttpResponse {
            status,
            content_type,
            body,
            www_authenticate,
        })
    }

    /// The SPNEGO/NTLM/Kerberos handshake on empty POSTs (RFC 4559), before any sealed message.
    async fn authenticate(&self, slot: &mut Slot) -> Result<()> {
        let s = &self.settings;
        let scheme = s.auth.scheme();
        let mut ctx = SecurityContext::new(&s.auth, &s.target.host, &s.kerberos)?;
        let bindings = match (&slot.conn, s.target.https && s.channel_binding) {
            (Some(c), true) => c.peer_cert.as_deref().map(channel_bindings),
            _ => None,
        };
        let may_block = ctx.may_block();
        let mut token = blocking(may_block, || ctx.step(None, bindings.as_deref()))?;
        for _leg in 0..8 {
            let authz = format!("{scheme} {}", B64.encode(&token));
            let resp = self
                .send_raw(slot, Vec::new(), SOAP_CONTENT_TYPE, Some(&authz), &[])
                .await?;
            let server_token = resp.www_authenticate.iter().find_map(|h| {
                let (sch, rest) = h.split_once(' ')?;
                if sch.eq_ignore_ascii_case(scheme) {
                    B64.decode(rest.trim()).ok()
                } else {
                    None
                }
            });
            match resp.status {
                401 => {
                    let Some(t) = server_token else {
                        return Err(auth_error(
                            format!("the server refused {scheme} authentication (HTTP 401)"),
                            Some(&resp),
                        ));
                    };
                    if ctx.is_complete() {
                        return Err(auth_error(
                            "the server refused the completed context",
                            Some(&resp),
                        ));
                    }
                    token = blocking(may_block, || ctx.step(Some(&t), bindings.as_deref()))?;
                }
                200 => {
                    if let Some(t) = server_token
                        && !ctx.is_complete()
                    {
                        // Kerberos mutual authentication: the AP-REP arrives with the 200.
                        blocking(may_block, || ctx.step(Some(&t), bindings.as_deref()))?;
                    }
                    if !ctx.is_complete() {
                        return Err(auth_error(
                            "the server accepted the connection before the security context was complete",
                            Some(&resp),
                        ));
                    }
                    self.stats.authentications.fetch_add(1, Ordering::Relaxed);
                    slot.ctx = Some(ctx);
                    return Ok(());
                }
                status => {
                    return Err(Error::Http {
                        status,
                        body: String::from_utf8_lossy(&resp.body).into_owned(),
                    });
                }
            }
        }
        Err(auth_error("too many authentication legs", None))
    }
}

/// `Proxy-Authorization: Basic …` for a proxy with credentials.
pub(crate) fn proxy_authorization(c: &Credentials) -> String {
    let raw = format!("{}:{}", c.username, c.password.expose_secret());
    format!("Basic {}", B64.encode(raw.as_bytes()))
}
