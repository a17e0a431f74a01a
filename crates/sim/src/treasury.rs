//! The treasury: rebalances the private mesh when one-way stabilizing flow
//! has moved a pool's inventory away from its deposit.
//!
//! Every correction routes `tokenIn → XAU → tokenOut` through the mesh, so a
//! long run of corrections in one direction leaves one mesh pool long its
//! token and short XAU, and the other the reverse. The mesh prices with PMM
//! around its oracle, so each such trade slips a little further, until the
//! mesh's return falls below the Stabilizer's floor and every correction is
//! refused. An operator does what this module does: it watches the mesh's
//! reserves and, when either side of a pool has drifted past
//! `mesh_rebalance_bps` from the first deposit, withdraws the surplus side
//! and deposits the short side (the LP role; both reset the pool's targets
//! to its reserves, R = ONE, so the mesh prices at its oracle again). Its
//! stock (`treasury_usd` per token) is kept by a conversion desk, the
//! issuer's redemption and minting at the oracle price: what it takes out
//! of the mesh in surplus pays for what it puts back. What it moved and
//! converted is reported at the oracle price, with the gas of its
//! transactions (not the keeper's: not in the gas per pool-hour).

use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::SolCall;

use crate::abi::{fx, mesh};
use crate::keeper::GasStats;
use crate::market::{decode, send, usd_to_raw, view, Market, LP, OWNER};
use crate::SimError;

/// The treasury's rebalancing of one chain's mesh.
#[derive(Debug, Clone)]
pub struct Treasury {
    drift_bps: u64,
    /// Per mesh pool: its token's index, and the token and XAU reserves of
    /// the first deposit (raw).
    targets: Vec<(usize, U256, U256)>,
    /// Rebalances made (one per pool rebalanced).
    pub rebalances: u64,
    /// Deposits or withdrawals the mesh refused (the treasury's stock or a
    /// reserve minimum), by error name.
    pub refused: std::collections::BTreeMap<String, u64>,
    /// Net raw amount per token index the treasury put into the mesh
    /// (negative: took out).
    pub net: Vec<I256>,
    /// Per token index: the treasury's stock (raw), which its conversion
    /// desk restores.
    stock: Vec<U256>,
    /// Per token index: raw amount the conversion desk gave the treasury.
    converted: Vec<U256>,
}

impl Treasury {
    /// The treasury of `market`'s mesh: each pool's target is the first
    /// deposit, `mesh_depth_usd` of its token and of XAU.
    pub fn new(market: &Market, mesh_depth_usd: u64, treasury_usd: u64, drift_bps: u64) -> Self {
        let xau = market.tokens.len() - 1;
        let targets = market
            .mesh_oracles
            .iter()
            .map(|&(t, _)| {
                (
                    t,
                    usd_to_raw(&market.tokens[t], mesh_depth_usd),
                    usd_to_raw(&market.tokens[xau], mesh_depth_usd),
                )
            })
            .collect();
        Self {
            drift_bps,
            targets,
            rebalances: 0,
            refused: std::collections::BTreeMap::new(),
            net: vec![I256::ZERO; market.tokens.len()],
            stock: market.tokens.iter().map(|t| usd_to_raw(t, treasury_usd)).collect(),
            converted: vec![U256::ZERO; market.tokens.len()],
        }
    }

    /// At the end of a block: rebalances every mesh pool past the drift
    /// (all withdrawals first, so XAU taken from one pool can go into
    /// another), and returns how many it rebalanced.
    ///
    /// # Errors
    /// [`SimError`] when a read fails.
    pub fn step(&mut self, market: &mut Market, gas: &mut GasStats) -> Result<u64, SimError> {
        if self.drift_bps == 0 {
            return Ok(0);
        }
        let xau = market.tokens.len() - 1;
        let mut moves = Vec::new();
        for &(t, token_target, xau_target) in &self.targets {
            let token = market.tokens[t].address;
            let state = view(&mut market.world, market.mesh, &mesh::poolStateCall { token })?;
            let (token_reserve, xau_reserve) = (state.tokenReserve, state.xauReserve);
            if drift_bps(token_reserve, token_target) > self.drift_bps
                || drift_bps(xau_reserve, xau_target) > self.drift_bps
            {
                moves.push((t, (token_reserve, token_target), (xau_reserve, xau_target)));
            }
        }
        for &(t, (token_reserve, token_target), (xau_reserve, xau_target)) in &moves {
            let out = |reserve: U256, target: U256| reserve.saturating_sub(target);
            let call = mesh::withdrawCall {
                token: market.tokens[t].address,
                tokenAmount: out(token_reserve, token_target),
                xauAmount: out(xau_reserve, xau_target),
                to: LP,
            };
            if call.tokenAmount.is_zero() && call.xauAmount.is_zero() {
                continue;
            }
            if self.transact(market, &call, gas, "treasury: withdraw") {
                self.net[t] -= signed(call.tokenAmount);
                self.net[xau] -= signed(call.xauAmount);
            }
        }
        if !moves.is_empty() {
            self.convert(market)?;
        }
        for &(t, (token_reserve, token_target), (xau_reserve, xau_target)) in &moves {
            let short = |reserve: U256, target: U256| target.saturating_sub(reserve);
            let token_amount = short(token_reserve, token_target).min(market.balance(t, LP)?);
            let xau_amount = short(xau_reserve, xau_target).min(market.balance(xau, LP)?);
            let call = mesh::depositCall {
                token: market.tokens[t].address,
                tokenAmount: token_amount,
                xauAmount: xau_amount,
            };
            if token_amount.is_zero() && xau_amount.is_zero() {
                continue;
            }
            if self.transact(market, &call, gas, "treasury: deposit") {
                self.net[t] += signed(token_amount);
                self.net[xau] += signed(xau_amount);
            }
        }
        self.rebalances += moves.len() as u64;
        Ok(moves.len() as u64)
    }

    /// The treasury's conversion desk (the issuer's redemption and
    /// minting): every token it holds above its stock is exchanged for
    /// tokens it holds below theirs, at the oracle price, as far as the
    /// value on each side goes; amounts it receives are rounded down.
    fn convert(&mut self, market: &mut Market) -> Result<(), SimError> {
        let (mut excess, mut short) = (Vec::new(), Vec::new());
        let (mut excess_value, mut short_value) = (U256::ZERO, U256::ZERO);
        for t in 0..market.tokens.len() {
            let held = market.balance(t, LP)?;
            let stock = self.stock[t];
            if held > stock {
                excess_value += xau_value(market, t, held - stock);
                excess.push((t, held - stock));
            } else if held < stock {
                short_value += xau_value(market, t, stock - held);
                short.push((t, stock - held));
            }
        }
        let mut budget = excess_value.min(short_value);
        if budget.is_zero() {
            return Ok(());
        }
        let mut paid = budget;
        for (t, raw) in excess {
            if paid.is_zero() {
                break;
            }
            let amount = raw.min(raw_of_value(market, t, paid));
            paid = paid.saturating_sub(xau_value(market, t, amount));
            transfer(market, LP, OWNER, t, amount)?;
        }
        for (t, raw) in short {
            if budget.is_zero() {
                break;
            }
            let amount = raw.min(raw_of_value(market, t, budget));
            budget = budget.saturating_sub(xau_value(market, t, amount));
            transfer(market, OWNER, LP, t, amount)?;
            self.converted[t] += amount;
        }
        Ok(())
    }

    /// One line for the report: rebalances, and the net amounts moved at
    /// the oracle price.
    pub fn describe(&self, market: &Market) -> String {
        let moved: Vec<String> = self
            .net
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.is_zero())
            .map(|(t, &n)| format!("{} {:+.0} USD", market.tokens[t].symbol, market.to_usd(t, n)))
            .collect();
        let converted: Vec<String> = self
            .converted
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.is_zero())
            .map(|(t, &n)| format!("{} {:.0} USD", market.tokens[t].symbol, market.to_usd(t, signed(n))))
            .collect();
        let refused: Vec<String> = self.refused.iter().map(|(name, n)| format!("{name} ×{n}")).collect();
        format!(
            "Treasury: rebalanced a mesh pool {} times (past {} bps of drift from its first deposit); net into the mesh, at the oracle: {}; its conversion desk (issuer redemption and minting at the oracle price) gave it {}{}.",
            self.rebalances,
            self.drift_bps,
            if moved.is_empty() { "nothing".to_owned() } else { moved.join(", ") },
            if converted.is_empty() { "nothing".to_owned() } else { converted.join(", ") },
            if refused.is_empty() { String::new() } else { format!("; refused: {}", refused.join(", ")) }
        )
    }

    /// Sends `call` from the LP account; counts its gas, or its refusal.
    fn transact<C: SolCall>(
        &mut self,
        market: &mut Market,
        call: &C,
        gas: &mut GasStats,
        name: &str,
    ) -> bool {
        let mesh = market.mesh;
        let outcome = market.world.call(LP, mesh, &call.abi_encode(), U256::ZERO);
        gas.add(name, outcome.gas_used);
        if decode::<C>(&outcome).is_ok() {
            return true;
        }
        let error = crate::abi::error_name(&outcome.return_data);
        *self.refused.entry(format!("{name}: {error}")).or_default() += 1;
        false
    }
}

/// Value of `raw` units of token `t` in XAU wei (rounded down).
fn xau_value(market: &Market, t: usize, raw: U256) -> U256 {
    let token = &market.tokens[t];
    raw * token.xau_per_token / crate::market::pow10(token.decimals)
}

/// Raw units of token `t` worth `value` XAU wei (rounded down).
fn raw_of_value(market: &Market, t: usize, value: U256) -> U256 {
    let token = &market.tokens[t];
    if token.xau_per_token.is_zero() {
        return U256::ZERO;
    }
    value * crate::market::pow10(token.decimals) / token.xau_per_token
}

fn transfer(market: &mut Market, from: Address, to: Address, t: usize, amount: U256) -> Result<(), SimError> {
    if amount.is_zero() {
        return Ok(());
    }
    let token = market.tokens[t].address;
    send(&mut market.world, from, token, &fx::transferCall { to, amount }).map(|_| ())
}

/// `|reserve − target| / target` in bps (rounded down; `u64::MAX` for a
/// zero target with a nonzero reserve).
fn drift_bps(reserve: U256, target: U256) -> u64 {
    if target.is_zero() {
        return if reserve.is_zero() { 0 } else { u64::MAX };
    }
    let gap = if reserve > target { reserve - target } else { target - reserve };
    u64::try_from(gap * U256::from(10_000u16) / target).unwrap_or(u64::MAX)
}

fn signed(value: U256) -> I256 {
    I256::try_from(value).unwrap_or(I256::MAX)
}

#[cfg(test)]
mod tests {
    use super::drift_bps;
    use alloy_primitives::U256;

    #[test]
    fn drift_is_the_relative_gap_in_bps_rounded_down() {
        let u = U256::from;
        assert_eq!(drift_bps(u(10_200u32), u(10_000u32)), 200);
        assert_eq!(drift_bps(u(9_799u32), u(10_000u32)), 201);
        assert_eq!(drift_bps(u(10_000u32), u(10_000u32)), 0);
        assert_eq!(drift_bps(u(1u32), U256::ZERO), u64::MAX);
        assert_eq!(drift_bps(U256::ZERO, U256::ZERO), 0);
    }
}
