//! Password-only admin authentication: hashing, session tokens and login throttling.

mod password;
mod rate_limit;
mod token;

pub use password::PasswordHasher;
pub use rate_limit::{Attempt, LoginRateLimiter, Refused};
pub use token::{Claims, TokenKeys};
