//! What a SIP zip is, and splitting dossiers into batches; the writing
//! itself, a dossier at a time, is [`super::sip`]'s.
//!
//! A SIP zip holds `manifest.xml` then `Content/<safe name>` for every object,
//! with no wrapping folder (Vitam's rule). It is written to a temporary file in
//! the output folder and renamed only once complete, so a final name always
//! means a whole SIP. Entries carry a fixed time (the transfer date) and fixed
//! permissions so the same input, configuration and `--date` give the same
//! bytes. Each file is hashed again while it is copied: a bag that changed
//! between the integrity check and the copy fails the SIP instead of shipping
//! a wrong digest.

use std::path::PathBuf;

/// What a written SIP holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WrittenSip {
    /// The zip's path.
    pub path: PathBuf,
    /// Its MessageIdentifier.
    pub message_identifier: String,
    /// The dossier numbers inside.
    pub dossiers: Vec<u64>,
    /// BinaryDataObject count.
    pub objects: usize,
    /// Payload bytes.
    pub bytes: u64,
}

/// The zip entry time for an RFC 3339 transfer date (1980-01-01 when out of
/// the zip range).
pub(super) fn zip_time(date: &str) -> zip::DateTime {
    super::config::parse_transfer_date(date)
        .ok()
        .and_then(|d| {
            zip::DateTime::from_date_and_time(
                u16::try_from(d.year()).ok()?,
                u8::from(d.month()),
                d.day(),
                d.hour(),
                d.minute(),
                d.second(),
            )
            .ok()
        })
        .unwrap_or_default()
}

/// Greedy batching: consecutive items go together while both limits hold;
/// an item too big for any batch travels alone.
#[derive(Debug, Clone)]
pub struct Batcher {
    max_objects: u64,
    max_size: u64,
    objects: u64,
    size: u64,
    len: usize,
}

impl Batcher {
    /// A batcher with these limits.
    #[must_use]
    pub fn new(max_objects: u64, max_size: u64) -> Self {
        Self {
            max_objects,
            max_size,
            objects: 0,
            size: 0,
            len: 0,
        }
    }

    /// Add an item; returns true when the current batch must be closed
    /// *before* this item (which then starts the next one).
    pub fn push(&mut self, objects: u64, size: u64) -> bool {
        let close = self.len > 0
            && (self.objects + objects > self.max_objects || self.size + size > self.max_size);
        if close {
            self.objects = 0;
            self.size = 0;
            self.len = 0;
        }
        self.objects += objects;
        self.size += size;
        self.len += 1;
        close
    }
}

/// The batches [`Batcher`] makes of `items` (objects, bytes).
#[must_use]
pub fn split_batches(
    items: &[(u64, u64)],
    max_objects: u64,
    max_size: u64,
) -> Vec<std::ops::Range<usize>> {
    let mut batcher = Batcher::new(max_objects, max_size);
    let mut out = Vec::new();
    let mut start = 0;
    for (i, (o, s)) in items.iter().enumerate() {
        if batcher.push(*o, *s) {
            out.push(start..i);
            start = i;
        }
    }
    if start < items.len() {
        out.push(start..items.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_both_limits() {
        let items = [(3, 10), (3, 10), (3, 10), (1, 95), (2, 1)];
        assert_eq!(split_batches(&items, 6, 100), vec![0..2, 2..3, 3..5]);
        assert_eq!(split_batches(&items, 100, 1000), vec![0..5]);
        // An item over the limits on its own still gets a batch.
        assert_eq!(split_batches(&[(50, 1)], 10, 10), vec![0..1]);
        assert!(split_batches(&[], 10, 10).is_empty());
    }

    #[test]
    fn zip_time_follows_the_transfer_date() {
        let t = zip_time("2024-05-02T10:15:00+02:00");
        assert_eq!((t.year(), t.month(), t.day(), t.hour()), (2024, 5, 2, 10));
        assert_eq!(zip_time("1970-01-01T00:00:00Z"), zip::DateTime::default());
    }
}
