//! `cargo stylus export-abi` / `constructor`: prints the token's interface
//! or its constructor (built only with the `export-abi` feature).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(not(any(test, feature = "export-abi")))]
#[no_mangle]
pub extern "C" fn main() {}

#[cfg(feature = "export-abi")]
fn main() {
    stylus_erc20::print_from_args();
}
