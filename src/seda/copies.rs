//! The `Content/` files a SIP will hold, kept in a temporary file until the
//! SIP is written.
//!
//! Why on disk: a SIP's zip starts with manifest.xml, which is complete only
//! once the SIP's last dossier is planned, so the files are copied at the end,
//! and a list of them (a few hundred bytes each) held in memory would grow with
//! the SIP (docs/benchmarks.md, "Memory"). Records are written and read back
//! in order: one a file, with the bag it is in, so nothing is sorted.
//!
//! A record: the dossier number and the file's size (u64, big-endian), the
//! bag's kind (0 folder, 1 zip), then four length-prefixed byte strings (u32
//! big-endian): the bag's path, the file's bag path, its `Content/` name and
//! its digest.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use crate::bagit::bundles::BundleLocation;

/// One file to copy into a SIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Copy {
    /// The dossier it belongs to.
    pub dossier: u64,
    /// The bag holding it.
    pub location: BundleLocation,
    /// Its path in the bag.
    pub bag_path: String,
    /// Its name under `Content/`.
    pub content_name: String,
    /// Size in bytes, as checked.
    pub size: u64,
    /// Lowercase hex digest, as checked.
    pub digest: String,
}

/// Records written to an unnamed temporary file.
pub(super) struct Copies {
    out: BufWriter<File>,
}

impl Copies {
    /// An empty list, in an unnamed temporary file in `dir`.
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn new_in(dir: &Path) -> io::Result<Self> {
        Ok(Self {
            out: BufWriter::new(tempfile::tempfile_in(dir)?),
        })
    }

    /// Add a file.
    ///
    /// # Errors
    /// The temporary file cannot be written.
    pub fn push(&mut self, c: &Copy) -> io::Result<()> {
        let (kind, path) = match &c.location {
            BundleLocation::Dir(p) => (0u8, p),
            BundleLocation::Zip(p) => (1u8, p),
        };
        self.out.write_all(&c.dossier.to_be_bytes())?;
        self.out.write_all(&c.size.to_be_bytes())?;
        self.out.write_all(&[kind])?;
        for field in [
            path.as_os_str().as_bytes(),
            c.bag_path.as_bytes(),
            c.content_name.as_bytes(),
            c.digest.as_bytes(),
        ] {
            let len = u32::try_from(field.len())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "field over 4 GiB"))?;
            self.out.write_all(&len.to_be_bytes())?;
            self.out.write_all(field)?;
        }
        Ok(())
    }

    /// The files, in the order they were added.
    ///
    /// # Errors
    /// The temporary file cannot be written or rewound.
    pub fn into_iter(self) -> io::Result<impl Iterator<Item = io::Result<Copy>>> {
        let mut file = self
            .out
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        file.seek(SeekFrom::Start(0))?;
        let mut input = BufReader::new(file);
        Ok(std::iter::from_fn(move || read_one(&mut input).transpose()))
    }
}

/// The next record, `None` at the end of the file.
fn read_one(input: &mut impl Read) -> io::Result<Option<Copy>> {
    let mut head = [0u8; 17];
    match input.read_exact(&mut head[..1]) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    input.read_exact(&mut head[1..])?;
    let mut word = [0u8; 8];
    word.copy_from_slice(&head[..8]);
    let dossier = u64::from_be_bytes(word);
    word.copy_from_slice(&head[8..16]);
    let size = u64::from_be_bytes(word);
    let path = PathBuf::from(OsStr::from_bytes(&field(input)?));
    let location = if head[16] == 0 {
        BundleLocation::Dir(path)
    } else {
        BundleLocation::Zip(path)
    };
    let text = |bytes: Vec<u8>| {
        String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    };
    Ok(Some(Copy {
        dossier,
        location,
        bag_path: text(field(input)?)?,
        content_name: text(field(input)?)?,
        size,
        digest: text(field(input)?)?,
    }))
}

fn field(input: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let mut bytes = vec![0u8; u32::from_be_bytes(len) as usize];
    input.read_exact(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_in_order_with_odd_paths() {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut copies = Copies::new_in(tmp.path()).expect("new");
        let odd = OsStr::from_bytes(b"/archive/\xff\xfe/dossier-7.zip");
        let written = [
            Copy {
                dossier: 7,
                location: BundleLocation::Zip(PathBuf::from(odd)),
                bag_path: "data/été\nx.pdf".to_owned(),
                content_name: "BDO-7-1.pdf".to_owned(),
                size: u64::MAX,
                digest: "ab".repeat(64),
            },
            Copy {
                dossier: 8,
                location: BundleLocation::Dir(PathBuf::from("/a/dossier-8")),
                bag_path: "data/dossier.json".to_owned(),
                content_name: String::new(),
                size: 0,
                digest: String::new(),
            },
        ];
        for c in &written {
            copies.push(c).expect("push");
        }
        let read: Vec<Copy> = copies
            .into_iter()
            .expect("rewind")
            .collect::<io::Result<_>>()
            .expect("read");
        assert_eq!(read, written);
    }
}
