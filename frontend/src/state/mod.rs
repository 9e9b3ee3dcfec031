mod session;

pub use session::{Auth, Session};
