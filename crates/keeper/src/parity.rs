//! The cross-chain parity bot's decision (§9, Phase 4), written once
//! against [`Endpoint`]: the simulator's `cross-chain` scenario runs it in
//! process, `vault-keeper parity` over JSON-RPC.
//!
//! Each block and pool pair: read both public pools' `getMidPrice`; when
//! the spread `|P138 / PAlltra − 1|` exceeds the trigger, sell base on the
//! dearer chain and quote on the cheaper one, each leg sized toward the
//! midpoint of the two prices (exact PMM, `vault_math::sizing`), at most the
//! pair's leg cap and what the bridge buffer rule leaves of the bot's
//! inventory there.
//!
//! The bridge buffer rule `BridgeReserve ≥ PeakBridgeOutflow × L`: the
//! bot's inventory of a token on a chain is the buffer that covers its
//! spending there while the proceeds of the other leg cross the bridge
//! (latency `L`). Its spending per minute is the bridge outflow; a leg may
//! spend only as much as keeps the inventory left at or above the peak
//! minute outflow (this leg counted) × `L`, as `vault_math::reserve::bridge_buffer`
//! sizes it for the ReserveSizer.

use std::collections::{BTreeMap, VecDeque};

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolEvent};
use vault_math::sizing::{self, FeeRates};

use crate::abi::dodo;
use crate::decide::{math, pmm_state, view};
use crate::endpoint::{Endpoint, Sent};
use crate::KeeperError;

/// The calls of a parity leg: the DODO pool's sells and event, ERC-20s.
#[allow(missing_docs, clippy::pub_underscore_fields)]
pub mod abi {
    alloy_sol_types::sol! {
        function transfer(address to, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
        function sellBase(address to) external returns (uint256 receiveQuoteAmount);
        function sellQuote(address to) external returns (uint256 receiveBaseAmount);
        function _BASE_TOKEN_() external view returns (address);
        function _QUOTE_TOKEN_() external view returns (address);
        #[derive(Debug)]
        event DODOSwap(address fromToken, address toToken, uint256 fromAmount, uint256 toAmount, address trader, address receiver);
    }
}

/// Hundredths of a basis point in one (the spread's unit).
pub const CENTI_PER_BPS: u64 = 100;

/// One pair's pool on one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairPool {
    /// The public (DODO) pool.
    pub pool: Address,
    /// Its base token.
    pub base: Address,
    /// Its quote token.
    pub quote: Address,
    /// The pool's fee rates for the bot (1e18 = 100%).
    pub fees: FeeRates,
    /// The largest base a leg sells here, raw.
    pub max_base_in: U256,
    /// The largest quote a leg sells here, raw.
    pub max_quote_in: U256,
}

/// A pool pair: the same market on Chain 138 (`pools[0]`) and Alltra
/// (`pools[1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParityPair {
    /// A name for logs and metrics (`cUSDT/cUSDC`).
    pub label: String,
    /// The pool on each chain.
    pub pools: [PairPool; 2],
}

/// The bot's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParityRules {
    /// Trade when the spread exceeds this, bps.
    pub trigger_bps: u64,
    /// Bridge latency `L`, L2 blocks.
    pub latency_blocks: u64,
    /// L2 blocks per minute (the outflow buckets' length).
    pub blocks_per_minute: u64,
    /// Minutes over which the peak minute outflow is kept (the current one
    /// included).
    pub peak_window_minutes: u64,
}

/// `|a / b − 1|` in hundredths of a bp, truncated toward the price ratio
/// (`a × 10⁶ / b` rounded down, then its distance to `10⁶`); 0 when `b` is 0.
///
/// # Errors
/// [`KeeperError::Math`] when `a × 10⁶` overflows.
pub fn spread_centibps(a: U256, b: U256) -> Result<U256, KeeperError> {
    if b.is_zero() {
        return Ok(U256::ZERO);
    }
    let scale = U256::from(1_000_000u64);
    let ratio =
        a.checked_mul(scale).ok_or_else(|| KeeperError::Math("spread: a × 1e6 overflows".into()))? / b;
    Ok(if ratio >= scale { ratio - scale } else { scale - ratio })
}

/// Whether `spread_centibps` is past `bps`.
pub fn past(spread_centibps: U256, bps: u64) -> bool {
    spread_centibps > U256::from(bps) * U256::from(CENTI_PER_BPS)
}

/// The bot's spendable inventory, per chain (0, 1) and token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory(pub [BTreeMap<Address, U256>; 2]);

impl Inventory {
    /// What the bot holds of `token` on `chain`.
    pub fn get(&self, chain: usize, token: Address) -> U256 {
        self.0[chain].get(&token).copied().unwrap_or_default()
    }

    /// Sets what the bot holds of `token` on `chain`.
    pub fn set(&mut self, chain: usize, token: Address, amount: U256) {
        self.0[chain].insert(token, amount);
    }

    /// Adds `amount` (saturating).
    pub fn add(&mut self, chain: usize, token: Address, amount: U256) {
        let held = self.get(chain, token);
        self.set(chain, token, held.saturating_add(amount));
    }

    /// Takes `amount` (at most what is held).
    pub fn take(&mut self, chain: usize, token: Address, amount: U256) {
        let held = self.get(chain, token);
        self.set(chain, token, held.saturating_sub(amount));
    }
}

/// The bot's bridge outflow per chain and token: minute buckets over the
/// peak window.
#[derive(Debug, Clone, Default)]
pub struct BridgeOutflow {
    /// `(chain, token)` → `(minute, total)`, oldest first.
    minutes: BTreeMap<(usize, Address), VecDeque<(u64, U256)>>,
}

impl BridgeOutflow {
    /// `(outflow this minute, peak minute outflow over the window)`.
    fn window(&self, chain: usize, token: Address, block: u64, rules: &ParityRules) -> (U256, U256) {
        let minute = block / rules.blocks_per_minute.max(1);
        let first = minute.saturating_sub(rules.peak_window_minutes.saturating_sub(1));
        let Some(buckets) = self.minutes.get(&(chain, token)) else { return (U256::ZERO, U256::ZERO) };
        let in_window = buckets.iter().filter(|(m, _)| *m >= first);
        let peak = in_window.clone().map(|(_, total)| *total).max().unwrap_or_default();
        let now = in_window.filter(|(m, _)| *m == minute).map(|(_, total)| *total).next().unwrap_or_default();
        (now, peak)
    }

    /// `PeakBridgeOutflow × L` for `token` on `chain` now, rounded up.
    ///
    /// # Errors
    /// [`KeeperError::Math`] on overflow.
    pub fn required_buffer(
        &self,
        chain: usize,
        token: Address,
        block: u64,
        rules: &ParityRules,
    ) -> Result<U256, KeeperError> {
        let (_, peak) = self.window(chain, token, block, rules);
        buffer(peak, rules)
    }

    /// The most of `inventory` a leg may spend in `block` and keep
    /// `inventory − x ≥ max(peak, this minute + x) × L / blocks_per_minute`.
    ///
    /// # Errors
    /// [`KeeperError::Math`] on overflow.
    pub fn spendable(
        &self,
        chain: usize,
        token: Address,
        inventory: U256,
        block: u64,
        rules: &ParityRules,
    ) -> Result<U256, KeeperError> {
        let (now, peak) = self.window(chain, token, block, rules);
        // While this minute stays at or below the peak, the buffer is the peak's.
        let below_peak = inventory.saturating_sub(buffer(peak, rules)?);
        let to_peak = peak.saturating_sub(now);
        if below_peak <= to_peak {
            return Ok(below_peak);
        }
        // Past the peak: (inventory − x) × m ≥ (now + x) × L, so
        // x ≤ (inventory × m − now × L) / (m + L).
        let (m, l) = (U256::from(rules.blocks_per_minute.max(1)), U256::from(rules.latency_blocks));
        let have = inventory.checked_mul(m).ok_or_else(|| overflow("inventory × blocks per minute"))?;
        let owed = now.checked_mul(l).ok_or_else(|| overflow("outflow × latency"))?;
        Ok(to_peak.max(have.saturating_sub(owed) / (m + l)))
    }

    /// Records `amount` of `token` spent on `chain` in `block`, and drops
    /// buckets older than the window.
    pub fn record(&mut self, chain: usize, token: Address, amount: U256, block: u64, rules: &ParityRules) {
        let minute = block / rules.blocks_per_minute.max(1);
        let first = minute.saturating_sub(rules.peak_window_minutes.saturating_sub(1));
        let buckets = self.minutes.entry((chain, token)).or_default();
        while buckets.front().is_some_and(|(m, _)| *m < first) {
            buckets.pop_front();
        }
        match buckets.back_mut() {
            Some((m, total)) if *m == minute => *total = total.saturating_add(amount),
            _ => buckets.push_back((minute, amount)),
        }
    }
}

fn overflow(what: &str) -> KeeperError {
    KeeperError::Math(format!("bridge buffer: {what} overflows"))
}

/// `peak × L / blocks_per_minute`, rounded up (`bridge_buffer` with L in
/// blocks).
fn buffer(peak: U256, rules: &ParityRules) -> Result<U256, KeeperError> {
    vault_math::fixed::mul_div_ceil(
        peak,
        U256::from(rules.latency_blocks),
        U256::from(rules.blocks_per_minute.max(1)),
    )
    .map_err(|e| KeeperError::Math(format!("bridge buffer: {e:?}")))
}

/// Both mid prices and their spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// `getMidPrice` on each chain.
    pub mids: [U256; 2],
    /// [`spread_centibps`] of them.
    pub spread_centibps: U256,
}

/// Reads both pools' mid prices (two views).
///
/// # Errors
/// [`KeeperError`] when a read fails.
pub async fn read<E: Endpoint>(chains: &mut [E; 2], pair: &ParityPair) -> Result<Reading, KeeperError> {
    let [a, b] = chains;
    let mid_a = view(a, pair.pools[0].pool, &dodo::getMidPriceCall {}).await?.midPrice;
    let mid_b = view(b, pair.pools[1].pool, &dodo::getMidPriceCall {}).await?.midPrice;
    Ok(Reading { mids: [mid_a, mid_b], spread_centibps: spread_centibps(mid_a, mid_b)? })
}

/// One sell into a chain's public pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    /// The chain (0 or 1).
    pub chain: usize,
    /// The pool.
    pub pool: Address,
    /// Whether it sells base (the dear chain) or quote (the cheap one).
    pub sells_base: bool,
    /// The token sold.
    pub token_in: Address,
    /// The token received.
    pub token_out: Address,
    /// How much is sold, raw.
    pub amount_in: U256,
}

/// What the bot decided for one pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParityPlan {
    /// The spread is within the trigger.
    InBand,
    /// Past the trigger, but neither leg can spend anything (inventory, the
    /// buffer rule, or both pools already at the midpoint).
    Exhausted,
    /// The legs to send: the dear chain's, then the cheap chain's (either
    /// may be absent), toward `target`.
    Trade {
        /// The midpoint of the two mid prices.
        target: U256,
        /// The legs.
        legs: Vec<Leg>,
    },
}

/// Sizes the pair's legs from `reading`: each toward the midpoint (exact
/// PMM), at most its cap and what [`BridgeOutflow::spendable`] leaves of
/// the inventory.
///
/// # Errors
/// [`KeeperError`] when a pool's state cannot be read or the size computed.
pub async fn plan<E: Endpoint>(
    chains: &mut [E; 2],
    pair: &ParityPair,
    reading: &Reading,
    rules: &ParityRules,
    inventory: &Inventory,
    outflow: &BridgeOutflow,
    block: u64,
) -> Result<ParityPlan, KeeperError> {
    if !past(reading.spread_centibps, rules.trigger_bps) {
        return Ok(ParityPlan::InBand);
    }
    let [mid_a, mid_b] = reading.mids;
    // Halved by a shift (ruint's `/` is not used; see vault_math's division).
    let target = mid_a.checked_add(mid_b).ok_or_else(|| KeeperError::Math("midpoint overflows".into()))? >> 1;
    let (dear, cheap) = if mid_a > mid_b { (0, 1) } else { (1, 0) };
    let mut legs = Vec::new();
    for (chain, sells_base) in [(dear, true), (cheap, false)] {
        let p = &pair.pools[chain];
        let state = pmm_state(&mut chains[chain], p.pool).await?;
        let (token_in, token_out, cap) =
            if sells_base { (p.base, p.quote, p.max_base_in) } else { (p.quote, p.base, p.max_quote_in) };
        // DODO V2 pools: sized on their own integer arithmetic.
        let to_target = if sells_base {
            sizing::dodo::max_correcting_base_in(&state, target, p.fees)
        } else {
            sizing::dodo::max_correcting_quote_in(&state, target, p.fees)
        }
        .map_err(math)?;
        let spendable = outflow.spendable(chain, token_in, inventory.get(chain, token_in), block, rules)?;
        let amount_in = to_target.min(cap).min(spendable);
        if !amount_in.is_zero() {
            legs.push(Leg { chain, pool: p.pool, sells_base, token_in, token_out, amount_in });
        }
    }
    Ok(if legs.is_empty() { ParityPlan::Exhausted } else { ParityPlan::Trade { target, legs } })
}

/// A leg sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegOutcome {
    /// What the pool paid the bot, raw.
    pub received: U256,
    /// Gas of the transfer and of the sell.
    pub gas_used: [u64; 2],
}

fn reverted(call: &'static str, sent: &Sent) -> KeeperError {
    KeeperError::Reverted { call, error: crate::abi::any_error_name(&sent.output), data: sent.output.clone() }
}

/// Sends a leg as DODO's pools take a sell: the token to the pool, then
/// `sellBase(bot)` or `sellQuote(bot)`. What the bot received is the sell's
/// return where the endpoint has it, else its `DODOSwap` event.
///
/// # Errors
/// [`KeeperError::Reverted`] when either transaction reverts,
/// [`KeeperError::Endpoint`] when one cannot be sent.
pub async fn send_leg<E: Endpoint>(
    endpoint: &mut E,
    leg: &Leg,
    bot: Address,
) -> Result<LegOutcome, KeeperError> {
    let transfer = abi::transferCall { to: leg.pool, amount: leg.amount_in };
    let paid = endpoint.send(leg.token_in, transfer.abi_encode().into()).await?;
    if !paid.success {
        return Err(reverted(abi::transferCall::SIGNATURE, &paid));
    }
    let (call, calldata) = if leg.sells_base {
        (abi::sellBaseCall::SIGNATURE, abi::sellBaseCall { to: bot }.abi_encode())
    } else {
        (abi::sellQuoteCall::SIGNATURE, abi::sellQuoteCall { to: bot }.abi_encode())
    };
    let sold = endpoint.send(leg.pool, calldata.into()).await?;
    if !sold.success {
        return Err(reverted(call, &sold));
    }
    let received = if sold.output.len() >= 32 {
        U256::from_be_slice(&sold.output[..32])
    } else {
        sold.logs
            .iter()
            .filter(|log| log.address == leg.pool)
            .find_map(|log| abi::DODOSwap::decode_log(log, true).ok().filter(|e| e.receiver == bot))
            .map(|e| e.data.toAmount)
            .ok_or_else(|| KeeperError::Decode { call, reason: "no DODOSwap event to the bot".into() })?
    };
    Ok(LegOutcome { received, gas_used: [paid.gas_used, sold.gas_used] })
}

/// One pair's turn in one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairTurn {
    /// The mid prices and spread before any trade.
    pub reading: Reading,
    /// The plan.
    pub plan: ParityPlan,
    /// Each sent leg and its outcome, in the plan's order.
    pub sent: Vec<(Leg, LegOutcome)>,
}

/// The bot's turn on one pair (`bots`: its account on each chain):
/// [`read`], [`plan`], then each leg sent,
/// its spend taken from `inventory` and recorded as bridge outflow. What a
/// leg received is the caller's to route (the simulator bridges it; on
/// chain it is in the bot's balance).
///
/// # Errors
/// As [`read`], [`plan`] and [`send_leg`].
pub async fn turn<E: Endpoint>(
    chains: &mut [E; 2],
    pair: &ParityPair,
    rules: &ParityRules,
    inventory: &mut Inventory,
    outflow: &mut BridgeOutflow,
    block: u64,
    bots: [Address; 2],
) -> Result<PairTurn, KeeperError> {
    let reading = read(chains, pair).await?;
    let plan = plan(chains, pair, &reading, rules, inventory, outflow, block).await?;
    let mut sent = Vec::new();
    if let ParityPlan::Trade { legs, .. } = &plan {
        for leg in legs {
            let outcome = send_leg(&mut chains[leg.chain], leg, bots[leg.chain]).await?;
            inventory.take(leg.chain, leg.token_in, leg.amount_in);
            outflow.record(leg.chain, leg.token_in, leg.amount_in, block, rules);
            sent.push((leg.clone(), outcome));
        }
    }
    Ok(PairTurn { reading, plan, sent })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> ParityRules {
        ParityRules { trigger_bps: 5, latency_blocks: 40, blocks_per_minute: 240, peak_window_minutes: 60 }
    }

    #[test]
    fn spread_matches_the_simulators_ratio() {
        let e18 = U256::from(10u64).pow(U256::from(18u8));
        let a = e18 + U256::from(5_000_000_000_000_000u64); // 1.005
        assert_eq!(spread_centibps(a, e18).unwrap(), U256::from(5_000u64)); // 50 bps
        assert_eq!(spread_centibps(e18, a).unwrap(), U256::from(4_976u64)); // 1/1.005 − 1, truncated
        assert!(past(U256::from(501u64), 5) && !past(U256::from(500u64), 5));
        assert_eq!(spread_centibps(a, U256::ZERO).unwrap(), U256::ZERO);
    }

    #[test]
    fn the_buffer_rule_keeps_peak_outflow_times_latency() {
        let (rules, token) = (rules(), Address::repeat_byte(1));
        let mut outflow = BridgeOutflow::default();
        let inventory = U256::from(1_000u64);
        // No outflow yet: x ≤ (1000 × 240) / 280 = 857, leaving 143 ≥ 857 / 6.
        let first = outflow.spendable(0, token, inventory, 10, &rules).unwrap();
        assert_eq!(first, U256::from(857u64));
        outflow.record(0, token, first, 10, &rules);
        let left = inventory - first;
        assert!(left >= outflow.required_buffer(0, token, 10, &rules).unwrap());
        // Same minute: the buffer for 857 already takes all that is left.
        assert_eq!(outflow.spendable(0, token, left, 11, &rules).unwrap(), U256::ZERO);
        // A later minute within the window: up to the peak (857) the buffer
        // stays 143; past it, x ≤ 1143 × 240 / 280 = 979 (164 kept).
        let refilled = U256::from(1_143u64);
        assert_eq!(outflow.spendable(0, token, refilled, 300, &rules).unwrap(), U256::from(979u64));
        // Past the window the peak is forgotten.
        assert_eq!(outflow.spendable(0, token, inventory, 240 * 61, &rules).unwrap(), U256::from(857u64));
        // Other chains and tokens are their own buckets.
        assert_eq!(outflow.spendable(1, token, inventory, 11, &rules).unwrap(), U256::from(857u64));
    }

    #[test]
    fn inventory_saturates() {
        let mut inventory = Inventory::default();
        let token = Address::repeat_byte(2);
        inventory.add(1, token, U256::from(5u8));
        inventory.take(1, token, U256::from(7u8));
        assert_eq!(inventory.get(1, token), U256::ZERO);
        assert_eq!(inventory.get(0, token), U256::ZERO);
    }
}
