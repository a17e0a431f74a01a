//! The Stylus `vm_hooks` host ABI over a [`Backend`], and the runtime that
//! loads and runs programs under wasmi.
//!
//! Each frame gets its own wasmi `Store` and instance; the backend is moved
//! into the store for the frame and moved back after it. Storage writes go
//! through a per-frame cache, as in Nitro: `storage_cache_bytes32` only
//! caches, `storage_flush_cache` writes to the backend, and writes left in
//! the cache when the frame ends are dropped (the SDK flushes on success).
//!
//! Pointers from the program are checked against its memory: an
//! out-of-bounds access, a state change in a static frame, more than four
//! log topics and the like end the frame with a trap
//! ([`ChainError::Trap`]), never a panic.

use std::{cell::RefCell, collections::BTreeMap, collections::HashMap, rc::Rc};

use alloy_primitives::{keccak256, Address, Bytes, Log, B256, U256};
use revm::interpreter::{gas as evm_gas, SStoreResult};
use revm::primitives::SpecId;
use wasmi::{
    Caller, Engine, Error, Global, Linker, Memory, Module, Store, StoreLimits, StoreLimitsBuilder, Val,
};

use crate::{
    backend::{Backend, CallKind, CallRequest, CreateRequest, FrameResult},
    meter::{self, OutOfInk},
    ChainError,
};

/// Ink per gas (Nitro's default ink price, also reported by `tx_ink_price`).
pub const INK_PER_GAS: u64 = meter::INK_PRICE as u64;
/// The deepest call allowed, as in the EVM.
pub const MAX_CALL_DEPTH: usize = 1024;
/// Most bytes of memory a program may have (Nitro's 128 pages).
pub const MAX_MEMORY_BYTES: usize = 128 * 65_536;

/// Loads, caches and runs Stylus programs for backend `B`.
pub struct Runtime<B> {
    engine: Engine,
    linker: Linker<HostData<B>>,
    hostios: Vec<&'static str>,
    console: RefCell<Vec<String>>,
    debug: bool,
    programs: RefCell<HashMap<B256, Module>>,
    active: RefCell<Vec<Address>>,
    max_depth: usize,
}

impl<B> std::fmt::Debug for Runtime<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("hostios", &self.hostios.len())
            .field("programs", &self.programs.borrow().len())
            .field("max_depth", &self.max_depth)
            .finish_non_exhaustive()
    }
}

/// What a host function sees: the backend, the frame and its buffers.
pub struct HostData<B> {
    backend: B,
    runtime: Rc<Runtime<B>>,
    frame: CallRequest,
    reentrant: bool,
    memory: Option<Memory>,
    output: Vec<u8>,
    return_data: Vec<u8>,
    cache: BTreeMap<B256, CacheSlot>,
    limits: StoreLimits,
    /// Ink left, when the program carries no metering globals.
    ink: u64,
    /// The instrumented program's ink-left global.
    ink_global: Option<Global>,
    /// The instrumented program's ink-status global.
    status_global: Option<Global>,
    /// Gas refund earned by storage writes.
    refund: i64,
}

#[derive(Clone, Copy)]
struct CacheSlot {
    value: B256,
    dirty: bool,
}

impl<B: Backend> Default for Runtime<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B: Backend> Runtime<B> {
    /// A runtime with every hostio linked.
    pub fn new() -> Self {
        let engine = Engine::default();
        let mut linker = Linker::new(&engine);
        let hostios = link(&mut linker);
        link_console(&mut linker);
        Self {
            engine,
            linker,
            hostios,
            console: RefCell::default(),
            debug: true,
            programs: RefCell::default(),
            active: RefCell::default(),
            max_depth: MAX_CALL_DEPTH,
        }
    }

    /// Whether programs may import the `console` debug module (true by
    /// default, as on a development chain).
    pub fn debug(&self) -> bool {
        self.debug
    }

    /// Allows or refuses the `console` debug module for programs loaded
    /// from now on (Nitro refuses it outside debug chains).
    pub fn set_debug(&mut self, debug: bool) {
        self.debug = debug;
    }

    /// Takes the lines programs printed with the SDK's `console!`.
    pub fn take_console(&self) -> Vec<String> {
        std::mem::take(&mut self.console.borrow_mut())
    }

    /// Names of the `vm_hooks` functions this runtime provides.
    pub fn hostios(&self) -> &[&'static str] {
        &self.hostios
    }

    /// The deepest frame allowed.
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Sets the deepest frame allowed. Each nested Stylus frame uses native
    /// stack; keep this low on small thread stacks.
    pub fn set_max_depth(&mut self, depth: usize) {
        self.max_depth = depth;
    }

    /// Decodes, validates, meters ([`meter::instrument`]) and compiles
    /// Stylus account code (cached by code hash), and checks that every
    /// import is a provided hostio.
    ///
    /// # Errors
    /// [`ChainError::Pack`] for code that would not activate,
    /// [`ChainError::UnknownImport`], [`ChainError::Instantiate`] when wasmi
    /// refuses the module.
    pub fn program(&self, code: &[u8]) -> Result<Module, ChainError> {
        self.program_hashed(code, keccak256(code))
    }

    /// [`Runtime::program`] of code whose hash the caller has.
    ///
    /// # Errors
    /// As [`Runtime::program`].
    pub fn program_hashed(&self, code: &[u8], hash: B256) -> Result<Module, ChainError> {
        if let Some(module) = self.programs.borrow().get(&hash) {
            return Ok(module.clone());
        }
        let wasm = vault_wasm_pack::decode_code(code)?;
        if self.debug {
            vault_wasm_pack::validate_debug(&wasm)?;
        } else {
            vault_wasm_pack::validate(&wasm)?;
        }
        // Nitro checks the limits first, then adds its metering.
        let metered = meter::instrument(&wasm).map_err(|e| ChainError::Instantiate(e.to_string()))?;
        let module =
            Module::new(&self.engine, &metered).map_err(|e| ChainError::Instantiate(e.to_string()))?;
        for import in module.imports() {
            let known = match import.module() {
                "vm_hooks" => self.hostios.contains(&import.name()),
                "console" => self.debug && CONSOLE_HOSTIOS.contains(&import.name()),
                _ => false,
            };
            if !known {
                return Err(ChainError::UnknownImport {
                    module: import.module().to_owned(),
                    name: import.name().to_owned(),
                });
            }
        }
        self.programs.borrow_mut().insert(hash, module.clone());
        Ok(module)
    }

    /// Runs Stylus `code` for `frame` on `backend`: `user_entrypoint(len)`,
    /// status 0 is success and 1 a revert. Does not checkpoint or transfer
    /// value: [`Backend::call`] does, around this.
    pub fn run(self: &Rc<Self>, backend: &mut B, frame: CallRequest, code: &[u8]) -> FrameResult {
        self.run_hashed(backend, frame, code, keccak256(code))
    }

    /// [`Runtime::run`] of code whose hash the caller has.
    pub fn run_hashed(
        self: &Rc<Self>,
        backend: &mut B,
        frame: CallRequest,
        code: &[u8],
        hash: B256,
    ) -> FrameResult {
        let module = match self.program_hashed(code, hash) {
            Ok(module) => module,
            Err(e) => return FrameResult::failure(e),
        };
        let reentrant = self.active.borrow().contains(&frame.address);
        self.active.borrow_mut().push(frame.address);
        let ink_budget = frame.gas.saturating_mul(INK_PER_GAS);
        let data = HostData {
            backend: std::mem::take(backend),
            runtime: Rc::clone(self),
            frame,
            reentrant,
            memory: None,
            output: Vec::new(),
            return_data: Vec::new(),
            cache: BTreeMap::new(),
            limits: StoreLimitsBuilder::new().memory_size(MAX_MEMORY_BYTES).build(),
            ink: ink_budget,
            ink_global: None,
            status_global: None,
            refund: 0,
        };
        let mut store = Store::new(&self.engine, data);
        store.limiter(|data| &mut data.limits);
        let status = self.enter(&mut store, &module);
        self.active.borrow_mut().pop();
        let ink_left = current_ink(&store);
        let data = store.into_data();
        *backend = data.backend;
        let gas_left = ink_left / INK_PER_GAS;
        let mut result = match status {
            Ok(0) => {
                let mut result = FrameResult::success(data.output, gas_left);
                result.refund = data.refund;
                result
            }
            Ok(1) => FrameResult::revert(data.output, gas_left),
            Ok(other) => FrameResult::failure(ChainError::BadStatus(other)),
            Err(e) => FrameResult::failure(e),
        };
        let ink_used = if result.error.is_some() {
            result.gas_left = 0;
            ink_budget
        } else {
            ink_budget.saturating_sub(ink_left)
        };
        backend.record_ink(ink_used);
        result
    }

    fn enter(&self, store: &mut Store<HostData<B>>, module: &Module) -> Result<i32, ChainError> {
        let instance = self
            .linker
            .instantiate_and_start(&mut *store, module)
            .map_err(|e| ChainError::Instantiate(e.to_string()))?;
        let memory = instance
            .get_memory(&*store, "memory")
            .ok_or_else(|| ChainError::Instantiate("no exported memory".into()))?;
        let ink_global = instance.get_global(&*store, meter::STYLUS_INK_LEFT);
        let status_global = instance.get_global(&*store, meter::STYLUS_INK_STATUS);
        let data = store.data_mut();
        data.memory = Some(memory);
        data.ink_global = ink_global;
        data.status_global = status_global;
        if let Some(global) = store.data().ink_global {
            let budget = store.data().ink;
            global
                .set(&mut *store, Val::I64(i64::try_from(budget).unwrap_or(i64::MAX)))
                .map_err(|e| ChainError::Instantiate(e.to_string()))?;
        }
        let entrypoint = instance
            .get_typed_func::<i32, i32>(&*store, "user_entrypoint")
            .map_err(|e| ChainError::Instantiate(e.to_string()))?;
        let len = i32::try_from(store.data().frame.input.len())
            .map_err(|_| ChainError::Instantiate("calldata too long".into()))?;
        match entrypoint.call(&mut *store, len) {
            Ok(status) => Ok(status),
            Err(e) if e.downcast_ref::<OutOfInk>().is_some() => Err(ChainError::OutOfGas),
            Err(e) => {
                let status = store.data().status_global.map(|g| g.get(&*store));
                if matches!(status, Some(Val::I32(1))) {
                    return Err(ChainError::OutOfGas);
                }
                e.i32_exit_status().ok_or_else(|| ChainError::Trap(e.to_string()))
            }
        }
    }
}

/// Ink left in a frame's store.
fn current_ink<B>(store: &impl wasmi::AsContext<Data = HostData<B>>) -> u64 {
    let context = store.as_context();
    match context.data().ink_global.map(|g| g.get(context)) {
        Some(Val::I64(ink)) => u64::try_from(ink).unwrap_or(0),
        _ => context.data().ink,
    }
}

fn set_ink<B>(c: &mut Ctx<'_, B>, ink: u64) {
    match c.data().ink_global {
        Some(global) => {
            let _ = global.set(&mut *c, Val::I64(i64::try_from(ink).unwrap_or(i64::MAX)));
        }
        None => c.data_mut().ink = ink,
    }
}

/// Spends `ink`, or ends the frame out of ink (all of it is consumed).
fn buy_ink<B>(c: &mut Ctx<'_, B>, ink: u64) -> Result<(), Error> {
    let left = current_ink(c);
    if let Some(remaining) = left.checked_sub(ink) {
        set_ink(c, remaining);
        return Ok(());
    }
    set_ink(c, 0);
    if let Some(status) = c.data().status_global {
        let _ = status.set(&mut *c, Val::I32(1));
    }
    Err(Error::host(OutOfInk))
}

/// Spends EVM `gas`, converted to ink.
fn buy_gas<B>(c: &mut Ctx<'_, B>, gas: u64) -> Result<(), Error> {
    buy_ink(c, gas.saturating_mul(INK_PER_GAS))
}

fn gas_left<B>(c: &Ctx<'_, B>) -> u64 {
    current_ink(c) / INK_PER_GAS
}

/// Buys the ink hostio `name` costs by itself ([`meter::hostio_ink`]),
/// `len` being its variable length; its EVM gas is bought after.
fn pay<B>(c: &mut Ctx<'_, B>, name: &'static str, len: usize) -> Result<(), Error> {
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    buy_ink(c, meter::hostio_ink(name, len).unwrap_or(meter::HOSTIO_INK))
}

/// Cold or warm account access gas (EIP-2929).
fn account_access_gas(cold: bool) -> u64 {
    evm_gas::warm_cold_cost(cold)
}

type Ctx<'a, B> = Caller<'a, HostData<B>>;

fn trap(hostio: &str, why: impl std::fmt::Display) -> Error {
    Error::new(format!("vm_hooks::{hostio}: {why}"))
}

fn memory<B>(caller: &Ctx<'_, B>, hostio: &str) -> Result<Memory, Error> {
    caller.data().memory.ok_or_else(|| trap(hostio, "called before memory was exported"))
}

fn check_bounds<B>(caller: &Ctx<'_, B>, hostio: &str, ptr: u32, len: usize) -> Result<Memory, Error> {
    let memory = memory(caller, hostio)?;
    let size = memory.data_size(caller);
    if (ptr as usize).checked_add(len).is_none_or(|end| end > size) {
        return Err(trap(
            hostio,
            format!("out of bounds memory access: {len} bytes at {ptr:#x}, memory is {size} bytes"),
        ));
    }
    Ok(memory)
}

fn read_bytes<B>(caller: &Ctx<'_, B>, hostio: &str, ptr: u32, len: u32) -> Result<Vec<u8>, Error> {
    let memory = check_bounds(caller, hostio, ptr, len as usize)?;
    let mut buffer = vec![0; len as usize];
    memory.read(caller, ptr as usize, &mut buffer).map_err(|e| trap(hostio, e))?;
    Ok(buffer)
}

fn read_word<B>(caller: &Ctx<'_, B>, hostio: &str, ptr: u32) -> Result<B256, Error> {
    let memory = check_bounds(caller, hostio, ptr, 32)?;
    let mut word = B256::ZERO;
    memory.read(caller, ptr as usize, word.as_mut_slice()).map_err(|e| trap(hostio, e))?;
    Ok(word)
}

fn read_address<B>(caller: &Ctx<'_, B>, hostio: &str, ptr: u32) -> Result<Address, Error> {
    let memory = check_bounds(caller, hostio, ptr, 20)?;
    let mut address = Address::ZERO;
    memory.read(caller, ptr as usize, address.as_mut_slice()).map_err(|e| trap(hostio, e))?;
    Ok(address)
}

fn write_bytes<B>(caller: &mut Ctx<'_, B>, hostio: &str, ptr: u32, bytes: &[u8]) -> Result<(), Error> {
    let memory = check_bounds(caller, hostio, ptr, bytes.len())?;
    memory.write(caller, ptr as usize, bytes).map_err(|e| trap(hostio, e))
}

fn write_u32<B>(caller: &mut Ctx<'_, B>, hostio: &str, ptr: u32, value: usize) -> Result<(), Error> {
    let value = u32::try_from(value).map_err(|_| trap(hostio, "length does not fit in 32 bits"))?;
    write_bytes(caller, hostio, ptr, &value.to_le_bytes())
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// The `console` debug module's functions this runtime provides.
pub const CONSOLE_HOSTIOS: [&str; 5] = ["log_txt", "log_i32", "log_i64", "tee_i32", "tee_i64"];

/// Links the `console` debug module: each call appends a line to the
/// runtime's console. The float variants are not linked: programs with
/// floats do not activate.
fn link_console<B: Backend>(linker: &mut Linker<HostData<B>>) {
    fn print<B>(c: &Ctx<'_, B>, line: String) {
        c.data().runtime.console.borrow_mut().push(line);
    }
    let defined = [
        linker
            .func_wrap("console", "log_txt", |c: Ctx<'_, B>, ptr: u32, len: u32| {
                let text = read_bytes(&c, "console::log_txt", ptr, len)?;
                print(&c, String::from_utf8_lossy(&text).into_owned());
                Ok(())
            })
            .is_ok(),
        linker
            .func_wrap("console", "log_i32", |c: Ctx<'_, B>, value: i32| print(&c, value.to_string()))
            .is_ok(),
        linker
            .func_wrap("console", "log_i64", |c: Ctx<'_, B>, value: i64| print(&c, value.to_string()))
            .is_ok(),
        linker
            .func_wrap("console", "tee_i32", |c: Ctx<'_, B>, value: i32| {
                print(&c, value.to_string());
                value
            })
            .is_ok(),
        linker
            .func_wrap("console", "tee_i64", |c: Ctx<'_, B>, value: i64| {
                print(&c, value.to_string());
                value
            })
            .is_ok(),
    ];
    assert!(defined.iter().all(|ok| *ok), "console functions defined once");
}

/// Defines hostio `name` and records it in `names`.
macro_rules! hostio {
    ($linker:ident, $names:ident, $name:literal, $func:expr) => {{
        $linker.func_wrap("vm_hooks", $name, $func).expect(concat!("hostio ", $name, " defined once"));
        $names.push($name);
    }};
}

/// Links every hostio and returns their names.
#[allow(clippy::too_many_lines)]
fn link<B: Backend>(linker: &mut Linker<HostData<B>>) -> Vec<&'static str> {
    let mut names = Vec::new();

    // Calldata, return data, exit.
    hostio!(linker, names, "read_args", |mut c: Ctx<'_, B>, dest: u32| {
        let len = c.data().frame.input.len();
        pay(&mut c, "read_args", len)?;
        let input = std::mem::take(&mut c.data_mut().frame.input);
        let written = write_bytes(&mut c, "read_args", dest, &input);
        c.data_mut().frame.input = input;
        written
    });
    hostio!(linker, names, "write_result", |mut c: Ctx<'_, B>, ptr: u32, len: u32| {
        pay(&mut c, "write_result", len as usize)?;
        c.data_mut().output = read_bytes(&c, "write_result", ptr, len)?;
        Ok(())
    });
    hostio!(linker, names, "exit_early", |mut c: Ctx<'_, B>, status: u32| -> Result<(), Error> {
        pay(&mut c, "exit_early", 0)?;
        Err(Error::i32_exit(i32::try_from(status).unwrap_or(i32::MAX)))
    });
    hostio!(linker, names, "return_data_size", |mut c: Ctx<'_, B>| {
        pay(&mut c, "return_data_size", 0)?;
        Ok(len_u32(c.data().return_data.len()))
    });
    hostio!(linker, names, "read_return_data", |mut c: Ctx<'_, B>, dest: u32, offset: u32, size: u32| {
        let data = std::mem::take(&mut c.data_mut().return_data);
        let start = (offset as usize).min(data.len());
        let end = start.saturating_add(size as usize).min(data.len());
        if let Err(e) = pay(&mut c, "read_return_data", end - start) {
            c.data_mut().return_data = data;
            return Err(e);
        }
        let written =
            write_bytes(&mut c, "read_return_data", dest, &data[start..end]).map(|()| len_u32(end - start));
        c.data_mut().return_data = data;
        written
    });

    // Storage.
    hostio!(linker, names, "storage_load_bytes32", |mut c: Ctx<'_, B>, key: u32, dest: u32| {
        pay(&mut c, "storage_load_bytes32", 0)?;
        let key = read_word(&c, "storage_load_bytes32", key)?;
        let cached = c.data().cache.get(&key).map(|slot| slot.value);
        let value = if let Some(value) = cached {
            value
        } else {
            let data = c.data_mut();
            let address = data.frame.address;
            let cold = data.backend.access_slot(address, key.into());
            let value = data.backend.sload(address, key.into());
            data.cache.insert(key, CacheSlot { value, dirty: false });
            buy_gas(&mut c, evm_gas::sload_cost(SpecId::CANCUN, cold))?;
            value
        };
        write_bytes(&mut c, "storage_load_bytes32", dest, value.as_slice())
    });
    hostio!(linker, names, "storage_cache_bytes32", |mut c: Ctx<'_, B>, key: u32, value: u32| {
        pay(&mut c, "storage_cache_bytes32", 0)?;
        // Nitro refuses a write with no more than the EIP-2200 sentry left.
        if gas_left(&c) <= evm_gas::CALL_STIPEND {
            return Err(Error::host(OutOfInk));
        }
        let key = read_word(&c, "storage_cache_bytes32", key)?;
        let value = read_word(&c, "storage_cache_bytes32", value)?;
        c.data_mut().cache.insert(key, CacheSlot { value, dirty: true });
        Ok(())
    });
    hostio!(linker, names, "storage_flush_cache", |mut c: Ctx<'_, B>, clear: u32| {
        pay(&mut c, "storage_flush_cache", 0)?;
        let data = c.data();
        let dirty: Vec<(B256, B256)> =
            data.cache.iter().filter(|(_, slot)| slot.dirty).map(|(key, slot)| (*key, slot.value)).collect();
        if !dirty.is_empty() && data.frame.is_static {
            return Err(trap("storage_flush_cache", ChainError::WriteProtection("storage write")));
        }
        for (key, value) in dirty {
            let gas = gas_left(&c);
            let data = c.data_mut();
            let address = data.frame.address;
            let cold = data.backend.access_slot(address, key.into());
            let vals = SStoreResult {
                original_value: data.backend.original_value(address, key.into()).into(),
                present_value: data.backend.sload(address, key.into()).into(),
                new_value: value.into(),
            };
            data.backend.sstore(address, key.into(), value);
            data.refund += evm_gas::sstore_refund(SpecId::CANCUN, &vals);
            let cost = evm_gas::sstore_cost(SpecId::CANCUN, &vals, gas, cold).ok_or(Error::host(OutOfInk))?;
            buy_gas(&mut c, cost)?;
        }
        let data = c.data_mut();
        if clear == 0 {
            data.cache.values_mut().for_each(|slot| slot.dirty = false);
        } else {
            data.cache.clear();
        }
        Ok(())
    });
    hostio!(linker, names, "transient_load_bytes32", |mut c: Ctx<'_, B>, key: u32, dest: u32| {
        pay(&mut c, "transient_load_bytes32", 0)?;
        buy_gas(&mut c, evm_gas::WARM_STORAGE_READ_COST)?;
        let key = read_word(&c, "transient_load_bytes32", key)?;
        let data = c.data_mut();
        let value = data.backend.tload(data.frame.address, key.into());
        write_bytes(&mut c, "transient_load_bytes32", dest, value.as_slice())
    });
    hostio!(linker, names, "transient_store_bytes32", |mut c: Ctx<'_, B>, key: u32, value: u32| {
        pay(&mut c, "transient_store_bytes32", 0)?;
        buy_gas(&mut c, evm_gas::WARM_STORAGE_READ_COST)?;
        let key = read_word(&c, "transient_store_bytes32", key)?;
        let value = read_word(&c, "transient_store_bytes32", value)?;
        let data = c.data_mut();
        if data.frame.is_static {
            return Err(trap(
                "transient_store_bytes32",
                ChainError::WriteProtection("transient storage write"),
            ));
        }
        data.backend.tstore(data.frame.address, key.into(), value);
        Ok(())
    });

    // Message, transaction and block.
    hostio!(linker, names, "msg_sender", |mut c: Ctx<'_, B>, dest: u32| {
        pay(&mut c, "msg_sender", 0)?;
        let sender = c.data().frame.caller;
        write_bytes(&mut c, "msg_sender", dest, sender.as_slice())
    });
    hostio!(linker, names, "msg_value", |mut c: Ctx<'_, B>, dest: u32| {
        pay(&mut c, "msg_value", 0)?;
        let value = c.data().frame.value.to_be_bytes::<32>();
        write_bytes(&mut c, "msg_value", dest, &value)
    });
    hostio!(linker, names, "msg_reentrant", |mut c: Ctx<'_, B>| {
        pay(&mut c, "msg_reentrant", 0)?;
        Ok(u32::from(c.data().reentrant))
    });
    hostio!(linker, names, "contract_address", |mut c: Ctx<'_, B>, dest: u32| {
        pay(&mut c, "contract_address", 0)?;
        let address = c.data().frame.address;
        write_bytes(&mut c, "contract_address", dest, address.as_slice())
    });
    hostio!(linker, names, "tx_origin", |mut c: Ctx<'_, B>, dest: u32| {
        pay(&mut c, "tx_origin", 0)?;
        let origin = c.data().backend.tx().origin;
        write_bytes(&mut c, "tx_origin", dest, origin.as_slice())
    });
    hostio!(linker, names, "tx_gas_price", |mut c: Ctx<'_, B>, dest: u32| {
        pay(&mut c, "tx_gas_price", 0)?;
        let price = c.data().backend.tx().gas_price.to_be_bytes::<32>();
        write_bytes(&mut c, "tx_gas_price", dest, &price)
    });
    hostio!(linker, names, "tx_ink_price", |mut c: Ctx<'_, B>| {
        pay(&mut c, "tx_ink_price", 0)?;
        Ok(u32::try_from(INK_PER_GAS).unwrap_or(u32::MAX))
    });
    hostio!(linker, names, "evm_gas_left", |mut c: Ctx<'_, B>| {
        pay(&mut c, "evm_gas_left", 0)?;
        Ok(gas_left(&c))
    });
    hostio!(linker, names, "evm_ink_left", |mut c: Ctx<'_, B>| {
        pay(&mut c, "evm_ink_left", 0)?;
        Ok(current_ink(&c))
    });
    hostio!(linker, names, "pay_for_memory_grow", |mut c: Ctx<'_, B>, pages: u32| {
        // The SDK probes with 0 pages on entry: that costs the base price.
        pay(&mut c, "pay_for_memory_grow", pages as usize)?;
        if pages == 0 {
            return Ok(());
        }
        // Pages this frame has open; the transaction-wide high-water mark
        // is taken as the same (one program per frame).
        let data = c.data();
        let open = u16::try_from(data.memory.map_or(0, |m| m.data_size(&c) / 65_536)).unwrap_or(u16::MAX);
        let new = u16::try_from(pages).unwrap_or(u16::MAX);
        buy_gas(&mut c, meter::memory_grow_gas(open, open, new))
    });
    hostio!(linker, names, "block_basefee", |mut c: Ctx<'_, B>, dest: u32| {
        pay(&mut c, "block_basefee", 0)?;
        let basefee = c.data().backend.block().basefee.to_be_bytes::<32>();
        write_bytes(&mut c, "block_basefee", dest, &basefee)
    });
    hostio!(linker, names, "block_coinbase", |mut c: Ctx<'_, B>, dest: u32| {
        pay(&mut c, "block_coinbase", 0)?;
        let coinbase = c.data().backend.block().coinbase;
        write_bytes(&mut c, "block_coinbase", dest, coinbase.as_slice())
    });
    hostio!(linker, names, "block_gas_limit", |mut c: Ctx<'_, B>| {
        pay(&mut c, "block_gas_limit", 0)?;
        Ok(c.data().backend.block().gas_limit)
    });
    hostio!(linker, names, "block_number", |mut c: Ctx<'_, B>| {
        pay(&mut c, "block_number", 0)?;
        Ok(c.data().backend.block().l1_number)
    });
    hostio!(linker, names, "block_timestamp", |mut c: Ctx<'_, B>| {
        pay(&mut c, "block_timestamp", 0)?;
        Ok(c.data().backend.block().timestamp)
    });
    hostio!(linker, names, "chainid", |mut c: Ctx<'_, B>| {
        pay(&mut c, "chainid", 0)?;
        Ok(c.data().backend.block().chain_id)
    });

    // Accounts.
    hostio!(linker, names, "account_balance", |mut c: Ctx<'_, B>, address: u32, dest: u32| {
        pay(&mut c, "account_balance", 0)?;
        let address = read_address(&c, "account_balance", address)?;
        let cold = c.data_mut().backend.access_account(address);
        buy_gas(&mut c, account_access_gas(cold))?;
        let balance = c.data_mut().backend.balance(address).to_be_bytes::<32>();
        write_bytes(&mut c, "account_balance", dest, &balance)
    });
    hostio!(linker, names, "account_code", |mut c: Ctx<'_, B>,
                                            address: u32,
                                            offset: u32,
                                            size: u32,
                                            dest: u32| {
        pay(&mut c, "account_code", size as usize)?;
        let address = read_address(&c, "account_code", address)?;
        let cold = c.data_mut().backend.access_account(address);
        buy_gas(&mut c, account_access_gas(cold))?;
        let code: Bytes = c.data_mut().backend.code(address);
        let start = (offset as usize).min(code.len());
        let end = start.saturating_add(size as usize).min(code.len());
        write_bytes(&mut c, "account_code", dest, &code[start..end])?;
        Ok(len_u32(end - start))
    });
    hostio!(linker, names, "account_code_size", |mut c: Ctx<'_, B>, address: u32| {
        pay(&mut c, "account_code_size", 0)?;
        let address = read_address(&c, "account_code_size", address)?;
        let cold = c.data_mut().backend.access_account(address);
        buy_gas(&mut c, account_access_gas(cold))?;
        Ok(len_u32(c.data_mut().backend.code(address).len()))
    });
    hostio!(linker, names, "account_codehash", |mut c: Ctx<'_, B>, address: u32, dest: u32| {
        pay(&mut c, "account_codehash", 0)?;
        let address = read_address(&c, "account_codehash", address)?;
        let cold = c.data_mut().backend.access_account(address);
        buy_gas(&mut c, account_access_gas(cold))?;
        let hash = c.data_mut().backend.code_hash(address);
        write_bytes(&mut c, "account_codehash", dest, hash.as_slice())
    });

    // Logs and hashing.
    hostio!(linker, names, "emit_log", |mut c: Ctx<'_, B>, ptr: u32, len: u32, topics: u32| {
        if c.data().frame.is_static {
            return Err(trap("emit_log", ChainError::WriteProtection("log")));
        }
        if topics > 4 || len < topics * 32 {
            return Err(trap("emit_log", format!("bad log: {topics} topics in {len} bytes")));
        }
        pay(&mut c, "emit_log", len as usize)?;
        let log_gas = evm_gas::log_cost(u8::try_from(topics).unwrap_or(4), u64::from(len - topics * 32));
        buy_gas(&mut c, log_gas.unwrap_or(u64::MAX))?;
        let bytes = read_bytes(&c, "emit_log", ptr, len)?;
        let (topic_bytes, data) = bytes.split_at(topics as usize * 32);
        let topics = topic_bytes.chunks_exact(32).map(B256::from_slice).collect();
        let data_mut = c.data_mut();
        let log = Log::new_unchecked(data_mut.frame.address, topics, Bytes::copy_from_slice(data));
        data_mut.backend.log(log);
        Ok(())
    });
    hostio!(linker, names, "native_keccak256", |mut c: Ctx<'_, B>, ptr: u32, len: u32, dest: u32| {
        pay(&mut c, "native_keccak256", len as usize)?;
        let hash = keccak256(read_bytes(&c, "native_keccak256", ptr, len)?);
        write_bytes(&mut c, "native_keccak256", dest, hash.as_slice())
    });

    // Calls and creation.
    hostio!(linker, names, "call_contract", |mut c: Ctx<'_, B>,
                                             to: u32,
                                             data: u32,
                                             len: u32,
                                             value: u32,
                                             gas: u64,
                                             ret_len: u32| {
        let value = U256::from_be_bytes(read_word(&c, "call_contract", value)?.0);
        call(&mut c, "call_contract", CallKind::Call, to, data, len, value, gas, ret_len)
    });
    hostio!(
        linker,
        names,
        "delegate_call_contract",
        |mut c: Ctx<'_, B>, to: u32, data: u32, len: u32, gas: u64, ret_len: u32| {
            call(
                &mut c,
                "delegate_call_contract",
                CallKind::DelegateCall,
                to,
                data,
                len,
                U256::ZERO,
                gas,
                ret_len,
            )
        }
    );
    hostio!(
        linker,
        names,
        "static_call_contract",
        |mut c: Ctx<'_, B>, to: u32, data: u32, len: u32, gas: u64, ret_len: u32| {
            call(
                &mut c,
                "static_call_contract",
                CallKind::StaticCall,
                to,
                data,
                len,
                U256::ZERO,
                gas,
                ret_len,
            )
        }
    );
    hostio!(linker, names, "create1", |mut c: Ctx<'_, B>,
                                       code: u32,
                                       len: u32,
                                       endowment: u32,
                                       dest: u32,
                                       revert_len: u32| {
        create(&mut c, "create1", code, len, endowment, None, dest, revert_len)
    });
    hostio!(linker, names, "create2", |mut c: Ctx<'_, B>,
                                       code: u32,
                                       len: u32,
                                       endowment: u32,
                                       salt: u32,
                                       dest: u32,
                                       revert_len: u32| {
        let salt = read_word(&c, "create2", salt)?;
        create(&mut c, "create2", code, len, endowment, Some(salt), dest, revert_len)
    });

    names
}

/// `call_contract`, `delegate_call_contract` and `static_call_contract`:
/// status 0 on success, 1 on failure; the output becomes the return data.
///
/// Gas: the EIP-2929 account access, 9,000 for value and 25,000 more for
/// value to an empty account, then the callee gets at most 63/64 of what
/// is left (and no more than `gas`). The caller pays the base cost and
/// what the callee used.
#[allow(clippy::too_many_arguments)]
fn call<B: Backend>(
    c: &mut Ctx<'_, B>,
    hostio: &str,
    kind: CallKind,
    to: u32,
    data: u32,
    len: u32,
    value: U256,
    gas: u64,
    ret_len: u32,
) -> Result<u32, Error> {
    pay(c, "call_contract", len as usize)?;
    let target = read_address(c, hostio, to)?;
    let input = read_bytes(c, hostio, data, len)?;
    let start = gas_left(c);
    let host = c.data_mut();
    let frame = &host.frame;
    // Only who calls, whose state runs, the value and the static flag differ.
    let (caller, address, value, is_static) = match kind {
        CallKind::Call | CallKind::CallCode => (frame.address, target, value, frame.is_static),
        CallKind::StaticCall => (frame.address, target, U256::ZERO, true),
        CallKind::DelegateCall => (frame.caller, frame.address, frame.value, frame.is_static),
    };
    let depth = frame.depth + 1;
    let mut base = account_access_gas(host.backend.access_account(target));
    if kind == CallKind::Call && !value.is_zero() {
        base += evm_gas::CALLVALUE;
        if host.backend.code_hash(target) == B256::ZERO {
            base += evm_gas::NEWACCOUNT;
        }
    }
    let available = start.checked_sub(base).ok_or(Error::host(OutOfInk))?;
    let callee_gas = (available - available / 64).min(gas);
    let request = CallRequest {
        kind,
        caller,
        address,
        code_address: target,
        value,
        input,
        is_static,
        gas: callee_gas,
        depth,
    };
    let result = if request.is_static && request.transfers_value() {
        FrameResult::refused(ChainError::WriteProtection("value transfer"), callee_gas)
    } else {
        let runtime = Rc::clone(&host.runtime);
        host.backend.call(&runtime, request)
    };
    if result.success {
        host.refund += result.refund;
    }
    host.return_data = result.output;
    let size = host.return_data.len();
    buy_gas(c, base + (callee_gas - result.gas_left.min(callee_gas)))?;
    write_u32(c, hostio, ret_len, size)?;
    Ok(u32::from(!result.success))
}

/// `create1` and `create2`: the new address, or zero with revert data.
///
/// Gas: 32,000, 2 per init-code word (EIP-3860) and for `create2` 6 per
/// word of hashing; the init code gets 63/64 of what is left.
#[allow(clippy::too_many_arguments)]
fn create<B: Backend>(
    c: &mut Ctx<'_, B>,
    hostio: &str,
    code: u32,
    len: u32,
    endowment: u32,
    salt: Option<B256>,
    dest: u32,
    revert_len: u32,
) -> Result<(), Error> {
    pay(c, "create1", len as usize)?;
    let init_code = read_bytes(c, hostio, code, len)?;
    let endowment = U256::from_be_bytes(read_word(c, hostio, endowment)?.0);
    if c.data().frame.is_static {
        return Err(trap(hostio, ChainError::WriteProtection("contract creation")));
    }
    let words = u64::from(len).div_ceil(32);
    let mut base = evm_gas::CREATE + evm_gas::initcode_cost(u64::from(len));
    if salt.is_some() {
        base += evm_gas::KECCAK256WORD * words;
    }
    let start = gas_left(c);
    let available = start.checked_sub(base).ok_or(Error::host(OutOfInk))?;
    let callee_gas = available - available / 64;
    let host = c.data_mut();
    let runtime = Rc::clone(&host.runtime);
    let request = CreateRequest {
        creator: host.frame.address,
        init_code,
        endowment,
        salt,
        gas: callee_gas,
        depth: host.frame.depth + 1,
    };
    let (address, result) = host.backend.create(&runtime, request);
    if result.success {
        host.refund += result.refund;
    }
    host.return_data = if result.success { Vec::new() } else { result.output };
    let size = host.return_data.len();
    buy_gas(c, base + (callee_gas - result.gas_left.min(callee_gas)))?;
    write_bytes(c, hostio, dest, address.unwrap_or_default().as_slice())?;
    write_u32(c, hostio, revert_len, size)
}
