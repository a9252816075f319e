//! What subscope decodes with no ABI from the user: the common events and calls, in
//! Solidity's own notation (parsed by alloy), and the decimals and symbols of major mainnet
//! tokens.
//!
//! Events that share a signature are told apart by their topic count: ERC-20's
//! `Transfer(address,address,uint256)` has the amount in the data (3 topics), ERC-721's
//! indexes the token id (4 topics). The same holds for `Approval`.

/// A built-in event or function: who defines it, its Solidity declaration, and which of its
/// arguments is an amount of the emitting (or called) token, shown in the token's units when
/// the token is known.
pub(super) struct Builtin {
    /// The standard or protocol that defines it.
    pub origin: &'static str,
    /// The declaration, as Solidity writes it.
    pub declaration: &'static str,
    /// The argument that is a token amount of the contract itself.
    pub amount: Option<&'static str>,
}

const fn builtin(origin: &'static str, declaration: &'static str, amount: Option<&'static str>) -> Builtin {
    Builtin { origin, declaration, amount }
}

/// The events decoded without a user ABI.
pub(super) const EVENTS: &[Builtin] = &[
    builtin(
        "ERC-20",
        "event Transfer(address indexed from, address indexed to, uint256 value)",
        Some("value"),
    ),
    builtin(
        "ERC-721",
        "event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)",
        None,
    ),
    builtin(
        "ERC-1155",
        "event TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value)",
        None,
    ),
    builtin(
        "ERC-1155",
        "event TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values)",
        None,
    ),
    builtin(
        "ERC-20",
        "event Approval(address indexed owner, address indexed spender, uint256 value)",
        Some("value"),
    ),
    builtin(
        "ERC-721",
        "event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId)",
        None,
    ),
    builtin(
        "ERC-721",
        "event ApprovalForAll(address indexed owner, address indexed operator, bool approved)",
        None,
    ),
    builtin("WETH", "event Deposit(address indexed dst, uint256 wad)", Some("wad")),
    builtin("WETH", "event Withdrawal(address indexed src, uint256 wad)", Some("wad")),
    builtin(
        "Uniswap V2",
        "event Swap(address indexed sender, uint256 amount0In, uint256 amount1In, uint256 amount0Out, uint256 amount1Out, address indexed to)",
        None,
    ),
    builtin("Uniswap V2", "event Sync(uint112 reserve0, uint112 reserve1)", None),
    builtin("Uniswap V2", "event Mint(address indexed sender, uint256 amount0, uint256 amount1)", None),
    builtin(
        "Uniswap V2",
        "event Burn(address indexed sender, uint256 amount0, uint256 amount1, address indexed to)",
        None,
    ),
    builtin(
        "Uniswap V3",
        "event Swap(address indexed sender, address indexed recipient, int256 amount0, int256 amount1, uint160 sqrtPriceX96, uint128 liquidity, int24 tick)",
        None,
    ),
    builtin(
        "Uniswap V3",
        "event Mint(address sender, address indexed owner, int24 indexed tickLower, int24 indexed tickUpper, uint128 amount, uint256 amount0, uint256 amount1)",
        None,
    ),
    builtin(
        "Uniswap V3",
        "event Burn(address indexed owner, int24 indexed tickLower, int24 indexed tickUpper, uint128 amount, uint256 amount0, uint256 amount1)",
        None,
    ),
    builtin(
        "Ownable",
        "event OwnershipTransferred(address indexed previousOwner, address indexed newOwner)",
        None,
    ),
    builtin("ERC-1967 proxy", "event Upgraded(address indexed implementation)", None),
];

/// The calls decoded from a transaction's `input` without a user ABI.
pub(super) const FUNCTIONS: &[Builtin] = &[
    builtin("ERC-20", "function transfer(address to, uint256 amount) returns (bool)", Some("amount")),
    builtin("ERC-20", "function approve(address spender, uint256 amount) returns (bool)", Some("amount")),
    builtin(
        "ERC-20",
        "function transferFrom(address from, address to, uint256 amount) returns (bool)",
        Some("amount"),
    ),
];

/// Major Ethereum mainnet tokens: (address, symbol, decimals). Addresses are written
/// checksummed, and a test holds each to its EIP-55 checksum, so a typo cannot slip in.
pub(super) const TOKENS: &[(&str, &str, u8)] = &[
    ("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "USDC", 6),
    ("0xdAC17F958D2ee523a2206206994597C13D831ec7", "USDT", 6),
    ("0x6B175474E89094C44Da98b954EedeAC495271d0F", "DAI", 18),
    ("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "WETH", 18),
    ("0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599", "WBTC", 8),
    ("0x514910771AF9Ca656af840dff83E8264EcF986CA", "LINK", 18),
    ("0x1f9840a85d5aF5bf1D1762F925BDADdC4201F984", "UNI", 18),
    ("0x7Fc66500c84A76Ad7e9c93437bFc5Ac33E2DDaE9", "AAVE", 18),
    ("0x9f8F72aA9304c8B593d555F12eF6589cC3A579A2", "MKR", 18),
    ("0xae7ab96520DE3A18E5e111B5EaAb095312D7fE84", "stETH", 18),
    ("0x7f39C581F595B53c5cb19bD0b3f8dA6c935E2Ca0", "wstETH", 18),
    ("0x95aD61b0a150d79219dCF64E1E6Cc01f0B64C4cE", "SHIB", 18),
    ("0x6982508145454Ce325dDbE47a25d4ec3d2311933", "PEPE", 18),
];
