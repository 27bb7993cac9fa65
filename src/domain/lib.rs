//! Soriano's domain: what a brokerage is made of and how it changes, with no HTTP and no
//! templates (this crate cannot depend on actix-web or Askama; the web application in the
//! crate above it can depend on this one, never the other way round).
//!
//! Plumbing (`db`, `mail` outbox, `time`, `util`, `cache`), the shared rules of typed input
//! (`validation`, `format`, `money`, `identifiers`), and the domains (`customers`, `policies`,
//! `receipts`, `claims`, `quotes`, `leads`, `tasks`, `commissions`, `documents`, `audit`,
//! `catalog`, `taxi`, `landings`, `messages`, `blog`, `analytics` and its weekly `digest`).
//! See docs/architecture.md.

pub mod access_log;
pub mod analytics;
pub mod audit;
pub mod auth;
pub mod automation;
pub mod backup;
pub mod blocking;
pub mod blog;
pub mod cache;
pub mod calendar;
pub mod catalog;
pub mod claims;
pub mod clients;
pub mod collection;
pub mod commissions;
pub mod complaints;
pub mod customers;
pub mod db;
pub mod digest;
pub mod distribution;
pub mod documents;
pub mod events;
pub mod export;
pub mod format;
pub mod housekeeping;
pub mod identifiers;
pub mod imports;
pub mod landings;
pub mod leads;
pub mod listing;
pub mod mail;
pub mod messages;
pub mod money;
pub mod overview;
pub mod pdf;
pub mod policies;
pub mod privacy_requests;
pub mod processing;
pub mod quotes;
pub mod receipts;
pub mod retention;
pub mod search;
pub mod seed;
pub mod sepa;
pub mod tasks;
pub mod taxi;
pub mod time;
pub mod util;
pub mod validation;
