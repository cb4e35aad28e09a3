//! Signed, expiring file URLs, like ActiveStorage's.
//!
//! Storage URLs are `/storage/<key>?expires=<epoch>&sig=<hex>` and generated
//! files (dossier PDF, GeoJSON) are `/api/v2/dossiers/<kind>/<signed id>`,
//! where the signed id packs the dossier number and expiry with a signature.
//! The signature is a truncated SHA-256 over a per-server random secret and
//! the signed fields: not a real MAC, but enough that a client cannot forge or
//! extend a URL and must re-query to get a fresh one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest as _, Sha256};

/// Signs and checks URLs for one server.
#[derive(Debug, Clone)]
pub(crate) struct Signer {
    secret: [u8; 16],
}

/// Why a URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    BadSignature,
    Expired,
}

impl Signer {
    pub(crate) fn random() -> Self {
        let mut secret = [0_u8; 16];
        secret.iter_mut().for_each(|b| *b = fastrand::u8(..));
        Self { secret }
    }

    fn sig(&self, what: &str, expires: u64) -> String {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(what.as_bytes());
        h.update(b"|");
        h.update(expires.to_string().as_bytes());
        hex::encode(&h.finalize()[..16])
    }

    /// `/storage/<key>?expires=..&sig=..`
    pub(crate) fn storage_path(&self, key: &str, expires: u64) -> String {
        format!(
            "/storage/{key}?expires={expires}&sig={}",
            self.sig(key, expires)
        )
    }

    /// Check a storage URL's query parameters at `now` (epoch seconds).
    pub(crate) fn check_storage(
        &self,
        key: &str,
        expires: u64,
        sig: &str,
        now: u64,
    ) -> Result<(), Refusal> {
        if self.sig(key, expires) != sig {
            return Err(Refusal::BadSignature);
        }
        if now >= expires {
            return Err(Refusal::Expired);
        }
        Ok(())
    }

    /// The signed id of a generated file of dossier `number`.
    pub(crate) fn signed_id(&self, kind: &str, number: u64, expires: u64) -> String {
        let payload = URL_SAFE_NO_PAD.encode(format!("{kind};{number};{expires}"));
        format!(
            "{payload}--{}",
            self.sig(&format!("{kind};{number}"), expires)
        )
    }

    /// Check a signed id; the dossier number on success.
    pub(crate) fn check_signed_id(&self, kind: &str, id: &str, now: u64) -> Result<u64, Refusal> {
        let (payload, sig) = id.split_once("--").ok_or(Refusal::BadSignature)?;
        let raw = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(Refusal::BadSignature)?;
        let mut parts = raw.split(';');
        let (Some(k), Some(number), Some(expires), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Refusal::BadSignature);
        };
        let number: u64 = number.parse().map_err(|_| Refusal::BadSignature)?;
        let expires: u64 = expires.parse().map_err(|_| Refusal::BadSignature)?;
        if k != kind || self.sig(&format!("{kind};{number}"), expires) != sig {
            return Err(Refusal::BadSignature);
        }
        if now >= expires {
            return Err(Refusal::Expired);
        }
        Ok(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_signature_and_expiry() {
        let s = Signer::random();
        let path = s.storage_path("abc", 1000);
        let sig = path.rsplit("sig=").next().expect("sig");
        assert_eq!(s.check_storage("abc", 1000, sig, 999), Ok(()));
        assert_eq!(
            s.check_storage("abc", 1000, sig, 1000),
            Err(Refusal::Expired)
        );
        assert_eq!(
            s.check_storage("abd", 1000, sig, 0),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            s.check_storage("abc", 2000, sig, 0),
            Err(Refusal::BadSignature)
        );
        // Another server's secret does not verify.
        assert_eq!(
            Signer::random().check_storage("abc", 1000, sig, 0),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn signed_ids() {
        let s = Signer::random();
        let id = s.signed_id("pdf", 42, 500);
        assert_eq!(s.check_signed_id("pdf", &id, 10), Ok(42));
        assert_eq!(
            s.check_signed_id("geojson", &id, 10),
            Err(Refusal::BadSignature)
        );
        assert_eq!(s.check_signed_id("pdf", &id, 500), Err(Refusal::Expired));
        assert_eq!(
            s.check_signed_id("pdf", "garbage", 0),
            Err(Refusal::BadSignature)
        );
    }
}
