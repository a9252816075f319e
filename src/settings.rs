//! What subscope remembers between runs, and how it is kept safe on disk.
//!
//! [`Settings`] holds endpoints as the user set them up (URL templates with every secret
//! redacted, whether to connect on start, the subscriptions to restore), subscription drafts,
//! table column widths and the memory cap. It never holds an API key: keys live in the OS
//! keychain or come from `SUBSCOPE_API_KEY`.
//!
//! [`SettingsFile`] writes them as JSON to a file of their own, atomically (a private temporary
//! file in the same folder, synced, then renamed over the old one, mode 0600 on Unix), so a
//! crash or a full disk never leaves half a file. A file that cannot be read is never replaced
//! by defaults: it is kept aside as `settings.json.bad-<time>` and the user is told.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::capture::CaptureLimits;
use crate::catalog::{Chain, Draft};
use crate::redact::{Secret, redact_header, redact_url};

/// The environment variable an API key may come from, for endpoints with no key of their own.
pub const API_KEY_ENV: &str = "SUBSCOPE_API_KEY";

/// The settings file's name in subscope's data folder.
pub const SETTINGS_FILE_NAME: &str = "settings.json";

/// One endpoint as the user set it up (never with a key).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedEndpoint {
    /// A stable id; the endpoint's keychain entry is named after it.
    pub id: u64,
    /// The user's name for it.
    pub label: String,
    /// The preset it was picked from (by name), or empty for a typed URL.
    pub preset: String,
    /// The URL template, with `{api_key}` where the key goes and every secret redacted.
    pub url: String,
    /// The HTTP JSON-RPC URL template missed notifications are recovered over, redacted
    /// like `url`; empty: derived from `url`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rpc_url: String,
    /// Whether the user left it connected, so it connects again on start (even when the last
    /// start failed: a node that was down, a keychain that was locked).
    pub connect_on_start: bool,
    /// The subscriptions the user set up on it, re-sent when it connects.
    pub subscriptions: Vec<Draft>,
    /// The chain it serves (from its preset, the user, or the first answer); `None`: unknown.
    pub chain: Option<Chain>,
    /// Extra handshake headers, name and value; a value that looks like a key is saved
    /// masked (write `{api_key}` in the value to send the endpoint's key there).
    pub headers: Vec<(String, String)>,
}

impl fmt::Debug for SavedEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SavedEndpoint")
            .field("id", &self.id)
            .field("label", &self.label)
            .field("preset", &self.preset)
            .field("url", &redact_url(&self.url))
            .field("rpc_url", &redact_url(&self.rpc_url))
            .field("connect_on_start", &self.connect_on_start)
            .field("subscriptions", &self.subscriptions)
            .field("chain", &self.chain)
            .field("headers", &self.headers.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .finish()
    }
}

/// A subscription form the user saved under a name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedDraft {
    /// The name shown in the list.
    pub name: String,
    /// The form state.
    pub draft: Draft,
}

/// Everything persisted. Unknown or missing fields fall back to their defaults, so old and
/// new versions read each other's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Whether the first-run demo (connect to the offline demo and subscribe) has happened.
    pub welcomed: bool,
    /// The endpoints panel, in order.
    pub endpoints: Vec<SavedEndpoint>,
    /// The composer's last form per method id, so a half-typed form survives a restart.
    pub drafts_by_method: BTreeMap<String, Draft>,
    /// The method id the composer shows.
    pub composer_method: String,
    /// Drafts saved under a name.
    pub saved_drafts: Vec<SavedDraft>,
    /// The one-off request form.
    pub request_draft: Option<Draft>,
    /// Widths of the live table's columns, in points (empty: defaults).
    pub column_widths: Vec<f32>,
    /// The capture's memory cap.
    pub limits: CaptureLimits,
    /// Whether the side panel (endpoints, composer, subscriptions) is shown.
    pub side_panel_open: bool,
    /// Capture files opened, most recent first (at most [`crate::files::MAX_RECENT`]).
    pub recent_files: Vec<PathBuf>,
    /// The folder the last export went to, where the save dialog starts next time.
    pub last_export_dir: Option<PathBuf>,
    /// Whether the table shows times in UTC (else in the computer's time zone).
    pub utc_times: bool,
    /// The ABI files and tokens added for decoding (kept even when a file goes missing:
    /// the Decoding panel says so).
    pub decoding: crate::decode::DecodeSources,
    /// Light or dark: the desktop's preference, or the one the user chose.
    pub theme: Theme,
    /// How large everything is drawn (Ctrl+Plus, Ctrl+Minus, Ctrl+0); 1.0 is 100 %.
    pub zoom: f32,
}

/// The window's colours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Follow the desktop's light or dark preference, also when it changes.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// The zoom range the window allows (egui's own).
pub const ZOOM_RANGE: std::ops::RangeInclusive<f32> = 0.2..=5.0;

impl Default for Settings {
    fn default() -> Self {
        Self {
            welcomed: false,
            endpoints: Vec::new(),
            drafts_by_method: BTreeMap::new(),
            composer_method: crate::catalog::DEFAULT_METHOD.to_owned(),
            saved_drafts: Vec::new(),
            request_draft: None,
            column_widths: Vec::new(),
            limits: CaptureLimits::default(),
            side_panel_open: true,
            recent_files: Vec::new(),
            last_export_dir: None,
            utc_times: false,
            decoding: crate::decode::DecodeSources::default(),
            theme: Theme::System,
            zoom: 1.0,
        }
    }
}

impl Settings {
    /// The key older versions stored the settings under in eframe's own storage (`app.ron`);
    /// read once to carry them over, then removed from there.
    pub const LEGACY_STORAGE_KEY: &'static str = "subscope.settings";

    /// A copy that is safe to write: every URL redacted once more (a key pasted into a URL is
    /// never written).
    pub fn sanitized(&self) -> Self {
        let mut copy = self.clone();
        for endpoint in &mut copy.endpoints {
            endpoint.url = redact_url(&endpoint.url);
            endpoint.rpc_url = redact_url(&endpoint.rpc_url);
            for (name, value) in &mut endpoint.headers {
                *value = redact_header(name, value);
            }
        }
        copy
    }

    /// The settings as the file holds them: sanitized, pretty JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain structs, strings and numbers cannot fail.
        serde_json::to_string_pretty(&self.sanitized()).unwrap_or_default()
    }

    /// Reads settings from JSON and brings drafts of an older version in line with the
    /// current catalogue.
    ///
    /// # Errors
    ///
    /// The text is not JSON of the settings' shape.
    pub fn from_json(text: &str) -> serde_json::Result<Self> {
        let mut settings: Self = serde_json::from_str(text)?;
        settings.repair();
        Ok(settings)
    }

    /// Brings drafts read from an older version in line with the current catalogue.
    pub fn repair(&mut self) {
        self.drafts_by_method.retain(|_, draft| draft.spec().is_some());
        for draft in self.drafts_by_method.values_mut() {
            draft.repair();
        }
        self.saved_drafts.retain(|saved| saved.draft.spec().is_some());
        for saved in &mut self.saved_drafts {
            saved.draft.repair();
        }
        for endpoint in &mut self.endpoints {
            endpoint.subscriptions.retain(|draft| draft.spec().is_some());
            for draft in &mut endpoint.subscriptions {
                draft.repair();
            }
        }
        if let Some(draft) = &mut self.request_draft {
            draft.repair();
        }
        self.limits.max_events = self.limits.max_events.max(1_000);
        self.limits.max_bytes = self.limits.max_bytes.max(16 << 20);
        self.recent_files.truncate(crate::files::MAX_RECENT);
        self.zoom =
            if self.zoom.is_finite() { self.zoom.clamp(*ZOOM_RANGE.start(), *ZOOM_RANGE.end()) } else { 1.0 };
    }
}

/// The API key from [`API_KEY_ENV`], if set and not blank.
pub fn env_api_key() -> Option<Secret> {
    std::env::var(API_KEY_ENV).ok().map(Secret::new).filter(|key| !key.is_empty())
}

/// What reading the settings file found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The settings, or `None` when there is no file (a first run, or settings still in the
    /// legacy place).
    pub settings: Option<Settings>,
    /// Something the user must be told (the file was unreadable and kept aside).
    pub notice: Option<String>,
}

/// The settings file: read once at start, written atomically and privately.
#[derive(Clone, Debug)]
pub struct SettingsFile {
    path: PathBuf,
    /// Set when the file could be neither read nor kept aside: writing would destroy it.
    read_only: bool,
    /// The text last read or written, so an unchanged save does not touch the disk.
    last_written: Option<String>,
}

impl SettingsFile {
    /// The settings file at `path` (its folder is created on the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), read_only: false, last_written: None }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file. A missing file gives no settings; a file that cannot be read or
    /// parsed is renamed to `<name>.bad-<time>` (never overwritten) and a notice says so.
    pub fn load(&mut self) -> Loaded {
        let text = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Loaded::default(),
            Err(err) => return self.keep_aside(&format!("it could not be read ({err})")),
        };
        let parsed = std::str::from_utf8(&text)
            .map_err(|err| format!("it is not UTF-8 text ({err})"))
            .and_then(|text| Settings::from_json(text).map_err(|err| format!("it is not valid ({err})")));
        match parsed {
            Ok(settings) => {
                self.last_written = Some(settings.to_json());
                Loaded { settings: Some(settings), notice: None }
            }
            Err(problem) => self.keep_aside(&problem),
        }
    }

    fn keep_aside(&mut self, problem: &str) -> Loaded {
        let stamp = crate::export::iso8601(crate::capture::now_ms()).replace([':', '.'], "-");
        let mut aside = self.path.clone().into_os_string();
        aside.push(format!(".bad-{stamp}"));
        let aside = PathBuf::from(aside);
        let notice = match std::fs::rename(&self.path, &aside) {
            Ok(()) => format!(
                "Your settings file {} could not be used: {problem}. It was kept as {} and \
                 subscope started with defaults.",
                self.path.display(),
                aside.display()
            ),
            Err(err) => {
                self.read_only = true;
                format!(
                    "Your settings file {} could not be used: {problem}, and could not be moved \
                     aside ({err}). subscope started with defaults and will not write over it.",
                    self.path.display()
                )
            }
        };
        Loaded { settings: None, notice: Some(notice) }
    }

    /// Writes the settings (sanitized) when they changed since the last read or write:
    /// a private temporary file in the same folder, synced, then renamed over the old file.
    ///
    /// # Errors
    ///
    /// The folder or file could not be written (a full disk, no permission); the old file is
    /// then untouched.
    pub fn save(&mut self, settings: &Settings) -> io::Result<()> {
        if self.read_only {
            return Ok(());
        }
        let text = settings.to_json();
        if self.last_written.as_ref() == Some(&text) {
            return Ok(());
        }
        write_private_atomically(&self.path, text.as_bytes())?;
        self.last_written = Some(text);
        Ok(())
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder (created private,
/// mode 0600 on Unix), synced and renamed into place; the folder is synced after the rename.
fn write_private_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(folder)?;
    let mut temp = tempfile::Builder::new().prefix(".settings-").suffix(".tmp").tempfile_in(folder)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        temp.as_file().set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|err| err.error)?;
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(folder) {
        dir.sync_all().ok(); // best effort: the rename is already done
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(url: &str) -> SavedEndpoint {
        SavedEndpoint { id: 7, url: url.to_owned(), ..SavedEndpoint::default() }
    }

    #[test]
    fn saved_urls_never_carry_a_pasted_key() {
        for url in [
            "wss://mainnet.helius-rpc.com/?api-key=sekrit-123",
            "wss://name.solana-mainnet.quiknode.pro/sekrit0123456789abcdef/",
            "ws://127.0.0.1:1/#sekrit",
        ] {
            // The same key pasted into the RPC URL is masked there too.
            let rpc_url = url.replacen("wss://", "https://", 1).replacen("ws://", "http://", 1);
            let settings = Settings {
                endpoints: vec![SavedEndpoint { rpc_url, ..endpoint(url) }],
                ..Settings::default()
            };
            let text = settings.to_json();
            assert!(text.contains(r#""rpc_url": "http"#), "{text}");
            assert!(!text.contains("sekrit"), "{text}");
            assert!(text.contains("***"), "{text}");
            assert!(!format!("{settings:?}").contains("sekrit"), "Debug shows no key");
        }
    }

    #[test]
    fn placeholders_survive_saving() {
        let template = "wss://eth-mainnet.g.alchemy.com/v2/{api_key}";
        let rpc_url = "https://eth-mainnet.g.alchemy.com/v2/{api_key}".to_owned();
        let settings = Settings {
            endpoints: vec![SavedEndpoint { rpc_url: rpc_url.clone(), ..endpoint(template) }],
            ..Settings::default()
        };
        assert_eq!(settings.sanitized().endpoints[0].url, template);
        assert_eq!(settings.sanitized().endpoints[0].rpc_url, rpc_url);
    }

    #[test]
    fn missing_fields_take_defaults() {
        let settings = Settings::from_json(r#"{"welcomed":true}"#).unwrap_or_default();
        assert!(settings.welcomed);
        assert_eq!(settings.composer_method, "logsSubscribe");
        assert_eq!(settings.limits, CaptureLimits::default());
        assert!(settings.recent_files.is_empty() && settings.last_export_dir.is_none());
        assert_eq!((settings.theme, settings.zoom), (Theme::System, 1.0));
    }

    #[test]
    fn theme_and_zoom_round_trip_and_a_wild_zoom_is_brought_in_range() {
        let settings = Settings { theme: Theme::Dark, zoom: 1.5, ..Settings::default() };
        let text = settings.to_json();
        assert!(text.contains(r#""theme": "dark""#) && text.contains(r#""zoom": 1.5"#), "{text}");
        assert_eq!(Settings::from_json(&text).unwrap_or_default(), settings);
        let wild = Settings::from_json(r#"{"zoom": 40.0, "theme": "light"}"#).unwrap_or_default();
        assert_eq!((wild.theme, wild.zoom), (Theme::Light, 5.0));
    }

    #[test]
    fn recent_files_round_trip_and_a_long_list_is_cut() {
        let recent: Vec<PathBuf> = (0..12).map(|index| PathBuf::from(format!("/c/{index}.ndjson"))).collect();
        let settings = Settings {
            recent_files: recent.clone(),
            last_export_dir: Some("/c".into()),
            ..Settings::default()
        };
        let loaded = Settings::from_json(&settings.to_json()).unwrap_or_default();
        assert_eq!(loaded.recent_files, recent[..crate::files::MAX_RECENT]);
        assert_eq!(loaded.last_export_dir, Some(PathBuf::from("/c")));
    }

    #[test]
    fn saves_round_trip_and_are_private() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let path = dir.path().join("nested").join(SETTINGS_FILE_NAME);
        let settings = Settings {
            welcomed: true,
            endpoints: vec![SavedEndpoint {
                connect_on_start: true,
                subscriptions: vec![Draft::for_method("slotSubscribe").unwrap_or_default()],
                ..endpoint("ws://127.0.0.1:8900")
            }],
            ..Settings::default()
        };
        SettingsFile::new(&path).save(&settings).unwrap_or_else(|err| panic!("{err}"));
        let loaded = SettingsFile::new(&path).load();
        assert_eq!(loaded.settings.as_ref(), Some(&settings));
        assert!(loaded.notice.is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).map(|meta| meta.permissions().mode()).unwrap_or(0);
            assert_eq!(mode & 0o777, 0o600, "only the user may read it");
        }
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap_or(dir.path()))
            .map(|entries| entries.filter_map(Result::ok).map(|entry| entry.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(leftovers, vec![std::ffi::OsString::from(SETTINGS_FILE_NAME)], "no temporary file left");
    }

    #[test]
    fn an_unreadable_file_is_kept_aside_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let path = dir.path().join(SETTINGS_FILE_NAME);
        let broken = b"{\"welcomed\": true, \"endpoints\": [ {\"url\": \"wss://half";
        std::fs::write(&path, broken).unwrap_or_else(|err| panic!("{err}"));
        let mut file = SettingsFile::new(&path);
        let loaded = file.load();
        assert!(loaded.settings.is_none());
        let notice = loaded.notice.unwrap_or_default();
        assert!(notice.contains("could not be used") && notice.contains(".bad-"), "{notice}");
        let kept: Vec<PathBuf> = std::fs::read_dir(dir.path())
            .map(|entries| entries.filter_map(Result::ok).map(|entry| entry.path()).collect())
            .unwrap_or_default();
        let aside = kept.iter().find(|kept| kept.to_string_lossy().contains(".bad-"));
        let aside = aside.unwrap_or_else(|| panic!("kept aside: {kept:?}"));
        assert_eq!(std::fs::read(aside).unwrap_or_default(), broken, "kept byte for byte");
        // Saving defaults now writes a new file and leaves the broken one where it was put.
        file.save(&Settings::default()).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(std::fs::read(aside).unwrap_or_default(), broken);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let path = dir.path().join(SETTINGS_FILE_NAME);
        let mut file = SettingsFile::new(&path);
        file.save(&Settings { welcomed: true, ..Settings::default() }).unwrap_or_else(|err| panic!("{err}"));
        let before = std::fs::read(&path).unwrap_or_default();
        // A target that is a directory cannot be replaced by a file: the write fails after
        // the temporary file was made, like a full disk would.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir_all(blocked.join("x")).unwrap_or_else(|err| panic!("{err}"));
        assert!(SettingsFile::new(&blocked).save(&Settings::default()).is_err());
        assert_eq!(std::fs::read(&path).unwrap_or_default(), before);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .map(|entries| {
                entries.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect()
            })
            .unwrap_or_default();
        assert!(names.iter().all(|name| !name.ends_with(".tmp")), "{names:?}");
    }
}
