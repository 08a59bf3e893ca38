//! Reading the ministries' files: P3KE (Kemenko PMK) and DTKS (Kemensos
//! SIKS-NG) exports, as CSV or XLSX, into typed records. No database here.

pub mod dtks;
pub mod job;
pub mod limits;
pub mod p3ke;
pub mod sheet;
pub mod values;
pub mod xlsx;
