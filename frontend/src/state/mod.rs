mod events;
mod session;

pub use events::Events;
pub use session::{Auth, Session};
