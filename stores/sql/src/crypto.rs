//! Passwords at rest: XChaCha20-Poly1305 under a 32-byte key (§10).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sipcreds::{CredentialId, Error, Org, Result};
use zeroize::Zeroizing;

/// The environment variable holding the key (32 bytes, base64).
pub const KEY_ENV: &str = "SIPCREDS_KEY";

const NONCE_LEN: usize = 24;
const KEY_CHECK_AAD: &[u8] = b"sipcreds:key-check:v1";
const KEY_CHECK_TEXT: &str = "sipcreds key check";

/// The encryption key. Never printed; zeroized on drop (inside the cipher).
#[derive(Clone)]
pub struct Key {
    cipher: XChaCha20Poly1305,
    origin: String,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key(from {})", self.origin)
    }
}

impl Key {
    /// A key from 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32], origin: impl Into<String>) -> Key {
        Key {
            cipher: XChaCha20Poly1305::new(bytes.into()),
            origin: origin.into(),
        }
    }

    /// A key from its base64 text (`SIPCREDS_KEY` or a key file).
    pub fn from_base64(text: &str, origin: impl Into<String>) -> Result<Key> {
        let origin = origin.into();
        let bytes = Zeroizing::new(
            B64.decode(text.trim())
                .map_err(|_| Error::storage(format!("the key from {origin} is not base64")))?,
        );
        let arr: &[u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            Error::storage(format!(
                "the key from {origin} is {} bytes; it must be 32 (base64 of 32 random bytes)",
                bytes.len()
            ))
        })?;
        Ok(Key::from_bytes(arr, origin))
    }

    /// A fresh random key, and its base64 text.
    pub fn generate(origin: impl Into<String>) -> (Key, Zeroizing<String>) {
        let raw = XChaCha20Poly1305::generate_key(&mut OsRng);
        let text = Zeroizing::new(B64.encode(raw.as_slice()));
        let mut bytes = Zeroizing::new([0u8; 32]);
        bytes.copy_from_slice(raw.as_slice());
        (Key::from_bytes(&bytes, origin), text)
    }

    /// The key from `SIPCREDS_KEY`, for a store with no file to keep a key beside (PostgreSQL).
    /// (The SQLite store also reads a key file beside the database: `sipcreds_sqlite::key_for_database`.)
    pub fn from_env() -> Result<Key> {
        match std::env::var(KEY_ENV) {
            Ok(text) => Key::from_base64(&text, KEY_ENV),
            Err(_) => Err(Error::storage(format!(
                "set {KEY_ENV} to the base64 of 32 random bytes (for example `openssl rand -base64 32`): a database server has no key file beside it"
            ))),
        }
    }

    /// A value encrypted under this key, stored in a new database so that a later open with
    /// another key is refused (see [`Key::verify_key_check`]).
    pub fn key_check(&self) -> Result<Vec<u8>> {
        self.encrypt(KEY_CHECK_TEXT, KEY_CHECK_AAD)
    }

    /// Check a database's stored [`Key::key_check`] value: a clear `storage` error if this is
    /// not the key it was created with.
    pub fn verify_key_check(&self, blob: &[u8]) -> Result<()> {
        self.decrypt(blob, KEY_CHECK_AAD).map(drop).map_err(|_| {
            Error::storage(format!(
                "the encryption key from {} does not match this database; set {KEY_ENV} or restore the key file it was created with",
                self.origin
            ))
        })
    }

    /// Encrypt; the result is nonce ‖ ciphertext.
    pub fn encrypt(&self, clear: &str, aad: &[u8]) -> Result<Vec<u8>> {
        self.encrypt_with(&XChaCha20Poly1305::generate_nonce(&mut OsRng), clear, aad)
    }

    /// Encrypt many values at once (a batch of rows): their random nonces drawn from the OS
    /// in one call instead of one each (a system call per password was a quarter of an
    /// import's encryption time). Nothing is kept between calls, so no nonce can repeat in
    /// a forked process, as it could with a user-space generator's copied state.
    pub fn encrypt_all(&self, items: &[(&str, Vec<u8>)]) -> Result<Vec<Vec<u8>>> {
        let mut nonces = vec![0u8; NONCE_LEN * items.len()];
        chacha20poly1305::aead::rand_core::RngCore::try_fill_bytes(&mut OsRng, &mut nonces)
            .map_err(|_| Error::storage("the system's random source failed"))?;
        items
            .iter()
            .zip(nonces.chunks_exact(NONCE_LEN))
            .map(|((clear, aad), nonce)| self.encrypt_with(XNonce::from_slice(nonce), clear, aad))
            .collect()
    }

    fn encrypt_with(&self, nonce: &XNonce, clear: &str, aad: &[u8]) -> Result<Vec<u8>> {
        let ct = self
            .cipher
            .encrypt(
                nonce,
                Payload {
                    msg: clear.as_bytes(),
                    aad,
                },
            )
            .map_err(|_| Error::storage("encryption failed"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypt nonce ‖ ciphertext.
    pub fn decrypt(&self, blob: &[u8], aad: &[u8]) -> Result<Zeroizing<String>> {
        if blob.len() < NONCE_LEN {
            return Err(Error::storage("a stored password is truncated"));
        }
        let (nonce, ct) = blob.split_at(NONCE_LEN);
        let clear = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
            .map_err(|_| {
                Error::storage(format!(
                    "a stored password does not decrypt with the key from {}: wrong key, or the row was tampered with",
                    self.origin
                ))
            })?;
        String::from_utf8(clear)
            .map(Zeroizing::new)
            .map_err(|_| Error::storage("a stored password is not UTF-8"))
    }
}

/// The associated data binding a password to its row.
pub fn aad(org: &Org, id: &CredentialId) -> Vec<u8> {
    format!("sipcreds:v1:{}:{}", org.as_str(), id.as_str()).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypt_all_seals_each_value_under_its_own_nonce_and_aad() {
        let (key, _) = Key::generate("test");
        let items: Vec<(String, Vec<u8>)> = (0..50)
            .map(|i| (format!("pw-{i}"), format!("aad-{i}").into_bytes()))
            .collect();
        let borrowed: Vec<(&str, Vec<u8>)> =
            items.iter().map(|(c, a)| (c.as_str(), a.clone())).collect();
        let sealed = key.encrypt_all(&borrowed).unwrap();
        assert_eq!(sealed.len(), items.len());
        let nonces: std::collections::HashSet<&[u8]> =
            sealed.iter().map(|b| &b[..NONCE_LEN]).collect();
        assert_eq!(nonces.len(), items.len(), "every nonce is fresh");
        for ((clear, aad), blob) in items.iter().zip(&sealed) {
            assert_eq!(key.decrypt(blob, aad).unwrap().as_str(), clear);
            assert!(key.decrypt(blob, b"another row").is_err());
        }
        assert!(key.encrypt_all(&[]).unwrap().is_empty());
    }
}
