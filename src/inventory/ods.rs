//! A minimal OpenDocument spreadsheet (ODS 1.2): sheets of text cells.
//!
//! Layout required by ODF: the zip's first entry is `mimetype`, stored
//! uncompressed, holding `application/vnd.oasis.opendocument.spreadsheet`;
//! then `META-INF/manifest.xml` and `content.xml`. Cell text keeps repeated
//! spaces, tabs and line breaks with `text:s`, `text:tab` and one `text:p`
//! per line, since ODF collapses plain whitespace. Rows stream straight into
//! the zip entry.

use std::io::{self, Seek, Write};

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use zip::write::SimpleFileOptions;

use super::sheets::Tab;

/// The ODS MIME type (content of the `mimetype` entry).
pub const MIME: &str = "application/vnd.oasis.opendocument.spreadsheet";

const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"#;

/// Write a spreadsheet with `header` then `rows` into `out`.
///
/// # Errors
/// Any write error.
pub fn write_ods<W, I>(out: W, sheet: &str, header: &[String], rows: I) -> io::Result<W>
where
    W: Write + Seek,
    I: IntoIterator<Item = Vec<String>>,
{
    let tab = Tab {
        name: sheet.to_owned(),
        header: header.to_vec(),
        rows: Box::new(rows.into_iter()),
    };
    write_ods_book(out, vec![tab])
}

/// Write a spreadsheet with these sheets, in order, into `out`.
///
/// # Errors
/// Any write error.
pub fn write_ods_book<W: Write + Seek>(out: W, tabs: Vec<Tab<'_>>) -> io::Result<W> {
    let mut zip = zip::ZipWriter::new(out);
    let fixed = zip::DateTime::default();
    let stored = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(fixed);
    let deflated = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(fixed);
    zip.start_file("mimetype", stored)
        .map_err(io::Error::other)?;
    zip.write_all(MIME.as_bytes())?;
    zip.start_file("META-INF/manifest.xml", deflated)
        .map_err(io::Error::other)?;
    zip.write_all(MANIFEST.as_bytes())?;
    zip.start_file("content.xml", deflated)
        .map_err(io::Error::other)?;
    {
        let mut w = Writer::new(&mut zip);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let root = BytesStart::new("office:document-content").with_attributes([
            (
                "xmlns:office",
                "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
            ),
            (
                "xmlns:table",
                "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
            ),
            (
                "xmlns:text",
                "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
            ),
            ("office:version", "1.2"),
        ]);
        w.write_event(Event::Start(root))?;
        w.write_event(Event::Start(BytesStart::new("office:body")))?;
        w.write_event(Event::Start(BytesStart::new("office:spreadsheet")))?;
        for tab in tabs {
            w.write_event(Event::Start(
                BytesStart::new("table:table").with_attributes([("table:name", tab.name.as_str())]),
            ))?;
            let columns = tab.header.len().max(1).to_string();
            w.write_event(Event::Empty(
                BytesStart::new("table:table-column")
                    .with_attributes([("table:number-columns-repeated", columns.as_str())]),
            ))?;
            write_row(&mut w, &tab.header)?;
            for row in tab.rows {
                write_row(&mut w, &row)?;
            }
            w.write_event(Event::End(BytesEnd::new("table:table")))?;
        }
        for name in [
            "office:spreadsheet",
            "office:body",
            "office:document-content",
        ] {
            w.write_event(Event::End(BytesEnd::new(name)))?;
        }
    }
    zip.finish().map_err(io::Error::other)
}

fn write_row<W: Write>(w: &mut Writer<W>, cells: &[String]) -> io::Result<()> {
    w.write_event(Event::Start(BytesStart::new("table:table-row")))?;
    for cell in cells {
        if cell.is_empty() {
            w.write_event(Event::Empty(BytesStart::new("table:table-cell")))?;
            continue;
        }
        w.write_event(Event::Start(
            BytesStart::new("table:table-cell").with_attributes([("office:value-type", "string")]),
        ))?;
        for line in cell.split('\n') {
            write_paragraph(w, line.trim_end_matches('\r'))?;
        }
        w.write_event(Event::End(BytesEnd::new("table:table-cell")))?;
    }
    w.write_event(Event::End(BytesEnd::new("table:table-row")))
}

/// One `text:p`, with runs of spaces and tabs made explicit.
fn write_paragraph<W: Write>(w: &mut Writer<W>, line: &str) -> io::Result<()> {
    w.write_event(Event::Start(BytesStart::new("text:p")))?;
    let mut plain = String::new();
    let mut chars = line.chars().peekable();
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match c {
            '\t' => {
                flush(w, &mut plain)?;
                w.write_event(Event::Empty(BytesStart::new("text:tab")))?;
            }
            ' ' => {
                let mut run = 1;
                while chars.peek() == Some(&' ') {
                    chars.next();
                    run += 1;
                }
                // One space is kept as text unless it leads the paragraph.
                let extra = if at_start { run } else { run - 1 };
                if !at_start {
                    plain.push(' ');
                }
                if extra > 0 {
                    flush(w, &mut plain)?;
                    let n = extra.to_string();
                    w.write_event(Event::Empty(
                        BytesStart::new("text:s").with_attributes([("text:c", n.as_str())]),
                    ))?;
                }
            }
            c if c.is_control() => {}
            c => plain.push(c),
        }
        at_start = false;
    }
    flush(w, &mut plain)?;
    w.write_event(Event::End(BytesEnd::new("text:p")))
}

fn flush<W: Write>(w: &mut Writer<W>, plain: &mut String) -> io::Result<()> {
    if !plain.is_empty() {
        w.write_event(Event::Text(BytesText::new(plain)))?;
        plain.clear();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::*;

    #[test]
    fn ods_layout_and_content() {
        let header = vec!["id".to_owned(), "note".to_owned()];
        let rows = vec![
            vec!["1".to_owned(), "a  b\n\tc & <d>".to_owned()],
            vec![String::new(), " x".to_owned()],
        ];
        let bytes = write_ods(Cursor::new(Vec::new()), "Dossiers", &header, rows)
            .expect("write")
            .into_inner();
        // mimetype first, stored, at offset 30 as ODF readers expect.
        assert_eq!(&bytes[30..38], b"mimetype");
        assert_eq!(&bytes[38..38 + MIME.len()], MIME.as_bytes());
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
        assert_eq!(
            z.by_index(0).expect("first").compression(),
            zip::CompressionMethod::Stored
        );
        let mut content = String::new();
        z.by_name("content.xml")
            .expect("content")
            .read_to_string(&mut content)
            .expect("read");
        assert!(content.contains(r#"<text:p>a <text:s text:c="1"/>b</text:p><text:p><text:tab/>c &amp; &lt;d&gt;</text:p>"#), "{content}");
        assert!(content.contains(r#"<table:table-cell/><table:table-cell office:value-type="string"><text:p><text:s text:c="1"/>x</text:p>"#), "{content}");
        // content.xml is well-formed.
        let mut r = quick_xml::Reader::from_str(&content);
        while r.read_event().expect("well-formed") != Event::Eof {}
    }
}
