//! The stable finding codes of `verify`.
//!
//! Scripts and archivists match on these strings, so a code is never renamed
//! or reused for another meaning: add a new one instead. `E_*` codes are
//! problems (the run exits 1), `W_*` codes are warnings (allowed but odd, they
//! go to stderr and do not fail the run). docs/verify.md lists them all; a
//! unit test checks that it does.

use std::fmt;

/// Declares the code enum with its string form and one-line description.
macro_rules! codes {
    ($($variant:ident => $name:literal, $desc:literal;)*) => {
        /// A stable finding code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(
                #[doc = $desc]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as printed (`E_DIGEST`).
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// What the code means, in one line.
            #[must_use]
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => $desc,)* }
            }
        }
    };
}

codes! {
    BagitTxt => "E_BAGIT_TXT", "bagit.txt is missing or not in its exact two-line form (version, encoding, no space before the colon)";
    Bom => "E_BOM", "a byte-order mark starts bagit.txt or a UTF-8 tag file";
    Encoding => "E_ENCODING", "a tag file is not valid in its declared encoding, the encoding is unsupported, or a file name is not UTF-8";
    NoDataDir => "E_NO_DATA_DIR", "the bag has no data/ folder";
    NoManifest => "E_NO_MANIFEST", "the bag has no payload manifest (manifest-<alg>.txt)";
    UnsupportedAlgorithm => "E_UNSUPPORTED_ALGORITHM", "no payload manifest uses an algorithm verify can compute, so nothing can be checked";
    ManifestSyntax => "E_MANIFEST_SYNTAX", "a manifest or fetch.txt line cannot be parsed (missing separator, digest of the wrong length or not hex)";
    ManifestScope => "E_MANIFEST_SCOPE", "a payload manifest lists a file outside data/, or a tag manifest lists a payload file or a tag manifest";
    Duplicate => "E_DUPLICATE", "a manifest lists the same path twice (invalid even with the same digest)";
    UnsafePath => "E_UNSAFE_PATH", "a path in a manifest or fetch.txt escapes the bag (.., absolute, ~, drive letter, UNC), or the bag holds a symbolic link";
    Missing => "E_MISSING", "a file listed in a manifest is not in the bag";
    Extra => "E_EXTRA", "a payload file is not listed in every payload manifest";
    Digest => "E_DIGEST", "a payload file's digest differs from its manifest entry";
    TagDigest => "E_TAG_DIGEST", "a tag file's digest differs from its tag manifest entry";
    Oxum => "E_OXUM", "Payload-Oxum in bag-info.txt is malformed, repeated, or differs from the payload's size and file count";
    BagInfo => "E_BAG_INFO", "bag-info.txt has a line that is neither `Label: value` nor a continuation";
    Unreadable => "E_UNREADABLE", "a file or folder of the bag cannot be read";
    ZipCorrupt => "E_ZIP_CORRUPT", "the zip cannot be opened or an entry cannot be decompressed (truncated, damaged, unsupported method)";
    ZipCrc => "E_ZIP_CRC", "a zip entry's data does not match its CRC-32";
    ZipUnsafe => "E_ZIP_UNSAFE", "a zip entry name escapes the extraction folder (.., absolute, backslash) or is a symbolic link";
    ZipDuplicate => "E_ZIP_DUPLICATE", "two zip entries have the same name";
    ZipLayout => "E_ZIP_LAYOUT", "the zip does not hold exactly one top-level folder with the bag in it";
    MetadataSchema => "E_METADATA_SCHEMA", "data/metadata.json is not valid JSON or not valid against schemas/metadata.schema.json";
    MetadataFile => "E_METADATA_FILE", "a file described in data/metadata.json is absent from the bag or differs in size or sha256";
    ZipFolderMismatch => "E_ZIP_FOLDER_MISMATCH", "a bundle folder and its zip do not hold the same files with the same bytes";
    RunManifest => "E_RUN_MANIFEST", "the archive folder's manifest-sha256.txt is malformed, lists a missing zip, has a wrong digest, or misses a zip";
    Timestamp => "E_TIMESTAMP", "the RFC 3161 token of manifest-sha256.txt (.tsr) does not cover the manifest as it is now (imprint, nonce of the stored .tsq, policy), or cannot be read";
    TimestampSignature => "E_TIMESTAMP_SIGNATURE", "`openssl ts -verify` (asked for with --tsa-ca) refused the token's signature or certificate chain, or could not run";
    SipOpen => "E_SIP_OPEN", "a SEDA SIP zip cannot be opened or read";
    SipLayout => "E_SIP_LAYOUT", "a SEDA SIP's root does not hold exactly manifest.xml and Content/";
    SipManifest => "E_SIP_MANIFEST", "a SEDA SIP's manifest.xml cannot be parsed or lacks required parts";
    SipUri => "E_SIP_URI", "a BinaryDataObject's Uri is missing, absolute, escapes the SIP or is used twice";
    SipAlgorithm => "E_SIP_ALGORITHM", "a MessageDigest algorithm is unknown or unsupported";
    SipMissing => "E_SIP_MISSING", "a BinaryDataObject points to a file absent from Content/";
    SipUndeclared => "E_SIP_UNDECLARED", "a file in Content/ is declared by no BinaryDataObject";
    SipRead => "E_SIP_READ", "a file of a SEDA SIP cannot be read to the end (corrupt entry, CRC error)";
    SipSize => "E_SIP_SIZE", "a file's size differs from its BinaryDataObject Size";
    SipDigest => "E_SIP_DIGEST", "a file's digest differs from its BinaryDataObject MessageDigest";
    SipName => "E_SIP_NAME", "a file name in Content/ breaks Vitam's rule (letters, digits, _ @ - and dots between parts)";
    SipXsd => "E_SIP_XSD", "manifest.xml is not valid against the SEDA XSD of its namespace";
    Md5sumStar => "W_MD5SUM_STAR", "a manifest line uses the md5sum binary-mode `*` before the path";
    DotSlash => "W_DOT_SLASH", "a manifest path starts with `./`";
    CaseTwin => "W_CASE_TWIN", "two names in the bag differ only by letter case (they collide on Windows and macOS)";
    NfcTwin => "W_NFC_TWIN", "two names differ only by Unicode normalisation (NFC vs NFD)";
    NfcMatch => "W_NFC_MATCH", "a manifest path matches a file only after Unicode normalisation";
    Junk => "W_JUNK", "an operating-system junk file (Thumbs.db, .DS_Store, desktop.ini, ._*) is in the bag";
    BagitVersion => "W_BAGIT_VERSION", "the BagIt version is outside 0.97-1.0; checked with the nearest rules";
    UnknownAlgorithm => "W_UNKNOWN_ALGORITHM", "a manifest uses an algorithm verify cannot compute; its paths are checked, not its digests";
    TagUnlisted => "W_TAG_UNLISTED", "a payload manifest is not listed in the tag manifests";
    FetchUnlisted => "W_FETCH_UNLISTED", "a fetch.txt path is not listed in the payload manifests";
    BagInfoLabel => "W_BAG_INFO_LABEL", "a bag-info.txt label has whitespace before its colon (`Label : value`); read without it";
    NoRunManifest => "W_NO_RUN_MANIFEST", "an archive folder holds zips but no manifest-sha256.txt";
    Skipped => "W_SKIPPED", "a folder inside an archive folder is neither a bag nor named dossier-*, so it was not verified";
    SipXsdSkipped => "W_SIP_XSD_SKIPPED", "manifest.xml was not checked against the SEDA XSD (xmllint absent)";
}

impl Code {
    /// Whether the code is a warning (`W_*`) rather than a problem.
    #[must_use]
    pub fn is_warning(self) -> bool {
        self.as_str().starts_with("W_")
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} declared twice");
            assert!(s.starts_with("E_") || s.starts_with("W_"), "{s}");
            assert!(s
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()));
        }
    }

    #[test]
    fn every_code_is_documented() {
        let doc = include_str!("../../docs/verify.md");
        for code in Code::ALL {
            assert!(
                doc.contains(code.as_str()),
                "{code} missing from docs/verify.md"
            );
        }
    }
}
