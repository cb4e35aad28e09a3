//! Where an `s3://BUCKET/PREFIX` target lives and how to reach it, from the
//! URL, the standard AWS environment variables and our flags.

use super::sigv4::{uri_encode, Credentials};

/// A bucket, a key prefix, an endpoint and the credentials for it.
#[derive(Clone, Debug)]
pub struct S3Config {
    /// `http(s)://host[:port]`, no trailing slash.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    /// Key prefix without leading or trailing `/` (may be empty).
    pub prefix: String,
    pub credentials: Credentials,
    /// `endpoint/bucket/key` rather than `bucket.endpoint/key`.
    pub path_style: bool,
}

/// What the user gave besides the URL (flags win over the environment).
#[derive(Debug, Default, Clone)]
pub struct Given {
    pub endpoint: Option<String>,
    pub force_path_style: bool,
}

/// `s3://bucket/prefix` → (bucket, prefix); `None` for anything else.
#[must_use]
pub fn parse_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return None;
    }
    Some((bucket.to_owned(), prefix.trim_matches('/').to_owned()))
}

impl S3Config {
    /// Read the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN`, `AWS_REGION` (or `AWS_DEFAULT_REGION`),
    /// `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, `AWS_S3_FORCE_PATH_STYLE`.
    ///
    /// # Errors
    /// A message saying what is missing or malformed (never a secret).
    pub fn from_env(url: &str, given: &Given) -> Result<Self, String> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let (bucket, prefix) =
            parse_url(url).ok_or_else(|| format!("`{url}` is not an s3://BUCKET/PREFIX URL"))?;
        let access_key = env("AWS_ACCESS_KEY_ID")
            .ok_or("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")?;
        let secret_key = env("AWS_SECRET_ACCESS_KEY")
            .ok_or("no S3 secret: set AWS_SECRET_ACCESS_KEY with AWS_ACCESS_KEY_ID")?;
        let region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".to_owned());
        let endpoint = given
            .endpoint
            .clone()
            .or_else(|| env("AWS_ENDPOINT_URL_S3"))
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        let Some(host) = endpoint
            .strip_prefix("https://")
            .or_else(|| endpoint.strip_prefix("http://"))
        else {
            return Err(format!("S3 endpoint `{endpoint}` is not an http(s) URL"));
        };
        let forced = given.force_path_style
            || env("AWS_S3_FORCE_PATH_STYLE")
                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
        // A bucket cannot be a subdomain of an IP address or of localhost,
        // and a bucket name with dots breaks TLS wildcards.
        let path_style = forced || is_ip_or_local(host) || bucket.contains('.');
        Ok(Self {
            endpoint,
            region,
            bucket,
            prefix,
            credentials: Credentials {
                access_key,
                secret_key,
                session_token: env("AWS_SESSION_TOKEN"),
            },
            path_style,
        })
    }

    /// The key of `name` under the prefix.
    #[must_use]
    pub fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }

    /// `s3://bucket/prefix`, for messages.
    #[must_use]
    pub fn display(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    /// (URL without query, `host` header, canonical path) of `key` (empty:
    /// the bucket itself).
    #[must_use]
    pub fn url_for(&self, key: &str) -> (String, String, String) {
        let (scheme, host) = self
            .endpoint
            .split_once("://")
            .unwrap_or(("https", &self.endpoint));
        let encoded = uri_encode(key, true);
        if self.path_style {
            let path = format!("/{}/{encoded}", uri_encode(&self.bucket, false));
            (format!("{scheme}://{host}{path}"), host.to_owned(), path)
        } else {
            let host = format!("{}.{host}", self.bucket);
            let path = format!("/{encoded}");
            (format!("{scheme}://{host}{path}"), host, path)
        }
    }
}

fn is_ip_or_local(host_port: &str) -> bool {
    let host = if host_port.starts_with('[') {
        return true;
    } else {
        host_port.rsplit_once(':').map_or(host_port, |(h, _)| h)
    };
    host == "localhost" || host.parse::<std::net::Ipv4Addr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(endpoint: &str, force: bool) -> S3Config {
        S3Config {
            endpoint: endpoint.into(),
            region: "r".into(),
            bucket: "b".into(),
            prefix: "p/q".into(),
            credentials: Credentials {
                access_key: "a".into(),
                secret_key: "s".into(),
                session_token: None,
            },
            path_style: force || is_ip_or_local(endpoint.split_once("://").unwrap().1),
        }
    }

    #[test]
    fn parses_bucket_and_prefix() {
        assert_eq!(parse_url("s3://b/p/q/"), Some(("b".into(), "p/q".into())));
        assert_eq!(parse_url("s3://b"), Some(("b".into(), String::new())));
        assert_eq!(parse_url("s3:///x"), None);
        assert_eq!(parse_url("/tmp/x"), None);
    }

    #[test]
    fn ip_endpoints_use_path_style() {
        let c = cfg("http://127.0.0.1:9000", false);
        assert_eq!(
            c.url_for(&c.key("dossier-1.zip")),
            (
                "http://127.0.0.1:9000/b/p/q/dossier-1.zip".into(),
                "127.0.0.1:9000".into(),
                "/b/p/q/dossier-1.zip".into()
            )
        );
        let c = cfg("https://s3.example.org", false);
        assert_eq!(c.url_for("k").0, "https://b.s3.example.org/k");
        assert_eq!(
            cfg("https://s3.example.org", true).url_for("k").0,
            "https://s3.example.org/b/k"
        );
    }
}
