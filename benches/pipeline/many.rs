//! Peak memory of `archive`, `verify` and `status` as the number of dossiers
//! grows (issue #16: flat at 10⁵ dossiers, under 100 MiB).
//!
//! Each count gets an archive folder of its own: N generated dossiers of one
//! small file, archived with the rate limit lifted (the pacing of DS is
//! measured by the `small` scenario; here it would only make the run
//! longer), then `verify` and `status` of that folder. Each command is a
//! child process, so its peak RSS is its own (`getrusage` through
//! `/usr/bin/time`). The counts come from `BENCH_DOSSIERS` (default
//! `10000,100000`, × `BENCH_SCALE`); a folder of 10⁵ such dossiers takes about
//! 6 GB and 1.8 million inodes.

use std::ffi::OsString;

use anyhow::{Context as _, Result};

use super::{start_fake, warm};
use crate::report::{mib, secs, Table};
use crate::run::{self, Job, Measured};
use crate::Bench;

const TOKEN: &str = "bench-token";
/// Bytes of each dossier's one file: small, since only the count matters.
const FILE_SIZE: u64 = 2_000;
/// The ceiling for every command, KiB.
const CEILING_KIB: u64 = 100 * 1024;

pub fn dossiers(b: &mut Bench) -> Result<()> {
    let counts = counts(b)?;
    let mut t = Table::new(
        "Peak RSS of `archive`, `verify` and `status` as dossiers multiply (one file of 2 KB each)",
    );
    // Per command: (dossiers, peak KiB) of the smallest count.
    let mut first: [Option<(u64, u64)>; 3] = [None; 3];
    for n in counts {
        let server = start_fake(b, n, 1, FILE_SIZE)?;
        warm(b, &server)?;
        let out = b.work.join(format!("dossiers-{n}"));
        let archive = measure(b, archive_args(&server.graphql_url(), &out))?;
        b.rt.block_on(server.shutdown());
        let verify = measure(b, vec!["verify".into(), out.clone().into()])?;
        let status = measure(b, vec!["status".into(), out.clone().into()])?;
        for (i, (name, m)) in [
            ("archive", &archive),
            ("verify", &verify),
            ("status", &status),
        ]
        .into_iter()
        .enumerate()
        {
            let rss = m.max_rss_kib.unwrap_or(0);
            let (n0, rss0) = *first[i].get_or_insert((n, rss));
            let growth = if n == n0 {
                "reference".to_owned()
            } else {
                let per = (rss as f64 - rss0 as f64) / (n - n0) as f64 * 1024.0;
                let flat = if rss as f64 <= rss0 as f64 * 1.10 {
                    "flat (≤ 1.10×): met"
                } else {
                    "flat (≤ 1.10×): MISSED"
                };
                format!(
                    "{:.2}× the {n0}-dossier peak, {per:.0} bytes per extra dossier; {flat}",
                    rss as f64 / rss0.max(1) as f64
                )
            };
            let ceiling = if rss < CEILING_KIB {
                "< 100 MiB: met"
            } else {
                "< 100 MiB: MISSED"
            };
            t.row(
                &format!("`{name}`, {n} dossiers"),
                mib(m.max_rss_kib),
                format!("wall {}", secs(m.secs())),
                format!("{ceiling}; {growth}"),
            );
        }
    }
    b.report.tables.push(t);
    Ok(())
}

/// `BENCH_DOSSIERS`, scaled, at least 100 each.
fn counts(b: &Bench) -> Result<Vec<u64>> {
    let text = std::env::var("BENCH_DOSSIERS").unwrap_or_else(|_| "10000,100000".into());
    text.split(',')
        .map(|s| {
            let n: u64 = s.trim().parse().ok().filter(|n| *n > 0).with_context(|| {
                format!("BENCH_DOSSIERS=`{text}`: expected whole numbers above 0, `,`-separated")
            })?;
            Ok(b.scaled(n, 100))
        })
        .collect()
}

fn archive_args(url: &str, out: &std::path::Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["archive", "--quiet", "--demarche", "1"]
        .into_iter()
        .map(OsString::from)
        .collect();
    // The fake is unlimited; DS's pacing is the `small` scenario's subject:
    // 400 requests a second here.
    args.extend(["--rate-limit", "400", "--rate-window", "1"].map(OsString::from));
    args.extend(["--out".into(), out.into(), "--api-url".into(), url.into()]);
    args
}

fn measure(b: &Bench, args: Vec<OsString>) -> Result<Measured> {
    let job = Job {
        program: &b.bin,
        args,
        env: vec![("DS_API_TOKEN", TOKEN.to_owned())],
        cwd: None,
    };
    run::measure(&job, &b.work)
}
