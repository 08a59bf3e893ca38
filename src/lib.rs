//! RBPK API: the back end of *Rumah Besar Penanggulangan Kemiskinan* of
//! Kabupaten Kutai Kartanegara. See `docs/ARCHITECTURE.md` for the layout.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod import;
pub mod openapi;
pub mod service;
pub mod storage;
pub mod webhooks;
