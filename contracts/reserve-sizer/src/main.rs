//! Prints the ReserveSizer's Solidity interface or constructor
//! (`-- abi` / `-- constructor`); built only with the `export-abi` feature.

fn main() {
    reserve_sizer::print_from_args();
}
