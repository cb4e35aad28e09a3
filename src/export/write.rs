//! Writing a view: every dossier's files copied out of its latest bag into a
//! staging folder beside the view (a tree, or one zip per dossier), each copy
//! hashed on the way and checked against the SHA-256 its bag records, then
//! `paths.csv`, then the staging folder renamed into place. A reader never
//! sees half a view; an earlier view at the same place is replaced only once
//! the new one is complete.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::plan::{plan_dossier, DossierPlan};
use crate::bagit::bundles::{BagReader, FoundBundle};
use crate::digest::{DigestAlg, HashingWriter};
use crate::layout::Namespace;
use crate::template::descriptor::{from_archive, DescriptorError};
use crate::template::{load, TemplateError};

/// The name of the mapping file at the root of a view.
pub const PATHS_CSV: &str = "paths.csv";

/// The header of `paths.csv`.
pub const PATHS_HEADER: [&str; 5] = ["view_path", "zip_entry", "bag", "bag_path", "sha256"];

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// The view folder.
    pub out: PathBuf,
    /// Dossiers in the view.
    pub dossiers: usize,
    /// Files in the view.
    pub files: usize,
    /// Dossiers left out: (number, reason).
    pub skipped: Vec<(u64, String)>,
}

/// Why no view was written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The archive's démarche cannot be read.
    #[error(transparent)]
    Archive(#[from] DescriptorError),
    /// The template is unusable.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// `--out` exists and is not an earlier view.
    #[error("`{}` exists and is not an export view (no {PATHS_CSV}); give a new folder", .0.display())]
    OutExists(PathBuf),
    /// Writing failed.
    #[error("{action} `{}`: {source}", path.display())]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ExportError {
    let path = path.to_owned();
    move |source| ExportError::Io {
        action,
        path,
        source,
    }
}

/// Build the view of archive `dir` shaped by the template at `template`
/// into `out` (a tree, or one zip per dossier with `zip`).
///
/// # Errors
/// See [`ExportError`]; a dossier whose bag cannot be read is left out and
/// reported instead.
pub fn export(
    dir: &Path,
    template: &Path,
    out: &Path,
    zip: bool,
) -> Result<ExportReport, ExportError> {
    let (d, found) = from_archive(dir)?;
    let t = load(template, &d)?;
    if out.exists() && !is_replaceable(out) {
        return Err(ExportError::OutExists(out.to_owned()));
    }
    let parent = crate::fsx::parent_dir(out);
    fs_err::create_dir_all(&parent).map_err(io_err("cannot create", &parent))?;
    let name = out
        .file_name()
        .map_or_else(|| "view".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{name}.export-{}", std::process::id()));
    if staging.exists() {
        fs_err::remove_dir_all(&staging).map_err(io_err("cannot remove", &staging))?;
    }
    fs_err::create_dir(&staging).map_err(io_err("cannot create", &staging))?;
    let result = fill(&t, &found, &staging, zip);
    let (rows, skipped, dossiers) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = fs_err::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let files = rows.len();
    write_paths_csv(&staging.join(PATHS_CSV), &rows)?;
    crate::fsx::sync_tree(&staging)
        .map_err(|e| io_err("cannot sync", &staging)(std::io::Error::other(e.to_string())))?;
    publish(&staging, out)?;
    Ok(ExportReport {
        out: out.to_owned(),
        dossiers,
        files,
        skipped,
    })
}

/// An empty folder or an earlier view may be replaced.
fn is_replaceable(out: &Path) -> bool {
    out.join(PATHS_CSV).is_file()
        || fs_err::read_dir(out).is_ok_and(|mut entries| entries.next().is_none())
}

type Rows = Vec<[String; 5]>;

/// What filling the staging folder gave: `paths.csv` rows, dossiers left
/// out (number, reason), dossiers written.
type Filled = (Rows, Vec<(u64, String)>, usize);

fn fill(
    t: &crate::template::Template,
    found: &[FoundBundle],
    staging: &Path,
    zip: bool,
) -> Result<Filled, ExportError> {
    let mut folders = Namespace::default();
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let mut dossiers = 0;
    for f in found {
        let bag_name = f
            .location
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".zip").to_owned())
            .unwrap_or_default();
        let planned = BagReader::open(&f.location)
            .map_err(|e| format!("unreadable bag: {e}"))
            .and_then(|mut bag| {
                let (metadata, dossier) = bag.read_metadata_and_dossier()?;
                let plan = plan_dossier(t, &metadata, &dossier, &mut folders)?;
                Ok((bag, plan))
            });
        let (mut bag, plan) = match planned {
            Ok(p) => p,
            Err(reason) => {
                skipped.push((f.number, reason));
                continue;
            }
        };
        let copied = if zip {
            write_zip(&mut bag, &plan, staging)
        } else {
            write_tree(&mut bag, &plan, staging)
        };
        match copied {
            Ok(()) => {}
            Err(Copy::Bag(reason)) => {
                skipped.push((f.number, reason));
                continue;
            }
            Err(Copy::Out(e)) => return Err(e),
        }
        dossiers += 1;
        for file in plan.files {
            let (view_path, entry) = if zip {
                (
                    format!("{}.zip", plan.folder),
                    format!("{}/{}", plan.folder, file.path),
                )
            } else {
                (format!("{}/{}", plan.folder, file.path), String::new())
            };
            rows.push([
                view_path,
                entry,
                bag_name.clone(),
                file.bag_path,
                file.sha256,
            ]);
        }
    }
    Ok((rows, skipped, dossiers))
}

/// A copy failed because of the bag (the dossier is left out) or of the
/// view (the export stops).
enum Copy {
    Bag(String),
    Out(ExportError),
}

/// Copy one bag file into `out`, checking its SHA-256 against the bag's.
fn copy_checked(
    bag: &mut BagReader,
    file: &super::plan::ViewFile,
    out: &mut dyn Write,
) -> Result<(), String> {
    let mut hashing = HashingWriter::new(out, &[DigestAlg::Sha256]);
    bag.copy_to(&file.bag_path, &mut hashing)
        .map_err(|e| format!("`{}`: {e}", file.bag_path))?;
    let (_, sums) = hashing.finish_hex();
    let sum = sums.get(&DigestAlg::Sha256).map_or("", String::as_str);
    if sum == file.sha256 {
        Ok(())
    } else {
        Err(format!(
            "`{}` does not match the SHA-256 its bag records (run `ds-archive verify`)",
            file.bag_path
        ))
    }
}

fn write_tree(bag: &mut BagReader, plan: &DossierPlan, staging: &Path) -> Result<(), Copy> {
    let root = staging.join(&plan.folder);
    for file in &plan.files {
        let path = root.join(&file.path);
        let dir = crate::fsx::parent_dir(&path);
        fs_err::create_dir_all(&dir).map_err(|e| Copy::Out(io_err("cannot create", &dir)(e)))?;
        let out = fs_err::File::create(&path)
            .map_err(|e| Copy::Out(io_err("cannot create", &path)(e)))?;
        let mut out = BufWriter::new(out);
        copy_checked(bag, file, &mut out).map_err(Copy::Bag)?;
        out.flush()
            .map_err(|e| Copy::Out(io_err("cannot write", &path)(e)))?;
    }
    if plan.files.is_empty() {
        fs_err::create_dir_all(&root).map_err(|e| Copy::Out(io_err("cannot create", &root)(e)))?;
    }
    Ok(())
}

fn write_zip(bag: &mut BagReader, plan: &DossierPlan, staging: &Path) -> Result<(), Copy> {
    use zip::write::SimpleFileOptions;
    let path = staging.join(format!("{}.zip", plan.folder));
    let out_err = |e: std::io::Error| Copy::Out(io_err("cannot write", &path)(e));
    let file = fs_err::File::create(&path).map_err(out_err)?;
    let mut w = zip::ZipWriter::new(BufWriter::new(file));
    for file in &plan.files {
        // Stored, as DS's `zip -0`; a fixed date so that a view is
        // reproducible; ZIP64 only for files that need it.
        let size = bag.files().get(&file.bag_path).copied().unwrap_or_default();
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(crate::bag_zip::options::FILE_MODE)
            .large_file(crate::bag_zip::options::needs_zip64(size));
        w.start_file(format!("{}/{}", plan.folder, file.path), opts)
            .map_err(|e| out_err(e.into()))?;
        copy_checked(bag, file, &mut w).map_err(Copy::Bag)?;
    }
    let mut inner = w.finish().map_err(|e| out_err(e.into()))?;
    inner.flush().map_err(out_err)?;
    Ok(())
}

fn write_paths_csv(path: &Path, rows: &Rows) -> Result<(), ExportError> {
    let file = fs_err::File::create(path).map_err(io_err("cannot create", path))?;
    let mut w = csv::Writer::from_writer(BufWriter::new(file));
    let csv_err = |e: csv::Error| io_err("cannot write", path)(e.into());
    w.write_record(PATHS_HEADER).map_err(csv_err)?;
    for r in rows {
        w.write_record(r).map_err(csv_err)?;
    }
    w.flush().map_err(io_err("cannot write", path))
}

/// Rename the complete staging folder to `out`; an earlier view there is
/// moved aside first and removed once the new one is in place.
fn publish(staging: &Path, out: &Path) -> Result<(), ExportError> {
    let old = out.exists().then(|| {
        let mut aside = staging.as_os_str().to_owned();
        aside.push(".old");
        PathBuf::from(aside)
    });
    if let Some(old) = &old {
        fs_err::rename(out, old).map_err(io_err("cannot move aside", out))?;
    }
    fs_err::rename(staging, out).map_err(io_err("cannot rename into place", out))?;
    if let Some(old) = &old {
        fs_err::remove_dir_all(old).map_err(io_err("cannot remove", old))?;
    }
    let parent = crate::fsx::parent_dir(out);
    crate::fsx::fsync_dir(&parent)
        .map_err(|e| io_err("cannot sync", &parent)(std::io::Error::other(e.to_string())))
}
