//! The block loop: external flow, attackers, the keeper, the reporter and
//! the oracle heartbeat on one chain (two for the cross-chain scenario),
//! recorded block by block.

use std::collections::BTreeMap;

use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use indicatif::{ProgressBar, ProgressStyle};

use crate::abi::{fc, fx, mesh, sizer, stab};
use crate::flow::FlowGen;
use crate::keeper::{self, GasStats, Plan};
use crate::market::{args, send, view, Codes, Fixtures, Market, ATTACKER, LP, OWNER, REPORTER, TRADER};
use crate::metrics::{self, Facts, Summary};
use crate::record::{BlockRecord, EventKind, EventRecord, RunRecord};
use crate::rng::SplitMix64;
use crate::scenario::{Attack, RunOptions, Scenario, SuppressVariant};
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
        chains.push(ChainSim { name, market, flow, required: Vec::new(), treasury });
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
    let heartbeat_blocks = params.oracle_heartbeat_s.max(1) * 4;
    for index in 0..blocks {
        let block_no = index + 1;
        for c in &mut chains {
            c.market.next_block(index + WARM_UP_BLOCKS);
            if index > 0 && index % heartbeat_blocks == 0 {
                c.market.heartbeat()?;
            }
        }
        let mut events = Vec::new();
        let trades_before = facts.trades;
        attacker.before_keeper(&mut chains[0].market, block_no, &mut events, &mut facts)?;
        let mut drains = Vec::new();
        let mut external = Vec::new();
        for (n, c) in chains.iter_mut().enumerate() {
            let offset = n * pools_per_chain;
            drains.extend(c.flow.step(&mut c.market, block_no, offset, &mut events, &mut external)?);
        }
        // The scenario's one-off drains land on the first chain, after its
        // ordinary flow.
        for shock in scenario.shocks.iter().filter(|s| s.block == block_no) {
            let pool =
                crate::flow::shock(&mut chains[0].market, shock, block_no, 0, &mut events, &mut external)?;
            drains.push(pool);
            facts.shocks.push((pool, block_no, shock.usd));
        }
        if let (Some(bot), [first, second]) = (bot.as_mut(), chains.as_mut_slice()) {
            bot.step(&mut first.market, &mut second.market, block_no, &mut events)?;
        }
        for (n, c) in chains.iter_mut().enumerate() {
            let offset = n * pools_per_chain;
            for pool in 0..c.market.pools.len() {
                match keeper::turn(&mut c.market, pool, params, options.poke_every_block, &mut gas)? {
                    Plan::Idle => {}
                    Plan::Refused(name) => {
                        *facts.refusals.entry(format!("keeperTrade: {name}")).or_default() += 1;
                    }
                    Plan::Send(call) => {
                        let front = if n == 0 {
                            attacker.front_run(&mut c.market, pool, &call, block_no, &mut events)?
                        } else {
                            None
                        };
                        let outcome = keeper::execute(&mut c.market, pool, params, &call, &mut gas);
                        if let Some(front) = front {
                            AttackState::back_run(&mut c.market, pool, front)?;
                        }
                        if outcome.success {
                            for event in keeper::stabilized(&outcome) {
                                let token_in = c
                                    .market
                                    .tokens
                                    .iter()
                                    .position(|t| t.address == event.tokenIn)
                                    .unwrap_or(0);
                                let symbol = c.market.tokens[token_in].symbol.clone();
                                events.push(EventRecord {
                                    block: block_no,
                                    pool: offset + pool,
                                    kind: EventKind::Trade,
                                    label: format!(
                                        "sell {:.0} USD of {symbol}",
                                        c.market.to_usd(token_in, signed(event.amountIn))
                                    ),
                                });
                                facts.trades += 1;
                                if Some(token_in) == facts.depegged_token && block_no >= facts.depeg_block {
                                    facts.sold_depegged += 1;
                                }
                                if n == 0
                                    && attacker.caused(pool, block_no, &record.blocks, params.threshold_bps)
                                {
                                    facts.attack_triggered_trades += 1;
                                }
                                if n == 0 {
                                    attacker.on_correction(pool, block_no);
                                }
                                // The mesh released `meshReturned` of tokenIn. A
                                // Stabilizer that records it on chain
                                // (`ReleaseRecorded`, not counted in P) leaves the
                                // reporter nothing to do; before that, the reporter
                                // recorded it as an outflow.
                                if !released_on_chain(&outcome.logs, c.market.sizer) {
                                    let record = sizer::recordOutflowCall {
                                        asset: event.tokenIn,
                                        amount: event.meshReturned,
                                    };
                                    let sizer_address = c.market.sizer;
                                    let out = c.market.world.call(
                                        REPORTER,
                                        sizer_address,
                                        &record.abi_encode(),
                                        U256::ZERO,
                                    );
                                    gas.add("recordOutflow", out.gas_used);
                                }
                                c.required = required(&mut c.market)?;
                            }
                        } else {
                            let name = crate::abi::error_name(&outcome.output);
                            *facts.refusals.entry(format!("executePrivateSwap: {name}")).or_default() += 1;
                        }
                    }
                }
            }
        }
        // The mesh's reserves move only with a correction (and with the
        // treasury's own transactions), so it looks only after one.
        if facts.trades > trades_before {
            for c in &mut chains {
                c.treasury.step(&mut c.market, &mut gas)?;
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
        let mut pnl = 0.0;
        for t in 0..chains[0].market.tokens.len() {
            pnl += chains[0].market.to_usd(t, signed(pnl_after[t]) - signed(pnl_before[t]));
        }
        facts.attacker_pnl_usd = Some(pnl);
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
                if !out.success {
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
