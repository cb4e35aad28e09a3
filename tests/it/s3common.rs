//! S3 servers for the tests: s3s-fs in the test process (checks signatures
//! and checksums; no Object Lock), and moto's server when installed (Object
//! Lock and `If-None-Match`, but no checksum checks).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::common::ds_archive;

/// Distinctive credentials: no output, log or file may ever contain the secret.
pub const ACCESS_KEY: &str = "AKIDTESTds4rch1ve";
pub const SECRET_KEY: &str = "s3cr3t-Xq9PLEASE-never-print-me";
pub const BUCKET: &str = "archives";

/// An S3 server on 127.0.0.1 whose bucket contents are files under `root`.
pub struct S3s {
    pub endpoint: String,
    pub root: tempfile::TempDir,
    /// Every request served, as `METHOD /path` (bucket and key).
    requests: Arc<Mutex<Vec<String>>>,
    /// How many of the next requests get 503 SlowDown instead of an answer.
    shed: Arc<std::sync::atomic::AtomicUsize>,
    /// Requests being handled: each runs to its end in a task of its own.
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    rt: tokio::runtime::Runtime,
}

impl S3s {
    pub fn start() -> Self {
        use hyper_util::rt::{TokioExecutor, TokioIo};
        use hyper_util::server::conn::auto::Builder;
        use s3s::auth::SimpleAuth;
        use s3s::service::S3ServiceBuilder;

        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        let shed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let shedding = Arc::clone(&shed);
        let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let handling = Arc::clone(&in_flight);
        rt.spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let (service, log) = (service.clone(), Arc::clone(&log));
                let shedding = Arc::clone(&shedding);
                let handling = Arc::clone(&handling);
                let logged = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        use std::sync::atomic::Ordering;
                        let line = format!("{} {}", req.method(), req.uri().path());
                        let shed = shedding
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                        log.lock()
                            .unwrap()
                            .push(if shed { format!("503 {line}") } else { line });
                        let service = service.clone();
                        let handling = Arc::clone(&handling);
                        if !shed {
                            handling.fetch_add(1, Ordering::SeqCst);
                        }
                        async move {
                            if shed {
                                // What S3 answers a client it wants slower.
                                let body = "<Error><Code>SlowDown</Code>\
                                            <Message>Please reduce your request rate.</Message></Error>";
                                let mut resp = hyper::Response::new(s3s::Body::from(body.to_owned()));
                                *resp.status_mut() = hyper::StatusCode::SERVICE_UNAVAILABLE;
                                return Ok(resp);
                            }
                            // A request S3 has received is carried out even
                            // if its client goes away: an object and its
                            // metadata appear together or not at all. s3s-fs
                            // renames the object into place, then writes its
                            // metadata; cancelled between the two (hyper drops
                            // a connection's work when the client is killed),
                            // it would leave an object no real S3 would.
                            let done = handling;
                            let task = tokio::spawn(async move {
                                let answer = hyper::service::Service::call(&service, req).await;
                                done.fetch_sub(1, Ordering::SeqCst);
                                answer
                            });
                            task.await.expect("S3 request task")
                        }
                    },
                );
                tokio::spawn(async move {
                    let _ = Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), logged)
                        .await;
                });
            }
        });
        Self {
            endpoint: format!("http://{addr}"),
            root,
            requests,
            shed,
            in_flight,
            rt,
        }
    }

    /// Wait until every request received has been carried out (after a
    /// client was killed: what it sent in full is stored, as S3 would).
    pub fn settle(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while self.in_flight.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "S3 requests never ended"
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    /// Answer the next `n` requests with 503 SlowDown, as a loaded store does.
    pub fn shed_next(&self, n: usize) {
        self.shed.store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// The requests served since the last call, as `METHOD /bucket/key`.
    pub fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.requests.lock().unwrap())
    }

    /// The file behind object `key` of the bucket.
    pub fn object(&self, key: &str) -> PathBuf {
        self.root.path().join(BUCKET).join(key)
    }
}

/// The S3 environment for the binary, and nothing of the caller's.
pub fn s3_env(cmd: &mut Command, endpoint: &str) {
    for var in [
        "AWS_ENDPOINT_URL_S3",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_S3_FORCE_PATH_STYLE",
        "AWS_PROFILE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint);
}

/// `ds-archive verify URL` against `endpoint`.
pub fn verify(endpoint: &str, url: &str) -> std::process::Output {
    let mut cmd = ds_archive();
    cmd.args(["verify", url]);
    s3_env(&mut cmd, endpoint);
    cmd.output().unwrap()
}

/// moto's S3 server on 127.0.0.1, from `DS_ARCHIVE_MOTO` (a python with
/// moto[server]) or the venv CI makes; `None` (with a notice) when absent,
/// a failure under DS_ARCHIVE_REQUIRE_TOOLS=1.
pub struct Moto {
    pub endpoint: String,
    child: Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first python that imports moto's server, looked for once per test
/// process: each look imports moto and flask, a second of CPU.
fn moto_python() -> Option<PathBuf> {
    static PYTHON: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    PYTHON.get_or_init(find_moto_python).clone()
}

fn find_moto_python() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("DS_ARCHIVE_MOTO").map(PathBuf::from),
        Some(PathBuf::from("/opt/ds-archive-venv/bin/python")),
        Some(PathBuf::from("python3")),
    ];
    candidates.into_iter().flatten().find(|py| {
        Command::new(py)
            .args(["-c", "import moto.server, flask"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

impl Moto {
    pub fn start() -> Option<Self> {
        let Some(python) = moto_python() else {
            assert!(
                std::env::var("DS_ARCHIVE_REQUIRE_TOOLS").as_deref() != Ok("1"),
                "moto[server] is required (DS_ARCHIVE_REQUIRE_TOOLS=1) but not installed"
            );
            eprintln!(
                "note: moto[server] not installed (DS_ARCHIVE_MOTO), skipping the moto checks"
            );
            return None;
        };
        // A free port: bind, read it, release it for moto.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let moto = Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        };
        // Ready when it answers (bounded by the wait, not timed).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "moto did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some(moto)
    }

    /// Create a bucket (with Object Lock when `lock`) through moto's API with
    /// plain python boto3, which ships with moto.
    pub fn bucket(&self, name: &str, lock: bool) {
        let script = format!(
            "import boto3; c = boto3.client('s3', endpoint_url='{}', region_name='us-east-1', \
             aws_access_key_id='{ACCESS_KEY}', aws_secret_access_key='{SECRET_KEY}'); \
             c.create_bucket(Bucket='{name}', ObjectLockEnabledForBucket={})",
            self.endpoint,
            if lock { "True" } else { "False" }
        );
        let status = Command::new(moto_python().unwrap())
            .args(["-c", &script])
            .status()
            .unwrap();
        assert!(status.success(), "create bucket {name}");
    }

    /// Run a boto3 snippet with `c` the client; returns its stdout.
    pub fn boto(&self, code: &str) -> String {
        let script = format!(
            "import boto3, botocore; c = boto3.client('s3', endpoint_url='{}', region_name='us-east-1', \
             aws_access_key_id='{ACCESS_KEY}', aws_secret_access_key='{SECRET_KEY}')\n{code}",
            self.endpoint
        );
        let out = Command::new(moto_python().unwrap())
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "boto3: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Every regular file under `dir` whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            std::fs::read(e.path())
                .is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
        .map(|e| e.path().to_owned())
        .collect()
}
