//! The API test suite as one binary: each module was a test file of its own,
//! and each linked the whole crate; now they share one link.
//! `tests/import_queue.rs` stays a binary of its own (see its first lines).
//! Run one module with `cargo test --test api <module>::`, e.g. the contract
//! drift check with `cargo test --test api contract::`.

mod common;
#[path = "support/hostile_files.rs"]
mod hostile_files;

mod annex;
mod authorization;
mod bounds;
mod change_requests;
mod companies;
mod consent;
mod contract;
mod cycle;
mod datasets;
mod deliveries;
mod dtsen;
mod events;
mod exemption_letters;
mod exposure;
mod foundation;
mod households;
mod import_indexes;
mod import_safety;
mod programs;
mod realisation;
mod reports;
mod security;
mod verification_batch;
mod verification_forms;
mod verification_photos;
mod verifications;
