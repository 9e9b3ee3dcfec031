//! Managed volumes: the list (create, size, mounts) and one volume's file browser.

mod browser;
mod list;

pub use browser::VolumeDetail;
pub use list::VolumeList;
