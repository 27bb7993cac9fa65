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
pub mod blog;
pub mod cache;
pub mod catalog;
pub mod claims;
pub mod cli;
pub mod commissions;
pub mod config;
pub mod customers;
pub mod db;
pub mod documents;
pub mod emails;
pub mod events;
pub mod format;
pub mod housekeeping;
pub mod identifiers;
pub mod landings;
pub mod leads;
pub mod mail;
pub mod messages;
pub mod money;
pub mod overview;
pub mod policies;
pub mod quotes;
pub mod receipts;
pub mod search;
pub mod seed;
pub mod tasks;
pub mod taxi;
pub mod time;
pub mod util;
pub mod validation;
pub mod web;

pub mod backoffice;
pub mod portal;
pub mod site;
