//! An endpoint's HTTP JSON-RPC URL, drawn from its WebSocket URL.

use crate::catalog::{RpcRule, presets};

/// The default HTTP JSON-RPC URL of a WebSocket endpoint: `ws://` → `http://`, `wss://` →
/// `https://`, with the same user info, host, port, path, query and `{api_key}` placeholder
/// (right for anvil, geth and every hosted provider). A URL that is a preset's with another
/// rule ([`RpcRule::PubSubPortMinusOne`] for the local solana-test-validator) follows it.
/// `None` for a URL that is not `ws://` or `wss://` (the demo, an HTTP URL).
pub fn rpc_url_for(ws_url: &str) -> Option<String> {
    let ws_url = ws_url.trim();
    let rule = presets()
        .iter()
        .filter(|preset| !preset.is_custom() && !preset.is_demo())
        .find(|preset| same_endpoint(preset.url_template, ws_url))
        .map_or(RpcRule::SameUrl, |preset| preset.rpc);
    rpc_url_with(ws_url, rule)
}

/// The HTTP JSON-RPC URL of a WebSocket URL under a given rule; `None` when the URL is not
/// `ws://` or `wss://`, or the rule needs a port the URL does not have.
pub fn rpc_url_with(ws_url: &str, rule: RpcRule) -> Option<String> {
    let ws_url = ws_url.trim();
    let (scheme_len, http_scheme) = if starts_with_ignore_case(ws_url, "wss://") {
        (6, "https://")
    } else if starts_with_ignore_case(ws_url, "ws://") {
        (5, "http://")
    } else {
        return None;
    };
    let rest = &ws_url[scheme_len..];
    let url = format!("{http_scheme}{rest}");
    match rule {
        RpcRule::SameUrl => Some(url),
        RpcRule::PubSubPortMinusOne => with_port_below(&url, http_scheme.len()),
    }
}

/// The URL with its port lowered by one; `None` without a port (or with port 0 or 1).
fn with_port_below(url: &str, authority_start: usize) -> Option<String> {
    let rest = &url[authority_start..];
    let authority_end = authority_start + rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &url[authority_start..authority_end];
    // After user info; after an IPv6 literal's closing bracket.
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host_port = &authority[host_start..];
    let port_from = host_port.rfind(']').map_or(0, |bracket| bracket + 1);
    let colon = port_from + host_port[port_from..].rfind(':')?;
    let port: u16 = host_port[colon + 1..].parse().ok()?;
    let below = port.checked_sub(1).filter(|port| *port > 0)?;
    let port_start = authority_start + host_start + colon + 1;
    Some(format!("{}{below}{}", &url[..port_start], &url[authority_end..]))
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// Whether a URL is a preset's, trailing slash and letter case aside.
fn same_endpoint(template: &str, url: &str) -> bool {
    template.trim_end_matches('/').eq_ignore_ascii_case(url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosted_providers_keep_host_path_query_and_key_placeholder() {
        let cases = [
            // Helius: the key in the query.
            (
                "wss://mainnet.helius-rpc.com/?api-key={api_key}",
                "https://mainnet.helius-rpc.com/?api-key={api_key}",
            ),
            (
                "wss://mainnet.helius-rpc.com/?api-key=abc123",
                "https://mainnet.helius-rpc.com/?api-key=abc123",
            ),
            // Alchemy: the key as the last path segment.
            (
                "wss://eth-mainnet.g.alchemy.com/v2/{api_key}",
                "https://eth-mainnet.g.alchemy.com/v2/{api_key}",
            ),
            // Infura: `/ws/v3/KEY` is the WebSocket path; Infura answers HTTP on it too.
            (
                "wss://mainnet.infura.io/ws/v3/0123456789abcdef",
                "https://mainnet.infura.io/ws/v3/0123456789abcdef",
            ),
            // QuickNode: the token as a path segment, on a named host.
            (
                "wss://name.solana-mainnet.quiknode.pro/0123abcd/",
                "https://name.solana-mainnet.quiknode.pro/0123abcd/",
            ),
            // Chainstack: the key as the path.
            (
                "wss://ethereum-mainnet.core.chainstack.com/{api_key}",
                "https://ethereum-mainnet.core.chainstack.com/{api_key}",
            ),
            // dRPC: the network and key in the query.
            (
                "wss://lb.drpc.org/ogws?network=ethereum&dkey=KEY",
                "https://lb.drpc.org/ogws?network=ethereum&dkey=KEY",
            ),
            // Basic auth in user info stays (the client sends it as a header).
            ("wss://user:p%40ss@node.example.com:8443/rpc", "https://user:p%40ss@node.example.com:8443/rpc"),
        ];
        for (ws, http) in cases {
            assert_eq!(rpc_url_for(ws).as_deref(), Some(http), "{ws}");
        }
    }

    #[test]
    fn anvil_and_geth_serve_both_on_one_port() {
        assert_eq!(rpc_url_for("ws://127.0.0.1:8545").as_deref(), Some("http://127.0.0.1:8545"));
        assert_eq!(rpc_url_for("WS://localhost:8546/").as_deref(), Some("http://localhost:8546/"));
    }

    #[test]
    fn the_validator_preset_has_its_rpc_on_the_port_below_pubsub() {
        assert_eq!(rpc_url_for("ws://127.0.0.1:8900").as_deref(), Some("http://127.0.0.1:8899"));
        assert_eq!(rpc_url_for(" ws://127.0.0.1:8900/ ").as_deref(), Some("http://127.0.0.1:8899/"));
        // The rule applied to any validator (a test's free port, user info, IPv6).
        let rule = RpcRule::PubSubPortMinusOne;
        assert_eq!(rpc_url_with("ws://127.0.0.1:40001", rule).as_deref(), Some("http://127.0.0.1:40000"));
        assert_eq!(
            rpc_url_with("ws://a:b@[::1]:8900/x?y=1", rule).as_deref(),
            Some("http://a:b@[::1]:8899/x?y=1")
        );
        assert_eq!(rpc_url_with("ws://[::1]/", rule), None, "no port to lower");
        assert_eq!(rpc_url_with("ws://host:1", rule), None);
    }

    #[test]
    fn only_websocket_urls_have_a_default() {
        for url in ["demo", "demo?delay_ms=200", "http://127.0.0.1:8545", "", "ws:/x", "ftp://host"] {
            assert_eq!(rpc_url_for(url), None, "{url}");
        }
    }
}
