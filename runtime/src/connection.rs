//! Where and how to connect: `ConnectionInfo` (New-PSSession's parameters).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use crate::error::Error;
use crate::transport::{ProcessTarget, SshTarget};

/// The default session configuration (WinRM resource `…/powershell/Microsoft.PowerShell`).
pub const DEFAULT_CONFIGURATION: &str = "Microsoft.PowerShell";

/// [`ConnectionInfo::request_grace`]'s default.
pub const DEFAULT_REQUEST_GRACE: Duration = Duration::from_secs(15);

/// How to authenticate over WS-Man.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    Basic,
    /// SPNEGO: Kerberos first, NTLM fallback (WinRM's default).
    Negotiate,
    Ntlm,
    Kerberos,
    /// TLS client certificate (HTTPS only), mapped to a user by the server.
    Certificate {
        cert: PathBuf,
        key: PathBuf,
    },
}

/// A user name and its password. The password never prints (Debug shows `[REDACTED]`).
#[derive(Clone)]
pub struct Credentials {
    pub user: String,
    pub password: SecretString,
}

impl Credentials {
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            user: user.into(),
            password: SecretString::from(password.into()),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"[REDACTED]")
            .finish()
    }
}

/// TLS settings for HTTPS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// Extra CA certificates (PEM) to trust.
    pub ca_file: Option<PathBuf>,
    /// Skip certificate verification (`-SkipCACheck -SkipCNCheck`); off by default.
    pub insecure_skip_verify: bool,
    /// The name the server certificate is verified against (and sent as SNI) when it differs
    /// from the URL's host, e.g. connecting by address to a host whose certificate names it.
    /// `None`: the URL's host.
    pub server_name: Option<String>,
}

/// Kerberos (and Negotiate's Kerberos leg) settings for hosts outside the client's own realm
/// configuration. Everything `None` uses sspi's discovery (`SSPI_KDC_URL`, krb5.conf, DNS SRV).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KerberosSettings {
    /// The KDC: `host`, `host:port` (port 88 when absent), or a URL (`tcp://kdc:88`,
    /// `udp://kdc:88`, or an MS-KKDCP KDC proxy `https://…/KdcProxy`).
    pub kdc: Option<String>,
    /// The realm a bare user name (`user`, not `user@REALM` or `DOMAIN\user`) belongs to.
    pub realm: Option<String>,
    /// The host name of the service principal (`HTTP/<name>`) when it differs from the URL's
    /// host, e.g. connecting by address.
    pub spn_hostname: Option<String>,
}

/// What carries the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// WinRM: the full WS-Man URL (`http://host:5985/wsman`).
    Wsman { url: String },
    /// `ssh … -s host powershell`.
    Ssh(SshTarget),
    /// A local program speaking the out-of-process framing on stdio.
    Process(ProcessTarget),
}

/// Everything needed to open a RunspacePool on one computer.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub target: Target,
    /// The name output is tagged with (PSComputerName); the host part of the URL by default.
    pub computer_name: String,
    pub configuration_name: String,
    pub auth: AuthMethod,
    pub credentials: Option<Credentials>,
    pub tls: TlsSettings,
    pub kerberos: KerberosSettings,
    /// Allow Basic (or any unencrypted payload) over plain HTTP (WinRM's AllowUnencrypted).
    pub allow_unencrypted: bool,
    /// An HTTP proxy URL.
    pub proxy: Option<String>,
    /// TCP connect + authentication.
    pub connect_timeout: Duration,
    /// WS-Man OperationTimeout: how long the server may hold a Receive long poll.
    pub operation_timeout: Duration,
    /// How long past `operation_timeout` the client waits for any reply before it gives up
    /// (`Error::Wsman(Timeout)`): a silent or stalled server surfaces after
    /// `operation_timeout + request_grace`. The grace covers the server's own w:TimedOut reply
    /// and the network; 15 s by default.
    pub request_grace: Duration,
    /// Opening the RunspacePool, end to end.
    pub open_timeout: Duration,
    /// MaxEnvelopeSize in bytes. `None`, like PowerShell, starts at WinRM's 500 KiB default
    /// (150 KiB for a protocol 2.1 host) and lowers it when the server faults a message as too
    /// large (reading `winrm/config` where allowed).
    pub max_envelope_size: Option<u32>,
    /// Locale / DataLocale, e.g. `en-US`.
    pub locale: Option<String>,
    pub min_runspaces: u32,
    pub max_runspaces: u32,
    /// How many output items a stream buffers before the server is held back.
    pub stream_buffer: usize,
}

impl ConnectionInfo {
    /// A WinRM target from a computer name (`server1`, `server1:5986`) or a URL
    /// (`https://server1:5986/wsman`). Names get `http://NAME:5985/wsman` (see [`Self::https`]).
    pub fn new(computer: impl AsRef<str>) -> ConnectionInfo {
        let computer = computer.as_ref().trim();
        let (url, name) = if computer.starts_with("http://") || computer.starts_with("https://") {
            (computer.to_string(), host_of_url(computer))
        } else {
            let (host, port) = split_host_port(computer);
            let port = port.unwrap_or(5985);
            (
                format!("http://{}:{port}/wsman", bracket(&host)),
                host.to_string(),
            )
        };
        ConnectionInfo::with_target(Target::Wsman { url }, name)
    }

    /// An SSH target (PowerShell's `-HostName`), `[user@]host[:port]`.
    pub fn ssh(destination: impl AsRef<str>) -> ConnectionInfo {
        let d = destination.as_ref().trim();
        let (user, rest) = match d.rsplit_once('@') {
            Some((u, r)) => (Some(u.to_string()), r),
            None => (None, d),
        };
        let (host, port) = split_host_port(rest);
        let mut t = SshTarget::new(host.clone());
        t.user = user;
        t.port = port;
        ConnectionInfo::with_target(Target::Ssh(t), host)
    }

    /// A local program speaking the framing on stdio (e.g. `pwsh -s -NoLogo -NoProfile`).
    pub fn process(target: ProcessTarget) -> ConnectionInfo {
        ConnectionInfo::with_target(Target::Process(target), "localhost".to_string())
    }

    fn with_target(target: Target, computer_name: String) -> ConnectionInfo {
        ConnectionInfo {
            target,
            computer_name,
            configuration_name: DEFAULT_CONFIGURATION.into(),
            auth: AuthMethod::Negotiate,
            credentials: None,
            tls: TlsSettings::default(),
            kerberos: KerberosSettings::default(),
            allow_unencrypted: false,
            proxy: None,
            connect_timeout: Duration::from_secs(30),
            operation_timeout: Duration::from_secs(20),
            request_grace: DEFAULT_REQUEST_GRACE,
            open_timeout: Duration::from_secs(60),
            max_envelope_size: None,
            locale: None,
            min_runspaces: 1,
            max_runspaces: 1,
            stream_buffer: 64,
        }
    }

    /// Uses HTTPS (port 5986 unless the URL or [`Self::port`] says otherwise).
    pub fn https(mut self, on: bool) -> Self {
        if let Target::Wsman { url } = &mut self.target {
            let (scheme, rest) = url.split_once("://").unwrap_or(("http", url.as_str()));
            let want = if on { "https" } else { "http" };
            if scheme != want {
                let rest = rest
                    .replacen(":5985/", if on { ":5986/" } else { ":5985/" }, 1)
                    .replacen(":5986/", if on { ":5986/" } else { ":5985/" }, 1);
                *url = format!("{want}://{rest}");
            }
        }
        self
    }

    /// Sets the port (WS-Man URL port, or ssh `-p`).
    pub fn port(mut self, port: u16) -> Self {
        match &mut self.target {
            Target::Wsman { url } => {
                if let Some((scheme, rest)) = url.split_once("://") {
                    let (authority, path) = rest.split_once('/').unwrap_or((rest, "wsman"));
                    let (host, _) = split_host_port(authority);
                    *url = format!("{scheme}://{}:{port}/{path}", bracket(&host));
                }
            }
            Target::Ssh(t) => t.port = Some(port),
            Target::Process(_) => {}
        }
        self
    }

    pub fn auth(mut self, auth: AuthMethod) -> Self {
        self.auth = auth;
        self
    }

    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        let c = Credentials::new(user, password);
        if let Target::Ssh(t) = &mut self.target
            && t.user.is_none()
        {
            t.user = Some(c.user.clone());
        }
        self.credentials = Some(c);
        self
    }

    pub fn configuration_name(mut self, name: impl Into<String>) -> Self {
        self.configuration_name = name.into();
        self
    }

    pub fn computer_name(mut self, name: impl Into<String>) -> Self {
        self.computer_name = name.into();
        self
    }

    pub fn allow_unencrypted(mut self, on: bool) -> Self {
        self.allow_unencrypted = on;
        self
    }

    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls.ca_file = Some(path.into());
        self
    }

    pub fn insecure_skip_verify(mut self, on: bool) -> Self {
        self.tls.insecure_skip_verify = on;
        self
    }

    /// Verifies the server certificate against `name` (and sends it as SNI) instead of the
    /// URL's host: connect by address, verify by name.
    pub fn tls_server_name(mut self, name: impl Into<String>) -> Self {
        self.tls.server_name = Some(name.into());
        self
    }

    /// Kerberos: the KDC to ask (`host`, `host:port`, or a `tcp://`, `udp://` or KDC proxy URL).
    pub fn kdc(mut self, kdc: impl Into<String>) -> Self {
        self.kerberos.kdc = Some(kdc.into());
        self
    }

    /// Kerberos: the realm of a user name given without one.
    pub fn kerberos_realm(mut self, realm: impl Into<String>) -> Self {
        self.kerberos.realm = Some(realm.into());
        self
    }

    /// Kerberos: the host part of the service principal (`HTTP/<name>`).
    pub fn spn_hostname(mut self, name: impl Into<String>) -> Self {
        self.kerberos.spn_hostname = Some(name.into());
        self
    }

    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    pub fn operation_timeout(mut self, t: Duration) -> Self {
        self.operation_timeout = t;
        self
    }

    /// How long past the operation timeout a reply may take before the request is abandoned
    /// (see [`ConnectionInfo::request_grace`]).
    pub fn request_grace(mut self, t: Duration) -> Self {
        self.request_grace = t;
        self
    }

    pub fn open_timeout(mut self, t: Duration) -> Self {
        self.open_timeout = t;
        self
    }

    pub fn max_envelope_size(mut self, bytes: u32) -> Self {
        self.max_envelope_size = Some(bytes);
        self
    }

    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.locale = Some(locale.into());
        self
    }

    /// Min/max runspaces of the pool (how many pipelines run at once).
    pub fn runspaces(mut self, min: u32, max: u32) -> Self {
        self.min_runspaces = min.max(1);
        self.max_runspaces = max.max(self.min_runspaces);
        self
    }

    /// SSH: the private key (`-i`).
    pub fn ssh_identity_file(mut self, path: impl Into<PathBuf>) -> Self {
        if let Target::Ssh(t) = &mut self.target {
            t.identity_file = Some(path.into());
        }
        self
    }

    /// SSH: an extra `-o Key=Value`.
    pub fn ssh_option(mut self, opt: impl Into<String>) -> Self {
        if let Target::Ssh(t) = &mut self.target {
            t.options.push(opt.into());
        }
        self
    }

    /// The WinRM resource URI of the configuration (MS-PSRP 3.1.5.1.1).
    pub fn resource_uri(&self) -> String {
        let name = &self.configuration_name;
        if name.starts_with("http://") || name.starts_with("https://") {
            name.clone()
        } else {
            format!("http://schemas.microsoft.com/powershell/{name}")
        }
    }

    /// The KDC as a URL sspi understands: `tcp://host:88` for a bare name.
    pub fn kdc_url(&self) -> Option<String> {
        let kdc = self.kerberos.kdc.as_deref()?.trim();
        if kdc.contains("://") {
            return Some(kdc.to_string());
        }
        let (host, port) = split_host_port(kdc);
        Some(format!("tcp://{}:{}", bracket(&host), port.unwrap_or(88)))
    }

    /// The user name Kerberos presents: a bare name gets `@REALM` when a realm is set.
    pub fn kerberos_user(&self, user: &str) -> String {
        match &self.kerberos.realm {
            Some(realm) if !user.contains('@') && !user.contains('\\') => {
                format!("{user}@{}", realm.to_uppercase())
            }
            _ => user.to_string(),
        }
    }

    /// Checks the settings that can be checked without the network.
    pub fn validate(&self) -> Result<(), Error> {
        if let Target::Wsman { url } = &self.target {
            let https = url.starts_with("https://");
            if !https && !url.starts_with("http://") {
                return Err(Error::Config(format!("not an http(s) URL: {url}")));
            }
            if matches!(self.auth, AuthMethod::Certificate { .. }) && !https {
                return Err(Error::Config(
                    "certificate authentication needs HTTPS (use --https)".into(),
                ));
            }
            if self.auth == AuthMethod::Basic && !https && !self.allow_unencrypted {
                return Err(Error::Config(
                    "Basic authentication over HTTP sends the password in clear text: use HTTPS, \
                     Negotiate, or allow unencrypted traffic explicitly"
                        .into(),
                ));
            }
        }
        if self.max_runspaces < self.min_runspaces {
            return Err(Error::Config("max_runspaces < min_runspaces".into()));
        }
        Ok(())
    }
}

fn bracket(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// `host`, `host:port`, `[v6]:port`, bare `v6`.
fn split_host_port(s: &str) -> (String, Option<u16>) {
    if let Some(rest) = s.strip_prefix('[')
        && let Some((h, after)) = rest.split_once(']')
    {
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        return (h.to_string(), port);
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(port) => (h.to_string(), Some(port)),
            Err(_) => (s.to_string(), None),
        },
        _ => (s.to_string(), None),
    }
}

fn host_of_url(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    split_host_port(authority).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(c: &ConnectionInfo) -> &str {
        match &c.target {
            Target::Wsman { url } => url,
            _ => panic!("not wsman"),
        }
    }

    #[test]
    fn names_become_winrm_urls() {
        let c = ConnectionInfo::new("server1");
        assert_eq!(url(&c), "http://server1:5985/wsman");
        assert_eq!(c.computer_name, "server1");
        let c = ConnectionInfo::new("server1").https(true);
        assert_eq!(url(&c), "https://server1:5986/wsman");
        let c = ConnectionInfo::new("127.0.0.1:8080");
        assert_eq!(url(&c), "http://127.0.0.1:8080/wsman");
        let c = ConnectionInfo::new("server1").port(1234).https(true);
        assert_eq!(url(&c), "https://server1:1234/wsman");
        let c = ConnectionInfo::new("https://h.example:5986/wsman");
        assert_eq!(c.computer_name, "h.example");
        let c = ConnectionInfo::new("::1");
        assert_eq!(url(&c), "http://[::1]:5985/wsman");
    }

    #[test]
    fn ssh_destination() {
        let c = ConnectionInfo::ssh("admin@server1:2222");
        match &c.target {
            Target::Ssh(t) => {
                assert_eq!(t.user.as_deref(), Some("admin"));
                assert_eq!(t.port, Some(2222));
                assert_eq!(t.host, "server1");
            }
            _ => panic!(),
        }
    }

    #[test]
    fn basic_over_http_needs_opt_in() {
        let c = ConnectionInfo::new("h").auth(AuthMethod::Basic);
        assert!(matches!(c.validate(), Err(Error::Config(_))));
        assert!(c.clone().allow_unencrypted(true).validate().is_ok());
        assert!(c.https(true).validate().is_ok());
    }

    #[test]
    fn password_never_in_debug() {
        let c = ConnectionInfo::new("h").credentials("u", "Sup3rSecret");
        assert!(!format!("{c:?}").contains("Sup3rSecret"));
    }

    #[test]
    fn kerberos_settings() {
        let c = ConnectionInfo::new("10.0.0.5").kdc("dc1.corp.example");
        assert_eq!(c.kdc_url().as_deref(), Some("tcp://dc1.corp.example:88"));
        let c = c.kdc("::1").kerberos_realm("corp.example");
        assert_eq!(c.kdc_url().as_deref(), Some("tcp://[::1]:88"));
        assert_eq!(c.kerberos_user("alice"), "alice@CORP.EXAMPLE");
        assert_eq!(c.kerberos_user("alice@OTHER"), "alice@OTHER");
        assert_eq!(c.kerberos_user("CORP\\alice"), "CORP\\alice");
        let c = c.kdc("udp://10.0.0.1:8888");
        assert_eq!(c.kdc_url().as_deref(), Some("udp://10.0.0.1:8888"));
        assert_eq!(ConnectionInfo::new("h").kdc_url(), None);
        assert_eq!(ConnectionInfo::new("h").kerberos_user("bob"), "bob");
    }

    #[test]
    fn resource_uri() {
        let c = ConnectionInfo::new("h").configuration_name("Restricted");
        assert_eq!(
            c.resource_uri(),
            "http://schemas.microsoft.com/powershell/Restricted"
        );
    }
}
