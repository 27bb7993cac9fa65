//! The integration tests, in one binary (one build, one link, one throwaway PostgreSQL for
//! all of them): each module is a feature's tests through real HTTP and a real database.
//!
//! Apart, in their own binaries: the browser journeys (`tests/browser_*.rs`), the outage test
//! (`db_outage.rs`: it stops the cluster under a running app) and the query counts
//! (`query_counts.rs`: Diesel's instrumentation is process-wide, so other tests running at
//! the same time would be counted).

#[allow(dead_code)]
#[path = "../common/book.rs"]
mod book;
#[path = "../common/mod.rs"]
mod common;
#[path = "../portal_support/mod.rs"]
mod portal_support;
#[allow(dead_code)]
#[path = "../common/portfolio.rs"]
mod portfolio;
#[allow(dead_code)]
#[path = "../common/visible_text.rs"]
mod visible_text;

mod access_log;
mod analytics;
mod audit;
mod audit_trail;
mod automation;
mod automation_rules;
mod automation_templates;
mod backoffice_account;
mod backoffice_permissions;
mod backoffice_sign_in;
mod backoffice_users;
mod backup;
mod blocking;
mod catalog;
mod claims;
mod cli;
mod collection;
mod commissions;
mod complaints;
mod customers;
mod dashboard;
mod digest;
mod documents;
mod exports;
mod foundation;
mod generated_documents;
mod housekeeping;
mod imports;
mod landings;
mod leads;
mod mail;
mod policies;
mod portal;
mod portal_access;
mod portal_account;
mod portal_quotes;
mod privacy_requests;
mod quotes;
mod receipts;
mod retention;
mod search;
mod site;
mod statuses;
mod tasks;
mod taxi;
mod two_factor;
mod unsubscribe;
