//! Premium collection by SEPA direct debit (adeudos directos): the creditor identifier, the
//! SEPA character set and the pain.008 file a remittance is sent to the bank in. Pure code: no
//! database, no HTTP. See "Premium collection by SEPA direct debit" in DOMAIN.md.

pub mod bank_xml;
pub mod charset;
mod creditor;
pub mod norma43;
pub mod pain008;

pub use creditor::CreditorId;
pub use pain008::{
    Address, Amendment, Creditor, Debit, MAX_AMOUNT_CENTS, Message, Pain008Error, Scheme, Sequence,
    Version,
};
