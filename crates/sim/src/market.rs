//! One chain's market: the four wasm contracts (FlashContainment,
//! PrivateMeshPool, ReserveSizer, one Stabilizer per public pool), the
//! Solidity `DodoDspPool`s of §4 (DODO V2's DSP to the wei), their
//! flash-loan lenders, the ERC-20s and the oracles, deployed and wired as
//! in production on a [`World`].

use alloy_primitives::{keccak256, Address, I256, U256};
use alloy_sol_types::SolCall;
use vault_chain::{artifacts::Artifact, CallOutcome, World};
use vault_math::pmm::{PmmState, RState};
use vault_math::sizing::FeeRates;

use crate::abi::{fc, fx, mesh, sizer, stab};
use crate::scenario::{Market as MarketConfig, Parameters};
use crate::SimError;

/// The administrator of the wasm contracts.
pub const ADMIN: Address = Address::new([0xad; 20]);
/// The keeper.
pub const KEEPER: Address = Address::new([0xce; 20]);
/// Deploys and owns the tokens, the public pools and the oracles.
pub const OWNER: Address = Address::new([0x0e; 20]);
/// The mesh's liquidity provider.
pub const LP: Address = Address::new([0x1f; 20]);
/// The ReserveSizer's reporter (and the oracle heartbeat).
pub const REPORTER: Address = Address::new([0xbe; 20]);
/// External traders.
pub const TRADER: Address = Address::new([0x7a; 20]);
/// The attacker.
pub const ATTACKER: Address = Address::new([0xba; 20]);
/// The arbitrageurs (informed flow).
pub const ARBITRAGEUR: Address = Address::new([0xab; 20]);
/// The cross-chain parity bot.
pub const BOT: Address = Address::new([0xb0; 20]);
/// Views are sent from here.
pub const VIEWER: Address = Address::new([0x5a; 20]);

const FC_ADDRESS: Address = Address::new([0xf1; 20]);
const MESH_ADDRESS: Address = Address::new([0xe5; 20]);
const SIZER_ADDRESS: Address = Address::new([0x51; 20]);

/// XAU per USD, 1e18 fixed point: gold at about 3,333 USD.
pub const XAU_PER_USD_E18: u64 = 300_000_000_000_000;

/// Seconds per L2 block, as the clock counts them: 250 ms blocks, one
/// second every fourth block.
pub fn block_seconds(block: u64) -> u64 {
    u64::from(block % 4 == 3)
}

/// An ERC-20 of the market.
#[derive(Debug, Clone)]
pub struct Token {
    /// Its symbol.
    pub symbol: String,
    /// Its address.
    pub address: Address,
    /// Its decimals.
    pub decimals: u8,
    /// XAU per whole token, 1e18 (the mesh's oracle price).
    pub xau_per_token: U256,
}

/// A public DODO pool and its Stabilizer.
#[derive(Debug, Clone)]
pub struct Pool {
    /// `BASE/QUOTE`.
    pub label: String,
    /// Index of the base token in [`Market::tokens`].
    pub base: usize,
    /// Index of the quote token.
    pub quote: usize,
    /// The public pool.
    pub address: Address,
    /// A deeper pool of the same tokens: the flash-loan lender.
    pub lender: Address,
    /// The pair oracle (quote per base, whole tokens, 1e18).
    pub oracle: Address,
    /// The oracle's current price.
    pub oracle_price: U256,
    /// This pool's Stabilizer.
    pub stabilizer: Address,
}

/// One chain's deployed market.
#[derive(Debug)]
pub struct Market {
    /// The chain.
    pub world: World,
    /// cUSDT, cUSDC, cEURT, XAU (in that order).
    pub tokens: Vec<Token>,
    /// The public pools of §4.
    pub pools: Vec<Pool>,
    /// Per mesh token (index into `tokens`): its XAU oracle.
    pub mesh_oracles: Vec<(usize, Address)>,
    /// FlashContainment.
    pub containment: Address,
    /// PrivateMeshPool.
    pub mesh: Address,
    /// ReserveSizer.
    pub sizer: Address,
    /// The public pools' fees.
    pub fees: FeeRates,
    /// XAU per USD as the XAU/USD feed last reported it, 1e18: what the
    /// oracles say and what [`Market::usd`] and [`Market::to_usd`] use.
    pub feed_xau_per_usd: U256,
    /// XAU per USD at gold's true price, 1e18 ([`Market::to_usd_true`]).
    pub true_xau_per_usd: U256,
}

/// The wasm of the four contracts, packed once.
#[derive(Debug, Clone)]
pub struct Codes {
    flash_containment: Vec<u8>,
    private_mesh_pool: Vec<u8>,
    reserve_sizer: Vec<u8>,
    stabilizer: Vec<u8>,
}

impl Codes {
    /// Reads `target/stylus/<stem>.wasm` (through
    /// [`vault_chain::artifacts::contract_wasm`]) and packs each.
    ///
    /// # Errors
    /// [`SimError::Setup`] when a wasm is missing or does not pack.
    pub fn load() -> Result<Self, SimError> {
        let pack = |stem: &str| -> Result<Vec<u8>, SimError> {
            let wasm =
                vault_chain::artifacts::contract_wasm(stem).map_err(|e| SimError::Setup(e.to_string()))?;
            Ok(vault_wasm_pack::pack(&wasm).map_err(|e| SimError::Setup(format!("{stem}: {e:?}")))?.code)
        };
        Ok(Self {
            flash_containment: pack("flash_containment")?,
            private_mesh_pool: pack("private_mesh_pool")?,
            reserve_sizer: pack("reserve_sizer")?,
            stabilizer: pack("stabilizer")?,
        })
    }
}

/// The Solidity fixtures, loaded once.
#[derive(Debug, Clone)]
pub struct Fixtures {
    token: Artifact,
    /// `DodoDspPool`: the public pools are DODO V2 DSPs, priced to the wei
    /// as `vault_math::pmm::dodo` prices them (the keeper sizes with
    /// `sizing::dodo`).
    dsp: Artifact,
    /// `DodoFeeRateModel`: the DSPs' maintainer fee rate.
    fee_model: Artifact,
    oracle: Artifact,
    /// `FlashAttacker`.
    pub attacker: Artifact,
    /// `StablecoinPegManager`.
    pub peg_manager: Artifact,
}

impl Fixtures {
    /// Loads the committed artifacts.
    ///
    /// # Errors
    /// [`SimError::Setup`].
    pub fn load() -> Result<Self, SimError> {
        let load = |name: &str| Artifact::load(name).map_err(|e| SimError::Setup(e.to_string()));
        Ok(Self {
            token: load("TestToken")?,
            dsp: load("DodoDspPool")?,
            fee_model: load("DodoFeeRateModel")?,
            oracle: load("PriceOracle")?,
            attacker: load("FlashAttacker")?,
            peg_manager: load("StablecoinPegManager")?,
        })
    }
}

/// `10^exp`.
pub fn pow10(exp: u8) -> U256 {
    U256::from(10u8).pow(U256::from(exp))
}

/// 1e18.
pub fn e18() -> U256 {
    pow10(18)
}

/// ABI arguments of a call without its selector.
pub fn args<C: SolCall>(call: &C) -> Vec<u8> {
    call.abi_encode()[4..].to_vec()
}

/// Sends `call`; an error unless it succeeds.
///
/// # Errors
/// [`SimError::Chain`] with the call's signature and revert.
pub fn send<C: SolCall>(
    world: &mut World,
    from: Address,
    to: Address,
    call: &C,
) -> Result<C::Return, SimError> {
    let outcome = world.call(from, to, &call.abi_encode(), U256::ZERO);
    decode::<C>(&outcome)
}

/// Decodes a successful outcome's return.
///
/// # Errors
/// [`SimError::Chain`] for a failed call or undecodable return.
pub fn decode<C: SolCall>(outcome: &CallOutcome) -> Result<C::Return, SimError> {
    if !outcome.success {
        return Err(SimError::Chain(format!(
            "{} reverted: {} 0x{}",
            C::SIGNATURE,
            crate::abi::error_name(&outcome.return_data),
            alloy_primitives::hex::encode(&outcome.return_data)
        )));
    }
    C::abi_decode_returns(&outcome.return_data, true)
        .map_err(|e| SimError::Chain(format!("{}: return: {e}", C::SIGNATURE)))
}

/// A view (`eth_call`).
///
/// # Errors
/// As [`decode`].
pub fn view<C: SolCall>(world: &mut World, to: Address, call: &C) -> Result<C::Return, SimError> {
    let outcome = world.static_call(VIEWER, to, &call.abi_encode());
    decode::<C>(&outcome)
}

fn ok(outcome: &CallOutcome, what: &str) -> Result<(), SimError> {
    if outcome.success {
        Ok(())
    } else {
        Err(SimError::Chain(format!("{what}: 0x{}", alloy_primitives::hex::encode(&outcome.return_data))))
    }
}

fn deploy(world: &mut World, artifact: &Artifact, args: &[u8]) -> Result<Address, SimError> {
    artifact
        .deploy(world, OWNER, args)
        .map_err(|outcome| SimError::Chain(format!("deploying {}: {outcome:?}", artifact.name)))
}

fn construct<C: SolCall>(world: &mut World, address: Address, code: &[u8], call: &C) -> Result<(), SimError> {
    world.deploy_code(address, code.to_vec()).map_err(|e| SimError::Setup(e.to_string()))?;
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(&args(call));
    ok(&world.call(ADMIN, address, &data, U256::ZERO), "constructor")
}

impl Market {
    /// Amount of `token` worth `usd` dollars at the oracle, raw units
    /// (rounded down).
    pub fn usd(&self, token: usize, usd: u64) -> U256 {
        usd_to_raw_at(&self.tokens[token], usd, self.feed_xau_per_usd)
    }

    /// USD value of a signed raw amount of `token` at the oracle, for
    /// reporting.
    pub fn to_usd(&self, token: usize, raw: I256) -> f64 {
        self.value_usd(token, raw, self.feed_xau_per_usd)
    }

    /// USD value of a signed raw amount of `token` at gold's true price:
    /// XAU at the true price, a stablecoin at its oracle (its peg, or its
    /// depeg), for reporting.
    pub fn to_usd_true(&self, token: usize, raw: I256) -> f64 {
        if self.is_xau(token) {
            self.value_usd(token, raw, self.true_xau_per_usd)
        } else {
            self.to_usd(token, raw)
        }
    }

    fn value_usd(&self, token: usize, raw: I256, xau_per_usd: U256) -> f64 {
        let t = &self.tokens[token];
        let magnitude: f64 = raw.unsigned_abs().to::<u128>() as f64;
        let whole = magnitude / 10f64.powi(i32::from(t.decimals));
        let xau_per_token = t.xau_per_token.to::<u128>() as f64 / 1e18;
        let usd = whole * xau_per_token / (xau_per_usd.to::<u128>() as f64 / 1e18);
        if raw.is_negative() {
            -usd
        } else {
            usd
        }
    }

    /// Whether `token` is XAU (the last token).
    pub fn is_xau(&self, token: usize) -> bool {
        token + 1 == self.tokens.len()
    }

    /// XAU per whole `token` at gold's true price, 1e18.
    fn true_xau_per_token(&self, token: usize) -> Result<U256, SimError> {
        let t = &self.tokens[token];
        if self.is_xau(token) {
            return Ok(t.xau_per_token);
        }
        vault_math::fixed::mul_div_floor(t.xau_per_token, self.true_xau_per_usd, self.feed_xau_per_usd)
            .map_err(|e| SimError::Math(format!("{e:?}")))
    }

    /// The pool's price at gold's true price, raw units (quote raw per base
    /// raw, 1e18, rounded down): where informed flow takes it.
    ///
    /// # Errors
    /// [`SimError::Math`].
    pub fn true_peg(&self, pool: usize) -> Result<U256, SimError> {
        let p = &self.pools[pool];
        let math = |e: vault_math::MathError| SimError::Math(format!("{e:?}"));
        let price = vault_math::fixed::mul_div_floor(
            self.true_xau_per_token(p.base)?,
            e18(),
            self.true_xau_per_token(p.quote)?,
        )
        .map_err(math)?;
        vault_math::stabilizer::raw_peg(
            price,
            self.tokens[p.base].decimals,
            self.tokens[p.quote].decimals,
            false,
        )
        .map_err(|e| SimError::Math(format!("{e:?}")))
    }

    /// Gold's true price moved to `ratio` times the run's start.
    pub fn set_true_gold(&mut self, ratio: f64) {
        self.true_xau_per_usd = xau_per_usd_at(ratio);
    }

    /// The XAU/USD feed reports gold at `ratio` times the run's start:
    /// every stablecoin's XAU price (the mesh's oracles) and every pool
    /// oracle are set from it, each report refreshing its timestamp; a
    /// stablecoin keeps its USD price (its peg, or its depeg).
    ///
    /// # Errors
    /// [`SimError::Chain`], [`SimError::Math`].
    pub fn report_gold(&mut self, ratio: f64) -> Result<(), SimError> {
        let feed = xau_per_usd_at(ratio);
        let math = |e: vault_math::MathError| SimError::Math(format!("{e:?}"));
        for t in 0..self.tokens.len() {
            if !self.is_xau(t) {
                let price = vault_math::fixed::mul_div_floor(
                    self.tokens[t].xau_per_token,
                    feed,
                    self.feed_xau_per_usd,
                )
                .map_err(math)?;
                self.set_mesh_oracle(t, price)?;
            }
        }
        self.feed_xau_per_usd = feed;
        for pool in 0..self.pools.len() {
            let p = &self.pools[pool];
            let price = vault_math::fixed::mul_div_floor(
                self.tokens[p.base].xau_per_token,
                e18(),
                self.tokens[p.quote].xau_per_token,
            )
            .map_err(math)?;
            self.set_pool_oracle(pool, price)?;
        }
        Ok(())
    }

    /// Index of the token with `symbol`.
    ///
    /// # Errors
    /// [`SimError::Scenario`] for an unknown symbol.
    pub fn token_index(&self, symbol: &str) -> Result<usize, SimError> {
        self.tokens
            .iter()
            .position(|t| t.symbol == symbol)
            .ok_or_else(|| SimError::Scenario(format!("unknown token {symbol}")))
    }

    /// The pool's peg in raw units (quote raw per base raw, 1e18), rounded
    /// down, from the oracle price.
    ///
    /// # Errors
    /// [`SimError::Math`].
    pub fn peg(&self, pool: usize) -> Result<U256, SimError> {
        let p = &self.pools[pool];
        vault_math::stabilizer::raw_peg(
            p.oracle_price,
            self.tokens[p.base].decimals,
            self.tokens[p.quote].decimals,
            false,
        )
        .map_err(|e| SimError::Math(format!("{e:?}")))
    }

    /// The pool's mid price (raw, 1e18).
    ///
    /// # Errors
    /// [`SimError::Chain`].
    pub fn mid(&mut self, pool: usize) -> Result<U256, SimError> {
        let address = self.pools[pool].address;
        Ok(view(&mut self.world, address, &fx::getMidPriceCall {})?.midPrice)
    }

    /// The pool's spot deviation from its oracle, bps (reporting only).
    ///
    /// # Errors
    /// [`SimError::Chain`], [`SimError::Math`].
    pub fn deviation_bps(&mut self, pool: usize) -> Result<f64, SimError> {
        let mid = self.mid(pool)?;
        let peg = self.peg(pool)?;
        Ok(ratio_bps(mid, peg))
    }

    /// The public pool's PMM state.
    ///
    /// # Errors
    /// [`SimError::Chain`].
    pub fn pmm_state(&mut self, pool: usize) -> Result<PmmState, SimError> {
        let address = self.pools[pool].address;
        let st = view(&mut self.world, address, &fx::getPMMStateForCallCall {})?;
        let r = match st.R.to::<u8>() {
            0 => RState::One,
            1 => RState::AboveOne,
            _ => RState::BelowOne,
        };
        Ok(PmmState { i: st.i, k: st.K, b: st.B, q: st.Q, b0: st.B0, q0: st.Q0, r })
    }

    /// A token balance.
    ///
    /// # Errors
    /// [`SimError::Chain`].
    pub fn balance(&mut self, token: usize, account: Address) -> Result<U256, SimError> {
        let address = self.tokens[token].address;
        Ok(view(&mut self.world, address, &fx::balanceOfCall { account })?._0)
    }

    /// `trader` sells `amount` of the pool's base (`sell_base`) or quote
    /// into it (transfer, then `sellBase`/`sellQuote`); returns what it
    /// received.
    ///
    /// # Errors
    /// [`SimError::Chain`].
    pub fn sell(
        &mut self,
        trader: Address,
        pool: usize,
        sell_base: bool,
        amount: U256,
    ) -> Result<U256, SimError> {
        let p = &self.pools[pool];
        let (address, token) = (p.address, self.tokens[if sell_base { p.base } else { p.quote }].address);
        send(&mut self.world, trader, token, &fx::transferCall { to: address, amount })?;
        if sell_base {
            Ok(send(&mut self.world, trader, address, &fx::sellBaseCall { to: trader })?._0)
        } else {
            Ok(send(&mut self.world, trader, address, &fx::sellQuoteCall { to: trader })?._0)
        }
    }

    /// Sets a pool oracle's price (and remembers it).
    ///
    /// # Errors
    /// [`SimError::Chain`].
    pub fn set_pool_oracle(&mut self, pool: usize, price: U256) -> Result<(), SimError> {
        let oracle = self.pools[pool].oracle;
        send(&mut self.world, OWNER, oracle, &fx::setPriceCall { price })?;
        self.pools[pool].oracle_price = price;
        Ok(())
    }

    /// Sets a mesh token's XAU price (whole tokens, 1e18; the mesh's
    /// oracle reports it in raw units, see [`mesh_oracle_price`]).
    ///
    /// # Errors
    /// [`SimError::Chain`], [`SimError::Math`].
    pub fn set_mesh_oracle(&mut self, token: usize, price: U256) -> Result<(), SimError> {
        self.tokens[token].xau_per_token = price;
        if let Some(&(_, oracle)) = self.mesh_oracles.iter().find(|(t, _)| *t == token) {
            let raw = mesh_oracle_price(&self.tokens[token], &self.tokens[3])?;
            send(&mut self.world, OWNER, oracle, &fx::setPriceCall { price: raw })?;
        }
        Ok(())
    }

    /// Mines one L2 block (`index` counts the run's blocks from 0).
    pub fn next_block(&mut self, index: u64) {
        self.world.advance(block_seconds(index));
    }

    /// Deploys and wires the whole market.
    ///
    /// # Errors
    /// [`SimError`] when a deployment or a wiring call fails.
    #[allow(clippy::too_many_lines)]
    pub fn deploy(
        config: &MarketConfig,
        params: &Parameters,
        codes: &Codes,
        fixtures: &Fixtures,
    ) -> Result<Self, SimError> {
        let mut world = World::new();
        world.advance(1);
        let xau_usd = U256::from(XAU_PER_USD_E18);
        let specs: [(&str, u8, U256); 4] = [
            ("cUSDT", 6, xau_usd),
            ("cUSDC", 6, xau_usd),
            // EUR at 1.08 USD.
            ("cEURT", 6, xau_usd * U256::from(108u8) / U256::from(100u8)),
            ("XAU", 18, e18()),
        ];
        let mut tokens = Vec::new();
        for (symbol, decimals, xau_per_token) in specs {
            let mut token =
                Token { symbol: symbol.to_owned(), address: Address::ZERO, decimals, xau_per_token };
            // A supply of 10^12 USD of each.
            let supply = usd_to_raw(&token, 1_000_000_000_000);
            let ctor = fx::tokenConstructorCall {
                name: symbol.into(),
                symbol: symbol.into(),
                decimals,
                holder: OWNER,
                supply,
            };
            token.address = deploy(&mut world, &fixtures.token, &args(&ctor))?;
            tokens.push(token);
        }
        let fees = FeeRates { lp: U256::from(params.lp_fee_e18), mt: U256::ZERO };
        let mut market = Self {
            world,
            tokens,
            pools: Vec::new(),
            mesh_oracles: Vec::new(),
            containment: FC_ADDRESS,
            mesh: MESH_ADDRESS,
            sizer: SIZER_ADDRESS,
            fees,
            feed_xau_per_usd: xau_usd,
            true_xau_per_usd: xau_usd,
        };
        // §4's public pools.
        for (n, (base, quote)) in [(0usize, 1usize), (0, 3), (1, 3), (2, 3)].into_iter().enumerate() {
            market.deploy_pool(n, base, quote, config, params, fixtures)?;
        }
        market.deploy_containment(codes, params)?;
        market.deploy_mesh(codes, config, params, fixtures)?;
        market.deploy_sizer(codes, params)?;
        for n in 0..market.pools.len() {
            market.deploy_stabilizer(n, codes, config, params)?;
        }
        // Nitro's rules: each program activated by the deployer, and cached
        // as the deploy's cache bids leave it, or not (`programs_cached`).
        let activation_deposit = e18();
        market.world.set_balance(OWNER, activation_deposit * U256::from(16u8));
        market
            .world
            .activate_stylus_programs(OWNER, activation_deposit, config.programs_cached)
            .map_err(|o| SimError::Chain(format!("activateProgram: {o:?}")))?;
        // External traders and the attacker hold plenty of everything.
        for t in 0..market.tokens.len() {
            let amount = market.usd(t, 1_000_000_000);
            let token = market.tokens[t].address;
            for account in [TRADER, ATTACKER, BOT, ARBITRAGEUR] {
                send(&mut market.world, OWNER, token, &fx::transferCall { to: account, amount })?;
            }
        }
        Ok(market)
    }

    fn deploy_pool(
        &mut self,
        n: usize,
        base: usize,
        quote: usize,
        config: &MarketConfig,
        params: &Parameters,
        fixtures: &Fixtures,
    ) -> Result<(), SimError> {
        let (b, q) = (self.tokens[base].clone(), self.tokens[quote].clone());
        // Quote per base, whole tokens, 1e18.
        let oracle_price = b.xau_per_token * e18() / q.xau_per_token;
        let i = vault_math::stabilizer::raw_peg(oracle_price, b.decimals, q.decimals, false)
            .map_err(|e| SimError::Math(format!("{e:?}")))?;
        let mut addresses = [Address::ZERO; 2];
        for (slot, depth_usd) in [config.depth_usd, config.lender_depth_usd].into_iter().enumerate() {
            let ctor = fx::feeRateModelConstructorCall { owner: OWNER, defaultRate: U256::ZERO };
            let fee_model = deploy(&mut self.world, &fixtures.fee_model, &args(&ctor))?;
            let ctor = fx::dspConstructorCall {
                maintainer: OWNER,
                baseTokenAddress: b.address,
                quoteTokenAddress: q.address,
                lpFeeRate: U256::from(params.lp_fee_e18),
                mtFeeRateModel: fee_model,
                i,
                k: U256::from(params.pool_k_e18),
                isOpenTWAP: false,
            };
            let pool = deploy(&mut self.world, &fixtures.dsp, &args(&ctor))?;
            let base_amount = usd_to_raw(&b, depth_usd);
            // DSP's first buyShares sets B0 = base and Q0 = floor(base · i)
            // when the quote covers that (else B0 = quote / i < B, and the
            // mid price at R = ONE would start below i): at least Q0.
            let at_i = vault_math::pmm::dodo::mul_floor(base_amount, i)
                .map_err(|e| SimError::Math(format!("{e:?}")))?;
            let quote_amount = usd_to_raw(&q, depth_usd).max(at_i);
            send(&mut self.world, OWNER, b.address, &fx::transferCall { to: pool, amount: base_amount })?;
            send(&mut self.world, OWNER, q.address, &fx::transferCall { to: pool, amount: quote_amount })?;
            send(&mut self.world, OWNER, pool, &fx::buySharesCall { to: OWNER })?;
            addresses[slot] = pool;
        }
        let ctor = fx::oracleConstructorCall { owner: OWNER, initialPrice: oracle_price };
        let oracle = deploy(&mut self.world, &fixtures.oracle, &args(&ctor))?;
        self.pools.push(Pool {
            label: format!("{}/{}", b.symbol, q.symbol),
            base,
            quote,
            address: addresses[0],
            lender: addresses[1],
            oracle,
            oracle_price,
            stabilizer: Address::left_padding_from(&[0x57, 0xab, u8::try_from(n).unwrap_or(0xff)]),
        });
        Ok(())
    }

    fn deploy_containment(&mut self, codes: &Codes, params: &Parameters) -> Result<(), SimError> {
        let fc = self.containment;
        construct(
            &mut self.world,
            fc,
            &codes.flash_containment,
            &stab::stylusConstructorCall { admin: ADMIN },
        )?;
        for n in 0..self.pools.len() {
            let p = self.pools[n].clone();
            let register = fc::registerPoolCall {
                pool: p.address,
                oracle: p.oracle,
                baseDecimals: self.tokens[p.base].decimals.into(),
                quoteDecimals: self.tokens[p.quote].decimals.into(),
                thresholdBps: params.threshold_bps,
                sustainBlocks: params.sustain_blocks,
                twapWindow: params.twap_window,
                maxOracleAge: params.max_oracle_age,
                perBlockCap: self.usd(p.base, params.cap_usd),
            };
            send(&mut self.world, ADMIN, fc, &register)?;
            let grant = fc::grantRoleCall { role: keccak256("STABILIZER_ROLE"), account: p.stabilizer };
            send(&mut self.world, ADMIN, fc, &grant)?;
            // Each pool's cap is bound to its own Stabilizer. A
            // FlashContainment without `stabilizerOf` (before binding
            // existed; `--poke-every-block` comparisons) is left unbound.
            let bound =
                self.world.static_call(VIEWER, fc, &fc::stabilizerOfCall { pool: p.address }.abi_encode());
            if bound.success {
                send(
                    &mut self.world,
                    ADMIN,
                    fc,
                    &fc::bindStabilizerCall { pool: p.address, stabilizer: p.stabilizer },
                )?;
            }
        }
        // Only pokers (and the Stabilizers) record observations.
        send(
            &mut self.world,
            ADMIN,
            fc,
            &fc::grantRoleCall { role: keccak256("POKER_ROLE"), account: KEEPER },
        )?;
        Ok(())
    }

    fn deploy_mesh(
        &mut self,
        codes: &Codes,
        config: &MarketConfig,
        params: &Parameters,
        fixtures: &Fixtures,
    ) -> Result<(), SimError> {
        let (mesh, xau) = (self.mesh, self.tokens[3].clone());
        construct(
            &mut self.world,
            mesh,
            &codes.private_mesh_pool,
            &mesh::stylusConstructorCall { admin: ADMIN, xau: xau.address },
        )?;
        send(
            &mut self.world,
            ADMIN,
            mesh,
            &mesh::grantRoleCall { role: keccak256("LIQUIDITY_PROVIDER_ROLE"), account: LP },
        )?;
        for p in self.pools.clone() {
            let grant = mesh::grantRoleCall { role: keccak256("STABILIZER_ROLE"), account: p.stabilizer };
            send(&mut self.world, ADMIN, mesh, &grant)?;
        }
        for t in 0..3 {
            let token = self.tokens[t].clone();
            let ctor =
                fx::oracleConstructorCall { owner: OWNER, initialPrice: mesh_oracle_price(&token, &xau)? };
            let oracle = deploy(&mut self.world, &fixtures.oracle, &args(&ctor))?;
            self.mesh_oracles.push((t, oracle));
            let register = mesh::registerPoolCall {
                token: token.address,
                oracle,
                k: U256::from(params.mesh_k_e18),
                feeRate: U256::from(params.lp_fee_e18),
                minTokenReserve: usd_to_raw(&token, 1_000),
                minXauReserve: usd_to_raw(&xau, 1_000),
                maxJumpBps: 50,
                maxGapBps: 200,
                maxOracleAge: params.max_oracle_age,
            };
            send(&mut self.world, ADMIN, mesh, &register)?;
            let (token_amount, xau_amount) =
                (usd_to_raw(&token, config.mesh_depth_usd), usd_to_raw(&xau, config.mesh_depth_usd));
            send(&mut self.world, OWNER, token.address, &fx::transferCall { to: LP, amount: token_amount })?;
            send(&mut self.world, OWNER, xau.address, &fx::transferCall { to: LP, amount: xau_amount })?;
            send(&mut self.world, LP, token.address, &fx::approveCall { spender: mesh, amount: U256::MAX })?;
            send(&mut self.world, LP, xau.address, &fx::approveCall { spender: mesh, amount: U256::MAX })?;
            let deposit =
                mesh::depositCall { token: token.address, tokenAmount: token_amount, xauAmount: xau_amount };
            send(&mut self.world, LP, mesh, &deposit)?;
        }
        // The treasury's stock (the LP account): what rebalancing draws on.
        for t in 0..self.tokens.len() {
            let amount = usd_to_raw(&self.tokens[t], config.treasury_usd);
            if !amount.is_zero() {
                send(&mut self.world, OWNER, self.tokens[t].address, &fx::transferCall { to: LP, amount })?;
            }
        }
        Ok(())
    }

    fn deploy_sizer(&mut self, codes: &Codes, params: &Parameters) -> Result<(), SimError> {
        let s = self.sizer;
        construct(&mut self.world, s, &codes.reserve_sizer, &stab::stylusConstructorCall { admin: ADMIN })?;
        send(
            &mut self.world,
            ADMIN,
            s,
            &sizer::grantRoleCall { role: keccak256("REPORTER_ROLE"), account: REPORTER },
        )?;
        for t in 0..self.tokens.len() {
            let asset = self.tokens[t].address;
            let configure = sizer::configureAssetCall {
                asset,
                holder: self.mesh,
                bridgeHolder: self.mesh,
                windowMinutes: params.reserve_window_minutes,
                safetyBps: params.reserve_safety_bps,
                bridgeLatencySeconds: 3_600,
                peakWindowMinutes: 60,
            };
            send(&mut self.world, ADMIN, s, &configure)?;
            let amount = self.usd(t, params.initial_peak_usd_per_minute);
            send(&mut self.world, REPORTER, s, &sizer::recordOutflowCall { asset, amount })?;
        }
        Ok(())
    }

    fn deploy_stabilizer(
        &mut self,
        n: usize,
        codes: &Codes,
        config: &MarketConfig,
        params: &Parameters,
    ) -> Result<(), SimError> {
        let p = self.pools[n].clone();
        let address = p.stabilizer;
        construct(
            &mut self.world,
            address,
            &codes.stabilizer,
            &stab::stylusConstructorCall { admin: ADMIN },
        )?;
        let parameters = stab::setParametersCall {
            minBlocks: params.min_blocks,
            k: self.usd(p.base, params.k_usd),
            maxSlippageBps: params.max_slippage_bps,
            maxGasPrice: U256::from(1_000_000_000u64),
            maxOracleAge: params.max_oracle_age,
        };
        send(&mut self.world, ADMIN, address, &parameters)?;
        send(
            &mut self.world,
            ADMIN,
            address,
            &stab::grantRoleCall { role: keccak256("KEEPER_ROLE"), account: KEEPER },
        )?;
        let contracts = stab::setContractsCall {
            pool: p.address,
            containment: self.containment,
            mesh: self.mesh,
            reserveSizer: self.sizer,
            oracle: p.oracle,
        };
        send(&mut self.world, ADMIN, address, &contracts)?;
        // The Stabilizer records the mesh's release itself (`recordRelease`).
        let reporter = sizer::grantRoleCall { role: keccak256("REPORTER_ROLE"), account: address };
        send(&mut self.world, ADMIN, self.sizer, &reporter)?;
        for t in [p.base, p.quote] {
            let amount = self.usd(t, config.float_usd);
            let token = self.tokens[t].address;
            send(&mut self.world, OWNER, token, &fx::transferCall { to: address, amount })?;
        }
        Ok(())
    }
}

/// A mesh pool's oracle price: XAU raw units per token raw unit, 1e18
/// (what `PrivateMeshPool` reads; 0.0003 XAU per 6-decimal token is 3e26).
///
/// # Errors
/// [`SimError::Math`].
pub fn mesh_oracle_price(token: &Token, xau: &Token) -> Result<U256, SimError> {
    vault_math::stabilizer::raw_peg(token.xau_per_token, token.decimals, xau.decimals, false)
        .map_err(|e| SimError::Math(format!("{e:?}")))
}

/// Raw units of `token` worth `usd` dollars at the run's starting gold
/// price.
pub fn usd_to_raw(token: &Token, usd: u64) -> U256 {
    usd_to_raw_at(token, usd, U256::from(XAU_PER_USD_E18))
}

/// Raw units of `token` worth `usd` dollars when a dollar buys
/// `xau_per_usd` XAU (1e18), rounded down.
pub fn usd_to_raw_at(token: &Token, usd: u64, xau_per_usd: U256) -> U256 {
    vault_math::fixed::mul_div_floor(
        U256::from(usd) * pow10(token.decimals),
        xau_per_usd,
        token.xau_per_token,
    )
    .unwrap_or(U256::ZERO)
}

/// XAU per USD, 1e18, when gold is at `ratio` times the run's start.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn xau_per_usd_at(ratio: f64) -> U256 {
    U256::from((XAU_PER_USD_E18 as f64 / ratio).round() as u128)
}

/// `(value / reference − 1)` in bps, for reporting.
pub fn ratio_bps(value: U256, reference: U256) -> f64 {
    if reference.is_zero() {
        return 0.0;
    }
    // Hundredths of a bp, exactly, then to f64.
    let scale = U256::from(1_000_000u64);
    let (v, r) = (value * scale / reference, scale);
    let centi = if v >= r { (v - r).to::<u128>() as f64 } else { -((r - v).to::<u128>() as f64) };
    centi / 100.0
}
