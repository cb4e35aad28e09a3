//! `demo` and `fake-server`: the fake DS API of [`crate::fake`], either
//! archived at once by the same pipeline as `archive` (the README's first
//! command) or served until Ctrl-C for trying the tool and for benchmarks.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use super::archive::{client, options, run_pipeline, runtime, CommonArgs};
use super::fatal;
use crate::console;
use crate::error::exit;
use crate::pipeline::Keep;
use crate::progress::Progress;
use crate::timestamp::TsaArgs;

/// Options of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the bundles.
    #[arg(long, default_value = "demo-archive")]
    out: PathBuf,
    #[command(flatten)]
    tsa: TsaArgs,
}

/// Options of `fake-server`.
#[derive(Debug, Args)]
pub struct FakeServerArgs {
    /// Address to listen on (loopback only by default).
    #[arg(long, default_value = "127.0.0.1:8088")]
    listen: SocketAddr,
    /// The token the fake accepts.
    #[arg(long, default_value = "fake-token")]
    token: String,
    /// Serve generated dossiers instead of the sample: `DOSSIERS:FILES:BYTES`.
    #[arg(long)]
    generated: Option<String>,
    /// Requests per window before 429s.
    #[arg(long, default_value_t = 400)]
    rate_limit: u32,
    /// Length of a rate-limit window in seconds (DS: 60).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    rate_window: u64,
}

/// `demo`.
pub fn run_demo(args: &DemoArgs, progress: Progress) -> u8 {
    let Ok(rt) = runtime() else {
        return fatal("cannot start the async runtime", None);
    };
    rt.block_on(async {
        let config = crate::fake::FakeConfig::default();
        let token = config.token.clone();
        let server = match crate::fake::FakeServer::start(config).await {
            Ok(s) => s,
            Err(e) => return fatal(&format!("cannot start the fake DS API: {e}"), None),
        };
        let demarche = crate::fake::Dataset::sample().demarche_number();
        tracing::info!(
            "fake DS API listening on {} (démarche {demarche})",
            server.graphql_url()
        );
        let common = CommonArgs {
            states: Vec::new(),
            since: None,
            concurrency: 4,
            digests: Vec::new(),
            keep: Keep::Both,
            no_zip: false,
            page_size: 10,
            rate_limit: 400,
            rate_window: 60,
            retries: 6,
            retry_delay_ms: 500,
        };
        let opts = match options(
            &common,
            &super::storage_args::StorageArgs::default(),
            args.out.clone(),
            demarche,
        ) {
            Ok(o) => o,
            Err(e) => return fatal(&e, None),
        };
        let client = match client(&server.graphql_url(), &token, &common) {
            Ok(c) => c,
            Err(e) => return fatal(&e, None),
        };
        let tsa = match args.tsa.client(client.retry_policy().clone()) {
            Ok(t) => t,
            Err(e) => return fatal(&e, None),
        };
        let opts = crate::pipeline::Options { tsa, ..opts };
        let code = run_pipeline(client, opts, progress, &server.graphql_url()).await;
        server.shutdown().await;
        if code == exit::OK {
            console::out(args.out.display());
            console::message(
                "INFO",
                &format!("check it: ds-archive verify {}", args.out.display()),
                &serde_json::Value::Null,
            );
        }
        code
    })
}

/// `fake-server`.
pub fn run_fake_server(args: &FakeServerArgs) -> u8 {
    let dataset = match &args.generated {
        None => crate::fake::Dataset::sample(),
        Some(spec) => {
            let parts: Vec<u64> = spec.split(':').filter_map(|p| p.parse().ok()).collect();
            let [dossiers, files, bytes] = parts[..] else {
                return fatal(
                    &format!("--generated `{spec}`: expected DOSSIERS:FILES:BYTES"),
                    None,
                );
            };
            crate::fake::Dataset::generated(
                1,
                usize::try_from(dossiers).unwrap_or(0),
                usize::try_from(files).unwrap_or(0),
                bytes,
            )
        }
    };
    let config = crate::fake::FakeConfig {
        token: args.token.clone(),
        rate_limit_per_minute: args.rate_limit,
        rate_limit_window_secs: args.rate_window,
        dataset,
        ..crate::fake::FakeConfig::default()
    };
    let Ok(rt) = runtime() else {
        return fatal("cannot start the async runtime", None);
    };
    match rt.block_on(crate::fake::serve_forever(config, args.listen)) {
        Ok(()) => exit::OK,
        Err(e) => fatal(&format!("fake DS API: {e}"), None),
    }
}
