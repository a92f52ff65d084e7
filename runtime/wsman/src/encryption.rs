//! WinRM message encryption over HTTP (MS-WSMV 2.2.9.1): the SOAP envelope is sealed with the
//! connection's security context and sent as `multipart/encrypted`.

use memchr::memmem;

use crate::auth::SecurityContext;
use crate::error::{Error, Result};

pub const BOUNDARY: &str = "Encrypted Boundary";
const OCTET_HEADER: &[u8] = b"\tContent-Type: application/octet-stream\r\n";

/// The Content-Type of an encrypted request for this protocol
/// (`application/HTTP-SPNEGO-session-encrypted` or `…-Kerberos-…`).
pub fn content_type(protocol: &str) -> String {
    format!("multipart/encrypted;protocol=\"{protocol}\";boundary=\"{BOUNDARY}\"")
}

/// Builds the multipart body (MS-WSMV 2.2.9.1.1): a header part naming the original content and
/// its length, then an octet-stream part of `u32le(signature length) | signature | sealed`.
pub fn seal(ctx: &mut SecurityContext, protocol: &str, plain: &[u8]) -> Result<Vec<u8>> {
    let (sig, sealed) = ctx.wrap(plain)?;
    let sig_len = u32::try_from(sig.len())
        .map_err(|_| Error::Encryption("signature longer than 4 GiB".into()))?;
    let mut body = Vec::with_capacity(plain.len() + sig.len() + 256);
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\n\tContent-Type: {protocol}\r\n\tOriginalContent: \
             type=application/soap+xml;charset=UTF-8;Length={}\r\n--{BOUNDARY}\r\n",
            plain.len()
        )
        .as_bytes(),
    );
    body.extend_from_slice(OCTET_HEADER);
    body.extend_from_slice(&sig_len.to_le_bytes());
    body.extend_from_slice(&sig);
    body.extend_from_slice(&sealed);
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    Ok(body)
}

fn boundary_of(content_type: &str) -> String {
    content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_owned())
        .next()
        .unwrap_or_else(|| BOUNDARY.to_owned())
}

/// Opens an encrypted response body and returns the SOAP envelope.
pub fn unseal(ctx: &mut SecurityContext, content_type: &str, body: &[u8]) -> Result<Vec<u8>> {
    let bad = |m: &str| Error::Encryption(format!("malformed multipart/encrypted body: {m}"));
    let boundary = boundary_of(content_type);
    let open = format!("--{boundary}\r\n");
    let close = format!("--{boundary}--");
    // Part 1: headers with OriginalContent …;Length=N.
    let first = memmem::find(body, open.as_bytes()).ok_or_else(|| bad("no boundary"))?;
    let after_first = first + open.len();
    let second = memmem::find(body.get(after_first..).unwrap_or_default(), open.as_bytes())
        .map(|i| i + after_first)
        .ok_or_else(|| bad("no second part"))?;
    let headers = String::from_utf8_lossy(body.get(after_first..second).unwrap_or_default());
    let length: usize = headers
        .split(';')
        .find_map(|p| p.trim().strip_prefix("Length="))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| bad("no OriginalContent Length"))?;
    // Part 2: octet-stream header, then the binary payload up to the closing boundary.
    let mut start = second + open.len();
    let rest = body.get(start..).unwrap_or_default();
    if rest.starts_with(OCTET_HEADER) {
        start += OCTET_HEADER.len();
    } else if let Some(i) = memmem::find(rest, b"\r\n") {
        start += i + 2;
    }
    let end = memmem::rfind(body, close.as_bytes()).ok_or_else(|| bad("no closing boundary"))?;
    let payload = body
        .get(start..end)
        .ok_or_else(|| bad("closing boundary before payload"))?;
    let (len_bytes, rest) = payload
        .split_at_checked(4)
        .ok_or_else(|| bad("truncated"))?;
    let sig_len = u32::from_le_bytes(len_bytes.try_into().map_err(|_| bad("truncated"))?);
    let sig_len = usize::try_from(sig_len).map_err(|_| bad("signature length"))?;
    let (sig, sealed) = rest
        .split_at_checked(sig_len)
        .ok_or_else(|| bad("signature length past the end"))?;
    let plain = ctx.unwrap(sig, sealed)?;
    // The signature already proved integrity. Length can exceed the unsealed size when the
    // sender counted RC4 padding (pyspnego does); never hand out more than Length bytes.
    let mut plain = plain;
    plain.truncate(length);
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tests::ntlm_pair;
    use sspi::{EncryptionFlags, SecurityBufferRef, Sspi};

    const PROTOCOL: &str = "application/HTTP-SPNEGO-session-encrypted";

    /// What a server sends back: its own sealed envelope in the same multipart layout.
    fn server_reply(server: &mut sspi::Ntlm, plain: &[u8]) -> Vec<u8> {
        let mut sig = vec![0u8; 16];
        let mut data = plain.to_vec();
        let mut bufs = [
            SecurityBufferRef::token_buf(sig.as_mut_slice()),
            SecurityBufferRef::data_buf(data.as_mut_slice()),
        ];
        server
            .encrypt_message(EncryptionFlags::empty(), &mut bufs)
            .expect("server seals");
        let mut body = format!(
            "--{BOUNDARY}\r\n\tContent-Type: {PROTOCOL}\r\n\tOriginalContent: \
             type=application/soap+xml;charset=UTF-8;Length={}\r\n--{BOUNDARY}\r\n",
            plain.len()
        )
        .into_bytes();
        body.extend_from_slice(OCTET_HEADER);
        body.extend_from_slice(&16u32.to_le_bytes());
        body.extend_from_slice(&sig);
        body.extend_from_slice(&data);
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        body
    }

    #[test]
    fn request_layout_and_server_unseals_it() {
        let (mut client, mut server) = ntlm_pair();
        let soap = b"<s:Envelope>request</s:Envelope>";
        let body = seal(&mut client, PROTOCOL, soap).expect("seal");
        let head = format!(
            "--{BOUNDARY}\r\n\tContent-Type: {PROTOCOL}\r\n\tOriginalContent: \
             type=application/soap+xml;charset=UTF-8;Length={}\r\n--{BOUNDARY}\r\n\t\
             Content-Type: application/octet-stream\r\n",
            soap.len()
        );
        assert!(body.starts_with(head.as_bytes()));
        assert!(body.ends_with(format!("--{BOUNDARY}--\r\n").as_bytes()));
        let part = &body[head.len()..body.len() - BOUNDARY.len() - 6];
        let sig_len = u32::from_le_bytes(part[..4].try_into().expect("4")) as usize;
        let (mut sig, mut data) = (part[4..4 + sig_len].to_vec(), part[4 + sig_len..].to_vec());
        let mut bufs = [
            SecurityBufferRef::token_buf(sig.as_mut_slice()),
            SecurityBufferRef::data_buf(data.as_mut_slice()),
        ];
        server.decrypt_message(&mut bufs).expect("server unseals");
        assert_eq!(bufs[1].data(), soap);
    }

    #[test]
    fn response_unseals_and_a_bad_signature_is_a_typed_error() {
        let (mut client, mut server) = ntlm_pair();
        let ct = content_type(PROTOCOL);
        let reply = server_reply(&mut server, b"<s:Envelope>one</s:Envelope>");
        assert_eq!(
            unseal(&mut client, &ct, &reply).expect("unseal"),
            b"<s:Envelope>one</s:Envelope>"
        );
        let mut tampered = server_reply(&mut server, b"<s:Envelope>two</s:Envelope>");
        let n = tampered.len();
        tampered[n - BOUNDARY.len() - 8] ^= 0x01;
        assert!(matches!(
            unseal(&mut client, &ct, &tampered),
            Err(Error::Encryption(_))
        ));
        for garbage in [
            &b""[..],
            b"--Encrypted Boundary\r\n",
            b"no multipart at all",
        ] {
            assert!(matches!(
                unseal(&mut client, &ct, garbage),
                Err(Error::Encryption(_))
            ));
        }
    }
}
