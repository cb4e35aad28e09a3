//! The few S3 XML bodies we read (ListObjectsV2 pages, errors, the upload
//! id) and the one we write (CompleteMultipartUpload).

use quick_xml::events::Event;
use quick_xml::Reader;

/// One page of ListObjectsV2.
pub struct ListPage {
    pub objects: Vec<(String, u64)>,
    /// The continuation token when the listing is truncated.
    pub next: Option<String>,
}

/// Every (element path, text) of a document, e.g. (`ListBucketResult/Contents/Key`, `a.zip`).
fn texts(xml: &str) -> Result<Vec<(String, String)>, String> {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
            Ok(Event::End(_)) => {
                path.pop();
            }
            Ok(Event::Text(t)) => {
                let text = t.unescape().map_err(|e| format!("bad XML text: {e}"))?;
                out.push((path.join("/"), text.into_owned()));
            }
            Ok(Event::Eof) => return Ok(out),
            Ok(_) => {}
            Err(e) => return Err(format!("bad XML at byte {}: {e}", reader.buffer_position())),
        }
    }
}

/// Parse a ListObjectsV2 answer.
///
/// # Errors
/// When it is not well-formed XML.
pub fn list_page(xml: &str) -> Result<ListPage, String> {
    let mut objects = Vec::new();
    let mut key: Option<String> = None;
    let mut truncated = false;
    let mut next = None;
    for (path, text) in texts(xml)? {
        match path.as_str() {
            "ListBucketResult/Contents/Key" => key = Some(text),
            "ListBucketResult/Contents/Size" => {
                if let Some(k) = key.take() {
                    objects.push((k, text.trim().parse().unwrap_or(0)));
                }
            }
            "ListBucketResult/IsTruncated" => truncated = text.trim() == "true",
            "ListBucketResult/NextContinuationToken" => next = Some(text),
            _ => {}
        }
    }
    if let Some(k) = key {
        objects.push((k, 0));
    }
    Ok(ListPage {
        objects,
        next: if truncated { next } else { None },
    })
}

/// The text of the first element named `name`, anywhere.
#[must_use]
pub fn element(xml: &str, name: &str) -> Option<String> {
    texts(xml)
        .ok()?
        .into_iter()
        .find(|(p, _)| p.rsplit('/').next() == Some(name))
        .map(|(_, t)| t)
}

/// The `Code` of an S3 `<Error>` document.
#[must_use]
pub fn error_code(xml: &str) -> Option<String> {
    texts(xml)
        .ok()?
        .into_iter()
        .find(|(p, _)| p == "Error/Code")
        .map(|(_, t)| t)
}

/// The CompleteMultipartUpload body: (part number, ETag, base64 SHA-256).
#[must_use]
pub fn complete_body(parts: &[(u32, String, String)]) -> String {
    let mut s =
        String::from("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (n, etag, sha) in parts {
        s.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag><ChecksumSHA256>{sha}</ChecksumSHA256></Part>",
            quick_xml::escape::escape(etag.as_str())
        ));
    }
    s.push_str("</CompleteMultipartUpload>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_truncated_listing_page() {
        let xml = r#"<?xml version="1.0"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <IsTruncated>true</IsTruncated>
          <Contents><Key>p/dossier-1.zip</Key><Size>10</Size></Contents>
          <Contents><Key>p/a&amp;b.zip</Key><Size>3</Size></Contents>
          <NextContinuationToken>tok==</NextContinuationToken></ListBucketResult>"#;
        let page = list_page(xml).unwrap();
        assert_eq!(
            page.objects,
            vec![("p/dossier-1.zip".into(), 10), ("p/a&b.zip".into(), 3)]
        );
        assert_eq!(page.next.as_deref(), Some("tok=="));
    }

    #[test]
    fn reads_error_codes() {
        let xml = "<Error><Code>BadDigest</Code><Message>x</Message></Error>";
        assert_eq!(error_code(xml).as_deref(), Some("BadDigest"));
        assert_eq!(error_code("not xml <"), None);
    }
}
