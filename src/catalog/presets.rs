//! Endpoint presets: provider URL templates, local test nodes, the demo and a custom entry.

use super::Chain;
use crate::redact::{Secret, place_key};

/// The URL of the offline demo endpoint.
pub const DEMO_URL: &str = "demo";

/// For `demo` or `demo?delay_ms=200` (the built-in demo server, with faults in the query),
/// the query part with its `?` (empty for plain `demo`); `None` for any other URL.
pub fn demo_query(url: &str) -> Option<&str> {
    let rest = url.trim().strip_prefix(DEMO_URL)?;
    (rest.is_empty() || rest.starts_with('?')).then_some(rest)
}

/// A named endpoint the user can pick instead of typing a URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    /// The display name.
    pub name: &'static str,
    /// The chain it serves, or `None` when it can be either (demo, custom).
    pub chain: Option<Chain>,
    /// The WebSocket URL, with `{api_key}` where the key goes; empty for the custom entry.
    pub url_template: &'static str,
    /// Whether the URL needs an API key.
    pub needs_key: bool,
    /// Where its HTTP JSON-RPC side is, relative to the WebSocket URL.
    pub rpc: RpcRule,
}

/// Where an endpoint's HTTP JSON-RPC side is, given its WebSocket URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RpcRule {
    /// The same URL with `ws`→`http`, `wss`→`https` (anvil, geth, every hosted provider).
    SameUrl,
    /// The same, on the port below the WebSocket's: solana-test-validator and agave serve
    /// PubSub on the RPC port + 1.
    PubSubPortMinusOne,
}

impl Preset {
    /// The URL with the key filled in. Keep the result out of logs: it holds the key.
    pub fn url(&self, api_key: &str) -> String {
        place_key(self.url_template, Some(&Secret::new(api_key)))
    }

    /// Whether this is the custom entry (the user types the URL).
    pub fn is_custom(&self) -> bool {
        self.url_template.is_empty()
    }

    /// Whether this is the offline demo.
    pub fn is_demo(&self) -> bool {
        self.url_template == DEMO_URL
    }
}

const fn helius(name: &'static str, url_template: &'static str) -> Preset {
    Preset { name, chain: Some(Chain::Solana), url_template, needs_key: true, rpc: RpcRule::SameUrl }
}

const fn alchemy(name: &'static str, chain: Chain, url_template: &'static str) -> Preset {
    Preset { name, chain: Some(chain), url_template, needs_key: true, rpc: RpcRule::SameUrl }
}

const fn local(name: &'static str, chain: Option<Chain>, url_template: &'static str) -> Preset {
    Preset { name, chain, url_template, needs_key: false, rpc: RpcRule::SameUrl }
}

const fn validator(name: &'static str, url_template: &'static str) -> Preset {
    Preset {
        name,
        chain: Some(Chain::Solana),
        url_template,
        needs_key: false,
        rpc: RpcRule::PubSubPortMinusOne,
    }
}

const ETH: Chain = Chain::Ethereum;

static PRESETS: [Preset; 28] = [
    local("Offline demo", None, DEMO_URL),
    helius("Helius mainnet", "wss://mainnet.helius-rpc.com/?api-key={api_key}"),
    helius("Helius devnet", "wss://devnet.helius-rpc.com/?api-key={api_key}"),
    helius("Helius Gatekeeper (beta)", "wss://beta.helius-rpc.com/?api-key={api_key}"),
    alchemy("Alchemy Ethereum mainnet", ETH, "wss://eth-mainnet.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Ethereum Sepolia", ETH, "wss://eth-sepolia.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Ethereum Holesky", ETH, "wss://eth-holesky.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Polygon mainnet", ETH, "wss://polygon-mainnet.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Polygon Amoy", ETH, "wss://polygon-amoy.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Arbitrum mainnet", ETH, "wss://arb-mainnet.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Arbitrum Sepolia", ETH, "wss://arb-sepolia.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Optimism mainnet", ETH, "wss://opt-mainnet.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Optimism Sepolia", ETH, "wss://opt-sepolia.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Base mainnet", ETH, "wss://base-mainnet.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Base Sepolia", ETH, "wss://base-sepolia.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy zkSync mainnet", ETH, "wss://zksync-mainnet.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Linea mainnet", ETH, "wss://linea-mainnet.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Scroll mainnet", ETH, "wss://scroll-mainnet.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Blast mainnet", ETH, "wss://blast-mainnet.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy BNB mainnet", ETH, "wss://bnb-mainnet.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Avalanche mainnet", ETH, "wss://avax-mainnet.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Gnosis mainnet", ETH, "wss://gnosis-mainnet.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy World Chain mainnet", ETH, "wss://worldchain-mainnet.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Solana mainnet", Chain::Solana, "wss://solana-mainnet.g.alchemy.com/v2/{api_key}"),
    alchemy("Alchemy Solana devnet", Chain::Solana, "wss://solana-devnet.g.alchemy.com/v2/{api_key}"),
    local("Local anvil", Some(ETH), "ws://127.0.0.1:8545"),
    validator("Local solana-test-validator", "ws://127.0.0.1:8900"),
    local("Custom URL", None, ""),
];

/// Every preset: the demo first, then providers, local nodes, and the custom entry last.
pub fn presets() -> &'static [Preset] {
    &PRESETS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::API_KEY_PLACEHOLDER as KEY_PLACEHOLDER;

    #[test]
    fn keyed_presets_have_exactly_one_key_placeholder() {
        for preset in presets() {
            let placeholders = preset.url_template.matches(KEY_PLACEHOLDER).count();
            assert_eq!(placeholders, usize::from(preset.needs_key), "{}", preset.name);
        }
    }

    #[test]
    fn urls_are_websocket_urls_except_demo_and_custom() {
        for preset in presets().iter().filter(|p| !p.is_demo() && !p.is_custom()) {
            assert!(preset.url_template.starts_with("ws"), "{}", preset.name);
        }
        assert_eq!(presets().iter().filter(|p| p.is_demo()).count(), 1);
        assert_eq!(presets().iter().filter(|p| p.is_custom()).count(), 1);
    }

    #[test]
    fn the_key_is_filled_into_the_template() {
        let helius = presets().iter().find(|p| p.name == "Helius mainnet");
        assert_eq!(
            helius.map(|p| p.url(" KEY ")).as_deref(),
            Some("wss://mainnet.helius-rpc.com/?api-key=KEY")
        );
        let alchemy = presets().iter().find(|p| p.name == "Alchemy Base Sepolia");
        assert_eq!(alchemy.map(|p| p.url("k")).as_deref(), Some("wss://base-sepolia.g.alchemy.com/v2/k"));
    }

    #[test]
    fn preset_names_are_unique() {
        let mut names: Vec<&str> = presets().iter().map(|p| p.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), presets().len());
    }
}
