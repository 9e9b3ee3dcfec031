//! Who may use the API besides the admin session: API tokens (`tokens.rs`), and the record of
//! what everyone did (`audit.rs`). Deciding what a request needs is the API's (`api/guard.rs`).

pub mod audit;
pub mod tokens;
