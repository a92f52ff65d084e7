//! SOAP fault parsing and the fix hints for the faults users meet most.

use crate::error::WsmanFault;
use crate::soap::ns;
use crate::xml::Element;

/// WinRM error numbers seen in `f:WSManFault/@Code`.
pub mod code {
    pub const ACCESS_DENIED: u32 = 5;
    /// ERROR_WSMAN_RESOURCE_NOT_FOUND: unknown resource URI / session configuration.
    pub const RESOURCE_NOT_FOUND: u32 = 2_150_858_752;
    /// ERROR_WSMAN_OPERATION_TIMEDOUT: Receive long poll ended without data.
    pub const OPERATION_TIMED_OUT: u32 = 2_150_858_793;
    /// ERROR_WSMAN_INVALID_SELECTORS: shell or command id unknown (reaped, expired, wrong).
    pub const INVALID_SELECTORS: u32 = 2_150_858_843;
    /// ERROR_WSMAN_QUOTA_MAX_SHELLS .. ERROR_WSMAN_QUOTA_MAX_SHELLUSERS and the PPQ variants.
    pub const QUOTA_FIRST: u32 = 2_150_859_173;
    pub const QUOTA_LAST: u32 = 2_150_859_180;
    pub const QUOTA_PPQ_FIRST: u32 = 2_150_859_236;
    pub const QUOTA_PPQ_LAST: u32 = 2_150_859_241;
}

/// Hints, one line each, in the words of the setting to change.
pub mod hint {
    pub const ACCESS_DENIED: &str = "the account is not allowed to use this endpoint: check the user \
        name/password and that the user is in the configuration's permissions (Administrators or \
        Remote Management Users by default)";
    pub const UNENCRYPTED: &str = "the service refuses unencrypted traffic: use HTTPS, or \
        Negotiate/Kerberos with message encryption, instead of Basic over HTTP (or set \
        AllowUnencrypted=true on the service)";
    pub const SHELL_NOT_FOUND: &str = "the shell or command no longer exists on the server (closed, \
        timed out by IdleTimeout, or the service restarted): open a new session";
    pub const QUOTA: &str = "a WinRM quota was exceeded: close unused sessions or raise \
        MaxShellsPerUser / MaxConcurrentUsers / MaxProcessesPerShell on the server";
    pub const NO_CONFIGURATION: &str = "the session configuration (endpoint) does not exist on the \
        server: check the configuration name (Get-PSSessionConfiguration lists them)";
    pub const ENVELOPE_SIZE: &str = "a message exceeded the server's MaxEnvelopeSizekb: lower the \
        client's max envelope size or raise MaxEnvelopeSizekb in WSMan:\\localhost\\MaxEnvelopeSizekb";
}

fn local(qname: &str) -> &str {
    qname.rsplit_once(':').map_or(qname, |(_, l)| l)
}

fn deepest_wsman_fault(el: &Element) -> Option<&Element> {
    let mut found = el.find(ns::WSMAN_FAULT, "WSManFault")?;
    // A ProviderFault nests another WSManFault inside f:Message; the inner one has the details.
    while let Some(inner) = found
        .child(ns::WSMAN_FAULT, "Message")
        .and_then(|m| m.find(ns::WSMAN_FAULT, "WSManFault"))
    {
        found = inner;
    }
    Some(found)
}

fn all_text(el: &Element, out: &mut String) {
    out.push_str(&el.text);
    for c in &el.children {
        all_text(c, out);
    }
}

/// Reads `s:Fault` (the element itself).
pub fn parse_fault(fault: &Element) -> WsmanFault {
    let code_el = fault.child(ns::SOAP, "Code");
    let code = code_el
        .and_then(|c| c.child_text(ns::SOAP, "Value"))
        .map(local)
        .unwrap_or_default()
        .to_owned();
    let subcode = code_el
        .and_then(|c| c.child(ns::SOAP, "Subcode"))
        .and_then(|s| s.child_text(ns::SOAP, "Value"))
        .map(local)
        .unwrap_or_default()
        .to_owned();
    let reason = fault
        .child(ns::SOAP, "Reason")
        .and_then(|r| r.child_text(ns::SOAP, "Text"))
        .unwrap_or_default()
        .to_owned();
    let detail_el = fault.child(ns::SOAP, "Detail");
    let detail = detail_el
        .and_then(|d| d.child_text(ns::WSMAN, "FaultDetail"))
        .map(str::to_owned);
    let wf = detail_el.and_then(deepest_wsman_fault);
    let wsman_code = wf
        .and_then(|w| w.attr("Code"))
        .and_then(|c| c.trim().parse().ok());
    let machine = wf.and_then(|w| w.attr("Machine")).map(str::to_owned);
    let message = wf
        .and_then(|w| w.child(ns::WSMAN_FAULT, "Message"))
        .map(|m| {
            let mut s = String::new();
            all_text(m, &mut s);
            s.trim().to_owned()
        });
    let mut f = WsmanFault {
        code,
        subcode,
        reason,
        wsman_code,
        machine,
        message,
        detail,
        hint: None,
    };
    f.hint = hint_for(&f);
    f
}

impl WsmanFault {
    /// The request was larger than the server's MaxEnvelopeSizekb (WS-Management's
    /// `wsman:EncodingLimit` fault, with the MaxEnvelopeSize fault detail).
    pub fn is_envelope_size(&self) -> bool {
        self.subcode == "EncodingLimit"
            || self
                .detail
                .as_deref()
                .is_some_and(|d| d.ends_with("/MaxEnvelopeSize"))
    }
}

/// The fix hint for a fault, if it is one of the common ones.
pub fn hint_for(f: &WsmanFault) -> Option<&'static str> {
    let text = format!("{} {}", f.reason, f.message.as_deref().unwrap_or_default()).to_lowercase();
    let c = f.wsman_code.unwrap_or(0);
    if text.contains("unencrypted") {
        return Some(hint::UNENCRYPTED);
    }
    if f.subcode == "QuotaLimit"
        || (code::QUOTA_FIRST..=code::QUOTA_LAST).contains(&c)
        || (code::QUOTA_PPQ_FIRST..=code::QUOTA_PPQ_LAST).contains(&c)
    {
        return Some(hint::QUOTA);
    }
    if f.subcode == "AccessDenied" || c == code::ACCESS_DENIED {
        return Some(hint::ACCESS_DENIED);
    }
    if f.subcode == "InvalidSelectors" || c == code::INVALID_SELECTORS {
        return Some(hint::SHELL_NOT_FOUND);
    }
    if text.contains("session configuration")
        || ((f.subcode == "InvalidResourceURI" || f.subcode == "DestinationUnreachable")
            && c == code::RESOURCE_NOT_FOUND)
    {
        return Some(hint::NO_CONFIGURATION);
    }
    if f.is_envelope_size() {
        return Some(hint::ENVELOPE_SIZE);
    }
    None
}
