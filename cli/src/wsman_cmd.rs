//! `psremote wsman identify|get|enumerate`: the WS-Management configuration tree (the `WSMan:`
//! drive, `Test-WSMan`, `Get-WSManInstance`), printed as indented XML or as JSON.

use psremote_runtime::Target;
use psremote_runtime::wsman::auth::{ClientCertificate, Credentials};
use psremote_runtime::wsman::client::{CONFIG_RESOURCE, Endpoint, WsmanClient};
use psremote_runtime::wsman::{Auth, TlsOptions};
use quick_xml::events::Event;

use crate::args::{AuthArg, ConnectionArgs, WsmanArgs, WsmanOp};
use crate::conn;
use crate::error::CliError;

/// Expands WinRM's short resource URIs (`winrm/config/listener`, `wmicimv2/Win32_Service`,
/// `shell`) to the full URIs (MS-WSMV 2.2.4.x; what `winrm get` accepts).
pub fn expand_resource_uri(uri: &str) -> String {
    let u = uri.trim().trim_matches('/');
    if u.contains("://") {
        return u.to_string();
    }
    let lower = u.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("winrm/config") {
        return format!("{CONFIG_RESOURCE}{}", &u[u.len() - rest.len()..]);
    }
    if lower.starts_with("wmicimv2/") {
        return format!(
            "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/{}",
            &u[9..]
        );
    }
    if lower.starts_with("wmi/") {
        return format!("http://schemas.microsoft.com/wbem/wsman/1/wmi/{}", &u[4..]);
    }
    if lower == "shell" || lower == "windows/shell" {
        return "http://schemas.microsoft.com/wbem/wsman/1/windows/shell".into();
    }
    if lower.starts_with("powershell/") {
        return format!("http://schemas.microsoft.com/{u}");
    }
    format!("http://schemas.microsoft.com/wbem/wsman/1/{u}")
}

fn client(
    conn_args: &ConnectionArgs,
    host: Option<&str>,
) -> Result<(WsmanClient, String), CliError> {
    let computers = conn::computers(conn_args, host);
    let [computer] = computers.as_slice() else {
        return Err(CliError::usage(
            "name one computer (e.g. psremote wsman get server01 winrm/config)",
        ));
    };
    if conn_args.ssh {
        return Err(CliError::usage(
            "WS-Management operations need a WinRM target, not --ssh",
        ));
    }
    let password = conn::password(conn_args, conn_args.user.as_deref())?;
    let info =
        conn::connection_infos(conn_args, std::slice::from_ref(computer), password.as_ref())?
            .into_iter()
            .next()
            .ok_or_else(|| CliError::usage("no computer given"))?;
    let Target::Wsman { url } = &info.target else {
        return Err(CliError::usage("not a WinRM target"));
    };
    let creds = || {
        Credentials::new(
            conn_args.user.clone().unwrap_or_default(),
            password.as_deref().map(String::as_str).unwrap_or(""),
        )
    };
    let auth = match conn_args.auth {
        AuthArg::Basic => Auth::Basic(creds()),
        AuthArg::Negotiate => Auth::Negotiate(creds()),
        AuthArg::Ntlm => Auth::Ntlm(creds()),
        AuthArg::Kerberos => Auth::Kerberos(creds()),
        AuthArg::Certificate => match (&conn_args.cert, &conn_args.key) {
            (Some(c), Some(k)) => Auth::Certificate(ClientCertificate {
                cert_pem: c.clone(),
                key_pem: k.clone(),
            }),
            _ => return Err(CliError::usage("--auth certificate needs --cert and --key")),
        },
    };
    let mut ep = Endpoint::new(url.clone(), auth);
    ep.tls = TlsOptions {
        ca_file: conn_args.ca_file.clone(),
        insecure_skip_verify: conn_args.insecure_skip_verify,
        ..TlsOptions::default()
    };
    ep.allow_unencrypted = conn_args.allow_unencrypted;
    ep.connect_timeout = info.connect_timeout;
    ep.operation_timeout = info.operation_timeout;
    let name = info.computer_name.clone();
    let c = WsmanClient::new(ep).map_err(|e| CliError::runtime(Some(&name), e.into()))?;
    Ok((c, name))
}

pub async fn run(conn_args: &ConnectionArgs, args: &WsmanArgs) -> Result<i32, CliError> {
    match &args.op {
        WsmanOp::Identify {
            host,
            unauthenticated,
            json,
        } => {
            let (c, name) = client(conn_args, host.as_deref())?;
            let id = c
                .identify(!unauthenticated)
                .await
                .map_err(|e| CliError::runtime(Some(&name), e.into()))?;
            if *json {
                let j = serde_json::json!({
                    "PSComputerName": name,
                    "ProtocolVersion": id.protocol_version,
                    "ProductVendor": id.product_vendor,
                    "ProductVersion": id.product_version,
                    "SecurityProfiles": id.security_profiles,
                });
                println!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
            } else {
                print!("{}", pretty_xml(&id.xml)?);
            }
        }
        WsmanOp::Get {
            host,
            resource_uri,
            selectors,
            json,
        } => {
            let (c, name) = client(conn_args, host.as_deref())?;
            let mut sel = Vec::new();
            for s in selectors {
                let Some((k, v)) = s.split_once('=') else {
                    return Err(CliError::usage(format!(
                        "--selector {s}: expected Name=Value"
                    )));
                };
                sel.push((k.trim(), v.trim()));
            }
            let xml = c
                .get(&expand_resource_uri(resource_uri), &sel)
                .await
                .map_err(|e| CliError::runtime(Some(&name), e.into()))?;
            print_doc(&xml, *json)?;
        }
        WsmanOp::Enumerate {
            host,
            resource_uri,
            json,
        } => {
            let (c, name) = client(conn_args, host.as_deref())?;
            let items = c
                .enumerate(&expand_resource_uri(resource_uri))
                .await
                .map_err(|e| CliError::runtime(Some(&name), e.into()))?;
            if *json {
                let arr: Result<Vec<_>, _> = items.iter().map(|x| xml_to_json(x)).collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::Value::Array(arr?))
                        .unwrap_or_default()
                );
            } else {
                for x in &items {
                    print!("{}", pretty_xml(x)?);
                }
            }
        }
    }
    Ok(0)
}

fn print_doc(xml: &str, json: bool) -> Result<(), CliError> {
    if json {
        let j = xml_to_json(xml)?;
        println!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
    } else {
        print!("{}", pretty_xml(xml)?);
    }
    Ok(())
}

fn xml_err(e: impl std::fmt::Display) -> CliError {
    CliError::Message(format!("the server's XML could not be read: {e}"))
}

/// Re-indents XML two spaces per level; text-only elements stay on one line.
pub fn pretty_xml(xml: &str) -> Result<String, CliError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut writer = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    loop {
        match reader.read_event().map_err(xml_err)? {
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            ev => writer.write_event(ev).map_err(xml_err)?,
        }
    }
    let mut s = String::from_utf8(writer.into_inner()).map_err(xml_err)?;
    s.push('\n');
    Ok(s)
}

/// XML → JSON with local names: an element with only text is its text; attributes are
/// `@name`; repeated children become arrays; mixed text is `#text`.
pub fn xml_to_json(xml: &str) -> Result<serde_json::Value, CliError> {
    use serde_json::{Map, Value as J};
    struct Node {
        name: String,
        attrs: Map<String, J>,
        children: Vec<(String, J)>,
        text: String,
    }
    fn finish(n: Node) -> J {
        if n.attrs.is_empty() && n.children.is_empty() {
            return J::String(n.text);
        }
        let mut m = n.attrs;
        for (k, v) in n.children {
            match m.get_mut(&k) {
                Some(J::Array(a)) => a.push(v),
                Some(existing) => {
                    let prev = existing.take();
                    *existing = J::Array(vec![prev, v]);
                }
                None => {
                    m.insert(k, v);
                }
            }
        }
        if !n.text.trim().is_empty() {
            m.insert("#text".into(), J::String(n.text));
        }
        J::Object(m)
    }
    let local = |q: &str| -> String { q.rsplit(':').next().unwrap_or(q).to_string() };
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Node> = vec![Node {
        name: String::new(),
        attrs: Map::new(),
        children: Vec::new(),
        text: String::new(),
    }];
    let open = |e: &quick_xml::events::BytesStart<'_>| -> Result<Node, CliError> {
        let mut attrs = Map::new();
        for a in e.attributes() {
            let a = a.map_err(xml_err)?;
            let key = local(a.key.as_ref());
            if a.key.as_ref().starts_with("xmlns") {
                continue;
            }
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(xml_err)?;
            attrs.insert(format!("@{key}"), J::String(v.into_owned()));
        }
        Ok(Node {
            name: local(e.name().as_ref()),
            attrs,
            children: Vec::new(),
            text: String::new(),
        })
    };
    loop {
        match reader.read_event().map_err(xml_err)? {
            Event::Start(e) => stack.push(open(&e)?),
            Event::Empty(e) => {
                let n = open(&e)?;
                let name = n.name.clone();
                let v = finish(n);
                if let Some(top) = stack.last_mut() {
                    top.children.push((name, v));
                }
            }
            Event::End(_) if stack.len() > 1 => {
                if let Some(n) = stack.pop() {
                    let name = n.name.clone();
                    let v = finish(n);
                    if let Some(top) = stack.last_mut() {
                        top.children.push((name, v));
                    }
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let name = r.xml10_content().into_owned();
                let ch = match name.as_str() {
                    "lt" => "<".to_string(),
                    "gt" => ">".to_string(),
                    "amp" => "&".to_string(),
                    "quot" => "\"".to_string(),
                    "apos" => "'".to_string(),
                    n => n
                        .strip_prefix("#x")
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32)
                        .map(String::from)
                        .unwrap_or_default(),
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&ch);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let root = stack.into_iter().next().map(finish).unwrap_or(J::Null);
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_uris() {
        assert_eq!(
            expand_resource_uri("winrm/config"),
            "http://schemas.microsoft.com/wbem/wsman/1/config"
        );
        assert_eq!(
            expand_resource_uri("winrm/config/Listener"),
            "http://schemas.microsoft.com/wbem/wsman/1/config/Listener"
        );
        assert_eq!(
            expand_resource_uri("wmicimv2/Win32_Service"),
            "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service"
        );
        assert_eq!(expand_resource_uri("http://x/y"), "http://x/y");
    }

    #[test]
    fn xml_views() {
        let xml = "<cfg:Config xmlns:cfg=\"u\"><cfg:MaxEnvelopeSizekb>500</cfg:MaxEnvelopeSizekb>\
                   <cfg:Client><cfg:Auth Source=\"GPO\"><cfg:Basic>true</cfg:Basic></cfg:Auth>\
                   <cfg:TrustedHosts/></cfg:Client><cfg:L>a</cfg:L><cfg:L>b&amp;c</cfg:L></cfg:Config>";
        let j = xml_to_json(xml).expect("json");
        assert_eq!(j["Config"]["MaxEnvelopeSizekb"], "500");
        assert_eq!(j["Config"]["Client"]["Auth"]["@Source"], "GPO");
        assert_eq!(j["Config"]["Client"]["Auth"]["Basic"], "true");
        assert_eq!(j["Config"]["L"], serde_json::json!(["a", "b&c"]));
        let p = pretty_xml(xml).expect("pretty");
        assert!(
            p.contains("\n  <cfg:MaxEnvelopeSizekb>500</cfg:MaxEnvelopeSizekb>\n"),
            "{p}"
        );
        assert!(p.contains("\n      <cfg:Basic>true</cfg:Basic>\n"), "{p}");
    }
}
