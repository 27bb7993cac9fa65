//! Soriano: the software of Soriano Mediadores, an insurance brokerage.
//!
//! The web application: its configuration, the HTTP plumbing (`web`), the e-mails it writes
//! (`emails`) and the faces that serve the domain over HTTP (`site`, `portal`, `backoffice`).
//! The domain is the `soriano-domain` crate (src/domain), re-exported here module by module
//! so that `crate::policies` reads the same on both sides. Data flows one way:
//! face → domain → db.

pub use soriano_domain::{
    access_log, analytics, blocking, complaints, digest, distribution, pdf, privacy_requests,
    processing, retention,
};
pub use soriano_domain::{
    audit, auth, automation, backup, blog, cache, calendar, catalog, claims, clients, collection,
    commissions, customers, db, documents, events, export, format, housekeeping, identifiers,
    imports, landings, leads, listing, mail, messages, money, overview, policies, quotes, receipts,
    search, seed, tasks, taxi, time, util, validation,
};

pub mod app;
#[cfg(feature = "bench")]
pub mod bench;
pub mod cli;
pub mod config;
pub mod emails;
pub mod web;

pub mod backoffice;
pub mod portal;
pub mod site;
