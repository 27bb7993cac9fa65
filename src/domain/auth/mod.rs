//! Who is asking: passwords, the session store, staff accounts and their roles.

pub mod password;
pub mod password_change;
pub mod permissions;
pub mod rate_limit;

pub mod sessions;

pub mod sign_in;
pub mod staff;
pub mod staff_admin;
pub mod throttle;
pub mod tokens;
pub mod totp;
