//! Pieces shared by several pages.

mod build_log;
mod confirm;
mod data;
mod feedback;
mod field;
mod mounts_editor;
mod shell;
mod status_badge;
mod text_table;
mod zip_picker;

pub use build_log::BuildLog;
pub use confirm::ConfirmDialog;
pub use data::{Fetch, Loaded, failure, write};
pub use feedback::{Empty, Loading, Notice, NoticeKind, UploadBar};
pub use field::TextField;
pub use mounts_editor::MountsEditor;
pub use shell::{Logo, Shell};
pub use status_badge::{DeploymentBadge, StatusBadge, app_status_key};
pub use text_table::{TextTable, clicked, explain, notice_html, read_text, value_of};
pub use zip_picker::ZipPicker;

/// Waits `ms` milliseconds without blocking the page.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let _ = leptos::prelude::window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
