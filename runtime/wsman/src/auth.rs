//! Authentication settings and the SSPI security contexts (NTLM, Kerberos, SPNEGO) over the
//! pure-Rust `sspi` crate.

use std::fmt;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sha2::Digest;
use sspi::network_client::{NetworkClient, NetworkProtocol};
use sspi::{
    AuthIdentity, BufferType, ClientRequestFlags, CredentialUse, Credentials as SspiCredentials,
    CredentialsBuffers, DataRepresentation, EncryptionFlags, Kerberos, KerberosConfig, Negotiate,
    NegotiateConfig, Ntlm, SecurityBuffer, SecurityBufferRef, SecurityStatus, Sspi, SspiImpl,
    Username,
};

use sspi::ntlm::NtlmConfig;

use crate::error::{Error, Result};

/// User name and password. The password never appears in Debug output.
#[derive(Clone)]
pub struct Credentials {
    /// `user`, `DOMAIN\user` or `user@REALM`.
    pub username: String,
    pub password: SecretString,
}

impl Credentials {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: SecretString::from(password.into()),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A client certificate and its private key, PEM files (WinRM certificate mapping).
#[derive(Clone, Debug)]
pub struct ClientCertificate {
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
}

/// Kerberos settings; all optional.
#[derive(Clone, Debug, Default)]
pub struct KerberosOptions {
    /// `tcp://kdc:88`, `udp://kdc:88` or a KDC proxy URL; otherwise sspi's discovery
    /// (`SSPI_KDC_URL`, krb5.conf, DNS SRV).
    pub kdc_url: Option<String>,
    /// SPN host name when it differs from the URL's host (e.g. connecting by IP).
    pub spn_hostname: Option<String>,
    /// SPN service class; WinRM uses `HTTP` for both HTTP and HTTPS.
    pub spn_service: Option<String>,
    /// How long one KDC exchange (connect, send, reply) may take. `WsmanClient` fills in the
    /// endpoint's `connect_timeout` when unset, so a silent KDC fails the connection in time.
    pub kdc_timeout: Option<Duration>,
}

/// How to authenticate to the WinRM service.
#[derive(Clone, Debug)]
pub enum Auth {
    /// Basic: refused over plain HTTP unless `Endpoint::allow_unencrypted` (WinRM's
    /// AllowUnencrypted must be true on the service too).
    Basic(Credentials),
    Ntlm(Credentials),
    /// SPNEGO: Kerberos when a ticket can be had, NTLM otherwise.
    Negotiate(Credentials),
    Kerberos(Credentials),
    /// TLS client certificate over HTTPS, no Authorization header.
    Certificate(ClientCertificate),
}

impl Auth {
    /// True for the mechanisms that keep a security context per TCP connection.
    pub fn is_sspi(&self) -> bool {
        matches!(self, Auth::Ntlm(_) | Auth::Negotiate(_) | Auth::Kerberos(_))
    }

    /// The HTTP auth scheme word.
    pub fn scheme(&self) -> &'static str {
        match self {
            Auth::Basic(_) => "Basic",
            Auth::Ntlm(_) | Auth::Negotiate(_) => "Negotiate",
            Auth::Kerberos(_) => "Kerberos",
            Auth::Certificate(_) => "",
        }
    }

    /// The `protocol=` of the multipart/encrypted body (MS-WSMV 2.2.9.1).
    pub fn encryption_protocol(&self) -> &'static str {
        match self {
            Auth::Kerberos(_) => "application/HTTP-Kerberos-session-encrypted",
            _ => "application/HTTP-SPNEGO-session-encrypted",
        }
    }

    pub fn basic_header(&self) -> Option<String> {
        use base64::Engine as _;
        match self {
            Auth::Basic(c) => {
                // Zeroized on drop: this is the plaintext password (found by tests/security.rs).
                let raw = zeroize::Zeroizing::new(format!(
                    "{}:{}",
                    c.username,
                    c.password.expose_secret()
                ));
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
                ))
            }
            _ => None,
        }
    }
}

/// RFC 5929 tls-server-end-point application data for the server's certificate, wrapped in
/// SEC_CHANNEL_BINDINGS (32-byte header, then the data), as sspi takes it.
pub fn channel_bindings(server_cert_der: &[u8]) -> Vec<u8> {
    let hash = certificate_hash(server_cert_der);
    let mut app = b"tls-server-end-point:".to_vec();
    app.extend_from_slice(&hash);
    let mut out = Vec::with_capacity(32 + app.len());
    // initiator type/len/offset, acceptor type/len/offset: unused.
    for _ in 0..6 {
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    out.extend_from_slice(&u32::try_from(app.len()).unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&32u32.to_le_bytes());
    out.extend_from_slice(&app);
    out
}

/// RFC 5929 4.1: hash with the certificate's signature hash, SHA-256 when that is MD5/SHA-1.
fn certificate_hash(der: &[u8]) -> Vec<u8> {
    match signature_hash(der) {
        Some(SigHash::Sha384) => sha2::Sha384::digest(der).to_vec(),
        Some(SigHash::Sha512) => sha2::Sha512::digest(der).to_vec(),
        _ => sha2::Sha256::digest(der).to_vec(),
    }
}

enum SigHash {
    Sha256,
    Sha384,
    Sha512,
}

/// Reads one DER TLV header: (tag, content start, content end).
fn der_tlv(buf: &[u8], at: usize) -> Option<(u8, usize, usize)> {
    let tag = *buf.get(at)?;
    let first = *buf.get(at + 1)?;
    let (len, hdr) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*buf.get(at + 2 + i)?);
        }
        (len, 2 + n)
    };
    let start = at + hdr;
    let end = start.checked_add(len)?;
    (end <= buf.len()).then_some((tag, start, end))
}

/// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, … }
fn signature_hash(der: &[u8]) -> Option<SigHash> {
    let (_, cert_start, cert_end) = der_tlv(der, 0)?;
    let cert = der.get(..cert_end)?;
    let (_, _, tbs_end) = der_tlv(cert, cert_start)?;
    let (_, alg_start, _) = der_tlv(cert, tbs_end)?;
    let (tag, oid_start, oid_end) = der_tlv(cert, alg_start)?;
    if tag != 0x06 {
        return None;
    }
    let oid = cert.get(oid_start..oid_end)?;
    // 1.2.840.113549.1.1.{11,12,13} RSA, 1.2.840.10045.4.3.{2,3,4} ECDSA.
    const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    const ECDSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03];
    let (prefix, last) = oid.split_at(oid.len().checked_sub(1)?);
    match (prefix, last.first()?) {
        (RSA, 11) | (ECDSA, 2) => Some(SigHash::Sha256),
        (RSA, 12) | (ECDSA, 3) => Some(SigHash::Sha384),
        (RSA, 13) | (ECDSA, 4) => Some(SigHash::Sha512),
        _ => None,
    }
}

fn sspi_err(what: &str, e: sspi::Error) -> Error {
    Error::Auth {
        message: format!("{what}: {e}"),
        offered: Vec::new(),
    }
}

/// KDC traffic for sspi's Kerberos (TCP/UDP on port 88). Blocking, with timeouts: it runs a
/// couple of short exchanges while a security context is set up.
struct KdcClient {
    timeout: Duration,
}

/// Per KDC exchange, when `KerberosOptions::kdc_timeout` is unset.
const KDC_TIMEOUT: Duration = Duration::from_secs(10);

impl NetworkClient for KdcClient {
    fn send(&self, request: &sspi::generator::NetworkRequest) -> sspi::Result<Vec<u8>> {
        let no_kdc = |e: String| sspi::Error::new(sspi::ErrorKind::NoAuthenticatingAuthority, e);
        let timeout = self.timeout;
        // A read timeout shows as WouldBlock (Unix) or TimedOut (Windows).
        let io = |what: &str, e: std::io::Error| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                no_kdc(format!("KDC {what}: no reply within {timeout:?}"))
            }
            _ => no_kdc(format!("KDC {what}: {e}")),
        };
        let host = request.url.host_str().unwrap_or_default();
        let port = request.url.port().unwrap_or(88);
        let addrs: Vec<_> = (host, port)
            .to_socket_addrs()
            .map_err(|e| no_kdc(format!("KDC {host}:{port}: {e}")))?
            .collect();
        let addr = addrs
            .first()
            .ok_or_else(|| no_kdc(format!("KDC {host}: no address")))?;
        match request.protocol {
            NetworkProtocol::Tcp => {
                let mut s = TcpStream::connect_timeout(addr, timeout)
                    .map_err(|e| no_kdc(format!("KDC {addr}: {e}")))?;
                s.set_read_timeout(Some(timeout)).ok();
                s.set_write_timeout(Some(timeout)).ok();
                // sspi's TCP requests already carry the RFC 4120 7.2.2 length prefix.
                s.write_all(&request.data)
                    .map_err(|e| no_kdc(format!("KDC write: {e}")))?;
                let mut len = [0u8; 4];
                s.read_exact(&mut len)
                    .map_err(|e| io(&addr.to_string(), e))?;
                let n = usize::try_from(u32::from_be_bytes(len)).unwrap_or(usize::MAX);
                if n > 1 << 20 {
                    return Err(no_kdc(format!("KDC reply of {n} bytes refused")));
                }
                let mut out = len.to_vec();
                out.resize(4 + n, 0);
                s.read_exact(out.get_mut(4..).unwrap_or_default())
                    .map_err(|e| io(&addr.to_string(), e))?;
                Ok(out)
            }
            NetworkProtocol::Udp => {
                let bind = if addr.is_ipv4() {
                    "0.0.0.0:0"
                } else {
                    "[::]:0"
                };
                let s = UdpSocket::bind(bind).map_err(|e| no_kdc(e.to_string()))?;
                s.set_read_timeout(Some(timeout)).ok();
                s.send_to(&request.data, addr)
                    .map_err(|e| no_kdc(format!("KDC send: {e}")))?;
                let mut buf = vec![0u8; 65_535];
                let n = s.recv(&mut buf).map_err(|e| io(&addr.to_string(), e))?;
                buf.truncate(n);
                Ok(buf)
            }
            other => Err(no_kdc(format!(
                "KDC protocol {other:?} is not supported (use tcp:// or udp://)"
            ))),
        }
    }
}

enum Package {
    Ntlm(Box<Ntlm>, Option<sspi::AuthIdentityBuffers>),
    Negotiate(Box<Negotiate>, Option<CredentialsBuffers>),
    Kerberos(Box<Kerberos>, Option<CredentialsBuffers>),
}

/// One client security context; belongs to one TCP connection.
pub struct SecurityContext {
    package: Package,
    target: String,
    complete: bool,
    trailer_len: usize,
    /// Set while a `user@REALM` name may still be retried as `REALM\user`.
    down_level_retry: Option<(Auth, String, KerberosOptions)>,
    kdc: KdcClient,
}

impl fmt::Debug for SecurityContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityContext")
            .field("target", &self.target)
            .field("complete", &self.complete)
            .finish()
    }
}

fn computer_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "PSREMOTE".to_owned())
}

/// `user@REALM` is sent as an enterprise name (NT-ENTERPRISE, as Windows does); with
/// `down_level` it becomes `REALM\user` (NT-PRINCIPAL), which MIT KDCs need.
fn identity_with(c: &Credentials, down_level: bool) -> Result<AuthIdentity> {
    let bad = |e: sspi::Error| Error::Auth {
        message: format!("bad user name {:?}: {e}", c.username),
        offered: Vec::new(),
    };
    let username = match c.username.split_once('@') {
        Some((user, realm)) if down_level => {
            Username::new_down_level_logon_name(user, &realm.to_uppercase())
                .map_err(|e| bad(e.into()))?
        }
        _ => Username::parse(&c.username).map_err(|e| bad(e.into()))?,
    };
    Ok(AuthIdentity {
        username,
        password: c.password.expose_secret().to_owned().into(),
    })
}

#[cfg(test)]
fn identity(c: &Credentials) -> Result<AuthIdentity> {
    identity_with(c, false)
}

const FLAGS: ClientRequestFlags = ClientRequestFlags::MUTUAL_AUTH
    .union(ClientRequestFlags::INTEGRITY)
    .union(ClientRequestFlags::CONFIDENTIALITY)
    .union(ClientRequestFlags::SEQUENCE_DETECT)
    .union(ClientRequestFlags::REPLAY_DETECT)
    .union(ClientRequestFlags::ALLOCATE_MEMORY);

macro_rules! step_with {
    ($ctx:expr, $creds:expr, $target:expr, $input:expr, $output:expr, $kdc:expr) => {{
        let mut builder = $ctx
            .initialize_security_context()
            .with_credentials_handle($creds)
            .with_context_requirements(FLAGS)
            .with_target_data_representation(DataRepresentation::Native)
            .with_target_name($target)
            .with_input($input)
            .with_output($output);
        match $ctx.initialize_security_context_impl(&mut builder) {
            Ok(mut generator) => generator.resolve_with_client($kdc),
            Err(e) => Err(e),
        }
    }};
}

macro_rules! acquire {
    ($ctx:expr, $data:expr) => {
        $ctx.acquire_credentials_handle()
            .with_credential_use(CredentialUse::Outbound)
            .with_auth_data($data)
            .execute(&mut *$ctx)
            .map_err(|e| sspi_err("acquire credentials", e))?
            .credentials_handle
    };
}

impl SecurityContext {
    /// A fresh context for `auth` against `host` (SPN `HTTP/host`).
    pub fn new(auth: &Auth, host: &str, kerberos: &KerberosOptions) -> Result<SecurityContext> {
        let (package, target) = Self::build(auth, host, kerberos, false)?;
        let upn = match auth {
            Auth::Negotiate(c) | Auth::Kerberos(c) => c.username.contains('@'),
            _ => false,
        };
        Ok(SecurityContext {
            package,
            target,
            complete: false,
            trailer_len: 0,
            down_level_retry: upn.then(|| (auth.clone(), host.to_owned(), kerberos.clone())),
            kdc: KdcClient {
                timeout: kerberos.kdc_timeout.unwrap_or(KDC_TIMEOUT),
            },
        })
    }

    fn build(
        auth: &Auth,
        host: &str,
        kerberos: &KerberosOptions,
        down_level: bool,
    ) -> Result<(Package, String)> {
        let identity = |c: &Credentials| identity_with(c, down_level);
        let spn_host = kerberos.spn_hostname.as_deref().unwrap_or(host);
        let service = kerberos.spn_service.as_deref().unwrap_or("HTTP");
        let target = format!("{service}/{spn_host}");
        let krb_config = || match &kerberos.kdc_url {
            Some(u) => KerberosConfig::new_with_kdc_url(u, computer_name()),
            None => KerberosConfig {
                kdc_resolution: sspi::kerberos::config::KdcResolution::KdcUrl(None),
                client_computer_name: computer_name(),
            },
        };
        let package = match auth {
            Auth::Ntlm(c) => {
                let mut ntlm = Box::new(Ntlm::with_config(NtlmConfig::new(computer_name())));
                let id = identity(c)?;
                let creds = acquire!(ntlm, &id);
                Package::Ntlm(ntlm, creds)
            }
            Auth::Negotiate(c) => {
                let config = NegotiateConfig::new(Box::new(krb_config()), None, computer_name());
                let mut neg =
                    Box::new(Negotiate::new_client(config).map_err(|e| sspi_err("SPNEGO", e))?);
                let id: SspiCredentials = identity(c)?.into();
                let creds = acquire!(neg, &id);
                Package::Negotiate(neg, creds)
            }
            Auth::Kerberos(c) => {
                let mut krb = Box::new(
                    Kerberos::new_client_from_config(krb_config())
                        .map_err(|e| sspi_err("Kerberos", e))?,
                );
                let id: SspiCredentials = identity(c)?.into();
                let creds = acquire!(krb, &id);
                Package::Kerberos(krb, creds)
            }
            Auth::Basic(_) | Auth::Certificate(_) => {
                return Err(Error::Config(
                    "Basic and certificate auth have no security context".into(),
                ));
            }
        };
        Ok((package, target))
    }

    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Whether a step may wait on the network: Kerberos and SPNEGO can talk to the KDC, NTLM
    /// is computation only (microseconds) and needs no blocking thread.
    pub fn may_block(&self) -> bool {
        !matches!(self.package, Package::Ntlm(..))
    }

    /// One leg: the server's token in (None on the first leg), our next token out (may be
    /// empty once complete). `bindings` is a SEC_CHANNEL_BINDINGS buffer over HTTPS.
    pub fn step(
        &mut self,
        server_token: Option<&[u8]>,
        bindings: Option<&[u8]>,
    ) -> Result<Vec<u8>> {
        let mut input = Vec::new();
        if let Some(t) = server_token {
            input.push(SecurityBuffer::new(t.to_vec(), BufferType::Token));
        }
        if let Some(b) = bindings {
            input.push(SecurityBuffer::new(b.to_vec(), BufferType::ChannelBindings));
        }
        let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
        let target = self.target.clone();
        let result = match &mut self.package {
            Package::Ntlm(ctx, creds) => {
                step_with!(ctx, creds, &target, &mut input, &mut output, &self.kdc)
            }
            Package::Negotiate(ctx, creds) => {
                step_with!(ctx, creds, &target, &mut input, &mut output, &self.kdc)
            }
            Package::Kerberos(ctx, creds) => {
                step_with!(ctx, creds, &target, &mut input, &mut output, &self.kdc)
            }
        };
        let result = match result {
            Err(e)
                if e.error_type == sspi::ErrorKind::UnknownCredentials
                    && server_token.is_none()
                    && self.down_level_retry.is_some() =>
            {
                // The KDC does not resolve the enterprise name (MIT does not): ask again with
                // the plain principal REALM\user.
                if let Some((auth, host, krb)) = self.down_level_retry.take() {
                    let (package, _) = Self::build(&auth, &host, &krb, true)?;
                    self.package = package;
                }
                return self.step(server_token, bindings);
            }
            r => r.map_err(|e| sspi_err("security context", e))?,
        };
        if matches!(
            result.status,
            SecurityStatus::CompleteNeeded | SecurityStatus::CompleteAndContinue
        ) {
            match &mut self.package {
                Package::Ntlm(ctx, _) => ctx.complete_auth_token(&mut output),
                Package::Negotiate(ctx, _) => ctx.complete_auth_token(&mut output),
                Package::Kerberos(ctx, _) => ctx.complete_auth_token(&mut output),
            }
            .map_err(|e| sspi_err("complete auth token", e))?;
        }
        self.complete = matches!(
            result.status,
            SecurityStatus::Ok | SecurityStatus::CompleteNeeded
        );
        if self.complete {
            let sizes = match &mut self.package {
                Package::Ntlm(ctx, _) => ctx.query_context_sizes(),
                Package::Negotiate(ctx, _) => ctx.query_context_sizes(),
                Package::Kerberos(ctx, _) => ctx.query_context_sizes(),
            }
            .map_err(|e| sspi_err("context sizes", e))?;
            self.trailer_len = usize::try_from(sizes.security_trailer).unwrap_or(16);
        }
        Ok(output
            .into_iter()
            .next()
            .map(|b| b.buffer)
            .unwrap_or_default())
    }

    /// Seals one message: returns (signature, sealed data) (MS-WSMV 2.2.9.1.1).
    pub fn wrap(&mut self, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        if !self.complete {
            return Err(Error::Encryption("security context not established".into()));
        }
        let mut token = vec![0u8; self.trailer_len.max(16)];
        let mut data = plain.to_vec();
        let (tlen, dlen) = {
            let mut bufs = [
                SecurityBufferRef::token_buf(token.as_mut_slice()),
                SecurityBufferRef::data_buf(data.as_mut_slice()),
            ];
            match &mut self.package {
                Package::Ntlm(ctx, _) => ctx.encrypt_message(EncryptionFlags::empty(), &mut bufs),
                Package::Negotiate(ctx, _) => {
                    ctx.encrypt_message(EncryptionFlags::empty(), &mut bufs)
                }
                Package::Kerberos(ctx, _) => {
                    ctx.encrypt_message(EncryptionFlags::empty(), &mut bufs)
                }
            }
            .map_err(|e| Error::Encryption(format!("seal: {e}")))?;
            let [t, d] = &bufs;
            (t.data().len(), d.data().len())
        };
        token.truncate(tlen);
        data.truncate(dlen);
        Ok((token, data))
    }

    /// Verifies and unseals one message; a bad signature is `Error::Encryption`.
    pub fn unwrap(&mut self, signature: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
        if !self.complete {
            return Err(Error::Encryption("security context not established".into()));
        }
        let mut token = signature.to_vec();
        let mut data = sealed.to_vec();
        let len = {
            let mut bufs = [
                SecurityBufferRef::token_buf(token.as_mut_slice()),
                SecurityBufferRef::data_buf(data.as_mut_slice()),
            ];
            match &mut self.package {
                Package::Ntlm(ctx, _) => ctx.decrypt_message(&mut bufs),
                Package::Negotiate(ctx, _) => ctx.decrypt_message(&mut bufs),
                Package::Kerberos(ctx, _) => ctx.decrypt_message(&mut bufs),
            }
            .map_err(|e| {
                Error::Encryption(format!("unseal (bad signature or out of sequence): {e}"))
            })?;
            let [_, d] = &bufs;
            d.data().len()
        };
        data.truncate(len);
        Ok(data)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn password_is_not_in_debug() {
        let a = Auth::Ntlm(Credentials::new("u", "Sup3rSecret"));
        assert!(!format!("{a:?}").contains("Sup3rSecret"));
    }

    #[test]
    fn channel_bindings_layout() {
        let cb = channel_bindings(b"not a certificate");
        assert_eq!(cb.get(24..28), Some(&(21u32 + 32).to_le_bytes()[..]));
        assert_eq!(cb.get(28..32), Some(&32u32.to_le_bytes()[..]));
        assert_eq!(cb.get(32..53), Some(&b"tls-server-end-point:"[..]));
        assert_eq!(cb.len(), 32 + 21 + 32);
    }

    /// A client context authenticated against sspi's own NTLM acceptor.
    pub(crate) fn ntlm_pair() -> (SecurityContext, Ntlm) {
        let creds = Credentials::new("user", "pass");
        let mut client = SecurityContext::new(
            &Auth::Ntlm(creds.clone()),
            "host",
            &KerberosOptions::default(),
        )
        .expect("client");
        let mut server = Ntlm::new();
        let id = identity(&creds).expect("id");
        let mut server_creds = server
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Inbound)
            .with_auth_data(&id)
            .execute(&mut server)
            .expect("server creds")
            .credentials_handle;
        let mut token = client.step(None, None).expect("negotiate");
        for _ in 0..3 {
            let mut input = vec![SecurityBuffer::new(token.clone(), BufferType::Token)];
            let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
            let b = server
                .accept_security_context()
                .with_credentials_handle(&mut server_creds)
                .with_context_requirements(sspi::ServerRequestFlags::ALLOCATE_MEMORY)
                .with_target_data_representation(DataRepresentation::Native)
                .with_input(&mut input)
                .with_output(&mut output);
            let r = server
                .accept_security_context_impl(b)
                .expect("accept")
                .resolve_to_result()
                .expect("accept result");
            if r.status == SecurityStatus::CompleteNeeded {
                server.complete_auth_token(&mut output).expect("complete");
                break;
            }
            let reply = output
                .into_iter()
                .next()
                .map(|b| b.buffer)
                .unwrap_or_default();
            token = client.step(Some(&reply), None).expect("step");
        }
        assert!(client.is_complete());
        (client, server)
    }

    #[test]
    fn ntlm_contexts_seal_and_unseal_between_client_and_server() {
        let (mut client, mut server) = ntlm_pair();
        let (sig, sealed) = client.wrap(b"<s:Envelope/>").expect("wrap");
        assert_eq!(sig.len(), 16);
        assert_ne!(&sealed[..], b"<s:Envelope/>");
        let mut sig2 = sig.clone();
        let mut data2 = sealed.clone();
        let mut bufs = [
            SecurityBufferRef::token_buf(sig2.as_mut_slice()),
            SecurityBufferRef::data_buf(data2.as_mut_slice()),
        ];
        server.decrypt_message(&mut bufs).expect("server unseals");
        assert_eq!(bufs[1].data(), b"<s:Envelope/>");
    }
}
