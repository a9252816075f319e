//! The `subscope` binary: the desktop app, and the headless `record`, `compare`, `show`,
//! `replay`, `demo-server` and `methods` commands.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory as _, Parser, Subcommand};

use subscope::compare::{CompareConfig, compare, render_table};
use subscope::human::plural;
use subscope::record::{RecordError, RecordOptions, record};
use subscope::redact::{Secret, Secrets};

/// Watch blockchain JSON-RPC WebSocket subscriptions (Solana PubSub, Helius, eth_subscribe).
#[derive(Parser)]
#[command(name = "subscope", version, about)]
struct Cli {
    /// A capture file (.ndjson or .json) to open in the app, read-only.
    file: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Commands>,
}

#[derive(Subcommand)]
enum Commands {
    /// Record subscriptions to NDJSON without a window.
    Record {
        #[command(flatten)]
        run: RunArgs,
        /// Where to write NDJSON (default: stdout). An existing file is replaced only once the
        /// first connection is up, so a run that cannot connect leaves it as it was.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Add to the --out file instead of replacing it.
        #[arg(long, requires = "out")]
        append: bool,
    },
    /// Send the same subscriptions on several endpoints and compare what each delivers: how
    /// many items it had first, missed, repeated, and how far it lagged behind the fastest.
    Compare {
        #[command(flatten)]
        run: RunArgs,
        /// Also write the capture here as NDJSON, as `record --out` does (a file, not `-`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print one JSON object instead of the table.
        #[arg(long)]
        json: bool,
        /// How long after one endpoint delivers an item the others may still deliver it before
        /// it counts as missed: seconds, or a number with s, m or h.
        #[arg(long, default_value = "10", value_parser = parse_grace)]
        grace: Duration,
    },
    /// Run the offline demo server on 127.0.0.1.
    DemoServer {
        /// The port (0 picks a free one).
        #[arg(long, default_value_t = 8910)]
        port: u16,
        /// How much faster than the real chains its clocks run (1 = 400 ms slots, 1 s blocks).
        #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
        speed: f64,
        /// Require this HTTP Basic credential, USER:PASS, of every client (others get 401).
        /// Prefer the environment variable: a command line shows in `ps` to every user.
        #[arg(long, value_name = "USER:PASS", env = "SUBSCOPE_DEMO_BASIC_AUTH", hide_env_values = true)]
        basic_auth: Option<String>,
    },
    /// Print every method subscope knows, with its fields and defaults.
    Methods,
    /// Print a capture file as the window's table, one line per event, with decoded events,
    /// calls and Solana log trees.
    Show(ShowArgs),
    /// Serve a capture (NDJSON, JSON or HAR) as a JSON-RPC WebSocket endpoint on 127.0.0.1.
    Replay(ReplayArgs),
}

/// `subscope replay`'s arguments.
#[derive(clap::Args)]
struct ReplayArgs {
    /// The capture file: NDJSON or JSON from subscope, or a HAR file with WebSocket messages.
    file: PathBuf,
    /// The port on 127.0.0.1 (0 picks a free one; the URL is printed on stdout).
    #[arg(long)]
    port: u16,
    /// How much faster than recorded notifications follow each other (0.01 to 10000), or
    /// `max` to send them all at once.
    #[arg(long, default_value = "1", value_parser = subscope::replay::Speed::parse)]
    speed: subscope::replay::Speed,
    /// Start each subscription's notifications over at the end.
    #[arg(long = "loop")]
    looping: bool,
    /// The chain id `eth_chainId` answers when the capture did not record it.
    #[arg(long, default_value_t = subscope::replay::DEFAULT_CHAIN_ID,
          value_parser = clap::value_parser!(u64).range(1..))]
    chain_id: u64,
}

impl ReplayArgs {
    /// Reads the file and serves it until Ctrl-C or SIGTERM.
    fn run(self, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
        use subscope::replay::{ReplayOptions, load, run_forever};
        let loaded = load(&self.file)?;
        let options = ReplayOptions {
            port: self.port,
            speed: self.speed,
            looping: self.looping,
            chain_id: self.chain_id,
        };
        runtime.block_on(run_forever(&self.file, loaded, options))
    }
}

/// What `show` reads and prints.
#[derive(clap::Args)]
struct ShowArgs {
    /// The capture file (.ndjson or .json).
    file: PathBuf,
    /// Only events whose frame contains this text (smart case, as the window's filter).
    #[arg(long, conflicts_with = "regex")]
    filter: Option<String>,
    /// Only events whose frame matches this regular expression.
    #[arg(long, value_parser = parse_regex)]
    regex: Option<String>,
    /// Only events of this kind (notification, response, error, request, …).
    #[arg(long, value_parser = parse_kind)]
    kind: Option<subscope::protocol::FrameKind>,
    /// A JSON ABI file (an array, or a Foundry/Hardhat artifact); FILE@0xADDRESS binds it to
    /// one contract. Repeatable; these win over the built-in events.
    #[arg(long = "abi", value_parser = parse_abi)]
    abis: Vec<subscope::decode::AbiSource>,
    /// A token's units: 0xADDRESS=SYMBOL:DECIMALS. Repeatable.
    #[arg(long = "token", value_parser = parse_token)]
    tokens: Vec<subscope::decode::TokenSource>,
    /// One JSON object per event, with its decoded fields, instead of the table.
    #[arg(long)]
    json: bool,
}

/// What `record` and `compare` connect to, send and stop on.
#[derive(clap::Args)]
struct RunArgs {
    /// An endpoint URL (ws:// or wss://; `{api_key}` marks where the key goes), or `demo`
    /// for the built-in offline demo server (`demo?delay_ms=200&drop_every=5` adds faults).
    /// Repeat for several connections.
    #[arg(long = "endpoint", required = true)]
    endpoints: Vec<String>,
    /// A JSON-RPC request body sent on every endpoint, e.g.
    /// '{"method":"logsSubscribe","params":["all"]}'. Repeatable.
    #[arg(long = "subscribe", value_parser = SubscribeBodyParser)]
    subscribe: Vec<String>,
    /// Stop after this long: seconds, or a number with s, m or h (`90`, `1.5m`, `2h`).
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Stop after exactly this many notifications (from all endpoints together).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// The API key placed at `{api_key}` in endpoint URLs (or set SUBSCOPE_API_KEY).
    #[arg(long, env = "SUBSCOPE_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Time between keepalive pings: seconds, or a number with s, m or h (0.1 s to 1 h).
    #[arg(long, default_value = "30", value_parser = parse_ping_interval)]
    ping_interval: Duration,
}

impl RunArgs {
    /// The options `record` runs with.
    fn options(self, out: Option<PathBuf>, append: bool) -> RecordOptions {
        RecordOptions {
            endpoints: self.endpoints,
            subscribe: self.subscribe,
            out,
            append,
            duration: self.duration,
            count: self.count,
            api_key: self.api_key.map(Secret::new),
            ping_interval: Some(self.ping_interval),
            ..RecordOptions::default()
        }
    }
}

/// `--subscribe`: a body `record` can send, checked as the command line is read so that a bad
/// one is a usage error (exit 2) before anything connects. clap's own message would quote the
/// whole value, and a body can be a 120 KB paste: this one quotes its first characters.
#[derive(Clone)]
struct SubscribeBodyParser;

impl clap::builder::TypedValueParser for SubscribeBodyParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let text = clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)?;
        match subscope::record::parse_subscribe_body(&text) {
            Ok(_) => Ok(text),
            Err(err) => {
                let arg = arg.map_or_else(|| "--subscribe".to_owned(), ToString::to_string);
                let excerpt = subscope::record::excerpt_body(&text);
                let message = format!("invalid value '{excerpt}' for '{arg}': {err}");
                Err(cmd.clone().error(clap::error::ErrorKind::ValueValidation, message))
            }
        }
    }
}

/// `--regex`: a pattern the filter can use.
fn parse_regex(text: &str) -> Result<String, String> {
    let filter = subscope::filter::Filter { text: text.to_owned(), regex: true, ..Default::default() };
    subscope::filter::Matcher::new(filter).map(|_| text.to_owned()).map_err(|err| err.to_string())
}

/// `--kind`: one of the kinds the table shows.
fn parse_kind(text: &str) -> Result<subscope::protocol::FrameKind, String> {
    subscope::protocol::FrameKind::parse(text).ok_or_else(|| {
        let kinds: Vec<&str> = subscope::protocol::FrameKind::ALL.iter().map(|kind| kind.as_str()).collect();
        format!("unknown kind {text:?}; one of {}", kinds.join(", "))
    })
}

/// `--abi`: `FILE` or `FILE@0xADDRESS` (the file is read when the decoder is built).
fn parse_abi(text: &str) -> Result<subscope::decode::AbiSource, String> {
    Ok(subscope::decode::AbiSource::parse(text))
}

/// `--token`: `0xADDRESS=SYMBOL:DECIMALS`.
fn parse_token(text: &str) -> Result<subscope::decode::TokenSource, String> {
    text.parse()
}

/// `show`: the decoder from the ABIs and tokens given (a bad one is a usage error, exit 2),
/// then the table or JSON on stdout. A reader that goes away (`| head`) ends it quietly.
fn run_show(args: ShowArgs) -> anyhow::Result<()> {
    use std::io::IsTerminal as _;
    let sources = subscope::decode::DecodeSources { abis: args.abis, tokens: args.tokens };
    let built = sources.build();
    if let Some(message) = built.first_error() {
        Cli::command().error(clap::error::ErrorKind::ValueValidation, message).exit();
    }
    let decoder = built.decoder;
    let (text, regex) = match (args.filter, args.regex) {
        (_, Some(regex)) => (regex, true),
        (filter, None) => (filter.unwrap_or_default(), false),
    };
    let stdout = std::io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let options = subscope::show::ShowOptions {
        file: args.file,
        filter: subscope::filter::Filter {
            kinds: args.kind.into_iter().collect(),
            text,
            regex,
            ..Default::default()
        },
        json: args.json,
        color,
    };
    let mut out = std::io::BufWriter::new(stdout.lock());
    match subscope::show::show(&options, &decoder, &mut out) {
        Ok(report) => match report.error {
            Some(err) => Err(anyhow::anyhow!("{}: {err}", options.file.display())),
            None => Ok(()),
        },
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// `--speed`: a factor from 0.01 to 10,000.
fn parse_speed(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(speed) if (0.01..=10_000.0).contains(&speed) => Ok(speed),
        Ok(speed) if speed > 10_000.0 => Err(format!("{text} is too large: at most 10000")),
        _ => Err(format!("{text} is not a speed from 0.01 to 10000")),
    }
}

/// `--duration`: a positive time of at most a year.
fn parse_duration(text: &str) -> Result<Duration, String> {
    parse_time(text, Duration::from_millis(1), Duration::from_secs(365 * 24 * 3600))
}

/// `--grace`: from 0.1 s to an hour.
fn parse_grace(text: &str) -> Result<Duration, String> {
    parse_time(text, Duration::from_millis(100), Duration::from_secs(3600))
}

/// `--ping-interval`: from 0.1 s to an hour.
fn parse_ping_interval(text: &str) -> Result<Duration, String> {
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
fn name_the_port(err: anyhow::Error, port: u16) -> anyhow::Error {
    let address = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, port));
    match err.downcast_ref::<std::io::Error>().map(std::io::Error::kind) {
        Some(std::io::ErrorKind::AddrInUse) => {
            anyhow::anyhow!("{address} is already in use: give another --port, or --port 0 for a free one")
        }
        Some(std::io::ErrorKind::PermissionDenied) => err.context(format!("could not listen on {address}")),
        _ => err,
    }
}

#[cfg(feature = "gui")]
fn run_app(runtime: &tokio::runtime::Runtime, file: Option<PathBuf>) -> anyhow::Result<()> {
    let _guard = runtime.enter();
    subscope::app::run(runtime.handle().clone(), file)
}

#[cfg(not(feature = "gui"))]
fn run_app(_runtime: &tokio::runtime::Runtime, _file: Option<PathBuf>) -> anyhow::Result<()> {
    anyhow::bail!("this subscope was built without the `gui` feature; use `subscope record`")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("subscope-io").build() {
            Ok(runtime) => runtime,
            Err(err) => {
                eprintln!("subscope: could not start the async runtime: {err}");
                return ExitCode::FAILURE;
            }
        };
    // Whatever fails, the message is printed with every secret the command line held removed.
    let mut secrets = Secrets::default();
    let result = match cli.command {
        None => run_app(&runtime, cli.file),
        Some(Commands::Methods) => {
            print!("{}", subscope::catalog::cheat_sheet());
            Ok(())
        }
        Some(Commands::Replay(args)) => {
            let port = args.port;
            args.run(&runtime).map_err(|err| name_the_port(err, port))
        }
        Some(Commands::Show(args)) => run_show(args),
        Some(Commands::DemoServer { port, speed, basic_auth }) => {
            // Checked here rather than by clap, whose message would repeat the value.
            if let Some(Err(message)) = basic_auth.as_deref().map(subscope::demo::check_credential) {
                Cli::command()
                    .error(clap::error::ErrorKind::ValueValidation, format!("--basic-auth: {message}"))
                    .exit();
            }
            let basic_auth = basic_auth.map(Secret::new);
            let config = subscope::demo::DemoConfig {
                port,
                speed,
                basic_auth,
                ..subscope::demo::DemoConfig::default()
            };
            runtime
                .block_on(subscope::demo::run_forever(config))
                .map_err(|err| name_the_port(err.into(), port))
        }
        Some(Commands::Record { run, out, append }) => {
            let options = run.options(out, append);
            secrets = options.secrets();
            runtime.block_on(record(options)).map(|summary| {
                let events = plural(summary.events, "event", "events");
                let notifications = plural(summary.notifications, "notification", "notifications");
                eprintln!("subscope: recorded {events} ({notifications})");
            })
        }
        Some(Commands::Compare { run, out, json, grace }) => {
            if run.subscribe.is_empty() {
                Cli::command()
                    .error(
                        clap::error::ErrorKind::MissingRequiredArgument,
                        "compare needs at least one --subscribe",
                    )
                    .exit();
            }
            let options = run.options(out, false);
            secrets = options.secrets();
            let grace_ms = u64::try_from(grace.as_millis()).unwrap_or(u64::MAX);
            let config = CompareConfig { grace_ms, ..CompareConfig::default() };
            runtime.block_on(compare(&options, config)).map(|(report, summary)| {
                // Endpoints are shown redacted already; the scrub is for anything else.
                let text = if json { report.to_json() + "\n" } else { render_table(&report) };
                print!("{}", secrets.scrub_report(&text));
                let notifications = plural(summary.notifications, "notification", "notifications");
                let endpoints = plural(options.endpoints.len() as u64, "endpoint", "endpoints");
                eprintln!("subscope: compared {notifications} from {endpoints}");
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("subscope: {}", secrets.scrub(&format!("{err:#}")));
            // A second Ctrl-C ends the run at once, with the shell's code for an interrupt.
            let interrupted = matches!(err.downcast_ref(), Some(RecordError::Interrupted { .. }));
            if interrupted { ExitCode::from(130) } else { ExitCode::FAILURE }
        }
    }
}
