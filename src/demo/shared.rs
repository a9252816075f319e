//! State shared by every connection of one demo server: the chain clocks, the server-wide
//! Solana subscription registry and the statistics counters.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::auth::BasicAuth;
use super::ethereum::{BlockCtx, BlockRef};
use super::interest::Interests;
use super::solana::SlotCtx;
use super::{DemoConfig, DemoStats};

/// The first Solana slot the demo reports (mainnet-like magnitude).
pub(crate) const BASE_SLOT: u64 = 380_000_000;

/// The first Ethereum block number the demo reports.
pub(crate) const BASE_BLOCK: u64 = 21_000_000;

/// The real Solana slot time.
const SLOT_TIME: Duration = Duration::from_millis(400);

/// The demo's Ethereum block time (real mainnet is 12 s; 1 s keeps the demo lively, like anvil).
const BLOCK_TIME: Duration = Duration::from_secs(1);

/// How often pending transactions are announced.
const MEMPOOL_TIME: Duration = Duration::from_millis(250);

/// No clock ticks faster than this, whatever the speed.
const MIN_TICK: Duration = Duration::from_millis(1);

/// Everything a connection task needs from its server.
pub(crate) struct Shared {
    /// The chain clocks.
    pub(crate) clock: Clock,
    /// The server-wide Solana subscription ids.
    pub(crate) registry: Registry,
    /// The counters behind [`DemoStats`].
    pub(crate) stats: Counters,
    /// Faults applied to every new connection right after its handshake.
    pub(crate) connection_faults: Vec<super::DemoFault>,
    /// The most subscriptions one connection may hold.
    pub(crate) max_subscriptions_per_connection: usize,
    /// The most queued outgoing frames before a lagging connection is dropped.
    pub(crate) max_outbox: usize,
    /// The seed for per-connection random generators.
    pub(crate) seed: u64,
    /// The credential every handshake must carry, if any.
    pub(crate) basic_auth: Option<BasicAuth>,
    /// The log filters and keys clients subscribed with, which the chains hold events for.
    pub(crate) interests: Interests,
}

impl Shared {
    /// The state of a server run with `config`; its seed is `config.seed` or a random one.
    pub(crate) fn new(config: DemoConfig) -> Self {
        let seed = config.seed.unwrap_or_else(|| fastrand::u64(..));
        Self {
            clock: Clock::new(config.speed, seed),
            registry: Registry::new(config.max_subscriptions),
            stats: Counters::default(),
            connection_faults: config.connection_faults,
            max_subscriptions_per_connection: config.max_subscriptions_per_connection,
            max_outbox: config.max_queued_frames.max(1),
            seed,
            basic_auth: config.basic_auth.as_ref().map(BasicAuth::new),
            interests: Interests::default(),
        }
    }

    /// Ethereum block `block` with everything in it, as every connection and every HTTP
    /// request sees it.
    pub(crate) fn eth_block(&self, block: BlockRef) -> BlockCtx {
        let tick = block.tick();
        let clock = &self.clock;
        let timestamp = clock.unix_ms_at(clock.block_interval, tick) / 1000;
        BlockCtx::new(block, timestamp, clock.seed, &self.interests.filters_at(tick))
    }

    /// The context of Solana slot `slot` as the tip: what every notification of it, and
    /// every HTTP answer at it, is made from.
    pub(crate) fn slot_ctx(&self, slot: u64) -> SlotCtx {
        let clock = &self.clock;
        SlotCtx {
            slot,
            unix_ms: clock.unix_ms_at(clock.slot_interval, slot.saturating_sub(BASE_SLOT)),
            seed: clock.seed,
            slot_ms: u64::try_from(clock.slot_interval.as_millis()).unwrap_or(u64::MAX),
            keys: self.interests.keys(),
        }
    }
}

/// The demo chains' time base: slot and block numbers derive from the server's start time, so
/// every connection reports the same heights, at the same moments (every connection's clocks
/// tick on the same boundaries), with the same timestamps.
pub(crate) struct Clock {
    /// When the server started.
    started: Instant,
    /// The wall clock then, in ms since the Unix epoch.
    started_unix_ms: u64,
    /// The slot time divided by the speed.
    pub(crate) slot_interval: Duration,
    /// The block time divided by the speed.
    pub(crate) block_interval: Duration,
    /// The pending-transaction cadence divided by the speed.
    pub(crate) mempool_interval: Duration,
    /// The seed for values every connection must agree on (block hashes).
    pub(crate) seed: u64,
}

impl Clock {
    /// A clock running `speed` times faster than the real chains (non-finite or non-positive
    /// speeds count as 1).
    pub(crate) fn new(speed: f64, seed: u64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 { speed.clamp(0.001, 1_000_000.0) } else { 1.0 };
        let scale = |base: Duration| base.div_f64(speed).max(MIN_TICK);
        Self {
            started: Instant::now(),
            started_unix_ms: unix_ms(),
            slot_interval: scale(SLOT_TIME),
            block_interval: scale(BLOCK_TIME),
            mempool_interval: scale(MEMPOOL_TIME),
            seed,
        }
    }

    /// The number of whole `interval`s since the server started.
    fn ticks(&self, interval: Duration) -> u64 {
        let elapsed = self.started.elapsed().as_nanos();
        let per = interval.as_nanos().max(1);
        u64::try_from(elapsed / per).unwrap_or(u64::MAX)
    }

    /// The first boundary of `interval` after now, counted from the server's start: where
    /// every connection's clock for it ticks.
    pub(crate) fn next_boundary(&self, interval: Duration) -> Instant {
        let next = u32::try_from(self.ticks(interval).saturating_add(1)).unwrap_or(u32::MAX);
        self.started + interval.saturating_mul(next)
    }

    /// The wall-clock time of tick `tick` of `interval`, ms since the Unix epoch.
    pub(crate) fn unix_ms_at(&self, interval: Duration, tick: u64) -> u64 {
        let offset = interval.as_millis().saturating_mul(u128::from(tick));
        self.started_unix_ms.saturating_add(u64::try_from(offset).unwrap_or(u64::MAX))
    }

    /// The current mempool tick.
    pub(crate) fn mempool_tick(&self) -> u64 {
        self.ticks(self.mempool_interval)
    }

    /// The current Solana slot.
    pub(crate) fn slot(&self) -> u64 {
        BASE_SLOT.saturating_add(self.ticks(self.slot_interval))
    }

    /// The current Ethereum block tick (not the block number: reorgs repeat heights).
    pub(crate) fn block_tick(&self) -> u64 {
        self.ticks(self.block_interval)
    }
}

/// The wall clock in milliseconds since the Unix epoch.
pub(crate) fn unix_ms() -> u64 {
    let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

/// A random source that every connection holding the same subscription (`stream`, a hash
/// of what it asked for) draws the same values from at the same clock tick.
pub(crate) fn stream_rng(seed: u64, stream: &impl std::hash::Hash, tick: u64) -> fastrand::Rng {
    use std::hash::{DefaultHasher, Hasher as _};
    let mut hasher = DefaultHasher::new(); // fixed keys: the same in every connection
    stream.hash(&mut hasher);
    super::fake::seeded(seed ^ hasher.finish(), tick, 0x57_EA)
}

/// The outcome of asking the registry for a subscription id.
pub(crate) enum Acquired {
    /// The id to return to the client.
    Id(u64),
    /// The server-wide cap is reached.
    Refused,
}

/// Agave's subscription ids: one server-wide counter starting at 0, and identical
/// `(method, params)` share one id across all connections while anyone holds it.
pub(crate) struct Registry {
    /// The mutable part; held only for map lookups, never across an await.
    inner: Mutex<RegistryInner>,
    /// The most distinct subscriptions the server holds at once.
    max_active: usize,
}

/// The registry's maps.
#[derive(Default)]
struct RegistryInner {
    /// The next id to hand out.
    next_id: u64,
    /// The id of each de-duplicated `(method, params)` key.
    by_key: HashMap<String, u64>,
    /// Each live id: its key (None for never-shared ids) and how many connections hold it.
    entries: HashMap<u64, Entry>,
}

/// One live subscription id.
struct Entry {
    /// The de-duplication key, if the id is shared.
    key: Option<String>,
    /// How many connections hold the id.
    holders: usize,
}

impl Registry {
    /// An empty registry that refuses subscriptions beyond `max_active`.
    pub(crate) fn new(max_active: usize) -> Self {
        Self { inner: Mutex::new(RegistryInner::default()), max_active }
    }

    /// Locks the maps; a poisoned lock is still usable because every update is a single step.
    fn lock(&self) -> std::sync::MutexGuard<'_, RegistryInner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The id for `key` (a fresh one if nobody holds it, or `None` for a never-shared id).
    /// `held_by_caller` says whether the asking connection already holds an id, so that a
    /// repeated identical subscribe on one connection is counted once (as Agave does).
    pub(crate) fn acquire(&self, key: Option<String>, held_by_caller: impl Fn(u64) -> bool) -> Acquired {
        let mut inner = self.lock();
        if let Some(id) = key.as_ref().and_then(|key| inner.by_key.get(key).copied()) {
            if !held_by_caller(id)
                && let Some(entry) = inner.entries.get_mut(&id)
            {
                entry.holders = entry.holders.saturating_add(1);
            }
            return Acquired::Id(id);
        }
        if inner.entries.len() >= self.max_active {
            return Acquired::Refused;
        }
        let id = inner.next_id;
        inner.next_id = inner.next_id.saturating_add(1);
        if let Some(key) = &key {
            inner.by_key.insert(key.clone(), id);
        }
        inner.entries.insert(id, Entry { key, holders: 1 });
        Acquired::Id(id)
    }

    /// One connection lets go of `id`; the id is forgotten when nobody holds it.
    pub(crate) fn release(&self, id: u64) {
        let mut inner = self.lock();
        let Some(entry) = inner.entries.get_mut(&id) else {
            return;
        };
        entry.holders = entry.holders.saturating_sub(1);
        if entry.holders == 0
            && let Some(entry) = inner.entries.remove(&id)
            && let Some(key) = entry.key
        {
            inner.by_key.remove(&key);
        }
    }

    /// How many distinct subscription ids are live.
    pub(crate) fn active(&self) -> usize {
        self.lock().entries.len()
    }
}

/// Lock-free counters, read by [`super::DemoServer::stats`].
#[derive(Default)]
pub(crate) struct Counters {
    /// TCP connections accepted (including refused handshakes).
    pub(crate) connections_accepted: AtomicU64,
    /// WebSocket connections currently being served.
    pub(crate) connections_open: AtomicU64,
    /// JSON-RPC requests received (batch items count one each).
    pub(crate) requests_received: AtomicU64,
    /// WebSocket data frames sent (text and binary).
    pub(crate) frames_sent: AtomicU64,
    /// Payload bytes of those frames.
    pub(crate) bytes_sent: AtomicU64,
    /// Subscriptions created (Solana and Ethereum).
    pub(crate) subscriptions_created: AtomicU64,
    /// `demo_fault` requests accepted (and connection faults applied).
    pub(crate) faults_injected: AtomicU64,
}

impl Counters {
    /// Adds one to a counter.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one sent data frame of `len` bytes.
    pub(crate) fn frame_sent(&self, len: usize) {
        self.frames_sent.fetch_add(1, Ordering::Relaxed);
        self.bytes_sent.fetch_add(u64::try_from(len).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// A snapshot of every counter.
    pub(crate) fn snapshot(&self, active_solana_subscriptions: usize) -> DemoStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        DemoStats {
            connections_accepted: read(&self.connections_accepted),
            connections_open: read(&self.connections_open),
            requests_received: read(&self.requests_received),
            frames_sent: read(&self.frames_sent),
            bytes_sent: read(&self.bytes_sent),
            subscriptions_created: read(&self.subscriptions_created),
            faults_injected: read(&self.faults_injected),
            active_solana_subscriptions: u64::try_from(active_solana_subscriptions).unwrap_or(u64::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_keys_share_an_id_until_every_holder_releases_it() {
        let registry = Registry::new(10);
        let Acquired::Id(first) = registry.acquire(Some("slot".into()), |_| false) else {
            panic!("refused");
        };
        let Acquired::Id(second) = registry.acquire(Some("slot".into()), |_| false) else {
            panic!("refused");
        };
        assert_eq!(first, second);
        let Acquired::Id(other) = registry.acquire(Some("root".into()), |_| false) else {
            panic!("refused");
        };
        assert_eq!(other, first + 1);
        registry.release(first);
        assert_eq!(registry.active(), 2);
        registry.release(first);
        assert_eq!(registry.active(), 1);
        let Acquired::Id(fresh) = registry.acquire(Some("slot".into()), |_| false) else {
            panic!("refused");
        };
        assert_eq!(fresh, other + 1);
    }

    #[test]
    fn the_cap_refuses_new_ids_but_not_shared_ones() {
        let registry = Registry::new(1);
        assert!(matches!(registry.acquire(Some("a".into()), |_| false), Acquired::Id(0)));
        assert!(matches!(registry.acquire(Some("a".into()), |_| false), Acquired::Id(0)));
        assert!(matches!(registry.acquire(None, |_| false), Acquired::Refused));
    }
}
