//! Per-entry zip options, decided from the entry's name, size and first
//! bytes only, so that the same bag always produces the same bytes.
//!
//! Deflating bytes that do not compress costs CPU for nothing (three
//! quarters of `archive`'s CPU on large incompressible files before the
//! sample test, see docs/benchmarks.md), so the method is decided from the
//! file's first [`SAMPLE_LEN`] bytes; the extension is only a hint that
//! saves the test: a known compressed format is Stored unread, a text
//! format is Deflated unless its bytes look random (a `.txt` of noise costs
//! a histogram, not a deflate pass).

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

/// Deflate level, chosen by measurement (docs/benchmarks.md, "Deflate"):
/// with zlib-rs, level 2 leaves text at 23.6 % of its size against 20.4 % at
/// the usual 6, for 2.5 times less CPU (260 MB/s a core against 103); level
/// 1 is faster still but leaves 31 %. Fixed here so a crate update changing
/// a default does not silently change our bytes.
pub const DEFLATE_LEVEL: i64 = 2;

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

/// Extensions of text formats: text compresses (JSON, XML, CSV and plain
/// text shrink by half or more), so unless their bytes look random they are
/// Deflated without the test compression of [`method_for_content`]; among
/// them the `dossier.json`, `metadata.json`, `metadata.xml` and manifests of
/// every bag.
const TEXT_EXTENSIONS: &[&str] = &[
    "csv", "htm", "html", "json", "log", "md", "svg", "tsv", "txt", "xml",
];

/// Stored for already-compressed formats, Deflated for everything else
/// (text, JSON, XML, CSV, unknown), judged by the extension.
#[must_use]
pub fn method_for(name: &str) -> CompressionMethod {
    method_for_extension(extension(name).as_deref())
}

fn method_for_extension(ext: Option<&str>) -> CompressionMethod {
    match ext {
        Some(ext) if STORED_EXTENSIONS.contains(&ext) => CompressionMethod::Stored,
        _ => CompressionMethod::Deflated,
    }
}

/// The lowercase extension of the last component of `name`, if it has one
/// (a leading dot, as in `.pdf`, starts a name rather than an extension).
fn extension(name: &str) -> Option<String> {
    let file = name.rsplit('/').next().unwrap_or(name);
    match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => Some(ext.to_ascii_lowercase()),
        _ => None,
    }
}

/// How much of a file's start is test-compressed by [`method_for_content`].
pub const SAMPLE_LEN: usize = 64 * 1024;

/// Files shorter than this are Stored whatever their name: deflate would
/// save a few hundred bytes at most, and setting up a compressor (hundreds of
/// KiB of tables to clear) costs more than the file; a bag's small tag files
/// (`bagit.txt`, `bag-info.txt`, tag manifests) are such files.
const MIN_DEFLATE: usize = 1024;

/// A sample must deflate to at most this fraction of its size (in 1/100)
/// for the file to be deflated.
const MAX_DEFLATED_PERCENT: usize = 90;

/// [`method_for`], then Stored when the file is under `MIN_DEFLATE`; then
/// Stored when the bytes of `sample` (the file's first bytes, up to
/// [`SAMPLE_LEN`]) are spread as evenly as random data's ([`looks_random`]),
/// whatever the name; then text formats (`TEXT_EXTENSIONS`) are Deflated;
/// any other file is Stored when `sample` does not shrink by at least 10 %
/// when deflated at the fastest level: random-looking data (already
/// compressed or encrypted formats with unlisted extensions) is not worth
/// the CPU.
#[must_use]
pub fn method_for_content(name: &str, sample: &[u8]) -> CompressionMethod {
    let ext = extension(name);
    let ext = ext.as_deref();
    if method_for_extension(ext) == CompressionMethod::Stored || sample.len() < MIN_DEFLATE {
        return CompressionMethod::Stored;
    }
    let sample = &sample[..sample.len().min(SAMPLE_LEN)];
    if looks_random(sample) {
        return CompressionMethod::Stored;
    }
    if ext.is_some_and(|ext| TEXT_EXTENSIONS.contains(&ext)) {
        return CompressionMethod::Deflated;
    }
    let mut enc = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(sample.len()),
        flate2::Compression::fast(),
    );
    // Writing to a Vec cannot fail.
    let packed = std::io::Write::write_all(&mut enc, sample)
        .and_then(|()| enc.finish())
        .map_or(0, |v| v.len());
    if packed * 100 <= sample.len() * MAX_DEFLATED_PERCENT {
        CompressionMethod::Deflated
    } else {
        CompressionMethod::Stored
    }
}

/// Whether the byte values of `sample` are spread almost as evenly as random
/// data's: the chance that two bytes picked from it are equal is within 10 %
/// of 1/256. Such bytes carry at least 7.86 bits each (Rényi entropy, a lower
/// bound of Shannon's), so Huffman coding cannot take 10 % off them; only
/// long repeats could, which compressed and encrypted data do not have. A
/// histogram costs a fraction of a test compression, and integer arithmetic
/// gives the same answer on every machine (the zip bytes depend on it).
#[must_use]
pub fn looks_random(sample: &[u8]) -> bool {
    let mut counts = [0u64; 256];
    for &b in sample {
        counts[usize::from(b)] += 1;
    }
    let n = sample.len() as u64;
    let same_pairs: u64 = counts.iter().map(|&c| c * c.saturating_sub(1)).sum();
    n >= 2 && same_pairs * 256 * 10 <= n * (n - 1) * 11
}

/// Whether an entry of `size` bytes needs ZIP64 sizes.
#[must_use]
pub fn needs_zip64(size: u64) -> bool {
    size >= ZIP64_THRESHOLD
}

/// Options of a file entry; `sample` is the file's first bytes (up to
/// [`SAMPLE_LEN`]).
#[must_use]
pub fn file_options(
    name: &str,
    size: u64,
    sample: &[u8],
    mtime: zip::DateTime,
) -> SimpleFileOptions {
    let method = method_for_content(name, sample);
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
    fn incompressible_content_is_stored_whatever_the_name() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let noise: Vec<u8> = (0..SAMPLE_LEN)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()[3]
            })
            .collect();
        assert_eq!(
            method_for_content("a.bin", &noise),
            CompressionMethod::Stored
        );
        assert_eq!(method_for_content("b", &noise), CompressionMethod::Stored);
        let text = "ligne de texte, répétitive\n".repeat(3000);
        assert_eq!(
            method_for_content("a.bin", text.as_bytes()),
            CompressionMethod::Deflated
        );
        assert!(looks_random(&noise) && !looks_random(text.as_bytes()));
        // Noise with long repeats would deflate, but its bytes look random:
        // Stored (space is traded for never running the test on noise).
        let repeated: Vec<u8> = noise[..4096].repeat(16);
        assert_eq!(
            method_for_content("r.bin", &repeated),
            CompressionMethod::Stored
        );
        // A text name is only a hint: noise under it is Stored.
        assert_eq!(
            method_for_content("n.json", &noise),
            CompressionMethod::Stored
        );
        // Tiny files are Stored whatever they hold.
        let small = "a".repeat(MIN_DEFLATE - 1);
        assert_eq!(
            method_for_content("s.txt", small.as_bytes()),
            CompressionMethod::Stored
        );
        let enough = "a".repeat(MIN_DEFLATE);
        assert_eq!(
            method_for_content("s.txt", enough.as_bytes()),
            CompressionMethod::Deflated
        );
        // A listed extension still decides alone.
        assert_eq!(
            method_for_content("c.pdf", text.as_bytes()),
            CompressionMethod::Stored
        );
        // Too short to be worth deflating, whatever the name.
        assert_eq!(
            method_for_content("d.bin", &noise[..100]),
            CompressionMethod::Stored
        );
    }

    /// `len` bytes of xorshift noise: what encrypted or compressed data
    /// looks like to a compressor.
    fn noise(len: usize) -> Vec<u8> {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()[5]
            })
            .collect()
    }

    /// Lines of a DS export: numbers, names, dates, states.
    fn csv(len: usize) -> Vec<u8> {
        let names = ["Dupont", "Martin", "Bernard", "Lefèvre", "Moreau"];
        let states = ["accepte", "refuse", "en_instruction", "sans_suite"];
        let mut out = b"numero;nom;date_depot;etat;montant\n".to_vec();
        let mut i = 0usize;
        while out.len() < len {
            let line = format!(
                "{};{};2024-{:02}-{:02}T10:{:02}:00+01:00;{};{}.{:02}\n",
                100_000 + i * 7,
                names[i % 5],
                i % 12 + 1,
                i % 28 + 1,
                i % 60,
                states[i % 4],
                i * 37 % 10_000,
                i % 100
            );
            out.extend_from_slice(line.as_bytes());
            i += 1;
        }
        out.truncate(len);
        out
    }

    #[test]
    fn random_bytes_under_a_text_name_are_stored() {
        let bytes = noise(SAMPLE_LEN);
        for name in [
            "releve.txt",
            "export.csv",
            "data.json",
            "page.xml",
            "notes.md",
        ] {
            assert_eq!(
                method_for_content(name, &bytes),
                CompressionMethod::Stored,
                "{name}"
            );
        }
    }

    #[test]
    fn csv_text_is_deflated_whatever_its_name() {
        let bytes = csv(SAMPLE_LEN);
        for name in [
            "export.csv",
            "export.txt",
            "export",
            "export.bin",
            "export.dat",
        ] {
            assert_eq!(
                method_for_content(name, &bytes),
                CompressionMethod::Deflated,
                "{name}"
            );
        }
    }

    #[test]
    fn a_pdf_is_stored_unread_even_when_its_bytes_would_compress() {
        // A PDF's streams are compressed already; its name alone decides,
        // so no sample is test-compressed.
        assert_eq!(
            method_for_content("piece.pdf", &noise(SAMPLE_LEN)),
            CompressionMethod::Stored
        );
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.extend(csv(SAMPLE_LEN));
        assert_eq!(
            method_for_content("piece.PDF", &pdf),
            CompressionMethod::Stored
        );
        assert_eq!(
            method_for_content("photo.jpeg", &pdf),
            CompressionMethod::Stored
        );
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
