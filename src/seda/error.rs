//! What can go wrong in `seda`, as types: [`SedaError`] stops the command
//! (configuration, options, the archive or output folder); [`BagRejected`]
//! skips one dossier whose bag fails the integrity gate; [`SipError`] skips
//! the dossiers of one SIP that could not be written. An I/O cause
//! is kept as the `source`, with its kind, next to the path it concerns.

use std::io;
use std::path::PathBuf;

use super::config::ConfigError;
use crate::digest::DigestAlg;

/// Why the `seda` command cannot run at all.
#[derive(Debug, thiserror::Error)]
pub enum SedaError {
    /// The configuration file is unreadable or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `--date` (or the configuration's `date`) is not an RFC 3339 date-time.
    #[error("--date: {0}")]
    Date(String),
    /// `--max-objects` or `--max-size` is zero.
    #[error("--max-objects and --max-size must be positive")]
    Limits,
    /// The output folder cannot be created.
    #[error("cannot create the output folder: {source}")]
    CreateOutput {
        /// The folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The archive folder holds no `dossier-N` bundle: a mistyped path, an
    /// unmounted share, any folder that is not an archive.
    #[error(
        "`{}` holds no dossier bundle (no dossier-N folder or dossier-N.zip): \
         --from takes the --out of `ds-archive archive` (a folder or an s3:// URL)",
        .0.display()
    )]
    NoBundle(PathBuf),
    /// The bucket of an s3:// `--from` cannot be reached or listed (the
    /// message names it and the cause).
    #[error("{0}")]
    Bucket(String),
    /// The archive folder cannot be listed.
    #[error("cannot list the archive folder: {source}")]
    ListArchive {
        /// The folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// Why one SIP could not be written; its dossiers are skipped with this reason.
#[derive(Debug, thiserror::Error)]
pub enum SipError {
    /// manifest.xml could not be rendered.
    #[error("cannot render manifest.xml: {0}")]
    Render(#[source] io::Error),
    /// The manifest we generated fails the SEDA 2.2 XSD: a bug of ours.
    #[error("generated manifest.xml is not valid SEDA 2.2 (please report): {0}")]
    InvalidManifest(String),
    /// The manifest does not validate against the archiving profile file.
    #[error("manifest.xml does not follow the archiving profile `{}`: {message}", path.display())]
    ProfileInvalid {
        /// The profile file.
        path: PathBuf,
        /// xmllint's messages.
        message: String,
    },
    /// No temporary file can be created in the output folder.
    #[error("cannot create a temp file in `{}`: {source}", dir.display())]
    TempFile {
        /// The output folder.
        dir: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The temporary file's handle cannot be duplicated.
    #[error("temp file: {0}")]
    TempHandle(#[source] io::Error),
    /// Writing the zip failed.
    #[error("writing `{}`: {source}", path.display())]
    Write {
        /// The SIP's final path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The zip library refused an entry or the end of the zip.
    #[error("writing `{}`: {source}", path.display())]
    Zip {
        /// The SIP's final path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: zip::result::ZipError,
    },
    /// A bag that passed the integrity check cannot be opened again.
    #[error("dossier {dossier}: cannot reopen the bag: {source}")]
    Reopen {
        /// The dossier number.
        dossier: u64,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A payload file cannot be copied into the SIP.
    #[error("copying `{bag_path}`: {source}")]
    Copy {
        /// The file's bag path.
        bag_path: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A dossier came after a greater or equal number in the same SIP: its
    /// ids (which carry the number) could repeat another's; a bug of ours.
    #[error("dossier {dossier} comes after dossier {after} in the same SIP (please report)")]
    OutOfOrder {
        /// The dossier number.
        dossier: u64,
        /// The number before it.
        after: u64,
    },
    /// A payload file's size or digest changed since the integrity check.
    #[error("dossier {dossier}: `{bag_path}` changed after the integrity check")]
    Changed {
        /// The dossier number.
        dossier: u64,
        /// The file's bag path.
        bag_path: String,
    },
    /// The finished zip cannot be synced to disk.
    #[error("syncing `{}`: {source}", path.display())]
    Sync {
        /// The SIP's final path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The finished zip cannot be renamed to its final name.
    #[error("renaming to `{}`: {source}", path.display())]
    Rename {
        /// The SIP's final path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// Why a bag does not pass the integrity gate; the dossier is skipped.
#[derive(Debug, thiserror::Error)]
pub enum BagRejected {
    /// The folder cannot be walked or the zip cannot be opened.
    #[error("unreadable bag: {0}")]
    Unreadable(#[source] io::Error),
    /// No `bagit.txt`.
    #[error("bagit.txt is missing")]
    NoBagitTxt,
    /// `bagit.txt` cannot be read.
    #[error("bagit.txt is unreadable")]
    BagitTxtUnreadable(#[source] io::Error),
    /// A payload manifest cannot be read.
    #[error("{name}: {source}")]
    ManifestUnreadable {
        /// The manifest's file name.
        name: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A payload manifest has a line that cannot be used.
    #[error("{name}: {message}")]
    ManifestInvalid {
        /// The manifest's file name.
        name: String,
        /// The line and what is wrong with it.
        message: String,
    },
    /// Neither `manifest-sha256.txt` nor `manifest-sha512.txt`.
    #[error("no manifest-sha256.txt or manifest-sha512.txt")]
    NoManifest,
    /// A payload file no manifest lists.
    #[error("`{path}` is not listed in manifest-{}.txt", alg.bagit_name())]
    NotListed {
        /// Bag path.
        path: String,
        /// The manifest's algorithm.
        alg: DigestAlg,
    },
    /// A manifest lists a file the bag does not hold.
    #[error("`{path}` is listed in manifest-{}.txt but missing", alg.bagit_name())]
    Missing {
        /// Bag path.
        path: String,
        /// The manifest's algorithm.
        alg: DigestAlg,
    },
    /// A payload file cannot be read to its end.
    #[error("`{path}` is unreadable: {source}")]
    PayloadUnreadable {
        /// Bag path.
        path: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A payload file's digest differs from its manifest's.
    #[error("`{path}`: {} digest does not match manifest-{}.txt", alg.seda_name(), alg.bagit_name())]
    Mismatch {
        /// Bag path.
        path: String,
        /// The manifest's algorithm.
        alg: DigestAlg,
    },
    /// `data/metadata.json` or `data/dossier.json` is unreadable or not JSON.
    #[error("{path}: {source}")]
    Json {
        /// Bag path.
        path: &'static str,
        /// The cause (`InvalidData` for bad JSON).
        #[source]
        source: io::Error,
    },
}
