//! Pure rules of the domain: no HTTP, no SQL.

pub mod account;
pub mod company;
pub mod compliance;
pub mod cycle;
pub mod program;
pub mod ranking;
pub mod region;
pub mod role;
