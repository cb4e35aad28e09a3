//! RFC 3161 timestamps of the run manifest, against a real TSA on 127.0.0.1:
//! a small HTTP server that answers each query with `openssl ts -reply`,
//! signing with a throwaway CA and TSA certificate made here by `openssl`.
//! Without openssl these tests say so and skip (they fail under
//! DS_ARCHIVE_REQUIRE_TOOLS=1).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

use crate::common::{ds_archive, have_tool, text, Fake};

const MANIFEST: &str = "manifest-sha256.txt";
const TSR: &str = "manifest-sha256.txt.tsr";
const TSQ: &str = "manifest-sha256.txt.tsq";

/// How the test TSA answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `openssl ts -reply`.
    Reply,
    /// HTTP 500.
    Error500,
    /// 200 with bytes that are not a TimeStampResp.
    Garbage,
}

struct Shared {
    pki: PathBuf,
    mode: Mutex<Mode>,
    /// `Authorization` value required, if any.
    auth: Option<String>,
    hits: AtomicUsize,
    /// One `openssl ts -reply` at a time: they share the serial file.
    openssl: Mutex<()>,
}

/// A TSA on 127.0.0.1 with its own PKI and runtime.
struct Tsa {
    shared: Arc<Shared>,
    url: String,
    _rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", text(&out));
}

/// A root CA and a TSA certificate (EKU critical timeStamping) signed by it,
/// and the `[tsa]` configuration of `openssl ts -reply`.
fn make_pki(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec![
        "req",
        "-x509",
        "-days",
        "2",
        "-subj",
        "/CN=ds-archive test root",
    ];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &ca);
    let mut csr = vec!["req", "-new", "-subj", "/CN=ds-archive test TSA"];
    csr.extend(ec);
    csr.extend(["-keyout", "tsa.key", "-out", "tsa.csr"]);
    openssl(dir, &csr);
    std::fs::write(
        dir.join("ext.cnf"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=critical,timeStamping\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-days",
            "2",
            "-in",
            "tsa.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-extfile",
            "ext.cnf",
            "-out",
            "tsa.crt",
        ],
    );
    std::fs::write(dir.join("serial"), "01\n").unwrap();
    let d = dir.display();
    // genTime with milliseconds, as many public TSAs give it (OpenSSL drops
    // trailing zeros of the fraction, and the dot when it is all zeros).
    let cnf = format!(
        "[ tsa ]\ndefault_tsa = tsa1\n[ tsa1 ]\nserial = {d}/serial\n\
         crypto_device = builtin\nsigner_cert = {d}/tsa.crt\ncerts = {d}/ca.crt\n\
         signer_key = {d}/tsa.key\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n\
         digests = sha256, sha512\naccuracy = secs:1\nordering = yes\ntsa_name = yes\n\
         clock_precision_digits = 3\ness_cert_id_alg = sha256\n"
    );
    std::fs::write(dir.join("tsa.cnf"), cnf).unwrap();
}

async fn answer(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, [(header::HeaderName, &'static str); 1], Vec<u8>) {
    let n = s.hits.fetch_add(1, Ordering::SeqCst);
    let ct = [(header::CONTENT_TYPE, "application/timestamp-reply")];
    if let Some(want) = &s.auth {
        let got = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if got != Some(want.as_str()) {
            return (StatusCode::UNAUTHORIZED, ct, Vec::new());
        }
    }
    let mode = *s.mode.lock().unwrap();
    match mode {
        Mode::Error500 => (StatusCode::INTERNAL_SERVER_ERROR, ct, b"oops".to_vec()),
        Mode::Garbage => (StatusCode::OK, ct, b"<html>not a token</html>".to_vec()),
        Mode::Reply => {
            let _one = s.openssl.lock().unwrap();
            let q = s.pki.join(format!("q{n}.tsq"));
            let r = s.pki.join(format!("r{n}.tsr"));
            std::fs::write(&q, &body).unwrap();
            let out = Command::new("openssl")
                .args(["ts", "-reply", "-config"])
                .arg(s.pki.join("tsa.cnf"))
                .arg("-queryfile")
                .arg(&q)
                .arg("-out")
                .arg(&r)
                .output()
                .unwrap();
            assert!(out.status.success(), "openssl ts -reply: {}", text(&out));
            (StatusCode::OK, ct, std::fs::read(&r).unwrap())
        }
    }
}

impl Tsa {
    fn start(mode: Mode, auth: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        make_pki(dir.path());
        let shared = Arc::new(Shared {
            pki: dir.path().to_path_buf(),
            mode: Mutex::new(mode),
            auth: auth.map(|a| {
                use base64::Engine as _;
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(a)
                )
            }),
            hits: AtomicUsize::new(0),
            openssl: Mutex::new(()),
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let app = Router::new()
            .route("/tsp", post(answer))
            .with_state(shared.clone());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}/tsp", listener.local_addr().unwrap());
        rt.spawn(async move { axum::serve(listener, app).await });
        Self {
            shared,
            url,
            _rt: rt,
            _dir: dir,
        }
    }

    fn ca(&self) -> PathBuf {
        self.shared.pki.join("ca.crt")
    }

    fn set(&self, mode: Mode) {
        *self.shared.mode.lock().unwrap() = mode;
    }

    fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }
}

fn report(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap()
}

fn verify(out: &Path, extra: &[&str]) -> std::process::Output {
    ds_archive()
        .arg("verify")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn openssl_verifies(out: &Path, ca: &Path) -> bool {
    let run = Command::new("openssl")
        .args(["ts", "-verify", "-data"])
        .arg(out.join(MANIFEST))
        .arg("-in")
        .arg(out.join(TSR))
        .arg("-CAfile")
        .arg(ca)
        .output()
        .unwrap();
    run.status.success() && String::from_utf8_lossy(&run.stdout).contains("Verification: OK")
}

fn timestamp(out: &Path, urls: &[&str]) -> std::process::Output {
    let mut cmd = ds_archive();
    cmd.arg("timestamp").arg(out);
    for url in urls {
        cmd.args(["--tsa-url", url]);
    }
    cmd.args(["--retries", "2", "--retry-delay-ms", "1"])
        .output()
        .unwrap()
}

#[test]
fn a_run_with_a_tsa_gets_a_token_that_verifies_and_a_changed_byte_fails() {
    if !have_tool("openssl") {
        return;
    }
    let tsa = Tsa::start(Mode::Reply, None);
    let fake = Fake::start_light();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    let run = fake.archive(&out, &["--tsa-url", &tsa.url]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(out.join(TSQ).is_file() && out.join(TSR).is_file());
    let r = report(&out);
    assert_eq!(r["timestamp"]["status"], "stamped", "{r:#}");
    assert_eq!(r["timestamp"]["policy"], "1.2.3.4.1");
    // certReq=true: the TSA's certificate and its root came with the token.
    assert_eq!(r["timestamp"]["certificates"], 2, "{r:#}");
    // RFC 3339, with the TSA's milliseconds when there are some.
    let gen_time = r["timestamp"]["gen_time"].as_str().unwrap().to_owned();
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let when = time::OffsetDateTime::parse(&gen_time, rfc3339).unwrap();
    assert!(
        (time::OffsetDateTime::now_utc() - when)
            .whole_minutes()
            .abs()
            < 10,
        "{gen_time}"
    );

    // Our verify and OpenSSL's agree the token covers the manifest.
    let ok = verify(&out, &["--tsa-ca", tsa.ca().to_str().unwrap()]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(String::from_utf8_lossy(&ok.stderr).contains(&format!(
        "timestamped at {gen_time} under TSA policy 1.2.3.4.1"
    )));
    assert!(openssl_verifies(&out, &tsa.ca()));
    // docs/timestamps.md's second recipe: OpenSSL also matches our stored
    // request (imprint and nonce).
    let by_query = Command::new("openssl")
        .args(["ts", "-verify", "-queryfile"])
        .arg(out.join(TSQ))
        .arg("-in")
        .arg(out.join(TSR))
        .arg("-CAfile")
        .arg(tsa.ca())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&by_query.stdout).contains("Verification: OK"),
        "{}",
        text(&by_query)
    );

    // Asking again changes nothing: the token covers the manifest already.
    let tsr = std::fs::read(out.join(TSR)).unwrap();
    let hits = tsa.hits();
    let again = timestamp(&out, &[&tsa.url]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has a token"));
    assert_eq!(tsa.hits(), hits);
    assert_eq!(std::fs::read(out.join(TSR)).unwrap(), tsr);

    // One changed byte in the manifest: both checks fail, and the evidence
    // is never replaced by a new token.
    let mut manifest = std::fs::read(out.join(MANIFEST)).unwrap();
    manifest[0] = if manifest[0] == b'0' { b'1' } else { b'0' };
    std::fs::write(out.join(MANIFEST), &manifest).unwrap();
    let bad = verify(&out, &["--tsa-ca", tsa.ca().to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    let stdout = String::from_utf8_lossy(&bad.stdout);
    assert!(
        stdout.lines().any(
            |l| l.starts_with("E_TIMESTAMP ") && l.contains("changed since it was timestamped")
        ),
        "{stdout}"
    );
    assert!(stdout.contains("E_TIMESTAMP_SIGNATURE"), "{stdout}");
    assert!(!openssl_verifies(&out, &tsa.ca()));
    let refused = timestamp(&out, &[&tsa.url]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert_eq!(std::fs::read(out.join(TSR)).unwrap(), tsr);
}

#[test]
fn a_failing_tsa_does_not_lose_the_run_and_timestamp_asks_again() {
    if !have_tool("openssl") {
        return;
    }
    let broken = Tsa::start(Mode::Error500, None);
    let garbage = Tsa::start(Mode::Garbage, None);
    let fake = Fake::start_light();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    let run = fake.archive(
        &out,
        &[
            "--tsa-url",
            &broken.url,
            "--tsa-url",
            &garbage.url,
            "--retry-delay-ms",
            "1",
            "--retries",
            "2",
        ],
    );
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("ds-archive timestamp"), "{stderr}");
    // The 500 was retried, the garbage was not a token.
    assert_eq!(broken.hits(), 2);
    let r = report(&out);
    assert_eq!(r["complete"], true);
    assert_eq!(r["timestamp"]["status"], "failed", "{r:#}");
    let errors = r["timestamp"]["errors"].to_string();
    assert!(
        errors.contains("HTTP 500") && errors.contains("not a TimeStampResp"),
        "{errors}"
    );
    assert!(!out.join(TSR).exists());
    // The archive itself is whole.
    let ok = verify(&out, &[]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));

    // Later, the TSA works again.
    garbage.set(Mode::Reply);
    let fixed = timestamp(&out, &[&broken.url, &garbage.url]);
    assert_eq!(fixed.status.code(), Some(0), "{}", text(&fixed));
    assert_eq!(report(&out)["timestamp"]["status"], "stamped");
    assert!(openssl_verifies(&out, &garbage.ca()));
    let ok = verify(&out, &["--tsa-ca", garbage.ca().to_str().unwrap()]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
}

#[test]
fn the_next_tsa_is_asked_with_basic_auth_that_never_shows() {
    if !have_tool("openssl") {
        return;
    }
    let password = "pw-Xk4SECRET-tsa";
    let down = Tsa::start(Mode::Error500, None);
    let good = Tsa::start(Mode::Reply, Some(&format!("archiviste:{password}")));
    let fake = Fake::start_light();
    let tmp = tempfile::tempdir().unwrap();
    let auth = tmp.path().join("tsa-auth");
    std::fs::write(&auth, format!("archiviste:{password}\n")).unwrap();
    let out = tmp.path().join("a");
    let run = fake.archive(
        &out,
        &[
            "--tsa-url",
            &down.url,
            "--tsa-url",
            &good.url,
            "--tsa-auth-file",
            auth.to_str().unwrap(),
            "--retries",
            "2",
            "--retry-delay-ms",
            "1",
            "-v",
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert_eq!(report(&out)["timestamp"]["tsa"], good.url);
    assert!(openssl_verifies(&out, &good.ca()));
    assert!(!text(&run).contains(password));
    for (name, bytes) in crate::common::tree(&out, false) {
        assert!(
            !bytes
                .windows(password.len())
                .any(|w| w == password.as_bytes()),
            "{name} holds the TSA password"
        );
    }
    // Without the password the TSA says 401 and the run says so.
    let out2 = tmp.path().join("b");
    let run = fake.archive(&out2, &["--tsa-url", &good.url]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(text(&run).contains("--tsa-auth-file"), "{}", text(&run));
}

#[test]
fn a_new_run_manifest_gets_its_own_token_and_the_old_one_is_kept() {
    if !have_tool("openssl") {
        return;
    }
    let tsa = Tsa::start(Mode::Reply, None);
    let fake = Fake::start_light();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    let first = fake.archive(&out, &["--tsa-url", &tsa.url]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let manifest_v1 = std::fs::read(out.join(MANIFEST)).unwrap();
    let tsr_v1 = std::fs::read(out.join(TSR)).unwrap();

    // A rerun that changes nothing asks the TSA nothing and rewrites nothing.
    let hits = tsa.hits();
    let report_v1 = std::fs::read(out.join("report.json")).unwrap();
    let same = fake.archive(&out, &["--tsa-url", &tsa.url]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
    assert_eq!(tsa.hits(), hits);
    assert_eq!(std::fs::read(out.join("report.json")).unwrap(), report_v1);

    let number = fake.server.dataset().dossier_numbers()[2];
    fake.server
        .dataset()
        .update_dossier(number, |d| d["motivation"] = "Revue".into())
        .unwrap();
    let second = fake.archive(&out, &["--tsa-url", &tsa.url]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    assert_ne!(std::fs::read(out.join(MANIFEST)).unwrap(), manifest_v1);
    assert_ne!(std::fs::read(out.join(TSR)).unwrap(), tsr_v1);
    assert!(openssl_verifies(&out, &tsa.ca()));
    let ok = verify(&out, &["--tsa-ca", tsa.ca().to_str().unwrap()]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));

    // The first manifest and its token, kept together, still verify.
    let kept = out.join(".ds-archive/timestamps/1");
    assert_eq!(std::fs::read(kept.join(MANIFEST)).unwrap(), manifest_v1);
    assert_eq!(std::fs::read(kept.join(TSR)).unwrap(), tsr_v1);
    assert!(openssl_verifies(&kept, &tsa.ca()));
}

#[test]
fn demo_and_archive_take_the_tsa_options() {
    for command in ["archive", "demo"] {
        let help = ds_archive().args([command, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&help.stdout);
        assert!(
            help.contains("--tsa-url <URL>") && help.contains("--tsa-auth-file"),
            "{help}"
        );
    }
}

#[test]
fn a_bucket_run_publishes_its_token_beside_the_manifest_it_covers() {
    use crate::s3common::{s3_env, S3s, BUCKET};
    if !have_tool("openssl") {
        return;
    }
    let tsa = Tsa::start(Mode::Reply, None);
    let fake = Fake::start_light();
    let s3 = S3s::start();
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let url = format!("s3://{BUCKET}/p");
    let mut cmd = fake.archive_with(Path::new(&url), &["--work-dir"]);
    cmd.arg(&work).args(["--tsa-url", &tsa.url]);
    s3_env(&mut cmd, &s3.endpoint);
    let run = cmd.output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));

    // The run's folder in the bucket holds the manifest, the token that
    // covers it and a report that says so: not left for the next run.
    let runs: Vec<PathBuf> = std::fs::read_dir(s3.object("p/runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let folder = &runs[0];
    for name in [MANIFEST, TSQ, TSR, "report.json"] {
        assert!(folder.join(name).is_file(), "{name} not in {folder:?}");
    }
    assert_eq!(
        std::fs::read(folder.join(TSR)).unwrap(),
        std::fs::read(work.join(TSR)).unwrap()
    );
    let bucket_report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        bucket_report["timestamp"]["status"], "stamped",
        "{bucket_report:#}"
    );
    assert!(openssl_verifies(folder, &tsa.ca()));
}
