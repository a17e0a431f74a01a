//! What a run records, block by block: the input of the report and the
//! plots. Figures here are for reporting only (`f64`); every on-chain amount
//! stays exact in the contracts and the math crate.

use serde::{Deserialize, Serialize};

/// One run of one scenario.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunRecord {
    /// The scenario's name (its file stem).
    pub scenario: String,
    /// One label per public pool, e.g. `cUSDT/cUSDC`; indexes
    /// [`BlockRecord::deviation_bps`] and [`EventRecord::pool`].
    pub pools: Vec<String>,
    /// One label per reserve asset, e.g. `cUSDT`; indexes
    /// [`BlockRecord::reserve_headroom`].
    pub reserves: Vec<String>,
    /// Every simulated L2 block, in order.
    pub blocks: Vec<BlockRecord>,
    /// Trades, attacks and drains, in order.
    pub events: Vec<EventRecord>,
}

/// The state at the end of one L2 block.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BlockRecord {
    /// The L2 block number.
    pub block: u64,
    /// Per pool: the spot mid price's deviation from the oracle, in bps.
    pub deviation_bps: Vec<f64>,
    /// Per reserve asset: held reserve over required reserve (1.0 = exactly
    /// the required amount; below 1.0 is a shortfall).
    pub reserve_headroom: Vec<f64>,
    /// Cross-chain scenario only: per pool of the first chain, the spread
    /// `|P138 / PAlltra − 1|` of the two chains' mid prices, in bps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spread_bps: Vec<f64>,
    /// The seeded external flow's trades in this block (`flow.rs`: its
    /// trades and its drains; not the keeper's, an attacker's, the parity
    /// bot's or the treasury's), in the order they executed, each with the
    /// pool's deviation just before it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external: Vec<ExternalTrade>,
}

/// One trade of the seeded external flow.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ExternalTrade {
    /// Index into [`RunRecord::pools`].
    pub pool: usize,
    /// Its size in whole USD: what the flow drew, sold as that many USD of
    /// the token at the oracle price.
    pub usd: u64,
    /// The pool's mid price (`getMidPrice`) against its oracle peg just
    /// before the trade executed, in bps (as [`BlockRecord::deviation_bps`]
    /// at the end of a block).
    pub deviation_bps: f64,
    /// The flow's drain (one large sale) rather than one of its ordinary
    /// trades.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drain: bool,
    /// An arbitrageur's trade toward the true price (informed flow), not a
    /// user's: out of the volume-weighted peg share.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub informed: bool,
}

/// Something that happened in a block, for the plots' markers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventRecord {
    /// The L2 block it happened in.
    pub block: u64,
    /// Index into [`RunRecord::pools`].
    pub pool: usize,
    /// What it was.
    pub kind: EventKind,
    /// A short description, e.g. `sell 25000 cUSDT`.
    pub label: String,
}

/// The kinds of [`EventRecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// A Stabilizer correction (`executePrivateSwap` succeeded).
    Trade,
    /// An attacker's action (flash loan, sandwich leg, manipulation).
    Attack,
    /// A large external drain of a pool.
    Drain,
}
