//! Pure rules of the domain: no HTTP, no SQL.

pub mod account;
pub mod company;
pub mod compliance;
pub mod cycle;
pub mod exposure;
pub mod household;
pub mod kk;
pub mod nik;
pub mod program;
pub mod ranking;
pub mod region;
pub mod region_lookup;
pub mod role;
