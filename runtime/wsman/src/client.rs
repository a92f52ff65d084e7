//! The WS-Man client: the WinRM shell operations PowerShell remoting uses (MS-WSMV 3.1.4,
//! MS-PSRP 3.1.5.3), plus Identify, Get and Enumerate/Pull on any resource.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::time::Duration;

use base64::Engine as _;
use uuid::Uuid;

use crate::auth::{Auth, KerberosOptions};
use crate::error::{Error, Result};
use crate::response::{self, Envelope, Identity, Received, Shell};
use crate::soap::{self, Header, WsOption, action, signal};
use crate::transport::{self, Encryption, Proxy, Settings, Stats, Target, TlsOptions, Transport};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The WinRM configuration resource (`WSMan:\localhost`).
pub const CONFIG_RESOURCE: &str = "http://schemas.microsoft.com/wbem/wsman/1/config";
/// Prefix of PowerShell session configurations.
pub const POWERSHELL_RESOURCE_PREFIX: &str = "http://schemas.microsoft.com/powershell/";
/// WinRM's default MaxEnvelopeSizekb before Windows 8 / 2012 (150 KiB): safe everywhere.
pub const DEFAULT_MAX_ENVELOPE_SIZE: u32 = 153_600;
/// WinRM's default MaxEnvelopeSizekb since Windows 8 / Server 2012 (500 KiB), what the
/// Windows client uses for PowerShell remoting to those hosts (PSRP protocol 2.2 and later).
pub const WINRM_MAX_ENVELOPE_SIZE: u32 = 512_000;

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `http://host:5985/wsman` or `https://host:5986/wsman`.
    pub url: String,
    pub auth: Auth,
    pub tls: TlsOptions,
    pub encryption: Encryption,
    pub proxy: Option<Proxy>,
    /// `wsman:OperationTimeout`: how long the server holds a Receive before w:TimedOut.
    pub operation_timeout: Duration,
    /// Extra time on top of OperationTimeout before a request is abandoned.
    pub request_grace: Duration,
    pub connect_timeout: Duration,
    /// `wsman:MaxEnvelopeSize` in bytes.
    pub max_envelope_size: u32,
    pub locale: String,
    pub data_locale: Option<String>,
    /// Allows Basic over plain HTTP (and unencrypted NTLM/Kerberos with `Encryption::Never`).
    pub allow_unencrypted: bool,
    pub kerberos: KerberosOptions,
    /// Authenticated connections kept for concurrent requests: each running pipeline holds
    /// one during its Receive long poll, so allow one more than the pipelines run at once.
    pub max_connections: usize,
}

impl Endpoint {
    pub fn new(url: impl Into<String>, auth: Auth) -> Endpoint {
        Endpoint {
            url: url.into(),
            auth,
            tls: TlsOptions::default(),
            encryption: Encryption::Auto,
            proxy: None,
            operation_timeout: Duration::from_secs(20),
            request_grace: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(30),
            max_envelope_size: DEFAULT_MAX_ENVELOPE_SIZE,
            locale: "en-US".to_owned(),
            data_locale: None,
            allow_unencrypted: false,
            kerberos: KerberosOptions::default(),
            max_connections: 8,
        }
    }
}

/// What Create sends (MS-PSRP 3.1.5.3.1).
#[derive(Debug, Clone)]
pub struct ShellOptions {
    /// The opening PSRP fragments (SESSION_CAPABILITY + INIT_RUNSPACEPOOL).
    pub creation_xml: Option<Vec<u8>>,
    pub input_streams: String,
    pub output_streams: String,
    /// `protocolversion` option (MS-PSRP 3.1.5.3.1), e.g. "2.3".
    pub protocol_version: Option<String>,
    /// The ShellId to ask for: PowerShell uses the RunspacePool id.
    pub shell_id: Option<Uuid>,
    pub name: Option<String>,
    pub idle_timeout: Option<Duration>,
    /// More `wsman:Option`s (e.g. WINRS_CODEPAGE for cmd shells).
    pub options: Vec<WsOption>,
}

impl Default for ShellOptions {
    fn default() -> Self {
        ShellOptions {
            creation_xml: None,
            input_streams: "stdin pr".to_owned(),
            output_streams: "stdout".to_owned(),
            protocol_version: Some("2.3".to_owned()),
            shell_id: None,
            name: None,
            idle_timeout: None,
            options: Vec::new(),
        }
    }
}

/// Signal codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    Terminate,
    /// PowerShell's stop (Ctrl+C): the MS-PSRP spelling first, the short form as fallback.
    PsCtrlC,
    Code(String),
}

/// A connection to one WinRM service; cheap to clone, safe to share between tasks.
#[derive(Clone)]
pub struct WsmanClient {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Endpoint,
    transport: Transport,
    session_id: Uuid,
    max_envelope_size: AtomicU32,
    /// Bit 1: use the alternative Terminate spelling; bit 2: the alternative ctrl_c spelling.
    signal_alt: AtomicU8,
}

impl std::fmt::Debug for WsmanClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsmanClient")
            .field("url", &self.inner.endpoint.url)
            .field("auth", &self.inner.endpoint.auth)
            .finish()
    }
}

impl WsmanClient {
    pub fn new(endpoint: Endpoint) -> Result<WsmanClient> {
        let target = Target::parse(&endpoint.url)?;
        let encrypt = endpoint.auth.is_sspi()
            && match endpoint.encryption {
                Encryption::Auto => !target.https,
                Encryption::Always => true,
                Encryption::Never => false,
            };
        if endpoint.auth.is_sspi() && !encrypt && !target.https && !endpoint.allow_unencrypted {
            return Err(Error::Config(
                "message encryption is off over plain HTTP: allow unencrypted traffic explicitly"
                    .into(),
            ));
        }
        let tls = if target.https {
            Some(transport::tls_config(&endpoint.tls, &endpoint.auth)?)
        } else {
            None
        };
        let proxy = match &endpoint.proxy {
            Some(p) => Some((
                Target::parse(&p.url)?,
                p.credentials.as_ref().map(transport::proxy_authorization),
            )),
            None => None,
        };
        let settings = Settings {
            target,
            auth: endpoint.auth.clone(),
            encrypt,
            allow_unencrypted: endpoint.allow_unencrypted,
            tls,
            channel_binding: !endpoint.tls.disable_channel_binding,
            tls_server_name: endpoint.tls.server_name.clone(),
            proxy,
            connect_timeout: endpoint.connect_timeout,
            kerberos: KerberosOptions {
                kdc_timeout: endpoint
                    .kerberos
                    .kdc_timeout
                    .or(Some(endpoint.connect_timeout)),
                ..endpoint.kerberos.clone()
            },
            // Responses are bounded by MaxEnvelopeSize; leave room for encryption and base64.
            max_response_bytes: 64 * 1024 * 1024,
        };
        let transport = Transport::new(settings, endpoint.max_connections);
        Ok(WsmanClient {
            inner: Arc::new(Inner {
                max_envelope_size: AtomicU32::new(endpoint.max_envelope_size),
                endpoint,
                transport,
                session_id: Uuid::new_v4(),
                signal_alt: AtomicU8::new(0),
            }),
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// Whether requests are sealed with message encryption.
    pub fn encrypts(&self) -> bool {
        self.inner.transport.settings.encrypt
    }

    /// The MaxEnvelopeSize in use (bytes): size PSRP fragments from it.
    pub fn max_envelope_size(&self) -> u32 {
        self.inner.max_envelope_size.load(Ordering::Relaxed)
    }

    pub fn set_max_envelope_size(&self, bytes: u32) {
        self.inner.max_envelope_size.store(bytes, Ordering::Relaxed);
    }

    /// HTTP requests, connections and handshakes so far.
    pub fn stats(&self) -> &Stats {
        &self.inner.transport.stats
    }

    fn request_timeout(&self) -> Duration {
        self.inner.endpoint.operation_timeout + self.inner.endpoint.request_grace
    }

    /// One WS-Man request: build, post, parse (a fault becomes `Error::Fault`).
    #[allow(clippy::too_many_arguments)]
    async fn call<T>(
        &self,
        action: &str,
        resource_uri: &str,
        selectors: &[(&str, &str)],
        options: &[WsOption],
        body: impl FnOnce(&mut String),
        parse: impl FnOnce(&Envelope<'_>) -> Result<T>,
    ) -> Result<T> {
        let no_scan = |_: &str| None;
        self.call_scan(
            action,
            resource_uri,
            selectors,
            options,
            body,
            no_scan,
            parse,
        )
        .await
    }

    /// Like `call`, trying `scan` (a tree-free read of a 200 answer) before `parse`; `scan`
    /// returns `None` for anything it does not handle, and `parse` then decides.
    #[allow(clippy::too_many_arguments)]
    async fn call_scan<T>(
        &self,
        action: &str,
        resource_uri: &str,
        selectors: &[(&str, &str)],
        options: &[WsOption],
        body: impl FnOnce(&mut String),
        scan: impl FnOnce(&str) -> Option<T>,
        parse: impl FnOnce(&Envelope<'_>) -> Result<T>,
    ) -> Result<T> {
        let ep = &self.inner.endpoint;
        let header = Header {
            action,
            to: &self.inner.transport.settings.target.url,
            resource_uri,
            message_id: Uuid::new_v4(),
            session_id: Some(self.inner.session_id),
            operation_timeout: ep.operation_timeout,
            max_envelope_size: self.max_envelope_size(),
            locale: &ep.locale,
            data_locale: ep.data_locale.as_deref().unwrap_or(&ep.locale),
            selectors,
            options,
        };
        let envelope = soap::envelope(&header, body);
        tracing::trace!(action, bytes = envelope.len(), "WS-Man request");
        let (status, text) = self
            .inner
            .transport
            .post(envelope, self.request_timeout())
            .await?;
        if status == 200
            && let Some(v) = scan(&text)
        {
            return Ok(v);
        }
        match Envelope::parse(&text) {
            Err(Error::Fault(f)) => Err(Error::Fault(f)),
            Ok(env) if status == 200 => parse(&env),
            Ok(_) | Err(_) if status != 200 => Err(Error::Http { status, body: text }),
            Ok(_) => Err(Error::Protocol("unreachable status".into())),
            Err(e) => Err(e),
        }
    }

    /// Create (MS-WSMV 3.1.4.5): opens a shell on `resource_uri`
    /// (`http://schemas.microsoft.com/powershell/Microsoft.PowerShell`).
    pub async fn create_shell(&self, resource_uri: &str, opts: ShellOptions) -> Result<Shell> {
        let mut options = Vec::new();
        if let Some(v) = &opts.protocol_version {
            options.push(WsOption::new("protocolversion", v.clone()).must_comply());
        }
        options.extend(opts.options.iter().cloned());
        let creation = opts.creation_xml.as_deref().map(|b| B64.encode(b));
        let mut shell = self
            .call(
                action::CREATE,
                resource_uri,
                &[],
                &options,
                |s| {
                    soap::create_body(
                        s,
                        opts.shell_id.as_ref(),
                        opts.name.as_deref(),
                        &opts.input_streams,
                        &opts.output_streams,
                        opts.idle_timeout,
                        creation.as_deref(),
                    )
                },
                response::parse_create,
            )
            .await?;
        if shell.resource_uri.is_empty() {
            shell.resource_uri = resource_uri.to_owned();
        }
        Ok(shell)
    }

    /// Command (MS-WSMV 3.1.4.11): for PowerShell, `command_id` is the pipeline id and
    /// `arguments` the CREATE_PIPELINE fragments.
    pub async fn command(&self, shell: &Shell, command_id: Uuid, arguments: &[u8]) -> Result<Uuid> {
        let args = B64.encode(arguments);
        let id = self
            .call_scan(
                action::COMMAND,
                &shell.resource_uri,
                &[("ShellId", &shell.shell_id)],
                &[],
                |s| soap::command_body(s, &command_id, &args),
                response::scan_command,
                response::parse_command,
            )
            .await?;
        Ok(id)
    }

    /// Send (MS-WSMV 3.1.4.12): input on `stream` (`stdin`, or `pr` for host responses).
    pub async fn send(
        &self,
        shell: &Shell,
        command_id: Option<Uuid>,
        stream: &str,
        data: &[u8],
    ) -> Result<()> {
        self.send_stream(shell, command_id, stream, data, false)
            .await
    }

    /// Send with `End="true"`: no more input on this stream.
    pub async fn send_stream(
        &self,
        shell: &Shell,
        command_id: Option<Uuid>,
        stream: &str,
        data: &[u8],
        end: bool,
    ) -> Result<()> {
        let b64 = B64.encode(data);
        self.call(
            action::SEND,
            &shell.resource_uri,
            &[("ShellId", &shell.shell_id)],
            &[],
            |s| soap::send_body(s, stream, command_id.as_ref(), &b64, end),
            |env| env.expect(soap::ns::SHELL, "SendResponse").map(|_| ()),
        )
        .await
    }

    /// Receive (MS-WSMV 3.1.4.13), a long poll. The w:TimedOut fault is not an error: it
    /// returns an empty `Received` and the caller polls again.
    pub async fn receive(&self, shell: &Shell, command_id: Option<Uuid>) -> Result<Received> {
        let keepalive = [WsOption::new("WSMAN_CMDSHELL_OPTION_KEEPALIVE", "True")];
        let r = self
            .call_scan(
                action::RECEIVE,
                &shell.resource_uri,
                &[("ShellId", &shell.shell_id)],
                &keepalive,
                |s| soap::receive_body(s, "stdout", command_id.as_ref()),
                response::scan_receive,
                response::parse_receive,
            )
            .await;
        match r {
            Err(Error::Fault(f)) if f.is_timed_out() => Ok(Received::default()),
            r => r,
        }
    }

    /// Signal (MS-WSMV 3.1.4.10). Terminate and the PowerShell stop each have two spellings in
    /// the wild; the spec's is sent first and, if the server rejects it (a fault other than
    /// "no such shell/command"), the other one, which is then remembered.
    pub async fn signal(&self, shell: &Shell, command_id: Option<Uuid>, sig: Signal) -> Result<()> {
        let (first, second, bit) = match &sig {
            Signal::Terminate => (signal::TERMINATE, signal::TERMINATE_ALT, 1u8),
            Signal::PsCtrlC => (signal::PS_CRTL_C, signal::PS_CTRL_C, 2u8),
            Signal::Code(c) => return self.signal_code(shell, command_id, c).await,
        };
        let use_alt = self.inner.signal_alt.load(Ordering::Relaxed) & bit != 0;
        let (code, other) = if use_alt {
            (second, first)
        } else {
            (first, second)
        };
        match self.signal_code(shell, command_id, code).await {
            Err(Error::Fault(f)) if f.subcode != "InvalidSelectors" => {
                tracing::debug!(code, "signal code refused ({f}); trying {other}");
                self.signal_code(shell, command_id, other).await?;
                self.inner.signal_alt.fetch_xor(bit, Ordering::Relaxed);
                Ok(())
            }
            r => r,
        }
    }

    async fn signal_code(&self, shell: &Shell, command_id: Option<Uuid>, code: &str) -> Result<()> {
        self.call(
            action::SIGNAL,
            &shell.resource_uri,
            &[("ShellId", &shell.shell_id)],
            &[],
            |s| soap::signal_body(s, command_id.as_ref(), code),
            |env| env.expect(soap::ns::SHELL, "SignalResponse").map(|_| ()),
        )
        .await
    }

    /// Delete (MS-WSMV 3.1.4.6): closes the shell.
    pub async fn delete(&self, shell: &Shell) -> Result<()> {
        self.call(
            action::DELETE,
            &shell.resource_uri,
            &[("ShellId", &shell.shell_id)],
            &[],
            |_| {},
            |_| Ok(()),
        )
        .await
    }

    /// Disconnect (MS-WSMV 3.1.4.15): the shell stays on the server for `idle_timeout`.
    pub async fn disconnect(&self, shell: &Shell, idle_timeout: Option<Duration>) -> Result<()> {
        self.call(
            action::DISCONNECT,
            &shell.resource_uri,
            &[("ShellId", &shell.shell_id)],
            &[],
            |s| soap::disconnect_body(s, idle_timeout),
            |_| Ok(()),
        )
        .await
    }

    /// Reconnect (MS-WSMV 3.1.4.16): resume a shell this client disconnected.
    pub async fn reconnect(&self, shell: &Shell) -> Result<()> {
        self.call(
            action::RECONNECT,
            &shell.resource_uri,
            &[("ShellId", &shell.shell_id)],
            &[],
            soap::reconnect_body,
            |_| Ok(()),
        )
        .await
    }

    /// Connect (MS-WSMV 3.1.4.17): attach to a disconnected shell from a new client;
    /// `connect_xml` carries SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL, the answer
    /// `connectResponseXml` the server's fragments.
    pub async fn connect(
        &self,
        resource_uri: &str,
        shell_id: &str,
        connect_xml: &[u8],
        protocol_version: Option<&str>,
    ) -> Result<Vec<u8>> {
        let b64 = B64.encode(connect_xml);
        let options: Vec<WsOption> = protocol_version
            .map(|v| WsOption::new("protocolversion", v).must_comply())
            .into_iter()
            .collect();
        self.call(
            action::CONNECT,
            resource_uri,
            &[("ShellId", shell_id)],
            &options,
            |s| soap::connect_body(s, &b64),
            response::parse_connect,
        )
        .await
    }

    /// Connect to one command (pipeline) of a shell after `connect`: its output is then read
    /// with `receive` as usual.
    pub async fn connect_command(&self, shell: &Shell, command_id: Uuid) -> Result<()> {
        self.call(
            action::CONNECT,
            &shell.resource_uri,
            &[("ShellId", &shell.shell_id)],
            &[],
            |s| soap::connect_command_body(s, &command_id),
            |env| env.expect(soap::ns::SHELL, "ConnectResponse").map(|_| ()),
        )
        .await
    }

    /// Get of one shell (its State tells Connected/Disconnected; InvalidSelectors when gone).
    pub async fn get_shell(&self, shell: &Shell) -> Result<Shell> {
        self.call(
            action::GET,
            soap::SHELL_RESOURCE,
            &[("ShellId", &shell.shell_id)],
            &[],
            |_| {},
            |env| Shell::from_element(env.expect(soap::ns::SHELL, "Shell")?),
        )
        .await
    }

    /// Enumerate of the shells this user owns on the server (for reconnecting).
    pub async fn enumerate_shells(&self) -> Result<Vec<Shell>> {
        let (_, elements) = self.enumerate_raw(soap::SHELL_RESOURCE, &[]).await?;
        elements
            .iter()
            .filter(|e| e.is(soap::ns::SHELL, "Shell"))
            .map(Shell::from_element)
            .collect()
    }

    /// The commands (pipelines) of one shell: (CommandId, CommandState).
    pub async fn enumerate_commands(&self, shell_id: &str) -> Result<Vec<(Uuid, String)>> {
        let (_, elements) = self
            .enumerate_raw(soap::COMMAND_RESOURCE, &[("ShellId", shell_id)])
            .await?;
        elements
            .iter()
            .filter(|e| e.is(soap::ns::SHELL, "Command"))
            .map(|e| {
                let id =
                    response::parse_uuid(e.child_text(soap::ns::SHELL, "CommandId").unwrap_or(""))?;
                let state = e
                    .child_text(soap::ns::SHELL, "CommandState")
                    .unwrap_or("")
                    .to_owned();
                Ok((id, state))
            })
            .collect()
    }

    /// Identify (DSP0226 11). `authenticated: false` sends `WSMANIDENTIFY: unauthenticated`
    /// with no credentials, as `Test-WSMan` does by default.
    pub async fn identify(&self, authenticated: bool) -> Result<Identity> {
        let envelope = soap::identify_envelope();
        let (status, text) = if authenticated {
            self.inner
                .transport
                .post(envelope, self.request_timeout())
                .await?
        } else {
            self.inner
                .transport
                .post_anonymous(
                    envelope,
                    &[("WSMANIDENTIFY", "unauthenticated")],
                    self.request_timeout(),
                )
                .await?
        };
        match Envelope::parse(&text) {
            Ok(env) if status == 200 => response::parse_identify(&env),
            Err(Error::Fault(f)) => Err(Error::Fault(f)),
            _ => Err(Error::Http { status, body: text }),
        }
    }

    /// Get on any resource (`http://schemas.microsoft.com/wbem/wsman/1/config`, …): the
    /// resource's XML as the server wrote it.
    pub async fn get(&self, resource_uri: &str, selectors: &[(&str, &str)]) -> Result<String> {
        self.call(
            action::GET,
            resource_uri,
            selectors,
            &[],
            |_| {},
            |env| response::parse_get(env).map(|(xml, _)| xml),
        )
        .await
    }

    /// Enumerate + Pull until the end of the sequence: every item's XML.
    pub async fn enumerate(&self, resource_uri: &str) -> Result<Vec<String>> {
        self.enumerate_raw(resource_uri, &[]).await.map(|(x, _)| x)
    }

    async fn enumerate_raw(
        &self,
        resource_uri: &str,
        filter: &[(&str, &str)],
    ) -> Result<(Vec<String>, Vec<crate::xml::Element>)> {
        const MAX_ELEMENTS: u32 = 32_000;
        let (mut page, mut elements) = self
            .call(
                action::ENUMERATE,
                resource_uri,
                &[],
                &[],
                |s| soap::enumerate_body(s, MAX_ELEMENTS, filter),
                response::parse_enumeration,
            )
            .await?;
        let mut items = std::mem::take(&mut page.items);
        // A server that keeps returning a context with no items would loop forever: cap it.
        for _ in 0..10_000 {
            let Some(ctx) = page.context.take() else {
                break;
            };
            let (next, els) = self
                .call(
                    action::PULL,
                    resource_uri,
                    &[],
                    &[],
                    |s| soap::pull_body(s, &ctx, MAX_ELEMENTS),
                    response::parse_enumeration,
                )
                .await?;
            page = next;
            items.append(&mut page.items);
            elements.extend(els);
        }
        Ok((items, elements))
    }

    /// Reads MaxEnvelopeSizekb from `winrm/config` and uses it (as pypsrp does when it opens;
    /// PowerShell never asks). Needs admin rights on Windows; when refused, the current size
    /// stays.
    pub async fn negotiate_max_envelope_size(&self) -> Result<u32> {
        let size = self
            .call(
                action::GET,
                CONFIG_RESOURCE,
                &[],
                &[],
                |_| {},
                |env| {
                    env.body()?
                        .find(
                            "http://schemas.microsoft.com/wbem/wsman/1/config",
                            "MaxEnvelopeSizekb",
                        )
                        .and_then(|e| e.text_trim().parse::<u32>().ok())
                        .ok_or_else(|| {
                            Error::Protocol("no MaxEnvelopeSizekb in winrm/config".into())
                        })
                },
            )
            .await;
        match size {
            Ok(kb) => {
                let bytes = kb.saturating_mul(1024);
                self.set_max_envelope_size(bytes);
                Ok(bytes)
            }
            Err(Error::Fault(f)) if f.subcode == "AccessDenied" => Ok(self.max_envelope_size()),
            Err(e) => Err(e),
        }
    }
}
