//! The JSON contract between the Milkcrate backend and its clients (the dashboard, curl, generated
//! clients): request and response types under [`v1`], and the pure validation both sides run.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod v1;
pub mod validation;
