//! Insurance-distribution records of every sale (RDL 3/2020, arts. 172-176): before a quote
//! becomes a policy the broker records the client's demands and needs ([`needs`]), states
//! which option fits them and why (the advice basis), and delivers the pre-contract
//! information on a durable medium ([`precontract`]) keeping the exact text, the time, the
//! channel and the proof. [`records`] reads and writes them; the quotes domain refuses to
//! issue a policy without them unless a reason is recorded (`policies.sale_exemption`).

pub mod legal_texts;
pub mod needs;
pub mod precontract;
pub mod records;

pub use records::{Channel, Delivery, PolicySale, SaleRecord};
