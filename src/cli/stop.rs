//! Stop signals of `archive`: Ctrl-C (SIGINT), SIGTERM (`systemctl stop`,
//! `timeout`, Kubernetes) and SIGHUP (the terminal went away) all take the
//! same orderly path, because an unattended run is stopped by a service
//! manager far more often than by a hand on the keyboard.
//!
//! The first signal cancels the run: no new dossier is started, the ones in
//! flight are abandoned (the next run removes their staging), the journal
//! and the run files are written, and the process exits with 128 + the
//! signal's number (130, 143, 129), as a shell reports a process killed by
//! it. A second signal quits at once with its own code: the journal is
//! consistent at every line, so this loses only the run files, which the
//! next run rewrites.

use std::sync::{Arc, OnceLock};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A signal that stops the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StopSignal {
    name: &'static str,
    number: u8,
}

#[cfg_attr(not(unix), allow(dead_code))]
const SIGHUP: StopSignal = StopSignal {
    name: "SIGHUP",
    number: 1,
};
const SIGINT: StopSignal = StopSignal {
    name: "SIGINT (Ctrl-C)",
    number: 2,
};
#[cfg_attr(not(unix), allow(dead_code))]
const SIGTERM: StopSignal = StopSignal {
    name: "SIGTERM",
    number: 15,
};

impl StopSignal {
    /// 128 + the signal's number, the shell's convention.
    pub(super) fn exit_code(self) -> u8 {
        128 + self.number
    }
}

/// Watches for stop signals while a run goes on; stops watching on drop.
pub(super) struct Watcher {
    first: Arc<OnceLock<StopSignal>>,
    task: JoinHandle<()>,
}

impl Watcher {
    /// Start watching: from now on, a stop signal cancels `cancel` instead
    /// of killing the process. Needs a tokio runtime.
    ///
    /// # Errors
    /// When a signal handler cannot be installed.
    pub(super) fn start(cancel: CancellationToken) -> std::io::Result<Self> {
        let first = Arc::new(OnceLock::new());
        let mut signals = Signals::install()?;
        let task = {
            let first = Arc::clone(&first);
            tokio::spawn(async move {
                loop {
                    let signal = signals.next().await;
                    if first.set(signal).is_ok() {
                        tracing::warn!(
                            "{} received: stopping after the journal and the run report (send it again to quit at once)",
                            signal.name
                        );
                        cancel.cancel();
                    } else {
                        std::process::exit(i32::from(signal.exit_code()));
                    }
                }
            })
        };
        Ok(Self { first, task })
    }

    /// The signal that stopped the run, if one did.
    pub(super) fn stopped_by(&self) -> Option<StopSignal> {
        self.first.get().copied()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    async fn next(&mut self) -> StopSignal {
        tokio::select! {
            Some(()) = self.int.recv() => SIGINT,
            Some(()) = self.term.recv() => SIGTERM,
            Some(()) = self.hup.recv() => SIGHUP,
            else => std::future::pending().await,
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn next(&mut self) -> StopSignal {
        match tokio::signal::ctrl_c().await {
            Ok(()) => SIGINT,
            Err(_) => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_128_plus_the_signal() {
        assert_eq!(SIGINT.exit_code(), 130);
        assert_eq!(SIGTERM.exit_code(), 143);
        assert_eq!(SIGHUP.exit_code(), 129);
    }
}
