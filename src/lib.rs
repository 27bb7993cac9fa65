//! Soriano: the software of Soriano Mediadores, an insurance brokerage.
//!
//! Plumbing (`config`, `db`, `web`, `auth`, `mail`, `time`, `util`), domains (`catalog`, `audit`,
//! ...), and the faces that serve them over HTTP (`site`, `portal`, `backoffice`). Data flows
//! one way: face → domain → db.

pub mod app;
pub mod audit;
pub mod auth;
#[cfg(feature = "bench")]
pub mod bench;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod db;
pub mod mail;
pub mod money;
pub mod policies;
pub mod seed;
pub mod time;
pub mod util;
pub mod web;

pub mod backoffice;
mod portal;
mod site;
