//! The monitor's log on stderr: one line per event, `key=value` text or one JSON object
//! (`--log-format json`), every value scrubbed of the run's secrets.

use std::io::Write as _;

use serde_json::{Map, Value};

use crate::export::iso8601;
use crate::redact::Secrets;

/// How log lines look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// `2026-12-07T10:00:00.000Z info connected endpoint=plain`.
    #[default]
    Text,
    /// `{"ts":"2026-12-07T10:00:00.000Z","level":"info","event":"connected","endpoint":"plain"}`.
    Json,
}

/// How serious an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// The normal course of things.
    Info,
    /// Something a user suffers (a lost connection, a refused subscription).
    Warn,
    /// Something that stops part of the monitor from working.
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// The log.
#[derive(Clone, Debug, Default)]
pub struct Log {
    format: LogFormat,
    secrets: Secrets,
}

impl Log {
    /// A log in `format` that scrubs `secrets` from every value.
    pub fn new(format: LogFormat, secrets: Secrets) -> Self {
        Self { format, secrets }
    }

    /// Replaces the secrets scrubbed (after a reload brought other keys).
    pub fn set_secrets(&mut self, secrets: Secrets) {
        self.secrets = secrets;
    }

    /// One event with its fields, as one line.
    pub fn event(&self, level: Level, event: &str, fields: &[(&str, &str)]) {
        let line = self.line(crate::capture::now_ms(), level, event, fields);
        // A closed stderr loses the log, not the monitor.
        std::io::stderr().lock().write_all(line.as_bytes()).ok();
    }

    fn line(&self, at_ms: u64, level: Level, event: &str, fields: &[(&str, &str)]) -> String {
        match self.format {
            LogFormat::Text => {
                let mut line = format!("{} {} {event}", iso8601(at_ms), level.as_str());
                for (name, value) in fields {
                    let value = self.secrets.scrub(value);
                    if value.is_empty() || value.contains([' ', '"', '=']) {
                        line.push_str(&format!(" {name}={}", Value::String(value)));
                    } else {
                        line.push_str(&format!(" {name}={value}"));
                    }
                }
                line + "\n"
            }
            LogFormat::Json => {
                let mut object = Map::new();
                object.insert("ts".into(), iso8601(at_ms).into());
                object.insert("level".into(), level.as_str().into());
                object.insert("event".into(), event.into());
                for (name, value) in fields {
                    object.insert((*name).to_owned(), self.secrets.scrub(value).into());
                }
                Value::Object(object).to_string() + "\n"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Secret;

    #[test]
    fn a_line_is_one_event_in_either_format_and_never_shows_a_key() {
        let mut secrets = Secrets::default();
        secrets.add_key(&Secret::new("k3y-0123456789"));
        let text = Log::new(LogFormat::Text, secrets.clone());
        let line =
            text.line(0, Level::Warn, "lost", &[("endpoint", "plain"), ("reason", "bad k3y-0123456789")]);
        assert_eq!(line, "1970-01-01T00:00:00.000Z warn lost endpoint=plain reason=\"bad ***\"\n");
        let json = Log::new(LogFormat::Json, secrets);
        let line = json.line(0, Level::Info, "connected", &[("endpoint", "plain")]);
        let parsed: Value = serde_json::from_str(&line).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(parsed["event"], "connected");
        assert_eq!(parsed["endpoint"], "plain");
        assert_eq!(line.matches('\n').count(), 1);
    }
}
