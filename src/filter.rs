//! Which captured events the table shows: by connection, subscription, kinds, directions, and
//! text or regex over the raw frame.
//!
//! A [`FilteredView`] is incremental: each [`FilteredView::update`] scans only the events that
//! arrived since the last one and forgets the ones the capture evicted, so a live table costs
//! nothing per frame beyond the new rows. Text is matched "smart case" (as ripgrep does): a
//! pattern with no upper-case letter matches any case, one with an upper-case letter (a base58
//! pubkey, a checksummed address) matches exactly, through a plain substring search.

use std::collections::VecDeque;

use regex::bytes::{Regex, RegexBuilder};

use crate::capture::{Capture, CapturedEvent, ConnId, Direction, SubKey};
use crate::protocol::FrameKind;

/// What to show.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Filter {
    /// Only this connection.
    pub connection: Option<ConnId>,
    /// Only this subscription.
    pub subscription: Option<SubKey>,
    /// Only these kinds (none: every kind).
    pub kinds: Vec<FrameKind>,
    /// Only these directions (none: every direction).
    pub directions: Vec<Direction>,
    /// Text (or a regex) the raw frame must contain.
    pub text: String,
    /// Whether `text` is a regular expression.
    pub regex: bool,
}

impl Filter {
    /// Whether the filter lets everything through.
    pub fn is_empty(&self) -> bool {
        self.connection.is_none()
            && self.subscription.is_none()
            && self.kinds.is_empty()
            && self.directions.is_empty()
            && self.text.is_empty()
    }

    /// Adds a kind to the filter, or takes it out.
    pub fn toggle_kind(&mut self, kind: FrameKind) {
        toggle(&mut self.kinds, kind);
    }

    /// Adds a direction to the filter, or takes it out.
    pub fn toggle_direction(&mut self, direction: Direction) {
        toggle(&mut self.directions, direction);
    }

    /// Drops the connection and the subscription a capture does not hold, as a view opens:
    /// a filter naming something the view has not got would show no rows and a picker
    /// reading "connection 8". Returns whether anything was dropped.
    pub fn drop_unheld(
        &mut self,
        holds_connection: impl Fn(ConnId) -> bool,
        holds_subscription: impl Fn(SubKey) -> bool,
    ) -> bool {
        let connection = self.connection.take_if(|conn| !holds_connection(*conn)).is_some();
        let subscription = self.subscription.take_if(|sub| !holds_subscription(*sub)).is_some();
        connection || subscription
    }
}

fn toggle<T: PartialEq>(set: &mut Vec<T>, item: T) {
    match set.iter().position(|present| *present == item) {
        Some(at) => {
            set.remove(at);
        }
        None => set.push(item),
    }
}

/// One bit per item; no item is every item (all bits set).
fn mask<T: Copy>(items: &[T], bit: impl Fn(T) -> u32) -> u32 {
    if items.is_empty() { u32::MAX } else { items.iter().fold(0, |mask, item| mask | bit(*item)) }
}

fn kind_bit(kind: FrameKind) -> u32 {
    1 << (kind as u32)
}

fn direction_bit(direction: Direction) -> u32 {
    1 << (direction as u32)
}

/// A filter that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The regular expression does not compile.
    #[error("not a valid regex: {0}")]
    Regex(String),
}

enum TextMatcher {
    Any,
    Exact(Box<memchr::memmem::Finder<'static>>),
    /// Text typed without capitals matches ASCII letters in any case (other bytes as typed, as
    /// a byte regex without Unicode folds them): the frame is searched for the text's rarest
    /// byte in either case, and each place checked. Two to seven times as fast as the regex
    /// crate's case-insensitive literal on frames, whose every line holds the same keys.
    AnyCase {
        needle: Box<[u8]>,
        rare: usize,
    },
    Pattern(Regex),
}

/// Bytes from common to rare in JSON-RPC frames: structure, digits, then letters by how often
/// they come in English and in the keys every frame repeats. Bytes not listed are rarer still.
const COMMON_FIRST: &[u8] = b"\":,{}[]0123456789 etaoinsrlcudmphgbfywkvxzjq";

/// The position of the byte of `needle` least likely in a frame.
fn rarest(needle: &[u8]) -> usize {
    let rarity = |byte: u8| {
        COMMON_FIRST
            .iter()
            .position(|common| *common == byte.to_ascii_lowercase())
            .unwrap_or(COMMON_FIRST.len())
    };
    (0..needle.len()).max_by_key(|at| rarity(needle[*at])).unwrap_or(0)
}

/// Whether `hay` holds `needle` with ASCII letters in any case (`rare`: see [`rarest`]).
fn contains_any_case(hay: &[u8], needle: &[u8], rare: usize) -> bool {
    let byte = needle[rare];
    let (lower, upper) = (byte.to_ascii_lowercase(), byte.to_ascii_uppercase());
    let mut from = rare;
    while let Some(found) = hay.get(from..).and_then(|rest| memchr::memchr2(lower, upper, rest)) {
        let start = from + found - rare;
        if hay.get(start..start + needle.len()).is_some_and(|window| window.eq_ignore_ascii_case(needle)) {
            return true;
        }
        from += found + 1;
    }
    false
}

impl TextMatcher {
    fn new(text: &str, regex: bool) -> Result<Self, FilterError> {
        if text.is_empty() {
            return Ok(Self::Any);
        }
        let smart_case_insensitive = !text.chars().any(char::is_uppercase);
        if !regex && !smart_case_insensitive {
            return Ok(Self::Exact(Box::new(memchr::memmem::Finder::new(text.as_bytes()).into_owned())));
        }
        if !regex {
            let needle: Box<[u8]> = text.as_bytes().into();
            return Ok(Self::AnyCase { rare: rarest(&needle), needle });
        }
        // Byte regexes without Unicode classes: frames are JSON, `\d` and `\w` mean ASCII there.
        // Non-ASCII text in a pattern matches its UTF-8 bytes.
        RegexBuilder::new(text)
            .unicode(false)
            .size_limit(1 << 24)
            .build()
            .map(Self::Pattern)
            .map_err(|err| FilterError::Regex(first_line(&err.to_string())))
    }

    fn is_match(&self, raw: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(finder) => finder.find(raw.as_bytes()).is_some(),
            Self::AnyCase { needle, rare } => contains_any_case(raw.as_bytes(), needle, *rare),
            Self::Pattern(regex) => regex.is_match(raw.as_bytes()),
        }
    }
}

fn first_line(text: &str) -> String {
    text.lines().rfind(|line| !line.trim().is_empty()).unwrap_or(text).trim().to_owned()
}

/// A compiled [`Filter`].
pub struct Matcher {
    filter: Filter,
    kinds: u32,
    directions: u32,
    text: TextMatcher,
}

impl Matcher {
    /// Compiles a filter; a bad regex is an error for the filter field.
    pub fn new(filter: Filter) -> Result<Self, FilterError> {
        let text = TextMatcher::new(&filter.text, filter.regex)?;
        let kinds = mask(&filter.kinds, kind_bit);
        let directions = mask(&filter.directions, direction_bit);
        Ok(Self { filter, kinds, directions, text })
    }

    /// Whether an event passes.
    pub fn matches(&self, event: &CapturedEvent) -> bool {
        self.filter.connection.is_none_or(|conn| conn == event.connection)
            && self.filter.subscription.is_none_or(|sub| Some(sub) == event.subscription)
            && self.kinds & kind_bit(event.kind) != 0
            && self.directions & direction_bit(event.direction) != 0
            && self.text.is_match(&event.raw)
    }

    /// The filter it was made from.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }
}

/// Events one thread scans at least in [`FilteredView::update_with_budget`]: below this one
/// thread is done before more would have started.
const PER_THREAD: usize = 32_768;

/// The most threads one scan is split between.
const MAX_THREADS: usize = 4;

/// A step of a scan done in steps (the window's, between frames) long enough to be split
/// between two cores.
pub const SCAN_STEP: usize = 2 * PER_THREAD;

/// The sequence numbers of the events that pass a filter, kept up to date incrementally.
pub struct FilteredView {
    matcher: Matcher,
    passthrough: bool,
    seqs: VecDeque<u64>,
    scanned_through: Option<u64>,
}

impl FilteredView {
    /// A view with this filter; nothing is scanned until [`Self::update`].
    pub fn new(filter: Filter) -> Result<Self, FilterError> {
        let passthrough = filter.is_empty();
        Ok(Self { matcher: Matcher::new(filter)?, passthrough, seqs: VecDeque::new(), scanned_through: None })
    }

    /// The filter in force.
    pub fn filter(&self) -> &Filter {
        self.matcher.filter()
    }

    /// Whether the view shows the whole capture (no filter).
    pub fn is_passthrough(&self) -> bool {
        self.passthrough
    }

    /// Brings the view up to date with the capture: forgets evicted events and scans every
    /// event that arrived since the last update. Returns how many events were scanned.
    pub fn update(&mut self, capture: &Capture) -> usize {
        self.update_with_budget(capture, usize::MAX)
    }

    /// Like [`Self::update`], scanning at most `budget` events; call again until it returns
    /// less than the budget to finish a long scan across frames.
    pub fn update_with_budget(&mut self, capture: &Capture, budget: usize) -> usize {
        if self.passthrough {
            return 0;
        }
        let first = capture.first_seq().unwrap_or(u64::MAX);
        let keep_from = self.seqs.partition_point(|seq| *seq < first);
        self.seqs.drain(..keep_from);
        let start = match self.scanned_through {
            Some(seq) => capture.first_index_after(seq),
            None => 0,
        };
        let count = capture.len().saturating_sub(start).min(budget);
        // Asked only for a long scan: it reads the process's CPU limits, not a cost for the
        // few events a frame brings.
        let threads = if count < 2 * PER_THREAD {
            1
        } else {
            std::thread::available_parallelism()
                .map_or(1, usize::from)
                .min(MAX_THREADS)
                .min(count / PER_THREAD)
        };
        if threads == 1 {
            for event in capture.iter_from(start).take(count) {
                if self.matcher.matches(event) {
                    self.seqs.push_back(event.seq);
                }
            }
        } else {
            // A long scan (a new filter over a big capture) is split between the cores, each
            // part's matches kept in order.
            let per = count.div_ceil(threads);
            let matcher = &self.matcher;
            let parts: Vec<Vec<u64>> = std::thread::scope(|scope| {
                let scans: Vec<_> = (0..threads)
                    .map(|part| {
                        scope.spawn(move || {
                            let from = start + part * per;
                            let events = capture.iter_from(from).take(per.min(count - part * per));
                            events.filter(|event| matcher.matches(event)).map(|event| event.seq).collect()
                        })
                    })
                    .collect();
                scans
                    .into_iter()
                    .map(|scan| scan.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                    .collect()
            });
            self.seqs.extend(parts.into_iter().flatten());
        }
        if let Some(last) = count.checked_sub(1).and_then(|last| capture.get(start + last)) {
            self.scanned_through = Some(last.seq);
        }
        count
    }

    /// How many rows the view has (for a passthrough view, pass the capture's length).
    pub fn len_in(&self, capture: &Capture) -> usize {
        if self.passthrough { capture.len() } else { self.seqs.len() }
    }

    /// The event shown at `row`.
    pub fn event_at<'a>(&self, capture: &'a Capture, row: usize) -> Option<&'a CapturedEvent> {
        if self.passthrough {
            capture.get(row)
        } else {
            self.seqs.get(row).and_then(|seq| capture.by_seq(*seq))
        }
    }

    /// The row showing the event with this sequence number, if it passes the filter.
    pub fn row_of(&self, capture: &Capture, seq: u64) -> Option<usize> {
        if self.passthrough { capture.position_of(seq) } else { self.seqs.binary_search(&seq).ok() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureLimits, Direction};

    fn event(seq: u64, connection: ConnId, kind: FrameKind, raw: &str) -> CapturedEvent {
        CapturedEvent {
            seq,
            received_at_ms: seq,
            connection,
            subscription: Some(u64::from(connection) * 10),
            direction: Direction::In,
            kind,
            method: None,
            raw: raw.into(),
            redacted: false,
            recovered: None,
        }
    }

    fn capture(events: impl IntoIterator<Item = CapturedEvent>, max_events: usize) -> Capture {
        let mut capture = Capture::new(CaptureLimits { max_events, max_bytes: usize::MAX });
        capture.extend(events);
        capture
    }

    fn rows(view: &FilteredView, capture: &Capture) -> Vec<u64> {
        (0..view.len_in(capture)).filter_map(|row| view.event_at(capture, row).map(|e| e.seq)).collect()
    }

    #[test]
    fn fields_and_text_combine() {
        let cap = capture(
            [
                event(0, 1, FrameKind::Notification, r#"{"method":"logsNotification","x":"Transfer"}"#),
                event(1, 2, FrameKind::Notification, r#"{"method":"logsNotification","x":"transfer"}"#),
                event(2, 1, FrameKind::Response, r#"{"result":"TRANSFER"}"#),
            ],
            100,
        );
        let mut view = FilteredView::new(Filter { text: "transfer".into(), ..Filter::default() })
            .unwrap_or_else(|e| panic!("{e}"));
        view.update(&cap);
        assert_eq!(rows(&view, &cap), [0, 1, 2], "lower-case text matches any case");
        let mut view = FilteredView::new(Filter { text: "Transfer".into(), ..Filter::default() })
            .unwrap_or_else(|e| panic!("{e}"));
        view.update(&cap);
        assert_eq!(rows(&view, &cap), [0], "mixed-case text matches exactly");
        let filter =
            Filter { connection: Some(1), kinds: vec![FrameKind::Notification], ..Filter::default() };
        let mut view = FilteredView::new(filter).unwrap_or_else(|e| panic!("{e}"));
        view.update(&cap);
        assert_eq!(rows(&view, &cap), [0]);
        let mut view = FilteredView::new(Filter { subscription: Some(20), ..Filter::default() })
            .unwrap_or_else(|e| panic!("{e}"));
        view.update(&cap);
        assert_eq!(rows(&view, &cap), [1]);
    }

    #[test]
    fn several_kinds_and_directions_at_once() {
        let mut sent = event(1, 1, FrameKind::Request, "subscribe");
        sent.direction = Direction::Out;
        let mut gap = event(3, 1, FrameKind::Meta, "gap");
        gap.direction = Direction::Meta;
        let cap = capture(
            [
                event(0, 1, FrameKind::Notification, "n"),
                sent,
                event(2, 1, FrameKind::Error, "e"),
                gap,
                event(4, 1, FrameKind::Response, "r"),
            ],
            10,
        );
        let seen = |filter: Filter| {
            let mut view = FilteredView::new(filter).unwrap_or_else(|e| panic!("{e}"));
            view.update(&cap);
            rows(&view, &cap)
        };
        let mut filter = Filter::default();
        filter.toggle_kind(FrameKind::Notification);
        filter.toggle_kind(FrameKind::Error);
        assert_eq!(seen(filter.clone()), [0, 2]);
        filter.toggle_kind(FrameKind::Notification);
        assert_eq!(seen(filter.clone()), [2], "a second toggle takes the kind out");
        let mut filter = Filter::default();
        filter.toggle_direction(Direction::Out);
        filter.toggle_direction(Direction::Meta);
        assert_eq!(seen(filter.clone()), [1, 3]);
        filter.toggle_kind(FrameKind::Meta);
        assert_eq!(seen(filter), [3], "kinds and directions combine");
    }

    #[test]
    fn regex_matches_and_a_bad_regex_is_an_error() {
        let cap = capture(
            [
                event(0, 1, FrameKind::Notification, r#"{"slot":123}"#),
                event(1, 1, FrameKind::Notification, r#"{"slot":"x"}"#),
            ],
            10,
        );
        let mut view =
            FilteredView::new(Filter { text: r#""slot":\d+"#.into(), regex: true, ..Filter::default() })
                .unwrap_or_else(|e| panic!("{e}"));
        view.update(&cap);
        assert_eq!(rows(&view, &cap), [0]);
        let err =
            FilteredView::new(Filter { text: "(unclosed".into(), regex: true, ..Filter::default() }).err();
        assert!(matches!(err, Some(FilterError::Regex(message)) if message.contains("unclosed")));
        assert!(
            FilteredView::new(Filter { text: "(unclosed".into(), ..Filter::default() }).is_ok(),
            "plain text is escaped"
        );
    }

    #[test]
    fn updates_scan_only_new_events_and_forget_evicted_ones() {
        let mut cap = capture(
            (0..10)
                .map(|seq| event(seq, 1, FrameKind::Notification, if seq % 2 == 0 { "even" } else { "odd" })),
            6,
        );
        let mut view = FilteredView::new(Filter { text: "even".into(), ..Filter::default() })
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(view.update(&cap), 6);
        assert_eq!(rows(&view, &cap), [4, 6, 8]);
        cap.extend(
            (10..14)
                .map(|seq| event(seq, 1, FrameKind::Notification, if seq % 2 == 0 { "even" } else { "odd" })),
        );
        assert_eq!(view.update(&cap), 4, "only the four new events are scanned");
        assert_eq!(rows(&view, &cap), [8, 10, 12]);
        assert_eq!(view.row_of(&cap, 10), Some(1));
        assert_eq!(view.update(&cap), 0);
    }

    #[test]
    fn a_budget_spreads_a_long_scan_over_several_updates() {
        let cap = capture((0..100).map(|seq| event(seq, 1, FrameKind::Notification, "x")), 1000);
        let mut view = FilteredView::new(Filter { text: "x".into(), ..Filter::default() })
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(view.update_with_budget(&cap, 40), 40);
        assert_eq!(view.update_with_budget(&cap, 40), 40);
        assert_eq!(view.update_with_budget(&cap, 40), 20);
        assert_eq!(view.len_in(&cap), 100);
    }

    #[test]
    fn an_empty_filter_is_the_capture_itself() {
        let cap = capture((0..5).map(|seq| event(seq, 1, FrameKind::Notification, "x")), 3);
        let view = FilteredView::new(Filter::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(view.is_passthrough());
        assert_eq!(rows(&view, &cap), [2, 3, 4]);
    }

    #[test]
    fn a_view_drops_the_connection_and_subscription_it_does_not_hold() {
        let named =
            Filter { connection: Some(8), subscription: Some(3), text: "slot".into(), ..Filter::default() };
        let mut held = named.clone();
        assert!(!held.drop_unheld(|conn| conn == 8, |sub| sub == 3), "both held: kept");
        assert_eq!(held, named);
        let mut other = named.clone();
        assert!(other.drop_unheld(|conn| conn == 1, |_| false));
        assert_eq!((other.connection, other.subscription), (None, None));
        assert_eq!(other.text, "slot", "what names nothing of the capture stays");
    }

    #[test]
    fn a_long_scan_split_between_threads_keeps_every_match_in_order() {
        // Matches spread unevenly (dense at the start, sparse after), over more events than
        // one thread takes, scanned at once and in budgets that cut the parts anywhere.
        let count = 5 * PER_THREAD as u64 + 123;
        let events = (0..count).map(|seq| {
            let hit = if seq < 1_000 { seq % 2 == 0 } else { seq % 997 == 0 };
            let text = if hit { r#"{"x":"needle"}"# } else { r#"{"x":"hay"}"# };
            event(seq, 1, FrameKind::Notification, text)
        });
        let cap = capture(events, usize::MAX);
        let expected: Vec<u64> = cap.iter().filter(|e| e.raw.contains("needle")).map(|e| e.seq).collect();
        let filter = Filter { text: "needle".into(), ..Filter::default() };
        let mut whole = FilteredView::new(filter.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(whole.update(&cap), count as usize);
        assert_eq!(rows(&whole, &cap), expected);
        let mut budgeted = FilteredView::new(filter).unwrap_or_else(|e| panic!("{e}"));
        let mut scanned = 0;
        loop {
            let step = budgeted.update_with_budget(&cap, 3 * PER_THREAD + 7);
            scanned += step;
            if step < 3 * PER_THREAD + 7 {
                break;
            }
        }
        assert_eq!(scanned, count as usize);
        assert_eq!(rows(&budgeted, &cap), expected);
        assert_eq!(budgeted.update(&cap), 0, "nothing left to scan");
    }

    proptest::proptest! {
        #[test]
        fn any_case_text_matches_where_a_case_insensitive_byte_regex_does(
            hay in "[a-cA-C\"{}:,0-9 é]{0,40}",
            needle in "[a-c\"{}:0-9 é]{1,5}",
        ) {
            let regex = RegexBuilder::new(&regex::escape(&needle))
                .case_insensitive(true)
                .unicode(false)
                .build()
                .unwrap_or_else(|err| panic!("{err}"));
            let matcher = TextMatcher::new(&needle, false).unwrap_or_else(|err| panic!("{err}"));
            let any_case = matches!(matcher, TextMatcher::AnyCase { .. });
            proptest::prop_assert!(any_case, "lower-case text is searched in any case");
            proptest::prop_assert_eq!(matcher.is_match(&hay), regex.is_match(hay.as_bytes()), "{:?} in {:?}", needle, hay);
        }
    }
}
