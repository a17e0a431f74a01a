//! Prints the contract's Solidity interface (built with `export-abi`).

fn main() {}
