//! Gas of the contract's calls on the in-process chain (filled in with the contract).

fn main() {}
