//! RFC 3161 in bytes, without I/O: build a `TimeStampReq` for a SHA-256
//! digest, read a `TimeStampResp` or a stored request back, and say whether a
//! token covers a given digest with the request's nonce.
//!
//! The DER types are RustCrypto's (`x509-tsp`, `cms`, `der`), except `TSTInfo`:
//! `der` 0.7 reads only the RFC 5280 form of `GeneralizedTime` (no fraction of
//! a second), and RFC 3161 lets a TSA give `genTime` to the millisecond (many
//! do, and `openssl ts` does with `digits`). So [`TstInfo`] mirrors the crate's
//! struct with `genTime` kept raw, and [`gen_time_text`] reads it.
//!
//! What this module does not do: check the CMS signature and the TSA's
//! certificate chain. That is `openssl ts -verify`'s job (docs/timestamps.md),
//! the tool an archivist will still have in twenty years.

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::{Any, Int, OctetString};
use der::oid::ObjectIdentifier;
use der::{Decode, Encode, Sequence, Tag, Tagged};
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

/// id-sha256.
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// id-signedData (CMS).
const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// id-ct-TSTInfo.
const TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// `TSTInfo` (RFC 3161 §2.4.2) with `genTime` left undecoded (see the module doc).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TstInfo {
    /// Always v1.
    pub version: TspVersion,
    /// The TSA policy the token was issued under.
    pub policy: ObjectIdentifier,
    /// What was timestamped.
    pub message_imprint: MessageImprint,
    /// The TSA's serial number of the token.
    pub serial_number: Int,
    /// A `GeneralizedTime`, possibly with a fraction of a second.
    pub gen_time: Any,
    /// `Accuracy`, unread.
    #[asn1(optional = "true")]
    pub accuracy: Option<Any>,
    /// `ordering`.
    #[asn1(default = "Default::default")]
    pub ordering: bool,
    /// The request's nonce, echoed.
    #[asn1(optional = "true")]
    pub nonce: Option<Int>,
    /// `[0] GeneralName`, unread.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<Any>,
    /// `[1] Extensions`, unread.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Any>,
}

/// What a stored request asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The DER bytes (written as `.tsq`).
    pub der: Vec<u8>,
    /// The SHA-256 digest timestamped.
    pub digest: Vec<u8>,
    /// The nonce, big-endian bytes as encoded.
    pub nonce: Option<Vec<u8>>,
    /// The policy asked for, if any.
    pub policy: Option<String>,
}

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The DER bytes of the whole reply (written as `.tsr`).
    pub der: Vec<u8>,
    /// `genTime` as RFC 3339 (`2026-12-03T13:41:16.123Z`).
    pub gen_time: String,
    /// The policy OID.
    pub policy: String,
    /// The serial number, hex.
    pub serial: String,
    /// The imprint's hash algorithm OID.
    pub digest_alg: String,
    /// The imprint's digest.
    pub digest: Vec<u8>,
    /// The nonce echoed, big-endian bytes.
    pub nonce: Option<Vec<u8>>,
    /// Certificates carried in the token (the TSA's chain when it was asked for).
    pub certificates: usize,
}

/// A `TimeStampReq` for `sha256` with `nonce`, asking for the TSA's certificates.
///
/// # Errors
/// When the digest is not 32 bytes or DER encoding fails.
pub fn build_request(sha256: &[u8], nonce: u64) -> Result<Request, String> {
    if sha256.len() != 32 {
        return Err(format!(
            "a SHA-256 digest has 32 bytes, not {}",
            sha256.len()
        ));
    }
    // A positive INTEGER in its minimal form: top bit clear, first byte non-zero.
    let nonce = (nonce & 0x7fff_ffff_ffff_ffff) | 0x0100_0000_0000_0000;
    let nonce_bytes = nonce.to_be_bytes().to_vec();
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: cms::cert::x509::spki::AlgorithmIdentifier {
                oid: SHA256,
                // NULL parameters, as `openssl ts -query` sends: some TSAs want them.
                parameters: Some(Any::null()),
            },
            hashed_message: OctetString::new(sha256).map_err(|e| e.to_string())?,
        },
        req_policy: None,
        nonce: Some(Int::new(&nonce_bytes).map_err(|e| e.to_string())?),
        cert_req: true,
        extensions: None,
    };
    let der = req
        .to_der()
        .map_err(|e| format!("encode the request: {e}"))?;
    Ok(Request {
        der,
        digest: sha256.to_vec(),
        nonce: Some(nonce_bytes),
        policy: None,
    })
}

/// Read a stored `.tsq`.
///
/// # Errors
/// A message saying why the bytes are not a `TimeStampReq`.
pub fn parse_request(der: &[u8]) -> Result<Request, String> {
    let req = TimeStampReq::from_der(der).map_err(|e| format!("not a TimeStampReq: {e}"))?;
    Ok(Request {
        der: der.to_vec(),
        digest: req.message_imprint.hashed_message.as_bytes().to_vec(),
        nonce: req.nonce.map(|n| n.as_bytes().to_vec()),
        policy: req.req_policy.map(|p| p.to_string()),
    })
}

/// Read a `TimeStampResp` (a `.tsr`): the TSA granted it and it holds a
/// signed `TSTInfo`.
///
/// # Errors
/// A message saying what is wrong: not DER, refused by the TSA (with its
/// reason), no token, not a signed `TSTInfo`.
pub fn parse_reply(der: &[u8]) -> Result<Token, String> {
    let resp = TimeStampResp::from_der(der).map_err(|e| format!("not a TimeStampResp: {e}"))?;
    let status = resp.status.status as u8;
    // 0 granted, 1 granted with modifications; anything else is a refusal.
    if status > 1 {
        let text = resp
            .status
            .status_string
            .as_ref()
            .and_then(|s| s.first())
            .map(|s| format!(": {}", s.as_str()))
            .unwrap_or_default();
        return Err(format!(
            "the TSA refused the request (PKIStatus {status}){text}"
        ));
    }
    let token = resp
        .time_stamp_token
        .ok_or("the TSA's reply holds no token")?;
    token_info(&token, der)
}

fn token_info(token: &ContentInfo, der: &[u8]) -> Result<Token, String> {
    if token.content_type != SIGNED_DATA {
        return Err(format!(
            "the token is a {}, not a CMS SignedData",
            token.content_type
        ));
    }
    let signed: SignedData = token
        .content
        .decode_as()
        .map_err(|e| format!("the token's SignedData cannot be read: {e}"))?;
    let encap = &signed.encap_content_info;
    if encap.econtent_type != TST_INFO {
        return Err(format!(
            "the token signs a {}, not a TSTInfo",
            encap.econtent_type
        ));
    }
    let content = encap
        .econtent
        .as_ref()
        .ok_or("the token's SignedData has no content")?;
    let octets: OctetString = content
        .decode_as()
        .map_err(|e| format!("the token's content is not an OCTET STRING: {e}"))?;
    let info = TstInfo::from_der(octets.as_bytes())
        .map_err(|e| format!("the token's TSTInfo cannot be read: {e}"))?;
    Ok(Token {
        der: der.to_vec(),
        gen_time: gen_time_text(&info.gen_time)?,
        policy: info.policy.to_string(),
        serial: hex::encode(info.serial_number.as_bytes()),
        digest_alg: info.message_imprint.hash_algorithm.oid.to_string(),
        digest: info.message_imprint.hashed_message.as_bytes().to_vec(),
        nonce: info.nonce.map(|n| n.as_bytes().to_vec()),
        certificates: signed.certificates.map_or(0, |c| c.0.len()),
    })
}

/// `YYYYMMDDHHMMSS[.fff]Z` → `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
///
/// # Errors
/// When the value is not a UTC `GeneralizedTime`.
pub fn gen_time_text(value: &Any) -> Result<String, String> {
    let bad = || "the token's genTime is not a UTC GeneralizedTime".to_owned();
    if value.tag() != Tag::GeneralizedTime {
        return Err(bad());
    }
    let text = std::str::from_utf8(value.value()).map_err(|_| bad())?;
    let body = text.strip_suffix('Z').ok_or_else(bad)?;
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.len() != 14 || !digits(whole) || !digits(fraction) {
        return Err(bad());
    }
    let fraction = if fraction.is_empty() {
        String::new()
    } else {
        format!(".{fraction}")
    };
    Ok(format!(
        "{}-{}-{}T{}:{}:{}{fraction}Z",
        &whole[..4],
        &whole[4..6],
        &whole[6..8],
        &whole[8..10],
        &whole[10..12],
        &whole[12..14]
    ))
}

/// Why `token` does not answer `request` for a file whose SHA-256 is
/// `current`: one line per problem, empty when it does.
#[must_use]
pub fn mismatches(token: &Token, request: &Request, current: &[u8]) -> Vec<String> {
    let mut problems = Vec::new();
    if token.digest_alg != SHA256.to_string() {
        problems.push(format!(
            "the token's imprint uses {}, not SHA-256",
            token.digest_alg
        ));
    }
    if token.digest != current {
        problems.push(format!(
            "the token covers SHA-256 {}, the file is now {}: the file changed since it was timestamped",
            hex::encode(&token.digest),
            hex::encode(current)
        ));
    }
    if request.digest != token.digest {
        problems.push("the token's imprint differs from the stored request's".to_owned());
    }
    if request.nonce != token.nonce {
        problems.push("the token's nonce differs from the stored request's".to_owned());
    }
    if let Some(policy) = &request.policy {
        if *policy != token.policy {
            problems.push(format!(
                "the token's policy {} is not the one asked for ({policy})",
                token.policy
            ));
        }
    }
    problems
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_back_with_its_digest_and_nonce() {
        let digest = [7u8; 32];
        let req = build_request(&digest, 0xdead_beef_0102_0304).unwrap();
        let back = parse_request(&req.der).unwrap();
        assert_eq!(back.digest, digest);
        assert_eq!(back.nonce, req.nonce);
        assert_eq!(back.policy, None);
        // certReq=true is encoded (DEFAULT FALSE is omitted when false).
        assert!(req.der.windows(3).any(|w| w == [0x01, 0x01, 0xff]));
    }

    #[test]
    fn nonces_stay_positive_and_minimal() {
        for n in [0, u64::MAX, 1 << 63, 0x00ff] {
            let req = build_request(&[0; 32], n).unwrap();
            let nonce = req.nonce.unwrap();
            assert_eq!(nonce.len(), 8);
            assert!(nonce[0] != 0 && nonce[0] < 0x80, "{nonce:?}");
        }
    }

    #[test]
    fn a_wrong_digest_length_is_refused() {
        assert!(build_request(&[0; 20], 1).is_err());
    }

    #[test]
    fn garbage_and_html_are_not_replies() {
        assert!(parse_reply(b"").is_err());
        let e = parse_reply(b"<html>502 Bad Gateway</html>").unwrap_err();
        assert!(e.contains("not a TimeStampResp"), "{e}");
    }

    #[test]
    fn a_refusal_says_so() {
        // TimeStampResp { status { rejection(2), statusString { "bad alg" } } }
        let der = [
            0x30, 0x0e, 0x30, 0x0c, 0x02, 0x01, 0x02, 0x30, 0x07, 0x0c, 0x05, b'b', b'a', b'd',
            b'!', b'!',
        ];
        let e = parse_reply(&der).unwrap_err();
        assert!(e.contains("refused") && e.contains("bad!!"), "{e}");
    }

    #[test]
    fn gen_time_keeps_its_fraction() {
        let t = |s: &str| Any::new(Tag::GeneralizedTime, s.as_bytes()).unwrap();
        assert_eq!(
            gen_time_text(&t("20261203134116.123Z")).unwrap(),
            "2026-12-03T13:41:16.123Z"
        );
        assert_eq!(
            gen_time_text(&t("20261203134116Z")).unwrap(),
            "2026-12-03T13:41:16Z"
        );
        assert!(gen_time_text(&t("20261203134116+0100")).is_err());
        assert!(gen_time_text(&t("2026120313Z")).is_err());
    }

    #[test]
    fn a_changed_file_or_nonce_is_named() {
        let req = build_request(&[1; 32], 5).unwrap();
        let token = Token {
            der: Vec::new(),
            gen_time: "t".into(),
            policy: "1.2.3".into(),
            serial: "01".into(),
            digest_alg: SHA256.to_string(),
            digest: vec![1; 32],
            nonce: req.nonce.clone(),
            certificates: 1,
        };
        assert!(mismatches(&token, &req, &[1; 32]).is_empty());
        let changed = mismatches(&token, &req, &[2; 32]);
        assert!(changed[0].contains("changed since"), "{changed:?}");
        let other = Token {
            nonce: Some(vec![9]),
            ..token
        };
        assert!(mismatches(&other, &req, &[1; 32])[0].contains("nonce"));
    }
}
