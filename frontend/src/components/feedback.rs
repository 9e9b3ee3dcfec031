use leptos::prelude::*;

use crate::api::Progress;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Error,
    Success,
    Info,
}

/// A message above a form or a list. Errors are announced to screen readers.
#[component]
pub fn Notice(kind: NoticeKind, #[prop(into)] message: String) -> impl IntoView {
    let (class, role) = match kind {
        NoticeKind::Error => ("notice notice-error", "alert"),
        NoticeKind::Success => ("notice notice-success", "status"),
        NoticeKind::Info => ("notice notice-info", "status"),
    };
    view! {
        <div class=class role=role>
            {message}
        </div>
    }
}

/// Placeholder while a list loads.
#[component]
pub fn Loading(#[prop(into, default = "Loading…".to_string())] label: String) -> impl IntoView {
    view! {
        <div class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            <span>{label}</span>
        </div>
    }
}

/// What an empty list says, with an optional next step.
#[component]
pub fn Empty(
    #[prop(into)] title: String,
    #[prop(into)] text: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty">
            <div class="empty-icon" aria-hidden="true"></div>
            <h3>{title}</h3>
            <p>{text}</p>
            {children.map(|c| c())}
        </div>
    }
}

/// The upload's progress.
#[component]
pub fn UploadBar(#[prop(into)] progress: Signal<Option<Progress>>) -> impl IntoView {
    let percent = move || progress.get().map(|p| p.percent()).unwrap_or(0);
    view! {
        <div class="upload">
            <div class="upload-label">
                <span>
                    {move || if percent() >= 100 { "Upload complete" } else { "Uploading…" }}
                </span>
                <span>{move || format!("{}%", percent())}</span>
            </div>
            <progress
                class="progress"
                max="100"
                value=move || percent().to_string()
                aria-label="Upload progress"
            ></progress>
        </div>
    }
}
