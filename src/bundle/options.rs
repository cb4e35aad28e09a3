//! Per-entry zip options, decided from the entry's name and size only, so
//! that the same bag always produces the same bytes.

use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

/// Entries at least this large are written with ZIP64 sizes. Below
/// `u32::MAX` by a margin because deflating incompressible data can grow it
/// slightly, and the decision must be taken before the bytes are seen.
pub const ZIP64_THRESHOLD: u64 = u32::MAX as u64 - (64 << 20);

/// Permissions recorded for files (`rw-r--r--`).
pub const FILE_MODE: u32 = 0o644;
/// Permissions recorded for directories (`rwxr-xr-x`).
pub const DIR_MODE: u32 = 0o755;

/// Deflate level: flate2's default, fixed here so a crate update changing
/// the default does not silently change our bytes.
const DEFLATE_LEVEL: i64 = 6;

/// Extensions of formats that are already compressed (deflating them costs
/// CPU for nothing): images, audio/video, archives, and the zip-based office
/// and e-book formats.
const STORED_EXTENSIONS: &[&str] = &[
    "7z", "aac", "apk", "avif", "bz2", "cbz", "docm", "docx", "dotx", "epub", "flac", "gif", "gz",
    "heic", "heif", "jar", "jp2", "jpeg", "jpg", "jxl", "kmz", "m4a", "m4v", "mkv", "mov", "mp3",
    "mp4", "mpeg", "mpg", "odg", "odp", "ods", "odt", "oga", "ogg", "ogv", "opus", "pdf", "png",
    "potx", "ppsx", "pptm", "pptx", "rar", "tgz", "txz", "webm", "webp", "wma", "wmv", "xlsm",
    "xlsx", "xltx", "xz", "zip", "zst",
];

/// Stored for already-compressed formats, Deflated for everything else
/// (text, JSON, XML, CSV, unknown), judged by the extension.
#[must_use]
pub fn method_for(name: &str) -> CompressionMethod {
    let file = name.rsplit('/').next().unwrap_or(name);
    let ext = match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => return CompressionMethod::Deflated,
    };
    if STORED_EXTENSIONS.contains(&ext.as_str()) {
        CompressionMethod::Stored
    } else {
        CompressionMethod::Deflated
    }
}

/// Whether an entry of `size` bytes needs ZIP64 sizes.
#[must_use]
pub fn needs_zip64(size: u64) -> bool {
    size >= ZIP64_THRESHOLD
}

/// Options of a file entry.
#[must_use]
pub fn file_options(name: &str, size: u64, mtime: zip::DateTime) -> SimpleFileOptions {
    let method = method_for(name);
    let opts = SimpleFileOptions::default()
        .compression_method(method)
        .last_modified_time(mtime)
        .unix_permissions(FILE_MODE)
        .large_file(needs_zip64(size));
    if method == CompressionMethod::Deflated {
        opts.compression_level(Some(DEFLATE_LEVEL))
    } else {
        opts
    }
}

/// Options of a directory entry.
#[must_use]
pub fn dir_options(mtime: zip::DateTime) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(mtime)
        .unix_permissions(DIR_MODE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_formats_are_stored() {
        for name in [
            "a.pdf", "x/B.JPG", "c.docx", "d.ods", "e.tar.gz", "f.heic", "g.mp4",
        ] {
            assert_eq!(method_for(name), CompressionMethod::Stored, "{name}");
        }
    }

    #[test]
    fn text_and_unknown_are_deflated() {
        for name in [
            "a.txt",
            "b.json",
            "c.xml",
            "d.csv",
            "e",
            "f.bin",
            ".pdf",
            "dir.pdf/x",
        ] {
            assert_eq!(method_for(name), CompressionMethod::Deflated, "{name}");
        }
    }

    #[test]
    fn zip64_only_for_entries_near_4_gib() {
        assert!(!needs_zip64(0));
        assert!(!needs_zip64(1 << 31));
        assert!(!needs_zip64(ZIP64_THRESHOLD - 1));
        assert!(needs_zip64(ZIP64_THRESHOLD));
        assert!(needs_zip64(u64::from(u32::MAX)));
        assert!(needs_zip64(5 << 30));
    }
}
