//! From the connection flags to the runtime's `ConnectionInfo`s, and the password: read from
//! `--password-stdin`, `PSREMOTE_PASSWORD` or a prompt without echo — never from a flag value
//! that would land in the shell's history.

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use psremote_runtime::{AuthMethod, ConnectionInfo};
use zeroize::Zeroizing;

use crate::args::{AuthArg, ConnectionArgs};
use crate::error::CliError;

/// The password, wiped from memory when dropped.
pub type Password = Zeroizing<String>;

/// Reads one line of standard input (shared with `enter`'s non-terminal mode, which reads the
/// following lines through the same buffered handle).
pub fn read_stdin_line() -> std::io::Result<Option<String>> {
    let mut line = String::new();
    let n = std::io::stdin().lock().read_line(&mut line)?;
    if n == 0 {
        return Ok(None);
    }
    while line.ends_with('\n') || line.ends_with('\r') {
        line.pop();
    }
    Ok(Some(line))
}

/// Works out the password for `user`, if one is needed.
pub fn password(args: &ConnectionArgs, user: Option<&str>) -> Result<Option<Password>, CliError> {
    if args.password_stdin {
        return match read_stdin_line() {
            Ok(Some(p)) => Ok(Some(Zeroizing::new(p))),
            Ok(None) => Err(CliError::usage(
                "--password-stdin: standard input is empty (expected the password on its first line)",
            )),
            Err(e) => Err(CliError::usage(format!("--password-stdin: {e}"))),
        };
    }
    if let Ok(p) = std::env::var("PSREMOTE_PASSWORD") {
        return Ok(Some(Zeroizing::new(p)));
    }
    let Some(user) = user else {
        return Ok(None);
    };
    if args.ssh || args.auth == AuthArg::Certificate {
        return Ok(None);
    }
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(CliError::usage(format!(
            "no password for {user}: set PSREMOTE_PASSWORD, or pipe it with --password-stdin \
             (there is no terminal to prompt on)"
        )));
    }
    let term = console::Term::stderr();
    term.write_str(&format!("Password for {user}: "))
        .map_err(|e| CliError::usage(format!("cannot prompt for a password: {e}")))?;
    let p = term
        .read_secure_line()
        .map_err(|e| CliError::usage(format!("cannot read the password: {e}")))?;
    Ok(Some(Zeroizing::new(p)))
}

/// True when `entry` names its own port (`host:1234`, `[::1]:1234`) or is a URL.
fn has_own_port(entry: &str) -> bool {
    if entry.starts_with("http://") || entry.starts_with("https://") {
        return true;
    }
    let after_bracket = entry.rsplit_once(']').map_or(entry, |(_, r)| r);
    match after_bracket.rsplit_once(':') {
        Some((h, p)) => !h.contains(':') && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

/// The host part of a computer entry (for naming output).
fn host_part(entry: &str) -> String {
    let rest = entry.split_once("://").map_or(entry, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if let Some(inner) = authority.strip_prefix('[') {
        return inner.split(']').next().unwrap_or(inner).to_string();
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h.to_string(),
        _ => authority.to_string(),
    }
}

/// The settings for each computer. Output is tagged with the host name (PSComputerName), or
/// `host:port` when two targets share a host, so every line can be told apart.
pub fn connection_infos(
    args: &ConnectionArgs,
    computers: &[String],
    password: Option<&Password>,
) -> Result<Vec<ConnectionInfo>, CliError> {
    let hosts: Vec<String> = computers.iter().map(|c| host_part(c)).collect();
    let mut out = Vec::with_capacity(computers.len());
    for (entry, host) in computers.iter().zip(&hosts) {
        let entry = entry.trim();
        if entry.is_empty() {
            return Err(CliError::usage("an empty computer name was given to -C"));
        }
        let mut info = if args.ssh {
            ConnectionInfo::ssh(entry)
        } else {
            ConnectionInfo::new(entry).https(args.https || entry.starts_with("https://"))
        };
        if let Some(port) = args.port
            && !has_own_port(entry)
        {
            info = info.port(port);
        }
        let shared = hosts.iter().filter(|h| *h == host).count() > 1;
        let name = if shared {
            entry
                .split_once("://")
                .map_or(entry, |(_, r)| r)
                .split('/')
                .next()
                .unwrap_or(entry)
                .to_string()
        } else {
            host.clone()
        };
        info = info.computer_name(name);
        info = info.auth(match args.auth {
            AuthArg::Basic => AuthMethod::Basic,
            AuthArg::Negotiate => AuthMethod::Negotiate,
            AuthArg::Ntlm => AuthMethod::Ntlm,
            AuthArg::Kerberos => AuthMethod::Kerberos,
            AuthArg::Certificate => {
                let (Some(cert), Some(key)) = (&args.cert, &args.key) else {
                    return Err(CliError::usage(
                        "--auth certificate needs --cert CERT.pem and --key KEY.pem",
                    ));
                };
                AuthMethod::Certificate {
                    cert: cert.clone(),
                    key: key.clone(),
                }
            }
        });
        if let Some(user) = &args.user {
            let pw: &str = password.map(|p| p.as_str()).unwrap_or("");
            info = info.credentials(user.clone(), pw.to_string());
        }
        if let Some(name) = &args.configuration_name {
            info = info.configuration_name(name.clone());
        }
        if let Some(ca) = &args.ca_file {
            info = info.ca_file(ca.clone());
        }
        info = info
            .insecure_skip_verify(args.insecure_skip_verify)
            .allow_unencrypted(args.allow_unencrypted);
        if let Some(key) = &args.ssh_key {
            info = info.ssh_identity_file(key.clone());
        }
        for opt in &args.ssh_options {
            info = info.ssh_option(opt.clone());
        }
        if let Some(t) = args.operation_timeout {
            info = info.operation_timeout(secs(t, "--operation-timeout")?);
        }
        if let Some(t) = args.connect_timeout {
            let d = secs(t, "--connect-timeout")?;
            // Opening the pool is bounded by the same wait as the connection itself.
            info = info.connect_timeout(d).open_timeout(d);
        }
        if let Some(t) = args.request_grace {
            info = info.request_grace(secs(t, "--request-grace")?);
        }
        if let Some(name) = &args.tls_server_name {
            info = info.tls_server_name(name.clone());
        }
        if let Some(url) = &args.proxy {
            info = info.proxy(url.clone());
        }
        if let Some(kdc) = &args.kdc {
            info = info.kdc(kdc.clone());
        }
        if let Some(realm) = &args.realm {
            info = info.kerberos_realm(realm.clone());
        }
        if let Some(name) = &args.spn_host {
            info = info.spn_hostname(name.clone());
        }
        info.validate().map_err(|e| CliError::runtime(None, e))?;
        out.push(info);
    }
    Ok(out)
}

fn secs(t: f64, flag: &str) -> Result<Duration, CliError> {
    Duration::try_from_secs_f64(t)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| CliError::usage(format!("{flag} must be a positive number of seconds")))
}

/// The computers named by `-C` plus a positional one.
pub fn computers(args: &ConnectionArgs, positional: Option<&str>) -> Vec<String> {
    let mut v: Vec<String> = positional.map(str::to_string).into_iter().collect();
    v.extend(args.computer_name.iter().filter(|c| !c.is_empty()).cloned());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_hosts() {
        assert!(has_own_port("h:5985"));
        assert!(has_own_port("[::1]:5985"));
        assert!(has_own_port("https://h/wsman"));
        assert!(!has_own_port("h"));
        assert!(!has_own_port("::1"));
        assert_eq!(host_part("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_part("https://server:5986/wsman"), "server");
        assert_eq!(host_part("admin@box:22"), "box");
        assert_eq!(host_part("[::1]:80"), "::1");
    }

    #[test]
    fn transport_flags_reach_the_connection_settings() {
        use clap::Parser;
        let cli = crate::args::Cli::try_parse_from([
            "psremote",
            "invoke",
            "-C",
            "10.0.0.5",
            "--https",
            "--auth",
            "kerberos",
            "--user",
            "alice",
            "--tls-server-name",
            "server01.corp.example",
            "--kdc",
            "dc01.corp.example",
            "--realm",
            "corp.example",
            "--spn-host",
            "server01.corp.example",
            "--request-grace",
            "2.5",
            "--proxy",
            "http://proxy:3128",
            "Get-Date",
        ])
        .expect("flags parse");
        let infos = connection_infos(&cli.conn, &["10.0.0.5".to_string()], None).expect("valid");
        let info = &infos[0];
        assert_eq!(
            info.tls.server_name.as_deref(),
            Some("server01.corp.example")
        );
        assert_eq!(
            info.kdc_url().as_deref(),
            Some("tcp://dc01.corp.example:88")
        );
        assert_eq!(info.kerberos_user("alice"), "alice@CORP.EXAMPLE");
        assert_eq!(
            info.kerberos.spn_hostname.as_deref(),
            Some("server01.corp.example")
        );
        assert_eq!(info.request_grace, Duration::from_millis(2500));
        assert_eq!(info.proxy.as_deref(), Some("http://proxy:3128"));

        let bad = crate::args::Cli::try_parse_from([
            "psremote",
            "invoke",
            "-C",
            "h",
            "--request-grace",
            "0",
            "Get-Date",
        ])
        .expect("flags parse");
        assert!(connection_infos(&bad.conn, &["h".to_string()], None).is_err());
    }
}
