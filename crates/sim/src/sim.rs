//! The block loop: external flow, attackers, the keeper, the reporter and
//! the oracle heartbeat on one chain (two for the cross-chain scenario),
//! recorded block by block.

use std::collections::BTreeMap;

use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use indicatif::{ProgressBar, ProgressStyle};

use crate::abi::{fc, fx, mesh, sizer, stab};
use crate::arbitrage::Arbitrage;
use crate::flow::FlowGen;
use crate::keeper::{self, GasStats, Plan};
use crate::market::{args, send, view, Codes, Fixtures, Market, ATTACKER, LP, OWNER, REPORTER, TRADER};
use crate::metrics::{self, Facts, Summary};
use crate::price::{GoldPrice, Report};
use crate::record::{BlockRecord, EventKind, EventRecord, RunRecord};
use crate::rng::SplitMix64;
use crate::scenario::{Attack, Parameters, RunOptions, Scenario, SuppressVariant};
use crate::treasury::Treasury;
use crate::SimError;

/// Blocks of each FlashContainment window observed before the run starts.
const WARM_UP_BLOCKS: u64 = 8;

/// One chain and its actors.
struct ChainSim {
    name: &'static str,
    market: Market,
    flow: FlowGen,
    /// Per asset: the ReserveSizer's required reserve, refreshed after each
    /// recorded outflow and every minute.
    required: Vec<U256>,
    /// The treasury's rebalancing of this chain's mesh.
    treasury: Treasury,
    /// The keeper's transactions waiting for their block, by
    /// `(block, pool)`.
    pending: BTreeMap<(u64, usize), Pending>,
    /// The pools the keeper's poke landed on this block, and the streak
    /// each logged.
    poked: BTreeMap<usize, Option<u64>>,
    /// Per pool: its recent `Observed` events `(block, deviationBps)`,
    /// oldest first (what the keeper reads with `eth_getLogs`).
    observed: Vec<Vec<(u64, i32)>>,
}

impl ChainSim {
    /// Reads the block's `Observed` events into [`ChainSim::observed`],
    /// keeping the last `keep` blocks', and forgets the chain's logs.
    fn observe_logs(&mut self, keep: u64) {
        let containment = self.market.containment;
        for log in self.market.world.logs() {
            if log.address != containment {
                continue;
            }
            if let Ok(event) = fc::Observed::decode_log(log, true) {
                if let Some(pool) = self.market.pools.iter().position(|p| p.address == event.pool) {
                    self.observed[pool].push((event.blockNumber, event.deviationBps));
                }
            }
        }
        self.market.world.clear_logs();
        let block = self.market.world.block().number;
        let horizon = block.saturating_sub(2 * keep + 1);
        for list in &mut self.observed {
            list.retain(|&(at, _)| at >= horizon);
        }
    }
}

/// Runs a scenario with the contracts' wasm from `target/stylus`.
///
/// # Errors
/// [`SimError`] when the wasm or the fixtures are missing, or a call that
/// must succeed fails.
pub fn run_scenario(scenario: &Scenario, options: &RunOptions) -> Result<(RunRecord, Summary), SimError> {
    let codes = Codes::load()?;
    let fixtures = Fixtures::load()?;
    run_scenario_with(scenario, options, &codes, &fixtures)
}

/// [`run_scenario`] with the code already loaded (benchmarks, sweeps).
///
/// # Errors
/// As [`run_scenario`].
#[allow(clippy::too_many_lines)]
pub fn run_scenario_with(
    scenario: &Scenario,
    options: &RunOptions,
    codes: &Codes,
    fixtures: &Fixtures,
) -> Result<(RunRecord, Summary), SimError> {
    scenario.check()?;
    let blocks = options.blocks.unwrap_or(scenario.blocks);
    let seed = options.seed.unwrap_or(scenario.seed);
    let params = &scenario.parameters;
    let mut rng = SplitMix64::new(seed);
    let mut chains = Vec::new();
    let names: &[&'static str] = if scenario.cross_chain.is_some() { &["138", "Alltra"] } else { &["138"] };
    for &name in names {
        let market = Market::deploy(&scenario.market, params, codes, fixtures)?;
        let flow = FlowGen::new(&scenario.flow, market.pools.len(), &mut rng);
        let treasury = Treasury::new(
            &market,
            scenario.market.mesh_depth_usd,
            scenario.market.treasury_usd,
            params.mesh_rebalance_bps,
        );
        let observed = vec![Vec::new(); market.pools.len()];
        chains.push(ChainSim {
            name,
            market,
            flow,
            required: Vec::new(),
            treasury,
            pending: BTreeMap::new(),
            poked: BTreeMap::new(),
            observed,
        });
    }
    let mut attacker = AttackState::new(scenario, &mut chains[0].market, fixtures, &mut rng)?;
    let mut bot = match (scenario.cross_chain.as_ref(), chains.as_slice()) {
        (Some(c), [a, b]) => Some(crate::bridge::ParityBot::new(c, &a.market, &b.market)),
        _ => None,
    };
    let mut gas = GasStats::default();
    let mut facts = Facts::default();
    // FlashContainment observes every pool for a few blocks before the run.
    for c in &mut chains {
        for warm in 0..WARM_UP_BLOCKS {
            c.market.next_block(warm);
            for pool in 0..c.market.pools.len() {
                keeper::poke(&mut c.market, pool, params, &mut GasStats::default())?;
            }
        }
        c.required = required(&mut c.market)?;
    }
    let mut record = RunRecord { scenario: scenario.name.clone(), ..RunRecord::default() };
    for c in &chains {
        let prefix = if chains.len() > 1 { format!("{} ", c.name) } else { String::new() };
        record.pools.extend(c.market.pools.iter().map(|p| format!("{prefix}{}", p.label)));
        record.reserves.extend(c.market.tokens.iter().map(|t| format!("{prefix}{}", t.symbol)));
    }
    let attackers = attacker.accounts();
    let pnl_before = holdings(&mut chains[0].market, &attackers)?;
    let progress = if options.progress {
        let bar = ProgressBar::new(blocks);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} L2 blocks, {per_sec}, eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(scenario.name.clone());
        bar
    } else {
        ProgressBar::hidden()
    };
    let pools_per_chain = chains[0].market.pools.len();
    let latency = params.keeper_latency_blocks;
    // Streams of their own, forked after the flow's and the attacker's so
    // theirs are what they were before gold moved.
    let mut order_rng = rng.fork();
    let now = chains[0].market.world.block().timestamp;
    let mut gold = GoldPrice::new(
        scenario.market.xau_vol_annual_bps,
        params.oracle_deviation_bps,
        params.oracle_heartbeat_s,
        now,
        rng.fork(),
    );
    let arbitrage_gas_usd = scenario.market.gas_usd(u128::from(scenario.flow.arbitrage_gas));
    let mut arbitrage: Vec<Arbitrage> =
        chains.iter().map(|_| Arbitrage::new(arbitrage_gas_usd, scenario.flow.arbitrage_edge_bps)).collect();
    let books_before: Vec<Books> =
        chains.iter_mut().map(|c| Books::read(&mut c.market)).collect::<Result<_, _>>()?;
    for index in 0..blocks {
        let block_no = index + 1;
        for c in &mut chains {
            c.market.next_block(index + WARM_UP_BLOCKS);
        }
        let now = chains[0].market.world.block().timestamp;
        let report = gold.step(now);
        for c in &mut chains {
            c.market.set_true_gold(gold.true_ratio);
            if let Report::Price(ratio) = report {
                c.market.report_gold(ratio)?;
            }
        }
        let mut events = Vec::new();
        let trades_before = facts.trades;
        // The attacks assume the block's first transactions are theirs.
        attacker.before_keeper(&mut chains[0].market, block_no, &mut events, &mut facts)?;
        let mut drains = Vec::new();
        let mut external = Vec::new();
        // The rest of the block: the external flow, the arbitrageurs and the
        // keeper's transactions; the keeper's fall at a random position
        // among them, unless it acts in the block it observed (latency 0,
        // the old model: last).
        let order = if latency == 0 {
            [Actor::Flow, Actor::Arbitrage, Actor::Keeper]
        } else {
            Actor::ORDERS[usize::try_from(order_rng.below(6)).unwrap_or(0)]
        };
        for actor in order {
            match actor {
                Actor::Flow => {
                    for (n, c) in chains.iter_mut().enumerate() {
                        let offset = n * pools_per_chain;
                        drains.extend(c.flow.step(
                            &mut c.market,
                            block_no,
                            offset,
                            &mut events,
                            &mut external,
                        )?);
                    }
                    // The scenario's one-off drains land on the first chain,
                    // after its ordinary flow.
                    for shock in scenario.shocks.iter().filter(|s| s.block == block_no) {
                        let pool = crate::flow::shock(
                            &mut chains[0].market,
                            shock,
                            block_no,
                            0,
                            &mut events,
                            &mut external,
                        )?;
                        drains.push(pool);
                        facts.shocks.push((pool, block_no, shock.usd));
                    }
                }
                Actor::Arbitrage if scenario.flow.arbitrage => {
                    for (n, c) in chains.iter_mut().enumerate() {
                        let offset = n * pools_per_chain;
                        if scenario.flow.arbitrage_latency_blocks == 0 {
                            arbitrage[n].step(&mut c.market, offset, &mut external)?;
                        } else {
                            arbitrage[n].land(&mut c.market, block_no, offset, &mut external)?;
                        }
                    }
                }
                Actor::Arbitrage => {}
                Actor::Keeper => {
                    for (n, c) in chains.iter_mut().enumerate() {
                        for pool in 0..c.market.pools.len() {
                            let action = if latency == 0 {
                                match keeper::turn(
                                    &mut c.market,
                                    pool,
                                    params,
                                    options.poke_every_block,
                                    &mut gas,
                                )? {
                                    Plan::Idle => None,
                                    Plan::Refused(name) => {
                                        *facts.refusals.entry(format!("keeperTrade: {name}")).or_default() +=
                                            1;
                                        None
                                    }
                                    Plan::Send(call) => Some(Pending::Trade(call)),
                                }
                            } else {
                                c.pending.remove(&(block_no, pool))
                            };
                            let mut landing = Landing {
                                chain: n,
                                offset: n * pools_per_chain,
                                pool,
                                block: block_no,
                                params,
                                events: &mut events,
                                facts: &mut facts,
                                gas: &mut gas,
                                history: &record.blocks,
                            };
                            match action {
                                None => {}
                                Some(Pending::Poke) => {
                                    let streak = keeper::poke(&mut c.market, pool, params, landing.gas)?;
                                    c.poked.insert(pool, streak);
                                }
                                Some(Pending::Trade(call)) => landing.trade(c, &mut attacker, &call)?,
                            }
                        }
                    }
                }
            }
        }
        if let (Some(bot), [first, second]) = (bot.as_mut(), chains.as_mut_slice()) {
            bot.step(&mut first.market, &mut second.market, block_no, &mut events)?;
        }
        // The mesh's reserves move only with a correction (and with the
        // treasury's own transactions), so it looks only after one.
        if facts.trades > trades_before {
            for c in &mut chains {
                c.treasury.step(&mut c.market, &mut gas)?;
            }
        }
        // The arbitrageurs and the keeper see the block, and decide what
        // lands later.
        if scenario.flow.arbitrage && scenario.flow.arbitrage_latency_blocks > 0 {
            for (n, c) in chains.iter_mut().enumerate() {
                arbitrage[n].plan(&mut c.market, block_no + scenario.flow.arbitrage_latency_blocks)?;
            }
        }
        if latency > 0 {
            for c in &mut chains {
                c.observe_logs(params.sustain_blocks + latency);
                // Pending transactions are keyed by the run's block; the
                // sustain rule counts the chain's.
                let landing = (block_no + latency, c.market.world.block().number + latency);
                for pool in 0..c.market.pools.len() {
                    decide_after_block(
                        c,
                        pool,
                        params,
                        landing,
                        options.poke_every_block,
                        &mut gas,
                        &mut facts,
                    )?;
                }
                c.poked.clear();
            }
        }
        // The state at the end of the block.
        let mut row = BlockRecord { block: block_no, external, ..BlockRecord::default() };
        let acted = !events.is_empty();
        for c in &mut chains {
            // The required reserve moves with recorded outflows (refreshed
            // after each trade above), the peak window (each minute) and the
            // scenario's events.
            if index % 240 == 0 || acted {
                c.required = required(&mut c.market)?;
            }
            for pool in 0..c.market.pools.len() {
                row.deviation_bps.push(c.market.deviation_bps(pool)?);
            }
            let mesh_address = c.market.mesh;
            for t in 0..c.market.tokens.len() {
                let held = c.market.balance(t, mesh_address)?;
                row.reserve_headroom.push(ratio(held, c.required[t]));
            }
        }
        if chains.len() == 2 {
            for pool in 0..pools_per_chain {
                let a = chains[0].market.mid(pool)?;
                let b = chains[1].market.mid(pool)?;
                row.spread_bps.push(crate::market::ratio_bps(a, b).abs());
            }
        }
        for d in drains {
            facts.drains.push((d, block_no));
        }
        record.events.extend(events);
        record.blocks.push(row);
        progress.inc(1);
    }
    progress.finish_and_clear();
    attacker.finish(&chains[0].market, blocks, &mut facts);
    let pnl_after = holdings(&mut chains[0].market, &attackers)?;
    if !attackers.is_empty() {
        // At gold's true price at the end: the oracle's may lag it.
        let pnl = pnl_true(&chains[0].market, &pnl_before, &pnl_after, &[]);
        let at_oracle: f64 = (0..chains[0].market.tokens.len())
            .map(|t| chains[0].market.to_usd(t, signed(pnl_after[t]) - signed(pnl_before[t])))
            .sum();
        facts.attacker_pnl_usd = Some(pnl);
        facts.extra.insert("attacker_pnl_at_oracle_usd".to_owned(), format!("{at_oracle:.2}"));
        if attacker.attack_blocks > 0 {
            facts.extra.insert(
                "attacker_pnl_per_attack_block_usd".to_owned(),
                format!("{:.2}", pnl / attacker.attack_blocks as f64),
            );
        }
    }
    if let Some(bot) = &bot {
        facts.notes.push(bot.describe());
    }
    cost_of_stabilizing(scenario, &mut chains, &books_before, &gas, &record, &mut facts)?;
    for (n, arb) in arbitrage.iter().enumerate() {
        let prefix = if chains.len() > 1 { format!("{}: ", chains[n].name) } else { String::new() };
        facts.notes.push(format!("{prefix}{}", arb.describe()));
    }
    facts
        .extra
        .insert("arbitrage_trades".to_owned(), arbitrage.iter().map(|a| a.trades).sum::<u64>().to_string());
    facts.extra.insert(
        "arbitrage_volume_usd".to_owned(),
        format!("{:.0}", arbitrage.iter().map(|a| a.volume_usd).sum::<f64>()),
    );
    facts.extra.insert(
        "arbitrage_pnl_usd".to_owned(),
        format!("{:.2}", arbitrage.iter().map(|a| a.pnl_usd).sum::<f64>()),
    );
    let bps = |ratio: f64| (ratio - 1.0) * 10_000.0;
    facts.extra.insert("xau_move_bps".to_owned(), format!("{:+.1}", bps(gold.true_ratio)));
    facts
        .extra
        .insert("xau_range_bps".to_owned(), format!("{:+.1}..{:+.1}", bps(gold.range.0), bps(gold.range.1)));
    facts.extra.insert(
        "feed_reports".to_owned(),
        format!("{} on deviation, {} on heartbeat", gold.reports[0], gold.reports[1]),
    );
    facts.extra.insert("feed_max_lag_bps".to_owned(), format!("{:.1}", gold.max_lag_bps));
    facts.notes.push(format!(
        "Gold: a seeded random walk at {:.0}% a year moved {:+.1} bps over the run (range {:+.1} to {:+.1}); the XAU/USD feed ({} bps deviation, {} s heartbeat) reported {} times, lagging the true price by at most {:.1} bps. The keeper's transactions land {} L2 block(s) after the block it saw{}.",
        gold.vol_annual_pct(),
        bps(gold.true_ratio),
        bps(gold.range.0),
        bps(gold.range.1),
        params.oracle_deviation_bps,
        params.oracle_heartbeat_s,
        gold.reports[0] + gold.reports[1],
        gold.max_lag_bps,
        latency,
        if latency > 0 { ", at a random position among its transactions" } else { ", last in it" }
    ));
    for c in &chains {
        let prefix = if chains.len() > 1 { format!("{}: ", c.name) } else { String::new() };
        facts.notes.push(format!("{prefix}{}", c.treasury.describe(&c.market)));
    }
    let rebalances: u64 = chains.iter().map(|c| c.treasury.rebalances).sum();
    facts.extra.insert("treasury_rebalances".to_owned(), rebalances.to_string());
    if let Some(end) = scenario.attack.as_ref().and_then(Attack::last_block).filter(|&end| end < blocks) {
        let back = record.blocks.iter().find(|b| {
            b.block > end && b.deviation_bps.iter().all(|d| d.abs() <= crate::metrics::PEG_BAND_BPS)
        });
        let value = back.map_or_else(|| "never".to_owned(), |b| (b.block - end).to_string());
        facts.notes.push(format!(
            "Recovery after the attack: the attack's last L2 block is {end}; every pool ends a block within the band {value} L2 blocks after it."
        ));
        facts.extra.insert("recovery_after_attack_blocks".to_owned(), value);
    }
    facts.attack_episodes = attacker.episodes.clone();
    facts.episode_costs = attacker.episode_costs.clone();
    if !attacker.episode_costs.is_empty() {
        let costs = &attacker.episode_costs;
        let total: f64 = costs.iter().sum();
        facts.notes.push(format!(
            "multi-block manipulation: {} episodes, mean cost {:.2} USD, min {:.2}, max {:.2}, total {total:.2} (an unfinished episode at the end is in the P&L but not here)",
            costs.len(),
            total / costs.len() as f64,
            costs.iter().copied().fold(f64::INFINITY, f64::min),
            costs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        ));
    }
    let summary = metrics::summarize(scenario, seed, &record, &gas, &facts);
    Ok((record, summary))
}

/// Who acts in a block after the attacker.
#[derive(Debug, Clone, Copy)]
enum Actor {
    Flow,
    Arbitrage,
    Keeper,
}

impl Actor {
    /// Every order of the three, one drawn per block.
    const ORDERS: [[Self; 3]; 6] = [
        [Self::Flow, Self::Arbitrage, Self::Keeper],
        [Self::Flow, Self::Keeper, Self::Arbitrage],
        [Self::Arbitrage, Self::Flow, Self::Keeper],
        [Self::Arbitrage, Self::Keeper, Self::Flow],
        [Self::Keeper, Self::Flow, Self::Arbitrage],
        [Self::Keeper, Self::Arbitrage, Self::Flow],
    ];
}

/// A keeper transaction decided in one block, landing in a later one.
#[derive(Debug, Clone)]
enum Pending {
    Poke,
    Trade(stab::executePrivateSwapCall),
}

/// The keeper's decision for one pool after it has seen a block, for the
/// block `landing` its transactions land in; the order of the `vault-keeper`
/// program's turn: after its poke's receipt, a trade only when the sustain
/// rule holds in the landing block (`decide::sustained_at` over the pool's
/// `Observed` events), planned on the state it sees (`decide::plan`);
/// otherwise a poke when the deviation it reads is past `θ`.
#[allow(clippy::too_many_arguments)]
fn decide_after_block(
    c: &mut ChainSim,
    pool: usize,
    params: &Parameters,
    (landing, landing_on_chain): (u64, u64),
    every_block: bool,
    gas: &mut GasStats,
    facts: &mut Facts,
) -> Result<(), SimError> {
    let spec = keeper::spec(&c.market, pool, params);
    if let Some(&streak) = c.poked.get(&pool) {
        let ready = streak.is_none_or(|count| count < spec.sustain_blocks)
            || vault_keeper::decide::sustained_at(&spec, &c.observed[pool], landing_on_chain);
        if ready {
            match keeper::plan(&mut c.market, pool, params, streak, gas)? {
                Plan::Idle => {}
                Plan::Refused(name) => {
                    *facts.refusals.entry(format!("keeperTrade: {name}")).or_default() += 1;
                }
                Plan::Send(call) => {
                    c.pending.insert((landing, pool), Pending::Trade(call));
                    return Ok(());
                }
            }
        } else {
            *facts
                .refusals
                .entry("keeper: not sustained in the landing block (poked again)".to_owned())
                .or_default() += 1;
        }
    }
    if every_block || keeper::past_threshold(&mut c.market, pool, params)? {
        c.pending.insert((landing, pool), Pending::Poke);
    }
    Ok(())
}

/// A keeper trade landing in a block, and what it touches.
struct Landing<'a> {
    chain: usize,
    offset: usize,
    pool: usize,
    block: u64,
    params: &'a Parameters,
    events: &'a mut Vec<EventRecord>,
    facts: &'a mut Facts,
    gas: &'a mut GasStats,
    history: &'a [BlockRecord],
}

impl Landing<'_> {
    /// Sends the trade (between the sandwich's two legs, if one runs) and
    /// books its outcome.
    fn trade(
        &mut self,
        c: &mut ChainSim,
        attacker: &mut AttackState,
        call: &stab::executePrivateSwapCall,
    ) -> Result<(), SimError> {
        let (pool, block) = (self.pool, self.block);
        let first_chain = self.chain == 0;
        let front = if first_chain {
            attacker.front_run(&mut c.market, pool, call, block, self.events)?
        } else {
            None
        };
        let outcome = keeper::execute(&mut c.market, pool, self.params, call, self.gas);
        if let Some(front) = front {
            AttackState::back_run(&mut c.market, pool, front)?;
        }
        if !outcome.success {
            let name = crate::abi::error_name(&outcome.output);
            *self.facts.refusals.entry(format!("executePrivateSwap: {name}")).or_default() += 1;
            return Ok(());
        }
        for event in keeper::stabilized(&outcome) {
            let token_in = c.market.tokens.iter().position(|t| t.address == event.tokenIn).unwrap_or(0);
            let symbol = c.market.tokens[token_in].symbol.clone();
            self.events.push(EventRecord {
                block,
                pool: self.offset + pool,
                kind: EventKind::Trade,
                label: format!(
                    "sell {:.0} USD of {symbol}",
                    c.market.to_usd(token_in, signed(event.amountIn))
                ),
            });
            self.facts.trades += 1;
            if Some(token_in) == self.facts.depegged_token && block >= self.facts.depeg_block {
                self.facts.sold_depegged += 1;
            }
            if first_chain && attacker.caused(pool, block, self.history, self.params.threshold_bps) {
                self.facts.attack_triggered_trades += 1;
            }
            if first_chain {
                attacker.on_correction(pool, block);
            }
            // The mesh released `meshReturned` of tokenIn. A Stabilizer that
            // records it on chain (`ReleaseRecorded`, not counted in P)
            // leaves the reporter nothing to do; before that, the reporter
            // recorded it as an outflow.
            if !released_on_chain(&outcome.logs, c.market.sizer) {
                let record = sizer::recordOutflowCall { asset: event.tokenIn, amount: event.meshReturned };
                let sizer_address = c.market.sizer;
                let out = c.market.world.call(REPORTER, sizer_address, &record.abi_encode(), U256::ZERO);
                self.gas.add("recordOutflow", out.gas_used);
            }
            c.required = required(&mut c.market)?;
        }
        Ok(())
    }
}

/// What the protocol (the mesh and the Stabilizers' floats) and the public
/// pools' LPs hold, per token, raw: their P&L is the change.
struct Books {
    protocol: Vec<U256>,
    pools: Vec<U256>,
}

impl Books {
    fn read(market: &mut Market) -> Result<Self, SimError> {
        let protocol: Vec<Address> =
            std::iter::once(market.mesh).chain(market.pools.iter().map(|p| p.stabilizer)).collect();
        let pools: Vec<Address> = market.pools.iter().map(|p| p.address).collect();
        Ok(Self { protocol: holdings(market, &protocol)?, pools: holdings(market, &pools)? })
    }
}

/// `Σ (after − before − put_in)` per token, valued at the true price.
fn pnl_true(market: &Market, before: &[U256], after: &[U256], put_in: &[I256]) -> f64 {
    (0..market.tokens.len())
        .map(|t| {
            let change = signed(after[t]) - signed(before[t]) - put_in.get(t).copied().unwrap_or(I256::ZERO);
            market.to_usd_true(t, change)
        })
        .sum()
}

/// The cost of stabilizing, at gold's true price at the end: the
/// protocol's P&L (the mesh and the Stabilizers' floats, without what the
/// treasury put in or took out, or the scenario's LP withdrew), the public pools' LPs' P&L, and the
/// keeper's gas at the scenario's gas price; each also per hour and per
/// 1 M USD of external volume.
fn cost_of_stabilizing(
    scenario: &Scenario,
    chains: &mut [ChainSim],
    before: &[Books],
    gas: &GasStats,
    record: &RunRecord,
    facts: &mut Facts,
) -> Result<(), SimError> {
    let (mut mesh, mut lps) = (0.0, 0.0);
    for (n, (c, before)) in chains.iter_mut().zip(before).enumerate() {
        let after = Books::read(&mut c.market)?;
        // What the treasury put in, less what the scenario's LP took out
        // (on the first chain): neither is the mesh's trading.
        let mut put_in = c.treasury.net.clone();
        for &(t, amount) in facts.mesh_withdrawn.iter().filter(|_| n == 0) {
            put_in[t] -= signed(amount);
        }
        mesh += pnl_true(&c.market, &before.protocol, &after.protocol, &put_in);
        lps += pnl_true(&c.market, &before.pools, &after.pools, &[]);
    }
    let keeper_gas: u128 = crate::metrics::KEEPER_TRANSACTIONS
        .iter()
        .filter_map(|name| gas.calls.get(*name))
        .map(|&(_, sum, _)| sum)
        .sum();
    let keeper_usd = scenario.market.gas_usd(keeper_gas);
    let volume: f64 = record.blocks.iter().flat_map(|b| &b.external).map(|t| t.usd as f64).sum();
    let hours = record.blocks.len() as f64 / crate::scenario::BLOCKS_PER_HOUR as f64;
    for (name, usd) in [("mesh_pnl", mesh), ("lp_pnl", lps), ("keeper_gas", keeper_usd)] {
        facts.extra.insert(format!("{name}_usd"), format!("{usd:.2}"));
        facts
            .extra
            .insert(format!("{name}_usd_per_hour"), format!("{:.2}", usd / hours.max(f64::MIN_POSITIVE)));
        let per_million =
            if volume > 0.0 { format!("{:.2}", usd / (volume / 1e6)) } else { "n/a".to_owned() };
        facts.extra.insert(format!("{name}_usd_per_million_volume"), per_million);
    }
    facts.extra.insert("external_volume_usd".to_owned(), format!("{volume:.0}"));
    facts.notes.push(format!(
        "Cost of stabilizing, at gold's true price: the mesh and the Stabilizers {mesh:+.2} USD, the public pools' LPs {lps:+.2} USD, the keeper's gas {keeper_usd:.4} USD ({keeper_gas} gas at {} wei and {} USD/ETH), over {volume:.0} USD of external volume",
        scenario.market.gas_price_wei, scenario.market.eth_usd
    ));
    Ok(())
}

/// Whether a trade's release was recorded on chain by the Stabilizer
/// (`ReleaseRecorded` from the ReserveSizer).
fn released_on_chain(logs: &[alloy_primitives::Log], sizer: Address) -> bool {
    logs.iter().any(|log| log.address == sizer && sizer::ReleaseRecorded::decode_log(log, true).is_ok())
}

fn signed(value: U256) -> I256 {
    I256::try_from(value).unwrap_or(I256::MAX)
}

fn ratio(held: U256, required: U256) -> f64 {
    if required.is_zero() {
        return f64::INFINITY;
    }
    held.to::<u128>() as f64 / required.to::<u128>() as f64
}

/// The ReserveSizer's required reserve of every asset.
fn required(market: &mut Market) -> Result<Vec<U256>, SimError> {
    let s = market.sizer;
    (0..market.tokens.len())
        .map(|t| {
            let asset = market.tokens[t].address;
            Ok(view(&mut market.world, s, &sizer::requiredReserveCall { asset })?._0)
        })
        .collect()
}

/// Summed balances of every token over `accounts`.
fn holdings(market: &mut Market, accounts: &[Address]) -> Result<Vec<U256>, SimError> {
    let mut total = vec![U256::ZERO; market.tokens.len()];
    for &account in accounts {
        for (t, sum) in total.iter_mut().enumerate() {
            *sum += market.balance(t, account)?;
        }
    }
    Ok(total)
}

/// What the scenario's attacker is doing.
struct AttackState {
    attack: Option<Attack>,
    /// The `FlashAttacker` contract, for the flash-loan scenario.
    contract: Option<Address>,
    /// The multi-block manipulation in progress: pool, start block, the
    /// attacker's base and quote balances before it.
    holding: Option<(usize, u64, U256, U256)>,
    /// Costs of the finished multi-block episodes, USD at the oracle.
    episode_costs: Vec<f64>,
    /// `(pool, first block, last block)` within which a trade counts as
    /// triggered by the attacker.
    windows: Vec<(usize, u64, u64)>,
    /// One line per finished episode (multi-block costs).
    episodes: Vec<String>,
    /// A correction hit the held pool since the hold began.
    corrected: bool,
    /// The attacker's pokes inside its flash loans: recorded by
    /// FlashContainment, refused (`[recorded, refused]`).
    pokes: [u64; 2],
    /// L2 blocks in which the attacker traded.
    attack_blocks: u64,
    /// Episodes started (suppression variants are taken in turn).
    episode: usize,
    /// The forge in progress: its pool.
    forge: Option<usize>,
    /// The suppression episode in progress.
    suppress: Option<Suppress>,
    /// Suppression episodes: `[finished, with a correction inside]`.
    suppressed: [u64; 2],
    sustain: u64,
    twap: u64,
    pools: usize,
    rng: SplitMix64,
}

impl AttackState {
    fn new(
        scenario: &Scenario,
        market: &mut Market,
        fixtures: &Fixtures,
        rng: &mut SplitMix64,
    ) -> Result<Self, SimError> {
        let mut state = Self {
            attack: scenario.attack.clone(),
            contract: None,
            holding: None,
            episode_costs: Vec::new(),
            windows: Vec::new(),
            episodes: Vec::new(),
            corrected: false,
            pokes: [0; 2],
            attack_blocks: 0,
            episode: 0,
            forge: None,
            suppress: None,
            suppressed: [0; 2],
            sustain: scenario.parameters.sustain_blocks,
            twap: scenario.parameters.twap_window,
            pools: market.pools.len(),
            rng: rng.fork(),
        };
        match &scenario.attack {
            Some(
                Attack::SignAlternation { pool, start_block, hold_blocks, .. }
                | Attack::BandDipping { pool, start_block, hold_blocks, .. },
            ) => {
                let last =
                    if *hold_blocks == 0 { u64::MAX } else { start_block.saturating_add(hold_blocks - 1) };
                state.windows.push((
                    *pool,
                    *start_block,
                    last.saturating_add(state.sustain + state.twap + 1),
                ));
            }
            Some(
                Attack::FlashLoan { .. } | Attack::FirstPokeForge { .. } | Attack::FirstPokeSuppress { .. },
            ) => {
                let ctor = fx::attackerConstructorCall { owner: ATTACKER };
                let contract = fixtures
                    .attacker
                    .deploy(&mut market.world, ATTACKER, &args(&ctor))
                    .map_err(|o| SimError::Chain(format!("FlashAttacker: {o:?}")))?;
                for t in 0..market.tokens.len() {
                    let amount = market.usd(t, 1_000_000);
                    let token = market.tokens[t].address;
                    send(&mut market.world, ATTACKER, token, &fx::transferCall { to: contract, amount })?;
                }
                state.contract = Some(contract);
            }
            Some(Attack::Depeg { .. }) => {
                let ctor = fx::pegManagerConstructorCall { owner: OWNER, pegBandBps: U256::from(50u8) };
                let manager = fixtures
                    .peg_manager
                    .deploy(&mut market.world, OWNER, &args(&ctor))
                    .map_err(|o| SimError::Chain(format!("StablecoinPegManager: {o:?}")))?;
                state.contract = Some(manager);
                for p in market.pools.clone() {
                    let kind = |t: usize| u8::from(market.tokens[t].symbol != "XAU");
                    let call = stab::setPegManagersCall {
                        stablecoinPegManager: manager,
                        commodityPegManager: Address::ZERO,
                        baseKind: kind(p.base),
                        quoteKind: kind(p.quote),
                        maxPegDeviationBps: 50,
                    };
                    send(&mut market.world, crate::market::ADMIN, p.stabilizer, &call)?;
                }
            }
            _ => {}
        }
        Ok(state)
    }

    /// The accounts whose holdings make the attacker's P&L.
    fn accounts(&self) -> Vec<Address> {
        match &self.attack {
            Some(
                Attack::FlashLoan { .. } | Attack::FirstPokeForge { .. } | Attack::FirstPokeSuppress { .. },
            ) => vec![ATTACKER].into_iter().chain(self.contract).collect(),
            Some(
                Attack::Sandwich { .. }
                | Attack::MultiBlock { .. }
                | Attack::SignAlternation { .. }
                | Attack::BandDipping { .. },
            ) => vec![ATTACKER],
            _ => Vec::new(),
        }
    }

    /// Notes a correction on `pool` (a holding attacker may release on it;
    /// a suppression episode notes its first).
    fn on_correction(&mut self, pool: usize, block: u64) {
        if self.holding.is_some_and(|(held, ..)| held == pool) {
            self.corrected = true;
        }
        if let Some(episode) = self.suppress.as_mut() {
            if episode.pool == pool && episode.corrected_at.is_none() {
                episode.corrected_at = Some(block);
            }
        }
    }

    /// After the last block: closes an unfinished suppression episode and
    /// hands the attacker's counts to the facts.
    fn finish(&mut self, market: &Market, blocks: u64, facts: &mut Facts) {
        if let Some(episode) = self.suppress.take() {
            self.close_suppression(market, &episode, blocks + 1);
        }
        if matches!(
            self.attack,
            Some(Attack::FlashLoan { .. } | Attack::FirstPokeForge { .. } | Attack::FirstPokeSuppress { .. })
        ) {
            facts.extra.insert("attacker_pokes_recorded".to_owned(), self.pokes[0].to_string());
            facts.extra.insert("attacker_pokes_refused".to_owned(), self.pokes[1].to_string());
        }
        if matches!(self.attack, Some(Attack::FirstPokeSuppress { .. })) {
            facts.extra.insert("suppression_episodes".to_owned(), self.suppressed[0].to_string());
            facts.extra.insert("suppression_episodes_corrected".to_owned(), self.suppressed[1].to_string());
        }
        if matches!(
            self.attack,
            Some(
                Attack::FlashLoan { .. }
                    | Attack::FirstPokeForge { .. }
                    | Attack::FirstPokeSuppress { .. }
                    | Attack::SignAlternation { .. }
                    | Attack::BandDipping { .. }
            )
        ) {
            facts.extra.insert("attack_blocks".to_owned(), self.attack_blocks.to_string());
        }
    }

    /// Records a finished suppression episode (`end`: its first block after).
    fn close_suppression(&mut self, market: &Market, episode: &Suppress, end: u64) {
        self.suppressed[0] += 1;
        let v = &episode.variant;
        let outcome = match episode.corrected_at {
            Some(at) => {
                self.suppressed[1] += 1;
                format!(
                    "first correction at block {at}, {} L2 blocks after the sale",
                    at.saturating_sub(episode.start)
                )
            }
            None => format!("no correction in its {} L2 blocks", end.saturating_sub(episode.start)),
        };
        self.episodes.push(format!(
            "{}: real {} bps from block {}, flash poke at {} bps every {} blocks: {outcome}; the attacker's pokes recorded {}, refused {}",
            market.pools[episode.pool].label,
            v.real_bps,
            episode.start,
            v.spike_bps,
            v.spike_every,
            episode.pokes[0],
            episode.pokes[1]
        ));
    }

    /// `FlashAttacker`: borrows from the pool's lender, trades the pool to
    /// `target` (raw price), pokes FlashContainment, trades back and
    /// repays, in one transaction. `None` when the pool is already there or
    /// the transaction reverted (noted).
    fn flash_poke(
        &mut self,
        market: &mut Market,
        pool: usize,
        target: U256,
        block: u64,
        facts: &mut Facts,
    ) -> Result<Option<FlashPoke>, SimError> {
        let Some((down, amount)) = trade_to(market, pool, target)? else {
            return Ok(None);
        };
        let p = market.pools[pool].clone();
        let poke = fc::pokeCall { pool: p.address }.abi_encode();
        let call = fx::attackCall {
            lender: p.lender,
            borrowBase: if down { amount } else { U256::ZERO },
            borrowQuote: if down { U256::ZERO } else { amount },
            pool: p.address,
            sellBaseFirst: down,
            amountIn: amount,
            target: market.containment,
            targetData: poke.into(),
        };
        let contract = self.contract.unwrap_or(Address::ZERO);
        let outcome = market.world.call(ATTACKER, contract, &call.abi_encode(), U256::ZERO);
        if !outcome.success {
            facts.notes.push(format!("block {block}: the flash loan attack reverted"));
            return Ok(None);
        }
        let recorded = outcome
            .logs
            .iter()
            .any(|log| log.address == market.containment && fc::Observed::decode_log(log, true).is_ok());
        self.pokes[usize::from(!recorded)] += 1;
        self.attack_blocks += 1;
        let token = if down { p.base } else { p.quote };
        Ok(Some(FlashPoke {
            label: format!(
                "borrow and sell {:.0} USD of {}, poke ({}), buy back, repay",
                market.to_usd(token, signed(amount)),
                market.tokens[token].symbol,
                if recorded { "recorded" } else { "refused" }
            ),
            recorded,
        }))
    }

    /// The attacker's real trades of the alternation attacks: from
    /// `start_block` for `hold_blocks` (0: to the end), one pool to the
    /// first target in the attack's even blocks and the second in its odd
    /// ones (`(bps, below the oracle)` each).
    #[allow(clippy::too_many_arguments)]
    fn alternate(
        &mut self,
        market: &mut Market,
        pool: usize,
        targets: [(u64, bool); 2],
        (start_block, hold_blocks): (u64, u64),
        block: u64,
        events: &mut Vec<EventRecord>,
        what: &str,
    ) -> Result<(), SimError> {
        if block < start_block || (hold_blocks > 0 && block >= start_block.saturating_add(hold_blocks)) {
            return Ok(());
        }
        let (bps, down) = targets[usize::from((block - start_block) % 2 == 1)];
        let target = offset_peg(market.peg(pool)?, bps, down);
        if push_to(market, ATTACKER, pool, target)?.is_some() {
            self.attack_blocks += 1;
        }
        if block == start_block {
            events.push(EventRecord {
                block,
                pool,
                kind: EventKind::Attack,
                label: format!("{what}: from this block the attacker trades the pool to {} and {} bps in alternate L2 blocks", bps_label(targets[0]), bps_label(targets[1])),
            });
        }
        Ok(())
    }

    /// Whether a trade on `pool` in `block` counts as the attacker's doing:
    /// inside a multi-block hold, any; after a flash loan (which restores the
    /// pool inside its transaction), only when no block since the attack
    /// ended past `θ + 1` bps, where FlashContainment could have triggered
    /// on the organic deviation alone (its TWAP is truncated to whole bps).
    fn caused(
        &self,
        pool: usize,
        block: u64,
        blocks: &[crate::record::BlockRecord],
        threshold_bps: u64,
    ) -> bool {
        let flash = matches!(self.attack, Some(Attack::FlashLoan { .. } | Attack::FirstPokeForge { .. }));
        self.windows.iter().any(|&(p, first, last)| {
            p == pool
                && (first..=last).contains(&block)
                && (!flash
                    || blocks.iter().filter(|b| (first..block).contains(&b.block)).all(|b| {
                        b.deviation_bps.get(pool).is_none_or(|d| d.abs() < threshold_bps as f64 + 1.0)
                    }))
        })
    }

    #[allow(clippy::too_many_lines)]
    fn before_keeper(
        &mut self,
        market: &mut Market,
        block: u64,
        events: &mut Vec<EventRecord>,
        facts: &mut Facts,
    ) -> Result<(), SimError> {
        match self.attack.clone() {
            Some(Attack::FlashLoan { every_blocks, push_bps }) => {
                let every = every_blocks.max(1);
                if block % every != every / 2 {
                    return Ok(());
                }
                let pool = usize::try_from(self.rng.below(self.pools as u64)).unwrap_or(0);
                let down = self.rng.below(2) == 0;
                let target = offset_peg(market.peg(pool)?, push_bps, down);
                let Some(done) = self.flash_poke(market, pool, target, block, facts)? else { return Ok(()) };
                events.push(EventRecord {
                    block,
                    pool,
                    kind: EventKind::Attack,
                    label: format!("flash loan: {}", done.label),
                });
                facts.drains.push((pool, block));
                self.windows.push((pool, block, block + self.sustain + self.twap + 1));
            }
            Some(Attack::FirstPokeForge { every_blocks, push_bps, consecutive }) => {
                let every = every_blocks.max(1);
                let offset = block % every;
                if offset < every / 2 || offset >= (every / 2).saturating_add(consecutive) {
                    return Ok(());
                }
                let pool = if let (false, Some(pool)) = (offset == every / 2, self.forge) {
                    pool
                } else {
                    let pool = usize::try_from(self.rng.below(self.pools as u64)).unwrap_or(0);
                    self.forge = Some(pool);
                    self.episode += 1;
                    let last = block.saturating_add(consecutive.max(1) - 1);
                    self.windows.push((pool, block, last.saturating_add(self.sustain + self.twap + 1)));
                    pool
                };
                let target = offset_peg(market.peg(pool)?, push_bps, true);
                let Some(done) = self.flash_poke(market, pool, target, block, facts)? else { return Ok(()) };
                events.push(EventRecord {
                    block,
                    pool,
                    kind: EventKind::Attack,
                    label: format!(
                        "first-poke forge {}/{consecutive}: {}",
                        offset - every / 2 + 1,
                        done.label
                    ),
                });
                facts.drains.push((pool, block));
            }
            Some(Attack::FirstPokeSuppress { every_blocks, hold_blocks, variants }) => {
                let every = every_blocks.max(1);
                if self.suppress.is_none() && block % every == every / 2 && !variants.is_empty() {
                    let pool = usize::try_from(self.rng.below(self.pools as u64)).unwrap_or(0);
                    let variant = variants[self.episode % variants.len()].clone();
                    self.episode += 1;
                    // The real deviation: an external seller's sale, not the attacker's.
                    let (bps, down) = (variant.real_bps.unsigned_abs(), variant.real_bps < 0);
                    let target = offset_peg(market.peg(pool)?, bps, down);
                    if let Some((sells_base, amount)) = push_to(market, TRADER, pool, target)? {
                        let p = &market.pools[pool];
                        let token = if sells_base { p.base } else { p.quote };
                        events.push(EventRecord {
                            block,
                            pool,
                            kind: EventKind::Drain,
                            label: format!(
                                "an external seller sells {:.0} USD of {}: the pool {} bps off its oracle",
                                market.to_usd(token, signed(amount)),
                                market.tokens[token].symbol,
                                variant.real_bps
                            ),
                        });
                        facts.drains.push((pool, block));
                    }
                    self.suppress =
                        Some(Suppress { pool, start: block, variant, corrected_at: None, pokes: [0; 2] });
                }
                let Some(episode) = self.suppress.clone() else { return Ok(()) };
                let since = block.saturating_sub(episode.start);
                if since >= hold_blocks {
                    self.close_suppression(market, &episode, block);
                    self.suppress = None;
                    return Ok(());
                }
                let v = &episode.variant;
                if !since.is_multiple_of(v.spike_every)
                    || market.deviation_bps(episode.pool)?.abs() <= crate::metrics::PEG_BAND_BPS
                {
                    return Ok(());
                }
                let (bps, down) = (v.spike_bps.unsigned_abs(), v.spike_bps < 0);
                let target = offset_peg(market.peg(episode.pool)?, bps, down);
                let Some(done) = self.flash_poke(market, episode.pool, target, block, facts)? else {
                    return Ok(());
                };
                if let Some(current) = self.suppress.as_mut() {
                    current.pokes[usize::from(!done.recorded)] += 1;
                }
                events.push(EventRecord {
                    block,
                    pool: episode.pool,
                    kind: EventKind::Attack,
                    label: format!("first-poke suppression: {}", done.label),
                });
            }
            Some(Attack::SignAlternation { pool, bps, start_block, hold_blocks }) => {
                self.alternate(
                    market,
                    pool,
                    [(bps, false), (bps, true)],
                    (start_block, hold_blocks),
                    block,
                    events,
                    "sign alternation",
                )?;
            }
            Some(Attack::BandDipping { pool, deep_bps, shallow_bps, start_block, hold_blocks }) => {
                self.alternate(
                    market,
                    pool,
                    [(deep_bps, true), (shallow_bps, true)],
                    (start_block, hold_blocks),
                    block,
                    events,
                    "band dipping",
                )?;
            }
            Some(Attack::MultiBlock { every_blocks, push_bps, hold_blocks, release_on_trade }) => {
                let every = every_blocks.max(1);
                if self.holding.is_none() && block % every == every / 2 {
                    let pool = usize::try_from(self.rng.below(self.pools as u64)).unwrap_or(0);
                    let (base, quote) = (market.pools[pool].base, market.pools[pool].quote);
                    let (base_before, quote_before) =
                        (market.balance(base, ATTACKER)?, market.balance(quote, ATTACKER)?);
                    self.holding = Some((pool, block, base_before, quote_before));
                    self.corrected = false;
                    self.windows.push((pool, block, block + hold_blocks + self.sustain + self.twap + 1));
                }
                if let Some((pool, start, base_before, quote_before)) = self.holding {
                    if block < start + hold_blocks && !(release_on_trade && self.corrected) {
                        // Push (or top up) the pool to `push_bps` below its peg.
                        let target = offset_peg(market.peg(pool)?, push_bps, true);
                        let state = market.pmm_state(pool)?;
                        let amount =
                            vault_math::sizing::dodo::max_correcting_base_in(&state, target, market.fees)
                                .map_err(|e| SimError::Math(format!("{e:?}")))?;
                        if !amount.is_zero() {
                            market.sell(ATTACKER, pool, true, amount)?;
                            let base = market.pools[pool].base;
                            events.push(EventRecord {
                                block,
                                pool,
                                kind: EventKind::Attack,
                                label: format!(
                                    "manipulation: sell {:.0} USD of {} (hold {}/{hold_blocks})",
                                    market.to_usd(base, signed(amount)),
                                    market.tokens[base].symbol,
                                    block - start + 1
                                ),
                            });
                        }
                    } else {
                        // Release: sell back all the quote it took.
                        let quote = market.pools[pool].quote;
                        let now = market.balance(quote, ATTACKER)?;
                        let taken = now.saturating_sub(quote_before);
                        if !taken.is_zero() {
                            market.sell(ATTACKER, pool, false, taken)?;
                        }
                        events.push(EventRecord {
                            block,
                            pool,
                            kind: EventKind::Attack,
                            label: format!("manipulation released after {} blocks", block - start),
                        });
                        let base = market.pools[pool].base;
                        let base_after = market.balance(base, ATTACKER)?;
                        let quote_after = market.balance(quote, ATTACKER)?;
                        let cost = -(market.to_usd(base, signed(base_after) - signed(base_before))
                            + market.to_usd(quote, signed(quote_after) - signed(quote_before)));
                        self.episode_costs.push(cost);
                        self.episodes.push(format!(
                            "{}: held {} L2 blocks from block {start}, released at {block}; cost to the attacker {cost:.2} USD at the oracle",
                            market.pools[pool].label,
                            block - start
                        ));
                        self.holding = None;
                    }
                }
            }
            Some(Attack::Depeg { token, at_block, depeg_bps }) if block == at_block => {
                let t = market.token_index(&token)?;
                facts.depegged_token = Some(t);
                facts.depeg_block = block;
                let manager = self.contract.unwrap_or(Address::ZERO);
                let deviation = I256::try_from(depeg_bps).unwrap_or(I256::ZERO);
                let call =
                    fx::setDeviationBpsCall { asset: market.tokens[t].address, deviationBps: -deviation };
                send(&mut market.world, OWNER, manager, &call)?;
                let price = market.tokens[t].xau_per_token * U256::from(10_000 - depeg_bps.min(9_999))
                    / U256::from(10_000u16);
                market.set_mesh_oracle(t, price)?;
                for pool in 0..market.pools.len() {
                    let p = market.pools[pool].clone();
                    if p.base == t || p.quote == t {
                        let (b, q) = (&market.tokens[p.base], &market.tokens[p.quote]);
                        let oracle_price = b.xau_per_token * crate::market::e18() / q.xau_per_token;
                        market.set_pool_oracle(pool, oracle_price)?;
                        events.push(EventRecord {
                            block,
                            pool,
                            kind: EventKind::Attack,
                            label: format!("{token} depegs {depeg_bps} bps: oracle and peg manager"),
                        });
                    }
                }
            }
            Some(Attack::ReserveExhaustion { token, at_block, outflow_usd }) if block == at_block => {
                let t = market.token_index(&token)?;
                let amount = market.usd(t, outflow_usd);
                let asset = market.tokens[t].address;
                let withdraw =
                    mesh::withdrawCall { token: asset, tokenAmount: amount, xauAmount: U256::ZERO, to: LP };
                let mesh_address = market.mesh;
                let out = market.world.call(LP, mesh_address, &withdraw.abi_encode(), U256::ZERO);
                if out.success {
                    facts.mesh_withdrawn.push((t, amount));
                } else {
                    facts.notes.push(format!(
                        "block {block}: the mesh refused the LP withdrawal of {outflow_usd} USD of {token} (0x{}); the outflow is recorded only",
                        alloy_primitives::hex::encode(&out.return_data)
                    ));
                }
                let sizer_address = market.sizer;
                send(
                    &mut market.world,
                    REPORTER,
                    sizer_address,
                    &sizer::recordOutflowCall { asset, amount },
                )?;
                for pool in 0..market.pools.len() {
                    let p = &market.pools[pool];
                    if p.base == t || p.quote == t {
                        events.push(EventRecord {
                            block,
                            pool,
                            kind: EventKind::Drain,
                            label: format!(
                                "reserve outflow: {outflow_usd} USD of {token} leaves the mesh in one minute"
                            ),
                        });
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The sandwich's front-run: sells `front_usd` of the keeper's `tokenIn`
    /// ahead of it; returns what it bought, to sell back.
    fn front_run(
        &mut self,
        market: &mut Market,
        pool: usize,
        call: &stab::executePrivateSwapCall,
        block: u64,
        events: &mut Vec<EventRecord>,
    ) -> Result<Option<(bool, U256)>, SimError> {
        let Some(Attack::Sandwich { front_usd, hold_blocks }) = self.attack else { return Ok(None) };
        if hold_blocks > 0 && block > hold_blocks {
            return Ok(None);
        }
        let p = market.pools[pool].clone();
        let sells_base = call.tokenIn == market.tokens[p.base].address;
        let token = if sells_base { p.base } else { p.quote };
        let amount = market.usd(token, front_usd);
        let bought = market.sell(ATTACKER, pool, sells_base, amount)?;
        events.push(EventRecord {
            block,
            pool,
            kind: EventKind::Attack,
            label: format!("sandwich: front-run sells {front_usd} USD of {}", market.tokens[token].symbol),
        });
        Ok(Some((!sells_base, bought)))
    }

    /// The sandwich's back-run: sells back what the front-run bought.
    fn back_run(
        market: &mut Market,
        pool: usize,
        (sells_base, amount): (bool, U256),
    ) -> Result<(), SimError> {
        if !amount.is_zero() {
            market.sell(ATTACKER, pool, sells_base, amount)?;
        }
        Ok(())
    }
}

/// What one `FlashAttacker` transaction did.
struct FlashPoke {
    /// For the event.
    label: String,
    /// FlashContainment recorded the attacker's poke.
    recorded: bool,
}

/// A first-poke suppression episode in progress.
#[derive(Clone)]
struct Suppress {
    pool: usize,
    /// The block of the real seller's sale.
    start: u64,
    variant: SuppressVariant,
    /// The first correction on the pool since.
    corrected_at: Option<u64>,
    /// The attacker's pokes in it, `[recorded, refused]`.
    pokes: [u64; 2],
}

/// `account` trades `pool` with real trades to the raw price `target`
/// (sells base when the pool is above it, quote when below); the side sold
/// and the amount, `None` when it is already there.
///
/// # Errors
/// [`SimError`] when a read or a trade fails.
fn push_to(
    market: &mut Market,
    account: Address,
    pool: usize,
    target: U256,
) -> Result<Option<(bool, U256)>, SimError> {
    let Some((sells_base, amount)) = trade_to(market, pool, target)? else {
        return Ok(None);
    };
    market.sell(account, pool, sells_base, amount)?;
    Ok(Some((sells_base, amount)))
}

/// The trade that takes `pool` to the raw price `target`: whether it sells
/// base (the pool is above the target) and the amount in, `None` when the
/// pool is already there.
///
/// # Errors
/// [`SimError`] when a read fails or the size cannot be computed.
fn trade_to(market: &mut Market, pool: usize, target: U256) -> Result<Option<(bool, U256)>, SimError> {
    let sells_base = target < market.mid(pool)?;
    let state = market.pmm_state(pool)?;
    let amount = if sells_base {
        vault_math::sizing::dodo::max_correcting_base_in(&state, target, market.fees)
    } else {
        vault_math::sizing::dodo::max_correcting_quote_in(&state, target, market.fees)
    }
    .map_err(|e| SimError::Math(format!("{e:?}")))?;
    Ok((!amount.is_zero()).then_some((sells_base, amount)))
}

/// `+15 bps` / `−20 bps` from `(bps, below)`.
fn bps_label((bps, down): (u64, bool)) -> String {
    format!("{}{bps}", if down { "−" } else { "+" })
}

/// `peg · (1 ∓ bps/10,000)`.
fn offset_peg(peg: U256, bps: u64, down: bool) -> U256 {
    let factor = if down { 10_000 - bps.min(9_999) } else { 10_000 + bps };
    peg * U256::from(factor) / U256::from(10_000u16)
}

/// Refusal counts, for the summary.
pub type Refusals = BTreeMap<String, u64>;
