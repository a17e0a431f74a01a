//! The stress simulator (spec §11, §16, Phase 5): the compiled contracts on
//! the in-process chain, driven block by block by seeded external flow, a
//! keeper and attackers, measured against the §16 targets.
#![allow(clippy::cast_precision_loss)]

pub mod record;
