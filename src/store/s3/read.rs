//! The read side of the client: HEAD, GET, LIST, and the one way a bucket
//! object is brought to local disk ([`S3Client::download`]): streamed into a
//! file and hashed on the way, never held in memory. `verify`, `seda` and
//! `inventory` of an `s3://` URL all read zips through it.

use std::collections::BTreeMap;
use std::path::Path;

use futures_util::StreamExt as _;
use reqwest::{Method, StatusCode};
use sha2::Digest as _;
use tokio::io::AsyncWriteExt as _;

use super::{net_error, reqwest_error, status_error, S3Client, S3Error, EMPTY_SHA256};
use crate::store::xml::ListPage;

/// What HEAD tells.
#[derive(Debug, Clone)]
pub struct Head {
    pub len: u64,
    /// User metadata, names lowercase without `x-amz-meta-`.
    pub meta: BTreeMap<String, String>,
    /// `x-amz-checksum-sha256` as the server stored it (base64; composite
    /// values of multipart objects end in `-N`).
    pub checksum_sha256: Option<String>,
}

impl S3Client {
    /// HEAD `key`: `None` when there is no such object.
    ///
    /// # Errors
    /// Any other failure.
    pub async fn head(&self, key: &str) -> Result<Option<Head>, S3Error> {
        let headers = vec![("x-amz-checksum-mode".to_owned(), "ENABLED".to_owned())];
        let resp = self
            .send(Method::HEAD, key, &[], headers, EMPTY_SHA256, None)
            .await
            .map_err(|e| net_error("HEAD", key, &e))?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(status_error("HEAD", key, resp).await);
        }
        let h = resp.headers();
        let len = h
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let meta = h
            .iter()
            .filter_map(|(k, v)| {
                let name = k.as_str().strip_prefix("x-amz-meta-")?;
                Some((name.to_owned(), v.to_str().ok()?.to_owned()))
            })
            .collect();
        let checksum_sha256 = h
            .get("x-amz-checksum-sha256")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Some(Head {
            len,
            meta,
            checksum_sha256,
        }))
    }

    /// GET `key` as a streaming response (`None`: no such object).
    ///
    /// # Errors
    /// Any other failure.
    pub async fn get(&self, key: &str) -> Result<Option<reqwest::Response>, S3Error> {
        let resp = self
            .send(Method::GET, key, &[], Vec::new(), EMPTY_SHA256, None)
            .await
            .map_err(|e| net_error("GET", key, &e))?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(status_error("GET", key, resp).await);
        }
        Ok(Some(resp))
    }

    /// Every key under `prefix` with its size (ListObjectsV2, all pages).
    /// For a prefix that holds a few keys (a run's files): an archive's
    /// listing goes through [`Self::list_each`].
    ///
    /// # Errors
    /// Any failure.
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, u64)>, S3Error> {
        let mut out = Vec::new();
        self.list_each(prefix, |key, size| {
            out.push((key, size));
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Hand every key under `prefix` and its size to `each`, a page
    /// (ListObjectsV2: up to 1 000 keys, in UTF-8 binary order) at a time:
    /// memory holds one page, whatever the bucket holds. `each` may stop
    /// the listing with an error of its own.
    ///
    /// # Errors
    /// Any failure, or the first error of `each`.
    pub async fn list_each(
        &self,
        prefix: &str,
        mut each: impl FnMut(String, u64) -> Result<(), S3Error>,
    ) -> Result<(), S3Error> {
        let mut token: Option<String> = None;
        loop {
            let page = self.list_page(prefix, token.as_deref()).await?;
            for (key, size) in page.objects {
                each(key, size)?;
            }
            match page.next {
                Some(t) => token = Some(t),
                None => return Ok(()),
            }
        }
    }

    /// One page of the keys under `prefix`: the first, or the one after
    /// `token` (the previous page's `next`).
    ///
    /// # Errors
    /// Any failure.
    pub async fn list_page(&self, prefix: &str, token: Option<&str>) -> Result<ListPage, S3Error> {
        let mut query = vec![
            ("list-type".to_owned(), "2".to_owned()),
            ("prefix".to_owned(), prefix.to_owned()),
        ];
        if let Some(t) = token {
            query.push(("continuation-token".to_owned(), t.to_owned()));
        }
        let resp = self
            .send(Method::GET, "", &query, Vec::new(), EMPTY_SHA256, None)
            .await
            .map_err(|e| net_error("LIST", prefix, &e))?;
        if !resp.status().is_success() {
            return Err(status_error("LIST", prefix, resp).await);
        }
        let text = resp
            .text()
            .await
            .map_err(|e| reqwest_error("LIST", prefix, &e))?;
        crate::store::xml::list_page(&text).map_err(|message| S3Error {
            action: "LIST",
            key: prefix.to_owned(),
            message,
            status: None,
        })
    }

    /// Stream object `key` into a new file `file` (replaced if there),
    /// hashing it on the way; its hex SHA-256. Memory use is one chunk.
    ///
    /// # Errors
    /// No such object (it was listed: gone since), the server's or the
    /// network's failure, or the file cannot be written; the message names
    /// the key or the file.
    pub async fn download(&self, key: &str, file: &Path) -> Result<String, S3Error> {
        let fail = |message: String| S3Error {
            action: "GET",
            key: key.to_owned(),
            message,
            status: None,
        };
        let resp = self
            .get(key)
            .await?
            .ok_or_else(|| fail("no such object (listed, then gone)".to_owned()))?;
        let write_err = |e: std::io::Error| fail(format!("cannot write `{}`: {e}", file.display()));
        let mut out = tokio::fs::File::create(file).await.map_err(write_err)?;
        let mut hash = sha2::Sha256::new();
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| fail(format!("reading the body: {e}")))?;
            hash.update(&chunk);
            out.write_all(&chunk).await.map_err(write_err)?;
        }
        out.flush().await.map_err(write_err)?;
        Ok(hex::encode(hash.finalize()))
    }

    /// A small object (a run manifest) as text.
    ///
    /// # Errors
    /// No such object, or any failure.
    pub async fn read_text(&self, key: &str) -> Result<String, S3Error> {
        let resp = self.get(key).await?.ok_or_else(|| S3Error {
            action: "GET",
            key: key.to_owned(),
            message: "no such object (listed, then gone)".to_owned(),
            status: None,
        })?;
        resp.text().await.map_err(|e| reqwest_error("GET", key, &e))
    }
}
