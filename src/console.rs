//! What every command says to the user, the same way for all of them.
//!
//! stderr carries messages: with `--log-format json` each line is one JSON
//! object shaped like the `tracing` JSON lines (`timestamp`, `level`,
//! `fields.message`, plus fields), fatal errors and final summaries
//! included, so a log collector never meets a stray text line. stdout carries
//! data; a reader that goes away (`status DIR | head -1`) ends the output
//! quietly instead of panicking, as `println!` would.

use std::io::{self, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use clap::ValueEnum;
use serde_json::{json, Map, Value};

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

use crate::error::exit;

static FORMAT: OnceLock<LogFormat> = OnceLock::new();
/// Set once stdout's reader is gone: nothing more is written there.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Choose the stderr format (first call wins). In JSON mode a panic, the
/// one message not written through here, is reported as a JSON line too.
pub(crate) fn set_format(format: LogFormat) {
    if FORMAT.set(format).is_ok() && format == LogFormat::Json {
        std::panic::set_hook(Box::new(|info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()));
            let what = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            let fields = json!({ "panic": true, "location": location });
            message(
                "ERROR",
                &format!("ds-archive failed (a bug, please report it): {what}"),
                &fields,
            );
        }));
    }
}

/// Whether stderr lines are JSON objects.
pub(crate) fn is_json() -> bool {
    FORMAT.get() == Some(&LogFormat::Json)
}

/// One line of data on stdout. A closed pipe ends the output silently: the
/// reader has what it wanted.
pub(crate) fn out(line: impl std::fmt::Display) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = io::stdout().lock();
    if writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        // Broken pipe or a full disk behind a redirection: either way no
        // more data can be delivered, and the exit code still tells.
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// A long output on stdout written as it is made (a JSON document listing
/// every dossier), followed by a newline; the same broken-pipe rule as
/// [`out`].
pub(crate) fn out_with(write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    if write(&mut stdout)
        .and_then(|()| writeln!(stdout))
        .and_then(|()| stdout.flush())
        .is_err()
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// A message on stderr at `level` (`ERROR`, `WARN`, `INFO`), with fields in
/// JSON mode; the text form is `text` as is.
pub(crate) fn message(level: &str, text: &str, fields: &Value) {
    let line = if is_json() {
        json_line(level, text, fields)
    } else {
        text.to_owned()
    };
    // stderr gone too: nobody to tell.
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// `error: ...` and an optional hint on stderr; returns exit code 2.
pub(crate) fn fatal(text: &str, hint: Option<&str>) -> u8 {
    if is_json() {
        let fields = hint.map_or_else(|| json!({}), |h| json!({ "hint": h }));
        message("ERROR", text, &fields);
    } else {
        let hint = hint.map(|h| format!("\n\nhint: {h}")).unwrap_or_default();
        message("ERROR", &format!("error: {text}{hint}"), &Value::Null);
    }
    exit::FATAL
}

/// A warning line (`warning: ...` in text mode).
pub(crate) fn warning(text: &str, fields: &Value) {
    if is_json() {
        message("WARN", text, fields);
    } else {
        message("WARN", &format!("warning: {text}"), fields);
    }
}

/// The final summary of a command: `text` for people, `fields` (counts) for
/// machines.
pub(crate) fn summary(text: &str, fields: &Value) {
    message("INFO", text, fields);
}

/// The JSON object of one stderr line.
fn json_line(level: &str, text: &str, fields: &Value) -> String {
    let mut all = Map::new();
    all.insert("message".to_owned(), Value::String(text.to_owned()));
    if let Value::Object(extra) = fields {
        all.extend(extra.clone());
    }
    let timestamp = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    json!({
        "timestamp": timestamp,
        "level": level,
        "fields": all,
        "target": "ds_archive",
    })
    .to_string()
}

/// Whether the raw arguments ask for JSON logs: used when clap itself
/// rejects the command line, before `--log-format` is parsed.
pub(crate) fn json_requested(args: &[std::ffi::OsString]) -> bool {
    let args: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
    args.windows(2)
        .any(|w| w[0] == "--log-format" && w[1] == "json")
        || args.contains(&"--log-format=json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_line_carries_message_and_fields() {
        let line = json_line("INFO", "3 done", &json!({"done": 3}));
        let v: Value = serde_json::from_str(&line).expect("json");
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["fields"]["message"], "3 done");
        assert_eq!(v["fields"]["done"], 3);
        assert!(!line.contains('\n'));
    }

    #[test]
    fn json_is_found_in_raw_arguments() {
        let args = |a: &[&str]| a.iter().map(Into::into).collect::<Vec<_>>();
        assert!(json_requested(&args(&["x", "--log-format", "json", "-z"])));
        assert!(json_requested(&args(&["x", "--log-format=json"])));
        assert!(!json_requested(&args(&["x", "--log-format", "text"])));
    }
}
