//! Multipart uploads, for zips too large for one PUT: each part with its own
//! SHA-256 and MD5, the retention on the initiating call, and
//! `If-None-Match: *` on Complete so that the last step cannot replace an
//! object either.

use reqwest::Method;

use super::{
    b64, created, hex_to_b64, lock_headers, meta_headers, net_error, reqwest_error, status_error,
};
use super::{Body, Created, NewObject, Retention, S3Client, S3Error, EMPTY_SHA256};

impl S3Client {
    /// Start a multipart upload of `obj` (lock headers go here).
    ///
    /// # Errors
    /// Any failure.
    pub async fn create_multipart(
        &self,
        obj: &NewObject<'_>,
        retention: Option<&Retention>,
    ) -> Result<String, S3Error> {
        let mut headers = vec![
            ("content-type".to_owned(), obj.content_type.to_owned()),
            ("x-amz-checksum-algorithm".to_owned(), "SHA256".to_owned()),
        ];
        headers.extend(meta_headers(obj.meta));
        headers.extend(lock_headers(retention));
        let query = [("uploads".to_owned(), String::new())];
        let resp = self
            .send(
                Method::POST,
                obj.key,
                &query,
                headers,
                EMPTY_SHA256,
                Some(Body::Bytes(Vec::new())),
            )
            .await
            .map_err(|e| net_error("CreateMultipartUpload", obj.key, &e))?;
        if !resp.status().is_success() {
            return Err(status_error("CreateMultipartUpload", obj.key, resp).await);
        }
        let text = resp
            .text()
            .await
            .map_err(|e| reqwest_error("CreateMultipartUpload", obj.key, &e))?;
        crate::store::xml::element(&text, "UploadId").ok_or_else(|| S3Error {
            action: "CreateMultipartUpload",
            key: obj.key.to_owned(),
            message: "no UploadId in the answer".into(),
            status: None,
        })
    }

    /// Upload part `number` (from 1) with its own SHA-256 and MD5; returns
    /// its ETag.
    ///
    /// # Errors
    /// Any failure (a 400 `BadDigest` means the part changed on the way).
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        bytes: Vec<u8>,
    ) -> Result<String, S3Error> {
        use sha2::Digest as _;
        let sha = hex::encode(sha2::Sha256::digest(&bytes));
        let md5 = md5::Md5::digest(&bytes);
        let headers = vec![
            ("content-md5".to_owned(), b64(&md5)),
            ("x-amz-checksum-sha256".to_owned(), hex_to_b64(&sha)),
        ];
        let query = [
            ("partNumber".to_owned(), number.to_string()),
            ("uploadId".to_owned(), upload_id.to_owned()),
        ];
        let resp = self
            .send(
                Method::PUT,
                key,
                &query,
                headers,
                &sha,
                Some(Body::Bytes(bytes)),
            )
            .await
            .map_err(|e| net_error("UploadPart", key, &e))?;
        if !resp.status().is_success() {
            return Err(status_error("UploadPart", key, resp).await);
        }
        Ok(resp
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned())
    }

    /// Complete a multipart upload, create-only.
    ///
    /// # Errors
    /// Any answer but 2xx or 412.
    pub async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String, String)],
    ) -> Result<Created, S3Error> {
        let body = crate::store::xml::complete_body(parts);
        use sha2::Digest as _;
        let sha = hex::encode(sha2::Sha256::digest(body.as_bytes()));
        let headers = vec![
            ("if-none-match".to_owned(), "*".to_owned()),
            ("content-type".to_owned(), "application/xml".to_owned()),
        ];
        let query = [("uploadId".to_owned(), upload_id.to_owned())];
        let resp = self
            .send(
                Method::POST,
                key,
                &query,
                headers,
                &sha,
                Some(Body::Bytes(body.into_bytes())),
            )
            .await
            .map_err(|e| net_error("CompleteMultipartUpload", key, &e))?;
        // S3 may answer 200 with an error document after a long Complete.
        let status = resp.status();
        if status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            if let Some(code) = crate::store::xml::error_code(&text) {
                return Err(S3Error {
                    action: "CompleteMultipartUpload",
                    key: key.to_owned(),
                    message: code,
                    status: Some(status.as_u16()),
                });
            }
            return Ok(Created::Yes);
        }
        created(resp, "CompleteMultipartUpload", key).await
    }

    /// Abort a multipart upload (best effort: a lifecycle rule cleans up
    /// what this misses).
    pub async fn abort_multipart(&self, key: &str, upload_id: &str) {
        let query = [("uploadId".to_owned(), upload_id.to_owned())];
        let _ = self
            .send(Method::DELETE, key, &query, Vec::new(), EMPTY_SHA256, None)
            .await;
    }
}
