//! Reading the ministries' files: P3KE (Kemenko PMK) and DTKS (Kemensos
//! SIKS-NG) exports and DTSEN (BPS) snapshots, as CSV or XLSX, into typed
//! records. No database here.

pub mod dtks;
pub mod dtsen;
pub mod dtsen_codes;
pub mod file;
pub mod job;
pub mod limits;
pub mod odk_export;
pub mod p3ke;
pub mod seen;
pub mod sheet;
pub mod snapshot;
pub mod values;
pub mod xlsx;
