//! The frame dispatcher: EVM bytecode under revm's interpreter, Stylus
//! programs under the [`Runtime`], precompiles and `ArbSys`, all on one
//! [`WorldState`].
//!
//! Every call, from a transaction, an EVM `CALL`-family opcode or a Stylus
//! `call_contract`, goes through one function, `call`: depth check, access warming,
//! checkpoint, value transfer, dispatch on the target's code, then commit
//! or revert. Calls nest by recursion; each level grows the native stack
//! on demand (`stacker`), so deep Stylus↔EVM chains cannot overflow it.
//!
//! The EVM runs the Cancun rule set (ArbOS 30–32 match Cancun) with revm's
//! own gas schedule, including EIP-2929 warm/cold access, EIP-2200/3529
//! storage pricing and refunds, and the 63/64 rule for calls. `NUMBER`
//! returns the L1 block estimate, as on Arbitrum.

use std::{collections::HashMap, rc::Rc};

use alloy_primitives::{address, keccak256, Address, Bytes, Log, B256, U256};
use revm::{
    interpreter::{
        analysis::to_analysed,
        gas::{self, Gas},
        opcode::{make_instruction_table, InstructionTable},
        AccountLoad, CallInputs, CallOutcome, CallScheme, CallValue, Contract, CreateOutcome,
        Eip7702CodeLoad, Host, InstructionResult, Interpreter, InterpreterAction, InterpreterResult,
        SStoreResult, SelfDestructResult, SharedMemory, StateLoad,
    },
    precompile::{Precompile, PrecompileErrors, Precompiles},
    primitives::{BlobExcessGasAndPrice, Bytecode, CancunSpec, CreateScheme, Env},
};

use crate::{
    arb_wasm,
    backend::{Backend, BlockEnv, CallKind, CallRequest, CreateRequest, FrameResult, TxEnv},
    host::Runtime,
    world::WorldState,
    ChainError,
};

/// `ArbSys`, Arbitrum's system precompile.
pub const ARB_SYS: Address = address!("0000000000000000000000000000000000000064");
/// Largest deployable EVM code (EIP-170).
pub const MAX_EVM_CODE_SIZE: usize = 24_576;
/// Grow the native stack when less than this is left before a frame.
pub(crate) const STACK_RED_ZONE: usize = 256 * 1024;
/// How much native stack each growth adds.
pub(crate) const STACK_GROWTH: usize = 4 * 1024 * 1024;

static INSTRUCTIONS: InstructionTable<WorldState> = make_instruction_table::<WorldState, CancunSpec>();

/// Execution environment and analysed bytecode, kept across transactions.
#[derive(Debug, Clone, Default)]
pub(crate) struct EvmCache {
    env: Env,
    analysed: HashMap<B256, Bytecode>,
}

impl EvmCache {
    /// Sets revm's environment for a transaction: `NUMBER` is the L1
    /// estimate, the gas price is the base fee.
    pub(crate) fn set_env(&mut self, block: &BlockEnv, tx: &TxEnv) {
        let env = &mut self.env;
        env.cfg.chain_id = block.chain_id;
        env.block.number = U256::from(block.l1_number);
        env.block.timestamp = U256::from(block.timestamp);
        env.block.coinbase = block.coinbase;
        env.block.gas_limit = U256::from(block.gas_limit);
        env.block.basefee = block.basefee;
        env.block.difficulty = U256::from(1);
        env.block.prevrandao = Some(B256::with_last_byte(1));
        env.block.blob_excess_gas_and_price = Some(BlobExcessGasAndPrice::new(0, false));
        env.tx.caller = tx.origin;
        env.tx.gas_price = tx.gas_price;
    }
}

/// Addresses warm from the start of every transaction: the Ethereum
/// precompiles and `ArbSys`.
pub(crate) fn warm_precompiles() -> impl Iterator<Item = Address> {
    Precompiles::cancun().addresses().copied().chain(std::iter::once(ARB_SYS))
}

/// Intrinsic gas of a transaction: 21,000, calldata at 4 gas per zero
/// byte and 16 per other byte, and for a deployment 32,000 plus 2 gas per
/// init-code word (EIP-3860).
pub(crate) fn intrinsic_gas(calldata: &[u8], is_create: bool) -> u64 {
    let others = calldata.iter().filter(|b| **b != 0).count() as u64;
    let zeros = calldata.len() as u64 - others;
    let mut total = 21_000 + zeros * 4 + others * 16;
    if is_create {
        total += gas::CREATE + gas::initcode_cost(calldata.len() as u64);
    }
    total
}

/// Runs one call frame.
pub(crate) fn call(
    state: &mut WorldState,
    runtime: &Rc<Runtime<WorldState>>,
    request: CallRequest,
) -> FrameResult {
    if request.depth > runtime.max_depth() {
        return FrameResult::refused(ChainError::DepthLimit(request.depth), request.gas);
    }
    state.access_account(request.code_address);
    let checkpoint = state.checkpoint();
    if request.transfers_value() {
        if let Err(e) = state.transfer(request.caller, request.address, request.value) {
            state.revert(checkpoint);
            return FrameResult::refused(e, request.gas);
        }
    }
    let result = if request.code_address == ARB_SYS {
        arb_sys(state, &request)
    } else if request.code_address == arb_wasm::ARB_WASM && state.programs.is_some() {
        arb_wasm::run(state, runtime, &request)
    } else if request.code_address == arb_wasm::ARB_WASM_CACHE && state.programs.is_some() {
        arb_wasm::run_cache(state, &request)
    } else if request.code_address == arb_wasm::ARB_OWNER_PUBLIC && state.programs.is_some() {
        arb_wasm::run_owner_public(state, &request)
    } else if let Some(precompile) = Precompiles::cancun().get(&request.code_address) {
        run_precompile(state, precompile, &request)
    } else {
        let code = Backend::code(state, request.code_address);
        if code.is_empty() {
            FrameResult::success(Vec::new(), request.gas)
        } else if vault_wasm_pack::is_stylus_code(&code) {
            let time = Backend::block(state).timestamp;
            // With Nitro's rules on, the program must be active and the
            // call pays its entry cost (cached or not) before it starts.
            let hash = crate::world::code_hash(&code);
            match state.programs.as_ref().map(|p| p.call_gas(hash, time)) {
                Some(Err(e)) => FrameResult::failure(ChainError::Program(e.render())),
                Some(Ok(entry)) if entry > request.gas => FrameResult::failure(ChainError::OutOfGas),
                Some(Ok(entry)) => {
                    let mut request = request;
                    request.gas -= entry;
                    runtime.run_hashed(state, request, &code, hash)
                }
                None => runtime.run_hashed(state, request, &code, hash),
            }
        } else {
            let bytecode = analysed(state, code);
            run_evm(state, runtime, &request, bytecode)
        }
    };
    if !result.success {
        state.revert(checkpoint);
    }
    result
}

/// Runs one contract creation: nonce, address, collision check, value,
/// init code, then the EIP-3541 and EIP-170 checks and the 200 gas per
/// byte code deposit.
pub(crate) fn create(
    state: &mut WorldState,
    runtime: &Rc<Runtime<WorldState>>,
    request: CreateRequest,
) -> (Option<Address>, FrameResult) {
    if request.depth > runtime.max_depth() {
        return (None, FrameResult::refused(ChainError::DepthLimit(request.depth), request.gas));
    }
    if Backend::balance(state, request.creator) < request.endowment {
        let error = ChainError::InsufficientBalance { from: request.creator };
        return (None, FrameResult::refused(error, request.gas));
    }
    let Some(nonce) = state.bump_nonce(request.creator) else {
        return (None, FrameResult::refused(ChainError::CreateFailed("creator nonce overflow"), request.gas));
    };
    let address = match request.salt {
        None => request.creator.create(nonce),
        Some(salt) => request.creator.create2_from_code(salt, &request.init_code),
    };
    state.access_account(address);
    if state.nonce(address) != 0 || !Backend::code(state, address).is_empty() {
        return (None, FrameResult::failure(ChainError::CreateFailed("address collision")));
    }
    let checkpoint = state.checkpoint();
    state.bump_nonce(address);
    if let Err(e) = state.transfer(request.creator, address, request.endowment) {
        state.revert(checkpoint);
        return (None, FrameResult::refused(e, request.gas));
    }
    let frame = CallRequest {
        kind: CallKind::Call,
        caller: request.creator,
        address,
        code_address: address,
        value: request.endowment,
        input: Vec::new(),
        is_static: false,
        gas: request.gas,
        depth: request.depth,
    };
    let init_code = to_analysed(Bytecode::new_raw(Bytes::from(request.init_code)));
    let mut result = run_evm(state, runtime, &frame, init_code);
    if result.success {
        let deposit = gas::CODEDEPOSIT * result.output.len() as u64;
        // Nitro lets Stylus code (`0xEF F0 00` and a dictionary byte) be
        // deposited when its activation rules are on.
        let stylus =
            state.programs.is_some() && result.output.len() > 3 && result.output[..3] == [0xEF, 0xF0, 0x00];
        if result.output.first() == Some(&0xEF) && !stylus {
            result = FrameResult::failure(ChainError::CreateFailed("code starts with 0xEF (EIP-3541)"));
        } else if result.output.len() > MAX_EVM_CODE_SIZE {
            result = FrameResult::failure(ChainError::CreateFailed("code larger than 24,576 bytes"));
        } else if result.gas_left < deposit {
            result = FrameResult::failure(ChainError::OutOfGas);
        } else {
            state.put_code(address, Bytes::from(std::mem::take(&mut result.output)));
            result.gas_left -= deposit;
        }
    }
    if result.success {
        (Some(address), result)
    } else {
        state.revert(checkpoint);
        (None, result)
    }
}

fn analysed(state: &mut WorldState, code: Bytes) -> Bytecode {
    let hash = crate::world::code_hash(&code);
    state.evm.analysed.entry(hash).or_insert_with(|| to_analysed(Bytecode::new_raw(code))).clone()
}

/// Runs EVM `bytecode` for `request`, serving its calls and creations.
fn run_evm(
    state: &mut WorldState,
    runtime: &Rc<Runtime<WorldState>>,
    request: &CallRequest,
    bytecode: Bytecode,
) -> FrameResult {
    let contract = Contract::new(
        Bytes::copy_from_slice(&request.input),
        bytecode,
        None,
        request.address,
        Some(request.code_address),
        request.caller,
        request.value,
    );
    let mut interpreter = Interpreter::new(contract, request.gas, request.is_static);
    let mut memory = SharedMemory::new();
    loop {
        match interpreter.run(memory, &INSTRUCTIONS, state) {
            InterpreterAction::Call { inputs } => {
                memory = interpreter.take_memory();
                let limit = inputs.gas_limit;
                let result = state.call(runtime, call_request(&inputs, request.depth + 1));
                let outcome =
                    CallOutcome::new(interpreter_result(&result, limit), inputs.return_memory_offset);
                interpreter.insert_call_outcome(&mut memory, outcome);
            }
            InterpreterAction::Create { inputs } => {
                memory = interpreter.take_memory();
                let limit = inputs.gas_limit;
                let salt = match inputs.scheme {
                    CreateScheme::Create => None,
                    CreateScheme::Create2 { salt } => Some(B256::from(salt)),
                };
                let creation = CreateRequest {
                    creator: inputs.caller,
                    init_code: inputs.init_code.to_vec(),
                    endowment: inputs.value,
                    salt,
                    gas: limit,
                    depth: request.depth + 1,
                };
                let (address, result) = state.create(runtime, creation);
                interpreter
                    .insert_create_outcome(CreateOutcome::new(interpreter_result(&result, limit), address));
            }
            InterpreterAction::Return { result } => return frame_result(&result),
            InterpreterAction::EOFCreate { .. } | InterpreterAction::None => {
                return FrameResult::failure(ChainError::EvmHalt("EOF is not enabled".into()));
            }
        }
    }
}

fn call_request(inputs: &CallInputs, depth: usize) -> CallRequest {
    let kind = match inputs.scheme {
        CallScheme::Call | CallScheme::ExtCall => CallKind::Call,
        CallScheme::StaticCall | CallScheme::ExtStaticCall => CallKind::StaticCall,
        CallScheme::DelegateCall | CallScheme::ExtDelegateCall => CallKind::DelegateCall,
        CallScheme::CallCode => CallKind::CallCode,
    };
    let value = match inputs.value {
        CallValue::Transfer(value) | CallValue::Apparent(value) => value,
    };
    CallRequest {
        kind,
        caller: inputs.caller,
        address: inputs.target_address,
        code_address: inputs.bytecode_address,
        value,
        input: inputs.input.to_vec(),
        is_static: inputs.is_static,
        gas: inputs.gas_limit,
        depth,
    }
}

/// A frame's result as revm's interpreter takes it back.
fn interpreter_result(result: &FrameResult, gas_limit: u64) -> InterpreterResult {
    let mut gas = Gas::new(gas_limit);
    let _ = gas.record_cost(gas_limit.saturating_sub(result.gas_left));
    let code = if result.success {
        gas.record_refund(result.refund);
        InstructionResult::Return
    } else if result.error.is_none() || result.gas_left > 0 {
        // A revert, or a call refused before it ran (depth, balance): the
        // caller gets the unused gas back.
        InstructionResult::Revert
    } else {
        match result.error {
            Some(ChainError::OutOfGas) => InstructionResult::OutOfGas,
            Some(ChainError::WriteProtection(_)) => InstructionResult::StateChangeDuringStaticCall,
            _ => InstructionResult::InvalidFEOpcode,
        }
    };
    InterpreterResult::new(code, Bytes::copy_from_slice(&result.output), gas)
}

fn frame_result(result: &InterpreterResult) -> FrameResult {
    let remaining = result.gas.remaining();
    if result.result.is_ok() {
        let mut frame = FrameResult::success(result.output.to_vec(), remaining);
        frame.refund = result.gas.refunded();
        frame
    } else if result.result.is_revert() {
        FrameResult::revert(result.output.to_vec(), remaining)
    } else if matches!(
        result.result,
        InstructionResult::OutOfGas
            | InstructionResult::MemoryOOG
            | InstructionResult::MemoryLimitOOG
            | InstructionResult::PrecompileOOG
            | InstructionResult::InvalidOperandOOG
    ) {
        FrameResult::failure(ChainError::OutOfGas)
    } else if result.result == InstructionResult::StateChangeDuringStaticCall {
        FrameResult::failure(ChainError::WriteProtection("state change"))
    } else {
        FrameResult::failure(ChainError::EvmHalt(format!("{:?}", result.result)))
    }
}

fn run_precompile(state: &WorldState, precompile: &Precompile, request: &CallRequest) -> FrameResult {
    let input = Bytes::copy_from_slice(&request.input);
    let outcome = match precompile {
        Precompile::Standard(run) => run(&input, request.gas),
        Precompile::Env(run) => run(&input, request.gas, &state.evm.env),
        Precompile::Stateful(run) => run.call(&input, request.gas, &state.evm.env),
        Precompile::StatefulMut(_) => {
            return FrameResult::failure(ChainError::Precompile("stateful precompile".into()))
        }
    };
    match outcome {
        Ok(output) if output.gas_used <= request.gas => {
            FrameResult::success(output.bytes.to_vec(), request.gas - output.gas_used)
        }
        Ok(_) => FrameResult::failure(ChainError::OutOfGas),
        Err(PrecompileErrors::Error(e)) if e.is_oog() => FrameResult::failure(ChainError::OutOfGas),
        Err(PrecompileErrors::Error(e)) => FrameResult::failure(ChainError::Precompile(e.to_string())),
        Err(PrecompileErrors::Fatal { msg }) => FrameResult::failure(ChainError::Precompile(msg)),
    }
}

/// `ArbSys` at `0x64`: `arbBlockNumber()`, `arbChainID()`,
/// `arbBlockHash(uint256)` and `arbOSVersion()`. Charges the calldata and
/// result copy cost (3 gas per word each way); other methods revert.
fn arb_sys(state: &WorldState, request: &CallRequest) -> FrameResult {
    let block = Backend::block(state);
    let selector = request.input.get(..4).unwrap_or_default();
    let is = |signature: &str| selector == &keccak256(signature)[..4];
    let word = if is("arbBlockNumber()") {
        U256::from(block.number)
    } else if is("arbChainID()") {
        U256::from(block.chain_id)
    } else if is("arbOSVersion()") {
        // Nitro reports 55 + the ArbOS version; ArbOS 32.
        U256::from(55 + 32)
    } else if is("arbBlockHash(uint256)") && request.input.len() == 36 {
        let number = U256::from_be_slice(&request.input[4..36]);
        if number >= U256::from(block.number) || number + U256::from(256) < U256::from(block.number) {
            return FrameResult::revert(Vec::new(), request.gas);
        }
        U256::from_be_bytes(keccak256(number.to_be_bytes::<32>()).0)
    } else {
        return FrameResult::revert(Vec::new(), request.gas);
    };
    let cost = gas::VERYLOW * (request.input.len() as u64).div_ceil(32) + gas::VERYLOW;
    match request.gas.checked_sub(cost) {
        Some(left) => FrameResult::success(word.to_be_bytes::<32>().to_vec(), left),
        None => FrameResult::failure(ChainError::OutOfGas),
    }
}

impl Host for WorldState {
    fn env(&self) -> &Env {
        &self.evm.env
    }

    fn env_mut(&mut self) -> &mut Env {
        &mut self.evm.env
    }

    fn load_account_delegated(&mut self, address: Address) -> Option<AccountLoad> {
        let is_cold = self.access_account(address);
        let load =
            Eip7702CodeLoad { state_load: StateLoad::new((), is_cold), is_delegate_account_cold: None };
        Some(AccountLoad { load, is_empty: self.is_empty(address) })
    }

    fn block_hash(&mut self, number: u64) -> Option<B256> {
        Some(keccak256(number.to_be_bytes()))
    }

    fn balance(&mut self, address: Address) -> Option<StateLoad<U256>> {
        let is_cold = self.access_account(address);
        Some(StateLoad::new(Backend::balance(self, address), is_cold))
    }

    fn code(&mut self, address: Address) -> Option<StateLoad<Bytes>> {
        let is_cold = self.access_account(address);
        Some(StateLoad::new(Backend::code(self, address), is_cold))
    }

    fn code_hash(&mut self, address: Address) -> Option<StateLoad<B256>> {
        let is_cold = self.access_account(address);
        Some(StateLoad::new(Backend::code_hash(self, address), is_cold))
    }

    fn sload(&mut self, address: Address, index: U256) -> Option<StateLoad<U256>> {
        let is_cold = self.access_slot(address, index);
        Some(StateLoad::new(self.storage_value(address, index).into(), is_cold))
    }

    fn sstore(&mut self, address: Address, index: U256, value: U256) -> Option<StateLoad<SStoreResult>> {
        let is_cold = self.access_slot(address, index);
        let original_value = self.original_value(address, index).into();
        let present_value = self.storage_value(address, index).into();
        Backend::sstore(self, address, index, value.into());
        let result = SStoreResult { original_value, present_value, new_value: value };
        Some(StateLoad::new(result, is_cold))
    }

    fn tload(&mut self, address: Address, index: U256) -> U256 {
        Backend::tload(self, address, index).into()
    }

    fn tstore(&mut self, address: Address, index: U256, value: U256) {
        Backend::tstore(self, address, index, value.into());
    }

    fn log(&mut self, log: Log) {
        Backend::log(self, log);
    }

    fn selfdestruct(&mut self, address: Address, target: Address) -> Option<StateLoad<SelfDestructResult>> {
        // Cancun (EIP-6780): the balance moves; the account stays.
        let is_cold = self.access_account(target);
        let value = Backend::balance(self, address);
        let target_exists = !self.is_empty(target);
        if address != target {
            self.transfer(address, target, value).ok()?;
        }
        let result =
            SelfDestructResult { had_value: !value.is_zero(), target_exists, previously_destroyed: false };
        Some(StateLoad::new(result, is_cold))
    }
}
