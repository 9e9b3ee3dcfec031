mod actions;
mod deploy_result;
mod detail;
mod domains;
mod list;
mod logs;
mod new;
mod releases;
mod settings;
mod variables;

pub use detail::AppDetail;
pub use list::AppList;
pub use new::NewApp;
