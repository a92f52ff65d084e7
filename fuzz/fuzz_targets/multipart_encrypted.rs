//! Arbitrary bytes as a `multipart/encrypted` response (MS-WSMV 2.2.9.1): the MIME framing,
//! the OriginalContent Length and the signature-length prefix come from the server and must
//! never index out of bounds; a body that does not verify is `Error::Encryption`.
//!
//! Two contexts: one not yet established (exercises the framing up to the unseal step) and one
//! NTLM context authenticated against sspi's own acceptor (exercises sspi's unseal with
//! hostile signatures and lengths).
#![no_main]

use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use psremote_wsman::auth::SecurityContext;
use psremote_wsman::encryption::{content_type, unseal};
use psremote_wsman::{Auth, Credentials, Error, KerberosOptions};
use sspi::{
    BufferType, CredentialUse, DataRepresentation, Ntlm, SecurityBuffer, SecurityStatus, Sspi,
    SspiImpl,
};

fn fresh() -> SecurityContext {
    SecurityContext::new(
        &Auth::Ntlm(Credentials::new("user", "pass")),
        "host",
        &KerberosOptions::default(),
    )
    .expect("an NTLM client context")
}

/// A client context that completed NTLM against sspi's acceptor (the server side is dropped:
/// only the client's unseal is under test).
fn established() -> Option<SecurityContext> {
    let mut client = fresh();
    let mut server = Ntlm::new();
    let id = sspi::AuthIdentity {
        username: sspi::Username::parse("user").ok()?,
        password: String::from("pass").into(),
    };
    let mut server_creds = server
        .acquire_credentials_handle()
        .with_credential_use(CredentialUse::Inbound)
        .with_auth_data(&id)
        .execute(&mut server)
        .ok()?
        .credentials_handle;
    let mut token = client.step(None, None).ok()?;
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
            .ok()?
            .resolve_to_result()
            .ok()?;
        if r.status == SecurityStatus::CompleteNeeded {
            server.complete_auth_token(&mut output).ok()?;
            break;
        }
        let reply = output
            .into_iter()
            .next()
            .map(|b| b.buffer)
            .unwrap_or_default();
        token = client.step(Some(&reply), None).ok()?;
    }
    client.is_complete().then_some(client)
}

static READY: OnceLock<Option<Mutex<SecurityContext>>> = OnceLock::new();

const PROTOCOLS: [&str; 2] = [
    "application/HTTP-SPNEGO-session-encrypted",
    "application/HTTP-Kerberos-session-encrypted",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    // The Content-Type header is server-chosen too: the standard ones, or a boundary taken
    // from the body's first line.
    let ct = match selector % 3 {
        0 | 1 => content_type(PROTOCOLS[usize::from(selector % 2)]),
        _ => {
            let line = body.split(|&b| b == b'\n').next().unwrap_or_default();
            format!(
                "multipart/encrypted;protocol=\"x\";boundary=\"{}\"",
                String::from_utf8_lossy(line).trim()
            )
        }
    };
    let r = unseal(&mut fresh(), &ct, body);
    assert!(matches!(r, Err(Error::Encryption(_))), "{r:?}");
    if selector & 0x80 != 0 {
        if let Some(ctx) = READY.get_or_init(|| established().map(Mutex::new)) {
            let mut ctx = ctx.lock().unwrap_or_else(|p| p.into_inner());
            if let Ok(plain) = unseal(&mut ctx, &ct, body) {
                assert!(plain.len() <= body.len());
            }
        }
    }
});
