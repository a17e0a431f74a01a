//! Why a program could not be loaded or a frame failed.

use std::fmt;

use alloy_primitives::Address;
use vault_wasm_pack::PackError;

/// Why a program could not be loaded or run, or why a call frame failed
/// without the program choosing to revert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// The code is not valid Stylus code (packing, decoding or activation rules).
    Pack(PackError),
    /// The program imports a host function this chain does not provide.
    UnknownImport {
        /// Import module (always `vm_hooks` for code that passed validation).
        module: String,
        /// Import name.
        name: String,
    },
    /// wasmi refused the module or its instantiation.
    Instantiate(String),
    /// The program trapped: an `unreachable`, an out-of-bounds access, a
    /// hostio misuse (see the message) and so on.
    Trap(String),
    /// `user_entrypoint` returned a status other than 0 (success) or 1 (revert).
    BadStatus(i32),
    /// The call would exceed the maximum call depth.
    DepthLimit(usize),
    /// The sender cannot pay the value sent.
    InsufficientBalance {
        /// The account paying.
        from: Address,
    },
    /// A state change was attempted in a static context.
    WriteProtection(&'static str),
    /// An EVM frame halted exceptionally (out of gas, invalid jump, stack
    /// error…); the name is revm's `InstructionResult`.
    EvmHalt(String),
    /// The frame ran out of gas (a Stylus program: out of ink).
    OutOfGas,
    /// A contract creation failed: address collision, code too large, or
    /// code starting with `0xEF` (EIP-3541).
    CreateFailed(&'static str),
    /// The call went to a precompile with input it does not accept.
    Precompile(String),
    /// With Nitro's activation rules on: Stylus code that cannot run (not
    /// activated, needs an upgrade, expired), rendered as Nitro renders
    /// the error (`error ProgramNotActivated()`).
    Program(String),
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pack(e) => write!(f, "invalid Stylus code: {e}"),
            Self::UnknownImport { module, name } => {
                write!(f, "program imports unknown host function `{module}::{name}`")
            }
            Self::Instantiate(why) => write!(f, "instantiation failed: {why}"),
            Self::Trap(why) => write!(f, "program trapped: {why}"),
            Self::BadStatus(status) => {
                write!(f, "user_entrypoint returned status {status} (expected 0 or 1)")
            }
            Self::DepthLimit(depth) => write!(f, "call depth {depth} exceeds the limit"),
            Self::InsufficientBalance { from } => write!(f, "{from} cannot pay the call value"),
            Self::WriteProtection(what) => write!(f, "{what} in a static context"),
            Self::EvmHalt(why) => write!(f, "EVM frame halted: {why}"),
            Self::OutOfGas => write!(f, "out of gas"),
            Self::CreateFailed(why) => write!(f, "contract creation failed: {why}"),
            Self::Precompile(why) => write!(f, "precompile failed: {why}"),
            Self::Program(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for ChainError {}

impl From<PackError> for ChainError {
    fn from(error: PackError) -> Self {
        Self::Pack(error)
    }
}
