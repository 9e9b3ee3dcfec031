mod actions;
mod deploy_result;
mod detail;
mod list;
mod logs;
mod new;
mod usage;

pub use detail::AppDetail;
pub use list::AppList;
pub use new::NewApp;
