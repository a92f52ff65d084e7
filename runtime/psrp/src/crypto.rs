//! Session key exchange and SecureString encryption (MS-PSRP 3.1.4.7, 2.2.2.3/2.2.2.4,
//! 2.2.5.1.24).
//!
//! The client sends its RSA public key as a CAPI PUBLICKEYBLOB; the server answers with a
//! 256-bit AES key wrapped (RSA PKCS#1 v1.5) in a CAPI SIMPLEBLOB. SecureStrings are then the
//! UTF-16LE text under AES-256-CBC with a zero IV and PKCS#7 padding, as PowerShell does it.

use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rsa::traits::PublicKeyParts;
use rsa::{BoxedUint, Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};

use crate::error::Error;

/// BLOBHEADER.bType of a public key blob.
const PUBLICKEYBLOB: u8 = 0x06;
/// BLOBHEADER.bType of a wrapped session key.
const SIMPLEBLOB: u8 = 0x01;
const CUR_BLOB_VERSION: u8 = 0x02;
/// ALG_ID of RSA key exchange.
const CALG_RSA_KEYX: u32 = 0x0000_A400;
/// ALG_ID of AES-256.
const CALG_AES_256: u32 = 0x0000_6610;
/// RSAPUBKEY.magic, "RSA1".
const RSA1_MAGIC: u32 = 0x3141_5352;
/// The key size PowerShell uses.
pub const RSA_KEY_BITS: usize = 2048;

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// The client's RSA key pair for one key exchange.
#[derive(Clone)]
pub struct KeyExchange {
    key: RsaPrivateKey,
}

impl std::fmt::Debug for KeyExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyExchange").finish_non_exhaustive()
    }
}

impl KeyExchange {
    /// A fresh 2048-bit key pair from the thread RNG.
    pub fn generate() -> Result<KeyExchange, Error> {
        let mut rng = rand::rng();
        let key = RsaPrivateKey::new(&mut rng, RSA_KEY_BITS)
            .map_err(|e| Error::Crypto(format!("RSA key generation failed: {e}")))?;
        Ok(KeyExchange { key })
    }

    /// Uses a given key pair (tests, or a caller that manages keys itself).
    pub fn from_private_key(key: RsaPrivateKey) -> KeyExchange {
        KeyExchange { key }
    }

    /// The PUBLIC_KEY payload: base64 of the CAPI PUBLICKEYBLOB (MS-PSRP 2.2.2.3).
    pub fn public_key_blob(&self) -> String {
        B64.encode(encode_public_key_blob(&self.key.to_public_key()))
    }

    /// Unwraps the ENCRYPTED_SESSION_KEY payload (MS-PSRP 2.2.2.4).
    pub fn decrypt_session_key(&self, blob_b64: &str) -> Result<SessionKey, Error> {
        let blob = B64
            .decode(blob_b64.trim())
            .map_err(|e| Error::Crypto(format!("EncryptedSessionKey is not base64: {e}")))?;
        let wrapped = parse_simple_blob(&blob)?;
        // CAPI stores the ciphertext little-endian.
        let ciphertext: Vec<u8> = wrapped.iter().rev().copied().collect();
        // Blinded, so the unwrap's timing does not depend on the private key.
        let key = self
            .key
            .decrypt_blinded(&mut rand::rng(), Pkcs1v15Encrypt, &ciphertext)
            .map_err(|e| Error::Crypto(format!("cannot unwrap the session key: {e}")))?;
        let key: [u8; 32] = key
            .as_slice()
            .try_into()
            .map_err(|_| Error::Crypto(format!("session key is {} bytes, not 32", key.len())))?;
        Ok(SessionKey(key))
    }
}

/// Encodes an RSA public key as a CAPI PUBLICKEYBLOB (BLOBHEADER + RSAPUBKEY + modulus LE).
pub fn encode_public_key_blob(key: &RsaPublicKey) -> Vec<u8> {
    let modulus_be = key.n().to_be_bytes_trimmed_vartime();
    let bits = u32::try_from(modulus_be.len() * 8).unwrap_or(u32::MAX);
    let exp_be = key.e().to_be_bytes_trimmed_vartime();
    let mut exp = [0u8; 4];
    for (i, b) in exp_be.iter().rev().take(4).enumerate() {
        exp[i] = *b;
    }
    let mut out = Vec::with_capacity(20 + modulus_be.len());
    out.extend_from_slice(&[PUBLICKEYBLOB, CUR_BLOB_VERSION, 0, 0]);
    out.extend_from_slice(&CALG_RSA_KEYX.to_le_bytes());
    out.extend_from_slice(&RSA1_MAGIC.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(&exp);
    out.extend(modulus_be.iter().rev());
    out
}

/// Decodes a CAPI PUBLICKEYBLOB into an RSA public key.
pub fn decode_public_key_blob(blob: &[u8]) -> Result<RsaPublicKey, Error> {
    let bad = |why: &str| Error::Crypto(format!("PUBLICKEYBLOB: {why}"));
    let header = blob
        .get(..20)
        .ok_or_else(|| bad("shorter than its header"))?;
    let u32_at = |i: usize| {
        let mut a = [0u8; 4];
        a.copy_from_slice(&header[i..i + 4]);
        u32::from_le_bytes(a)
    };
    if header[0] != PUBLICKEYBLOB || u32_at(4) != CALG_RSA_KEYX || u32_at(8) != RSA1_MAGIC {
        return Err(bad("not an RSA key-exchange public key"));
    }
    let bits = u32_at(12) as usize;
    if bits == 0 || !bits.is_multiple_of(8) || bits > 16384 {
        return Err(bad("bad key length"));
    }
    let modulus_le = blob
        .get(20..20 + bits / 8)
        .ok_or_else(|| bad("modulus truncated"))?;
    let n = BoxedUint::from_le_slice_vartime(modulus_le);
    let e = BoxedUint::from(u64::from(u32_at(16)));
    RsaPublicKey::new(n, e).map_err(|e| bad(&e.to_string()))
}

/// The wrapped key of a CAPI SIMPLEBLOB holding an AES-256 key wrapped with RSA.
fn parse_simple_blob(blob: &[u8]) -> Result<&[u8], Error> {
    let bad = |why: &str| Error::Crypto(format!("SIMPLEBLOB: {why}"));
    let header = blob
        .get(..12)
        .ok_or_else(|| bad("shorter than its header"))?;
    let u32_at = |i: usize| {
        let mut a = [0u8; 4];
        a.copy_from_slice(&header[i..i + 4]);
        u32::from_le_bytes(a)
    };
    if header[0] != SIMPLEBLOB {
        return Err(bad("not a SIMPLEBLOB"));
    }
    if u32_at(4) != CALG_AES_256 {
        return Err(bad(&format!("key algorithm {:#x}, not AES-256", u32_at(4))));
    }
    if u32_at(8) != CALG_RSA_KEYX {
        return Err(bad("not wrapped with RSA key exchange"));
    }
    Ok(&blob[12..])
}

/// Wraps a session key for `public_key` as a base64 SIMPLEBLOB: what a server sends in
/// ENCRYPTED_SESSION_KEY (used by tests and by peers that act as the server side).
pub fn wrap_session_key(public_key: &RsaPublicKey, key: &SessionKey) -> Result<String, Error> {
    let mut rng = rand::rng();
    let ciphertext = public_key
        .encrypt(&mut rng, Pkcs1v15Encrypt, &key.0)
        .map_err(|e| Error::Crypto(format!("cannot wrap the session key: {e}")))?;
    let mut blob = vec![SIMPLEBLOB, CUR_BLOB_VERSION, 0, 0];
    blob.extend_from_slice(&CALG_AES_256.to_le_bytes());
    blob.extend_from_slice(&CALG_RSA_KEYX.to_le_bytes());
    blob.extend(ciphertext.iter().rev());
    Ok(B64.encode(blob))
}

/// The AES-256 session key SecureStrings are encrypted with; zeroed on drop.
#[derive(Clone, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct SessionKey(pub [u8; 32]);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl SessionKey {
    /// Encrypts text for a `<SS>` value (MS-PSRP 2.2.5.1.24).
    pub fn encrypt(&self, text: &str) -> Vec<u8> {
        let plain: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        Aes256CbcEnc::new(&self.0.into(), &[0u8; 16].into()).encrypt_padded_vec::<Pkcs7>(&plain)
    }

    /// Decrypts the bytes of a `<SS>` value.
    pub fn decrypt(&self, data: &[u8]) -> Result<String, Error> {
        if data.is_empty() || !data.len().is_multiple_of(16) {
            return Err(Error::Crypto(format!(
                "SecureString of {} bytes is not whole AES blocks",
                data.len()
            )));
        }
        let plain = Aes256CbcDec::new(&self.0.into(), &[0u8; 16].into())
            .decrypt_padded_vec::<Pkcs7>(data)
            .map_err(|_| Error::Crypto("SecureString padding is invalid (wrong key?)".into()))?;
        if !plain.len().is_multiple_of(2) {
            return Err(Error::Crypto("SecureString is not UTF-16".into()));
        }
        let units: Vec<u16> = plain
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units).map_err(|_| Error::Crypto("SecureString is not UTF-16".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_string_round_trip_and_wrong_key() {
        let key = SessionKey([7; 32]);
        let ct = key.encrypt("pässwörd 𐐷");
        assert_eq!(ct.len() % 16, 0);
        assert_eq!(key.decrypt(&ct), Ok("pässwörd 𐐷".to_owned()));
        assert_ne!(
            SessionKey([8; 32]).decrypt(&ct),
            Ok("pässwörd 𐐷".to_owned())
        );
        assert!(key.decrypt(&ct[..5]).is_err());
    }

    #[test]
    fn blob_prefix_matches_windows_layout() {
        // A small key keeps the test fast; the layout does not depend on the size.
        let mut rng = rand::rng();
        let Ok(private) = RsaPrivateKey::new(&mut rng, 1024) else {
            panic!("keygen");
        };
        let kx = KeyExchange::from_private_key(private);
        let blob = kx.public_key_blob();
        assert!(blob.starts_with("BgIAAACkAABSU0ExAAQAAAEAAQ"), "{blob}");
        let raw = B64.decode(&blob).unwrap_or_default();
        assert_eq!(
            decode_public_key_blob(&raw).ok(),
            Some(kx.key.to_public_key())
        );

        let session = SessionKey([0x5a; 32]);
        let wrapped = wrap_session_key(&kx.key.to_public_key(), &session);
        let wrapped = wrapped.unwrap_or_default();
        assert!(wrapped.starts_with("AQIAABBmAAAApAAA"));
        assert_eq!(kx.decrypt_session_key(&wrapped), Ok(session));
    }

    #[test]
    fn bad_blobs_are_errors() {
        assert!(decode_public_key_blob(&[6, 2, 0]).is_err());
        assert!(parse_simple_blob(&[1, 2, 0, 0, 0x0e, 0x66, 0, 0, 0, 0xa4, 0, 0]).is_err());
        let kx_err = SessionKey([0; 32]).decrypt(&[0; 15]);
        assert!(kx_err.is_err());
    }
}
