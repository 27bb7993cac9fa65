//! Taxi Asegurado: the rating engine, the carriers' tariffs, the drivers' requests ("Lo
//! quiero") and the figures of the staff panel. No HTTP here: the quoter's pages live in
//! `site::taxi` and the back-office pages in `backoffice::{tariffs, taxi_panel}`.

pub mod panel;
pub mod rating;
pub mod requests;
pub mod tariffs;

pub use tariffs::{PublishedTariff, TariffCache};
