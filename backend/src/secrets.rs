//! Secrets at rest: sealed with XChaCha20-Poly1305 under a key derived from
//! `MILKCRATE_SECRETS_KEY` (or, when unset, from the session secret). A sealed value names the
//! scheme (`v1:`), carries its random 24-byte nonce, and is bound to what it belongs to (the
//! associated data), so a value copied onto another app or key does not open.

use base64::{Engine, engine::general_purpose::STANDARD_NO_PAD};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
};
use sha2::{Digest, Sha256};

const SCHEME: &str = "v1:";
const NONCE_LEN: usize = 24;

/// Why a sealed value does not open.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("not a sealed value")]
    Malformed,
    #[error(
        "the secrets key does not open this value: it was sealed under another key (MILKCRATE_SECRETS_KEY, or SECRET_KEY when that is unset)"
    )]
    WrongKey,
}

/// Seals and opens secrets; the key never leaves it (and `Debug` does not show it).
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(…)")
    }
}

impl SecretBox {
    /// A box keyed by `material` (any length; hashed with a label of its own, so the same
    /// secret used for sessions and for sealing yields unrelated keys).
    pub fn from_material(material: &str) -> Self {
        let mut hash = Sha256::new();
        hash.update(b"milkcrate secrets v1\0");
        hash.update(material.as_bytes());
        let key = hash.finalize();
        Self {
            cipher: XChaCha20Poly1305::new(&key),
        }
    }

    /// `plaintext` sealed for `context` (e.g. the app and variable it belongs to).
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("sealing in memory cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{SCHEME}{}", STANDARD_NO_PAD.encode(bytes))
    }

    /// The plaintext of a value sealed for `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, SealError> {
        let bytes = sealed
            .strip_prefix(SCHEME)
            .and_then(|b| STANDARD_NO_PAD.decode(b).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(SealError::Malformed)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Malformed)?;
        let plain = self
            .cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::WrongKey)?;
        String::from_utf8(plain).map_err(|_| SealError::Malformed)
    }
}

/// What the key check seals: stored once a first secret is, and opened at every start, so a
/// changed key stops the start instead of surfacing as unreadable secrets at the next deploy.
pub const CHECK_PLAINTEXT: &str = "milkcrate";
pub const CHECK_CONTEXT: &str = "key check";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_context() {
        let keys = SecretBox::from_material("one key");
        let sealed = keys.seal("s3cret value", "blog/API_TOKEN");
        assert!(sealed.starts_with("v1:") && !sealed.contains("s3cret"));
        assert_eq!(
            keys.open(&sealed, "blog/API_TOKEN").unwrap(),
            "s3cret value"
        );
        assert_eq!(
            keys.open(&sealed, "shop/API_TOKEN"),
            Err(SealError::WrongKey),
            "a value moved to another app does not open"
        );
        let other = SecretBox::from_material("another key");
        assert_eq!(
            other.open(&sealed, "blog/API_TOKEN"),
            Err(SealError::WrongKey)
        );
        assert_eq!(keys.open("plain text", "x"), Err(SealError::Malformed));
        assert_eq!(keys.open("v1:AAAA", "x"), Err(SealError::Malformed));
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let keys = SecretBox::from_material("k");
        assert_ne!(keys.seal("same", "c"), keys.seal("same", "c"));
        assert_eq!(
            format!("{keys:?}"),
            "SecretBox(…)",
            "the key is never printed"
        );
    }
}
