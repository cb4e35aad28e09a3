//! manifest.xml written piece by piece, so that a SIP of any size is rendered
//! with a constant amount of memory.
//!
//! A manifest lists every object (`DataObjectPackage`) before every unit
//! (`DescriptiveMetadata`), and opens with a header (MessageIdentifier,
//! Comment) that names the SIP's first and last dossiers. `seda` learns all
//! three one dossier at a time, so it writes each dossier's objects and units
//! to two temporary files as it goes, and the header once the SIP is closed;
//! the manifest is these pieces put end to end.
//!
//! Why the pieces are the same bytes as one pass: quick-xml's indenting
//! writer carries only its depth and whether the next tag starts a line. Each
//! piece's writer first opens the elements that enclose it (written to
//! nowhere: [`Quiet`]), which puts it in the very state the single writer is
//! in at that point; what it writes next is then what the single writer would
//! have written.

use std::io::{self, Write};

use quick_xml::Writer;

use super::{write_dossier, write_footer, write_object, Xml, SEDA_22_NS};
use crate::digest::DigestAlg;
use crate::seda::config::SedaConfig;
use crate::seda::plan::{DossierUnit, SipObject};

/// A writer that drops what it is given until it is turned on.
struct Quiet<W> {
    inner: W,
    on: bool,
}

impl<W: Write> Write for Quiet<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.on {
            self.inner.write(buf)
        } else {
            Ok(buf.len())
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// An indenting writer placed inside `enclosing`, writing to `inner`.
fn placed<W: Write>(inner: W, enclosing: &[&str]) -> io::Result<Xml<Quiet<W>>> {
    let mut x = Xml(Writer::new_with_indent(Quiet { inner, on: false }, b' ', 2));
    for (i, name) in enclosing.iter().enumerate() {
        let attrs: &[(&str, &str)] = if i == 0 {
            &[("xmlns", SEDA_22_NS)]
        } else {
            &[]
        };
        x.open(name, attrs)?;
    }
    x.0.get_mut().on = true;
    Ok(x)
}

/// The objects of a manifest (`DataObjectGroup`s), then the opening
/// `DescriptiveMetadata` tag: what comes between the header and the units.
pub struct ObjectsPart<W: Write> {
    x: Xml<Quiet<W>>,
    alg: DigestAlg,
}

impl<W: Write> ObjectsPart<W> {
    /// Objects with digests in `alg`, written to `inner`.
    ///
    /// # Errors
    /// Writing to `inner` failed.
    pub fn new(inner: W, alg: DigestAlg) -> io::Result<Self> {
        Ok(Self {
            x: placed(inner, &["ArchiveTransfer", "DataObjectPackage"])?,
            alg,
        })
    }

    /// Write one object.
    ///
    /// # Errors
    /// Writing to `inner` failed.
    pub fn push(&mut self, o: &SipObject) -> io::Result<()> {
        write_object(&mut self.x, o, self.alg)
    }

    /// Write the opening `DescriptiveMetadata` tag; give `inner` back.
    ///
    /// # Errors
    /// Writing to `inner` failed.
    pub fn finish(mut self) -> io::Result<W> {
        self.x.open("DescriptiveMetadata", &[])?;
        Ok(self.x.0.into_inner().inner)
    }
}

/// The units of a manifest (one `File` unit a dossier), then its end.
pub struct UnitsPart<W: Write> {
    x: Xml<Quiet<W>>,
}

impl<W: Write> UnitsPart<W> {
    /// Units written to `inner`.
    ///
    /// # Errors
    /// Writing to `inner` failed.
    pub fn new(inner: W) -> io::Result<Self> {
        Ok(Self {
            x: placed(
                inner,
                &[
                    "ArchiveTransfer",
                    "DataObjectPackage",
                    "DescriptiveMetadata",
                ],
            )?,
        })
    }

    /// Write one dossier's units.
    ///
    /// # Errors
    /// Writing to `inner` failed.
    pub fn push(&mut self, d: &DossierUnit) -> io::Result<()> {
        write_dossier(&mut self.x, d)
    }

    /// Write the manifest's end (management metadata, agencies); give `inner`
    /// back.
    ///
    /// # Errors
    /// Writing to `inner` failed.
    pub fn finish(mut self, config: &SedaConfig) -> io::Result<W> {
        write_footer(&mut self.x, config)?;
        Ok(self.x.0.into_inner().inner)
    }
}
