//! Premium collection by SEPA direct debit (adeudos directos, AEB cuaderno 19.14 as ISO 20022
//! pain.008): the brokerage's creditor settings, its clients' mandates, and the remittances
//! (remesas) that carry pending receipts to the bank. The file itself is written by
//! [`crate::sepa::pain008`]; this module decides what goes in it and records what went.

pub mod mandates;
pub mod online_signing;
pub mod reasons;
pub mod remittances;
pub mod returns;
pub mod settings;
