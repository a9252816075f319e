//! Values more than one verb reads: what `record` and `compare` connect to, send and stop on,
//! `--subscribe` bodies, times (`90`, `1.5m`, `2h`) and factors, and a listener's port in
//! its failure.

use std::path::PathBuf;
use std::time::Duration;

use crate::record::RecordOptions;
use crate::redact::Secret;

/// What `record` and `compare` connect to, send and stop on.
#[derive(clap::Args)]
pub(super) struct RunArgs {
    /// An endpoint URL (ws:// or wss://; `{api_key}` marks where the key goes), or `demo`
    /// for the built-in offline demo server (`demo?delay_ms=200&drop_every=5` adds faults).
    /// Repeat for several connections.
    #[arg(long = "endpoint", required = true)]
    pub(super) endpoints: Vec<String>,
    /// A JSON-RPC request body sent on every endpoint, e.g.
    /// '{"method":"logsSubscribe","params":["all"]}'. Repeatable.
    #[arg(long = "subscribe", value_parser = SUBSCRIBE_BODY)]
    pub(super) subscribe: Vec<String>,
    /// Stop after this long: seconds, or a number with s, m or h (`90`, `1.5m`, `2h`).
    #[arg(long, value_parser = parse_duration)]
    pub(super) duration: Option<Duration>,
    /// Stop after exactly this many notifications (from all endpoints together).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub(super) count: Option<u64>,
    /// The API key placed at `{api_key}` in endpoint URLs (or set SUBSCOPE_API_KEY).
    #[arg(long, env = "SUBSCOPE_API_KEY", hide_env_values = true)]
    pub(super) api_key: Option<String>,
    /// Time between keepalive pings: seconds, or a number with s, m or h (0.1 s to 1 h).
    #[arg(long, default_value = "30", value_parser = parse_ping_interval)]
    pub(super) ping_interval: Duration,
    /// The endpoint's HTTP JSON-RPC URL (http:// or https://, same `{api_key}` placeholder
    /// and key), where notifications missed while reconnecting are recovered from. Default:
    /// the endpoint's URL with ws→http, wss→https (right for anvil, geth and hosted
    /// providers; for solana-test-validator give its RPC port, one below PubSub's). Repeat
    /// once per --endpoint, in the same order.
    #[arg(long = "rpc", value_parser = RPC_URL)]
    pub(super) rpc_urls: Vec<String>,
    /// Do not recover missed notifications. By default, after every reconnect each
    /// subscription that can be recovered (newHeads, logs, slots, roots, logs mentioning one
    /// address, accounts, programs, signatures) gets what it missed over HTTP, marked
    /// recovered in the capture; the others are named at the start.
    #[arg(long)]
    pub(super) no_backfill: bool,
}

impl RunArgs {
    /// The options `record` runs with.
    pub(super) fn options(self, out: Option<PathBuf>, append: bool) -> RecordOptions {
        RecordOptions {
            endpoints: self.endpoints,
            subscribe: self.subscribe,
            out,
            append,
            duration: self.duration,
            count: self.count,
            api_key: self.api_key.map(Secret::new),
            ping_interval: Some(self.ping_interval),
            rpc_urls: self.rpc_urls,
            backfill: !self.no_backfill,
            ..RecordOptions::default()
        }
    }
}

/// A value checked as the command line is read, so that a bad one is a usage error (exit 2)
/// before anything connects. clap's own message would quote the whole value; this one quotes
/// it as `shown` makes it: the start of a 120 KB `--subscribe` paste, a `--rpc` URL redacted.
#[derive(Clone, Copy)]
pub(super) struct Checked {
    /// The value kept, or what is wrong with it.
    check: fn(&str) -> Result<String, String>,
    /// The value as the message may quote it.
    shown: fn(&str) -> String,
}

/// `--subscribe`: a body `record` can send.
pub(super) const SUBSCRIBE_BODY: Checked = Checked {
    check: |text| match crate::record::parse_subscribe_body(text) {
        Ok(_) => Ok(text.to_owned()),
        Err(err) => Err(err.to_string()),
    },
    shown: crate::record::excerpt_body,
};

/// `--request`: a one-off request body `record` can send.
pub(super) const REQUEST_BODY: Checked = Checked {
    check: |text| match crate::record::parse_request_body(text) {
        Ok(_) => Ok(text.to_owned()),
        Err(err) => Err(err.to_string()),
    },
    shown: crate::record::excerpt_body,
};

/// `--rpc`: an http:// or https:// URL.
pub(super) const RPC_URL: Checked = Checked {
    check: |text| {
        let text = text.trim();
        let scheme =
            |prefix: &str| text.get(..prefix.len()).is_some_and(|start| start.eq_ignore_ascii_case(prefix));
        if scheme("http://") || scheme("https://") {
            Ok(text.to_owned())
        } else {
            Err("not an http:// or https:// URL".to_owned())
        }
    },
    shown: |text| crate::redact::redact_url(text),
};

impl clap::builder::TypedValueParser for Checked {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let text = clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)?;
        (self.check)(&text).map_err(|err| {
            let arg = arg.map_or_else(|| "the value".to_owned(), ToString::to_string);
            let message = format!("invalid value '{}' for '{arg}': {err}", (self.shown)(&text));
            cmd.clone().error(clap::error::ErrorKind::ValueValidation, message)
        })
    }
}

/// `--speed`: a factor from 0.01 to 10,000.
pub(super) fn parse_speed(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(speed) if (0.01..=10_000.0).contains(&speed) => Ok(speed),
        Ok(speed) if speed > 10_000.0 => Err(format!("{text} is too large: at most 10000")),
        _ => Err(format!("{text} is not a speed from 0.01 to 10000")),
    }
}

/// `--duration`: a positive time of at most a year.
pub(super) fn parse_duration(text: &str) -> Result<Duration, String> {
    parse_time(text, Duration::from_millis(1), Duration::from_secs(365 * 24 * 3600))
}

/// `--grace`: from 0.1 s to an hour.
pub(super) fn parse_grace(text: &str) -> Result<Duration, String> {
    parse_time(text, Duration::from_millis(100), Duration::from_secs(3600))
}

/// `--ping-interval`: from 0.1 s to an hour.
pub(super) fn parse_ping_interval(text: &str) -> Result<Duration, String> {
    parse_time(text, Duration::from_millis(100), Duration::from_secs(3600))
}

/// A time given as seconds (`90`, `1.5`, `1e3`) or with a unit (`90s`, `5m`, `2h`), within
/// bounds.
fn parse_time(text: &str, min: Duration, max: Duration) -> Result<Duration, String> {
    let text = text.trim();
    // The unit is the letters at the end: an `e` inside (`1e400`) is the number's exponent.
    let number = text.trim_end_matches(|c: char| c.is_ascii_alphabetic()).trim();
    let unit = text[number.len()..].trim();
    let not_a_time = || format!("{text:?} is not a time; give seconds, like 30 or 1.5m");
    let scale = match unit {
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ if number.is_empty() => return Err(not_a_time()),
        _ => return Err(format!("unknown unit {unit:?}: use s, m or h")),
    };
    // Too many digits for an f64 parse to infinity, which is too large like any other.
    let value: f64 = number.parse().map_err(|_| not_a_time())?;
    let seconds = value * scale;
    let range = || format!("from {} s to {} s", min.as_secs_f64(), max.as_secs_f64());
    if seconds.is_nan() || seconds <= 0.0 {
        return Err(format!("{text} is not a time above zero ({})", range()));
    }
    if seconds > max.as_secs_f64() {
        return Err(format!("{text} is too large: at most {} s", max.as_secs_f64()));
    }
    if seconds < min.as_secs_f64() {
        return Err(format!("{text} is too small: at least {} s", min.as_secs_f64()));
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{text} is out of range ({})", range()))
}

/// A server's failure to listen on 127.0.0.1:`port`, said with the address (the OS says only
/// "Address already in use"); any other failure as it is.
pub(super) fn name_the_port(err: anyhow::Error, port: u16) -> anyhow::Error {
    let address = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, port));
    match err.downcast_ref::<std::io::Error>().map(std::io::Error::kind) {
        Some(std::io::ErrorKind::AddrInUse) => {
            anyhow::anyhow!("{address} is already in use: give another --port, or --port 0 for a free one")
        }
        Some(std::io::ErrorKind::PermissionDenied) => err.context(format!("could not listen on {address}")),
        _ => err,
    }
}
