//! Who is asking: passwords, the session store, staff accounts and their roles.

pub mod password;
pub mod permissions;
pub mod session_store;
pub mod sign_in;
pub mod staff;
pub mod throttle;
pub mod totp;
