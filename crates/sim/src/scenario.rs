//! Scenarios: what a run simulates, read from TOML
//! (`crates/sim/scenarios/*.toml`). Every figure sent on chain is an
//! integer; the `[parameters]` table defaults from [`Parameters::default`].

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::SimError;

/// L2 blocks per hour at Arbitrum's 250 ms blocks.
pub const BLOCKS_PER_HOUR: u64 = 14_400;

/// Public pools on each chain (§4: cUSDT/cUSDC, cUSDT/XAU, cUSDC/XAU,
/// cEURT/XAU).
pub const POOLS: usize = 4;

/// One scenario file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Its name (the file stem when absent).
    #[serde(default)]
    pub name: String,
    /// What it simulates, for the report.
    #[serde(default)]
    pub description: String,
    /// The RNG seed of the external flow and the attackers.
    pub seed: u64,
    /// L2 blocks simulated (250 ms each).
    pub blocks: u64,
    /// The market's sizes.
    #[serde(default)]
    pub market: Market,
    /// The external flow.
    #[serde(default)]
    pub flow: Flow,
    /// Contract and keeper parameters.
    #[serde(default)]
    pub parameters: Parameters,
    /// The attack or event of the scenario, if any.
    #[serde(default)]
    pub attack: Option<Attack>,
    /// A second chain (Alltra) and its parity bot, if any.
    #[serde(default)]
    pub cross_chain: Option<CrossChain>,
    /// One-off drains at stated blocks (`[[shocks]]`), on top of the flow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shocks: Vec<Shock>,
}

/// The public pools' labels, in record order (§4).
pub const POOL_LABELS: [&str; POOLS] = ["cUSDT/cUSDC", "cUSDT/XAU", "cUSDC/XAU", "cEURT/XAU"];

/// A one-off drain (`[[shocks]]`): in L2 block `block` an external seller
/// sells `usd` USD (at the oracle price) of one side of one public pool
/// into it, once, right after the block's ordinary external flow. It is
/// external flow (in the volume-weighted share, recorded
/// under the block's `external` as a drain) and a drain (in the drain
/// recovery, and reported on its own as the shock's recovery). In the
/// cross-chain scenario it hits the first chain (138).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shock {
    /// The L2 block it lands in (1 is the run's first).
    pub block: u64,
    /// The public pool's label, one of [`POOL_LABELS`] (`cUSDT/cUSDC`).
    pub pool: String,
    /// Its size, USD.
    pub usd: u64,
    /// Which side it sells into the pool.
    pub side: Side,
}

impl Shock {
    /// The pool's index in [`POOL_LABELS`] (`None`: no such pool).
    pub fn pool_index(&self) -> Option<usize> {
        POOL_LABELS.iter().position(|l| *l == self.pool)
    }
}

/// The side a [`Shock`] sells into its pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Sells the base token (the pool's mid price falls).
    SellBase,
    /// Sells the quote token (the pool's mid price rises).
    SellQuote,
}

/// The market: depths in USD terms (§11).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Market {
    /// Depth of each side of each public pool, USD (§11: 1,000,000).
    pub depth_usd: u64,
    /// §11's allowed deviation in bps (0.2%), reported as the max drift.
    pub allowed_deviation_bps: u64,
    /// Depth of each side of each private mesh pool, USD.
    pub mesh_depth_usd: u64,
    /// The treasury's stock of each token and of XAU, USD: what it can put
    /// into the mesh when it rebalances (`mesh_rebalance_bps`).
    pub treasury_usd: u64,
    /// The Stabilizers' float of each token, USD.
    pub float_usd: u64,
    /// Depth of the flash-loan lender pools (one per public pool), USD.
    pub lender_depth_usd: u64,
    /// Whether the four Stylus programs sit in ArbOS's program cache, as
    /// the deploy script's cache bids leave them (true), or not. Every
    /// program is activated either way, so each entry into one pays
    /// Nitro's entry cost: `cachedGas`, plus `initGas` when uncached.
    pub programs_cached: bool,
    /// Gold's annualised volatility, bps: the true XAU/USD price follows a
    /// seeded driftless log random walk with this volatility (0: fixed).
    /// The default, 16%, is the LBMA PM gold price's realised volatility
    /// over the 5 to 20 years to April 2024 (14-17%).
    pub xau_vol_annual_bps: u64,
    /// The gas price the keeper's and the arbitrageurs' gas is valued at,
    /// wei (Arbitrum One's minimum base fee, 0.01 gwei).
    pub gas_price_wei: u64,
    /// ETH's price for that valuation, USD.
    pub eth_usd: u64,
}

impl Market {
    /// What `gas` costs in USD at the market's gas price and ETH price.
    #[allow(clippy::cast_precision_loss)]
    pub fn gas_usd(&self, gas: u128) -> f64 {
        gas as f64 * self.gas_price_wei as f64 * self.eth_usd as f64 / 1e18
    }
}

impl Default for Market {
    fn default() -> Self {
        Self {
            depth_usd: 1_000_000,
            allowed_deviation_bps: 20,
            mesh_depth_usd: 10_000_000,
            treasury_usd: 10_000_000,
            float_usd: 200_000,
            lender_depth_usd: 5_000_000,
            programs_cached: true,
            xau_vol_annual_bps: 1_600,
            gas_price_wei: 10_000_000,
            eth_usd: 3_000,
        }
    }
}

/// External flow: trades on each public pool, seeded.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Flow {
    /// Gross external volume per public pool, USD per hour (§11: 50,000).
    pub usd_per_hour: u64,
    /// Mean trade size, USD (sizes are uniform in `1..=2·mean`).
    pub mean_trade_usd: u64,
    /// Bias of the flow toward its regime's direction, bps: a trade goes
    /// the regime's way with probability `bias + (1 − bias)/2` (10,000:
    /// every trade one way, so the whole flow is imbalance, as §11 assumes;
    /// 0: a fair coin).
    pub bias_bps: u64,
    /// Mean regime length in L2 blocks (the direction flips at random).
    pub regime_blocks: u64,
    /// Mean interval between drains (one large sale on a random pool), L2
    /// blocks; 0 for none.
    pub drain_every_blocks: u64,
    /// Size of a drain, USD.
    pub drain_usd: u64,
    /// Informed flow: once per L2 block an arbitrageur trades each public
    /// pool toward its true price (the moving XAU, not the oracle) when the
    /// trade pays after the pool's fees and its own gas.
    pub arbitrage: bool,
    /// Gas an arbitrage trade costs, for its profitability test.
    pub arbitrage_gas: u64,
    /// L2 blocks between the block an arbitrageur sizes its trade on and
    /// the block it lands in (0: at once, at its position in the block).
    pub arbitrage_latency_blocks: u64,
    /// The edge an arbitrageur requires beyond the pool's fees, bps: what
    /// hedging its position elsewhere costs it (a centralised exchange's
    /// taker fee, about 2 bps).
    pub arbitrage_edge_bps: u64,
}

impl Default for Flow {
    fn default() -> Self {
        Self {
            usd_per_hour: 50_000,
            mean_trade_usd: 250,
            bias_bps: 10_000,
            regime_blocks: BLOCKS_PER_HOUR,
            drain_every_blocks: 3_600,
            drain_usd: 20_000,
            arbitrage: true,
            arbitrage_gas: 150_000,
            arbitrage_latency_blocks: 1,
            arbitrage_edge_bps: 2,
        }
    }
}

/// The contracts' and the keeper's parameters (one shared default; a
/// scenario's `[parameters]` table overrides any of them). The defaults of
/// θ, N, W, `MIN_BLOCKS`, k, the cap and the mesh `k` are the ones
/// `vault-sim sweep` chose (README, "Stress simulator").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Parameters {
    /// FlashContainment `θ`, bps.
    pub threshold_bps: u64,
    /// FlashContainment `N`: L2 blocks past `θ` before a trade.
    pub sustain_blocks: u64,
    /// FlashContainment TWAP window `W`, L2 blocks.
    pub twap_window: u64,
    /// FlashContainment per-block cap, USD of base token.
    pub cap_usd: u64,
    /// Stabilizer `MIN_BLOCKS`.
    pub min_blocks: u64,
    /// Stabilizer `k`: USD of base token traded per 100% deviation.
    pub k_usd: u64,
    /// Stabilizer maximum slippage, bps.
    pub max_slippage_bps: u64,
    /// Public pools' PMM `k`, 1e18 fixed point.
    pub pool_k_e18: u64,
    /// Public pools' LP fee, 1e18 fixed point.
    pub lp_fee_e18: u64,
    /// Private mesh pools' PMM `k`, 1e18 fixed point (oracle-anchored and
    /// traded only by the Stabilizers, so flatter than the public pools).
    pub mesh_k_e18: u64,
    /// Oracles' maximum age, seconds.
    pub max_oracle_age: u64,
    /// The treasury rebalances a mesh pool (withdraws its surplus side,
    /// deposits its short one, back to the first deposit) at the end of a
    /// block in which either of its reserves has drifted more than this
    /// from that deposit, bps (0: never).
    pub mesh_rebalance_bps: u64,
    /// The XAU/USD feed's heartbeat, s: it reports at least this often.
    pub oracle_heartbeat_s: u64,
    /// The XAU/USD feed's deviation threshold, bps: it reports when the true
    /// price has moved this far from its last report. Every XAU oracle (the
    /// pools' and the mesh's) follows the feed; the stablecoins' stay at
    /// their peg. The defaults (0.25%, 24 h) are a published push-feed tier
    /// (API3's dAPIs).
    pub oracle_deviation_bps: u64,
    /// L2 blocks between the block the keeper sees and the block its
    /// transactions land in (1: the next block, at a random position
    /// among that block's transactions; 0: the old model, the keeper last
    /// in the block it observed).
    pub keeper_latency_blocks: u64,
    /// ReserveSizer window `T`, minutes.
    pub reserve_window_minutes: u64,
    /// ReserveSizer safety factor, bps (15,000 = 1.5×).
    pub reserve_safety_bps: u64,
    /// Recorded peak outflow at start, USD per minute per asset.
    pub initial_peak_usd_per_minute: u64,
}

impl Default for Parameters {
    fn default() -> Self {
        Self {
            threshold_bps: 8,
            sustain_blocks: 2,
            twap_window: 3,
            cap_usd: 25_000,
            min_blocks: 1,
            k_usd: 20_000_000,
            max_slippage_bps: 50,
            pool_k_e18: 100_000_000_000_000_000,
            lp_fee_e18: 300_000_000_000_000,
            mesh_k_e18: 10_000_000_000_000_000,
            max_oracle_age: 86_400,
            mesh_rebalance_bps: 200,
            oracle_heartbeat_s: 86_400,
            oracle_deviation_bps: 25,
            keeper_latency_blocks: 1,
            reserve_window_minutes: 15,
            reserve_safety_bps: 15_000,
            initial_peak_usd_per_minute: 10_000,
        }
    }
}

/// The attack or event of a scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "kebab-case")]
pub enum Attack {
    /// `FlashAttacker`: borrow from the lender pool, push the public pool
    /// `push_bps` off the oracle, poke FlashContainment mid-manipulation,
    /// trade back and repay, all in one transaction.
    FlashLoan {
        /// Every this many L2 blocks.
        every_blocks: u64,
        /// How far it pushes the pool, bps.
        push_bps: u64,
    },
    /// Sandwich of the keeper: ahead of each keeper trade the attacker sells
    /// `front_usd` in the keeper's direction, and sells it back after.
    Sandwich {
        /// Front-run size, USD.
        front_usd: u64,
        /// L2 blocks it lasts from the first (0: to the end of the run).
        #[serde(default)]
        hold_blocks: u64,
    },
    /// Multi-block manipulation: push a pool `push_bps` off, hold it there
    /// (topping up after every correction) for `hold_blocks`, release.
    MultiBlock {
        /// Every this many L2 blocks.
        every_blocks: u64,
        /// How far it pushes the pool, bps.
        push_bps: u64,
        /// `M`: L2 blocks it holds the price.
        hold_blocks: u64,
        /// Releases in the block after the first correction on its pool
        /// instead of holding all `M` blocks (the cheapest manipulation that
        /// triggers a trade; the sweep's probe).
        #[serde(default)]
        release_on_trade: bool,
    },
    /// Depeg of one stablecoin: at `at_block` its oracles and its peg
    /// manager report it `depeg_bps` below its peg.
    Depeg {
        /// The token's symbol (`cUSDC`).
        token: String,
        /// From this L2 block.
        at_block: u64,
        /// How far below its peg, bps.
        depeg_bps: u64,
    },
    /// First-poke forge: an outsider's `FlashAttacker` borrows, pushes one
    /// pool `push_bps` below its oracle, pokes FlashContainment inside the
    /// loan, trades back and repays, in `consecutive` consecutive L2 blocks
    /// (one episode every `every_blocks`), trying to make the block's first
    /// observation its own and forge a sustained deviation.
    FirstPokeForge {
        /// An episode every this many L2 blocks.
        every_blocks: u64,
        /// How far below its oracle it pushes the pool, bps.
        push_bps: u64,
        /// Consecutive L2 blocks of flash pokes per episode.
        consecutive: u64,
    },
    /// First-poke suppression: at the start of each episode an external
    /// seller (not the attacker) really takes a random pool
    /// `real_bps` off its oracle; for `hold_blocks` the attacker's
    /// `FlashAttacker` pushes it to `spike_bps` and pokes FlashContainment
    /// inside the loan every `spike_every` blocks (from the episode's first
    /// block), while the pool is still out of the band, trying to keep the
    /// real deviation from being corrected. Episodes take `variants` in turn.
    FirstPokeSuppress {
        /// An episode every this many L2 blocks.
        every_blocks: u64,
        /// L2 blocks the attacker keeps at it.
        hold_blocks: u64,
        /// The variants, in turn.
        variants: Vec<SuppressVariant>,
    },
    /// Sign alternation: with real trades (no flash loan), the attacker
    /// takes one pool to `+bps` and `−bps` off its oracle in alternate L2
    /// blocks, trying to keep every block past `θ` without a same-sign run.
    SignAlternation {
        /// The pool's index (0: cUSDT/cUSDC, 1: cUSDT/XAU, 2: cUSDC/XAU,
        /// 3: cEURT/XAU).
        #[serde(default)]
        pool: usize,
        /// How far off its oracle, bps, each way.
        bps: u64,
        /// First L2 block of the attack.
        #[serde(default = "first_block")]
        start_block: u64,
        /// L2 blocks it lasts (0: to the end of the run).
        #[serde(default)]
        hold_blocks: u64,
    },
    /// Band dipping: with real trades, the attacker takes one pool to
    /// `deep_bps` and `shallow_bps` below its oracle in alternate L2
    /// blocks, dipping back inside `θ` every other block.
    BandDipping {
        /// The pool's index (as for `sign-alternation`).
        #[serde(default)]
        pool: usize,
        /// The deep dip below the oracle, bps (past `θ`).
        deep_bps: u64,
        /// The shallow one, bps (inside `θ`).
        shallow_bps: u64,
        /// First L2 block of the attack.
        #[serde(default = "first_block")]
        start_block: u64,
        /// L2 blocks it lasts (0: to the end of the run).
        #[serde(default)]
        hold_blocks: u64,
    },
    /// Reserve exhaustion: at `at_block` the mesh pays out `outflow_usd` of
    /// `token` (LP withdrawal) within one minute, and the reporter records it
    /// in the ReserveSizer.
    ReserveExhaustion {
        /// The token's symbol (`cUSDT`).
        token: String,
        /// At this L2 block.
        at_block: u64,
        /// The outflow, USD.
        outflow_usd: u64,
    },
}

impl Attack {
    /// The last L2 block of an attack that stops before the end of the
    /// run (`None`: it runs to the end, or is episodic).
    pub fn last_block(&self) -> Option<u64> {
        match *self {
            Self::Sandwich { hold_blocks, .. } if hold_blocks > 0 => Some(hold_blocks),
            Self::SignAlternation { start_block, hold_blocks, .. }
            | Self::BandDipping { start_block, hold_blocks, .. }
                if hold_blocks > 0 =>
            {
                Some(start_block.saturating_add(hold_blocks - 1))
            }
            _ => None,
        }
    }
}

/// One variant of `first-poke-suppress`: the real deviation, the
/// attacker's flash-loan spike and how often it lands.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressVariant {
    /// The real deviation the external seller makes, bps (signed: −80 is
    /// 0.80% below the oracle).
    pub real_bps: i64,
    /// Where each flash loan takes the pool while it pokes, bps (signed;
    /// 0 is the peg).
    pub spike_bps: i64,
    /// A flash poke every this many L2 blocks.
    pub spike_every: u64,
}

fn first_block() -> u64 {
    1
}

/// The second chain of the cross-chain scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossChain {
    /// Bridge latency `L`, L2 blocks.
    pub latency_blocks: u64,
    /// The bot trades when the spread exceeds this, bps.
    pub trigger_bps: u64,
    /// Largest parity trade, USD.
    pub max_trade_usd: u64,
    /// The bot's inventory of each token on each chain at start, USD.
    pub inventory_usd: u64,
}

/// How to run a scenario.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Overrides the scenario's block count (CI's short runs).
    pub blocks: Option<u64>,
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    /// Shows a progress bar.
    pub progress: bool,
    /// The keeper pokes every pool every L2 block, as it did before the
    /// poke policy (to measure what that policy saves); by default it pokes
    /// only past `θ`.
    pub poke_every_block: bool,
}

impl Scenario {
    /// Reads and checks a scenario file.
    ///
    /// # Errors
    /// [`SimError::Io`] or [`SimError::Scenario`].
    pub fn load(path: &Path) -> Result<Self, SimError> {
        let text = std::fs::read_to_string(path).map_err(|e| SimError::Io(path.to_path_buf(), e))?;
        let mut scenario: Self =
            toml::from_str(&text).map_err(|e| SimError::Scenario(format!("{}: {e}", path.display())))?;
        if scenario.name.is_empty() {
            scenario.name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        }
        scenario.check()?;
        Ok(scenario)
    }

    /// Checks the figures a run divides by.
    ///
    /// # Errors
    /// [`SimError::Scenario`].
    pub fn check(&self) -> Result<(), SimError> {
        let bad = |what: &str| Err(SimError::Scenario(format!("{}: {what}", self.name)));
        if self.blocks == 0 {
            return bad("blocks must be positive");
        }
        if self.flow.mean_trade_usd == 0 || self.flow.regime_blocks == 0 {
            return bad("flow.mean_trade_usd and flow.regime_blocks must be positive");
        }
        if self.flow.bias_bps > 10_000 {
            return bad("flow.bias_bps is at most 10000");
        }
        if self.market.depth_usd == 0 || self.market.mesh_depth_usd == 0 {
            return bad("market depths must be positive");
        }
        if self.flow.arbitrage_edge_bps >= 10_000 {
            return bad("flow.arbitrage_edge_bps is below 10000");
        }
        if self.market.xau_vol_annual_bps > 20_000 {
            return bad("market.xau_vol_annual_bps is at most 20000 (200%)");
        }
        if self.parameters.oracle_heartbeat_s == 0 {
            return bad("parameters.oracle_heartbeat_s must be positive");
        }
        if self.parameters.oracle_deviation_bps >= 50 {
            // The mesh refuses an oracle jump of more than 50 bps
            // (registerPool's maxJumpBps).
            return bad("parameters.oracle_deviation_bps is below 50 (the mesh's maxJumpBps)");
        }
        if self.parameters.keeper_latency_blocks > 10 {
            return bad("parameters.keeper_latency_blocks is at most 10");
        }
        for shock in &self.shocks {
            if shock.pool_index().is_none() {
                return bad(&format!("shocks: pool {:?} is not one of {POOL_LABELS:?}", shock.pool));
            }
            if shock.block == 0 || shock.usd == 0 {
                return bad("shocks: block and usd must be positive");
            }
        }
        match &self.attack {
            Some(Attack::FirstPokeSuppress { variants, .. }) => {
                if variants.is_empty() || variants.iter().any(|v| v.spike_every == 0) {
                    return bad("first-poke-suppress needs variants, each with spike_every ≥ 1");
                }
                if variants
                    .iter()
                    .any(|v| v.real_bps.unsigned_abs() >= 10_000 || v.spike_bps.unsigned_abs() >= 10_000)
                {
                    return bad("first-poke-suppress: real_bps and spike_bps are below 10,000 in size");
                }
            }
            Some(
                Attack::SignAlternation { pool, bps: deep, .. }
                | Attack::BandDipping { pool, deep_bps: deep, .. },
            ) if *pool >= POOLS || *deep >= 10_000 => {
                return bad("attack: pool is 0 to 3 and its bps below 10,000");
            }
            Some(Attack::BandDipping { shallow_bps, .. }) if *shallow_bps >= 10_000 => {
                return bad("band-dipping: shallow_bps below 10,000");
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Scenario, SimError> {
        let mut scenario: Scenario = toml::from_str(text).map_err(|e| SimError::Scenario(e.to_string()))?;
        scenario.name = "synthetic".to_owned();
        scenario.check()?;
        Ok(scenario)
    }

    #[test]
    fn shocks_parse_and_are_checked() {
        let base = "seed = 1\nblocks = 10\n";
        assert!(parse(base).expect("no shocks").shocks.is_empty());
        let one = format!(
            "{base}[[shocks]]\nblock = 1000\npool = \"cUSDT/cUSDC\"\nusd = 50000\nside = \"sell_base\"\n"
        );
        let scenario = parse(&one).expect("one shock");
        assert_eq!(
            scenario.shocks,
            [Shock { block: 1000, pool: "cUSDT/cUSDC".to_owned(), usd: 50_000, side: Side::SellBase }]
        );
        assert_eq!(scenario.shocks[0].pool_index(), Some(0));
        assert!(parse(&one.replace("cUSDT/cUSDC", "cUSDT/DAI")).is_err(), "unknown pool");
        assert!(parse(&one.replace("50000", "0")).is_err(), "no size");
        assert!(parse(&one.replace("block = 1000", "block = 0")).is_err(), "block 0");
        assert!(parse(&one.replace("sell_base", "buy_base")).is_err(), "unknown side");
        let quote =
            parse(&one.replace("sell_base", "sell_quote").replace("cUSDT/cUSDC", "cEURT/XAU")).unwrap();
        assert_eq!((quote.shocks[0].pool_index(), quote.shocks[0].side), (Some(3), Side::SellQuote));
    }
}
