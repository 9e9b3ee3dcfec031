//! Lists the dashboard reads as text and field by field (tokens, the audit trail), shown as
//! HTML built here: no serde code, and no signal, resource or view type of their own. As views,
//! the two lists cost the module about 9 KB of gzip (a `Fetch`, a `Loaded` and row views per
//! type, then one shared table of views); as escaped HTML with one click listener, a fraction.

use leptos::{ev::MouseEvent, prelude::*, task::spawn_local};
use wasm_bindgen::JsCast;

use crate::api::{ApiClient, rows};

/// Reads the list at `path` (again whenever `path` changes, or is notified) into `text`, or why
/// not into `error`.
pub fn read_text(
    api: ApiClient,
    path: RwSignal<String>,
    text: RwSignal<String>,
    error: RwSignal<Option<String>>,
) {
    Effect::new(move |_| {
        let path = path.get();
        spawn_local(async move {
            let answer = api.list_text(&path).await;
            // The page may be gone by the time the answer comes.
            let message = answer.as_ref().err().map(crate::api::Error::message);
            let _ = error.try_set(message);
            if let Ok(answer) = answer {
                let _ = text.try_set(answer);
            }
        });
    });
}

/// The `value` of the form control with this id ("" when there is none): forms of these pages
/// are read when submitted, not mirrored into signals (each bound field is view code).
pub fn value_of(id: &str) -> String {
    document()
        .get_element_by_id(id)
        .and_then(|e| js_sys::Reflect::get(&e, &"value".into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// What a failed write says, with the server's words on each field.
pub fn explain(error: &crate::api::Error, fields: &[&str]) -> String {
    let mut text = error.message();
    for field in fields {
        if let Some(problem) = error.field(field) {
            text.push_str(&format!(" {field}: {problem}."));
        }
    }
    text
}

/// The list in `text` (a JSON array) as a table of `fields`: the first field is the row's id, not
/// shown; `action` adds a button to each row that gets the id.
#[component]
pub fn TextTable(
    head: &'static [&'static str],
    fields: &'static [&'static str],
    text: RwSignal<String>,
    error: RwSignal<Option<String>>,
    empty: &'static str,
    #[prop(optional)] action: Option<(&'static str, Callback<String>)>,
) -> impl IntoView {
    // One listener for every row's button: the rows are HTML, not views.
    let click = move |ev: MouseEvent| {
        if let (Some(id), Some((_, run))) = (clicked(&ev, "data-id"), action) {
            run.run(id);
        }
    };
    let html = move || match error.get() {
        Some(message) => notice_html("notice notice-error", &message, None),
        None => text.with(|t| match t.is_empty() {
            true => "<p class=\"muted\">Loading…</p>".to_string(),
            false => table_html(head, &rows(t, fields), empty, action.map(|a| a.0)),
        }),
    };
    view! { <div on:click=click inner_html=Signal::derive(html)></div> }
}

/// The `attribute` of the element an event happened on, if it has one.
pub fn clicked(ev: &MouseEvent, attribute: &str) -> Option<String> {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| e.get_attribute(attribute))
}

/// A notice as HTML: `message`, and a read-only field holding `value` with a Copy button
/// (`data-copy`) when there is one.
pub fn notice_html(class: &str, message: &str, value: Option<&str>) -> String {
    let field = value.map_or_else(String::new, |v| {
        format!(
            " <input id=\"copy-value\" readonly value=\"{}\"> <button type=\"button\" class=\"btn btn-sm\" data-copy=\"\">Copy</button>",
            escape(v)
        )
    });
    format!(
        "<div class=\"{class}\" role=\"status\">{}{field}</div>",
        escape(message)
    )
}

/// The table as HTML; every text from the server goes through [`escape`].
fn table_html(head: &[&str], rows: &[Vec<String>], empty: &str, button: Option<&str>) -> String {
    if rows.is_empty() {
        return format!("<p class=\"muted\">{}</p>", escape(empty));
    }
    let mut html = String::from("<table class=\"apps-table\"><thead><tr>");
    for h in head {
        html.push_str(&format!("<th scope=\"col\">{}</th>", escape(h)));
    }
    html.push_str("</tr></thead><tbody>");
    for row in rows {
        html.push_str("<tr>");
        for cell in row.iter().skip(1) {
            html.push_str(&format!("<td>{}</td>", escape(cell)));
        }
        if let (Some(label), Some(id)) = (button, row.first()) {
            html.push_str(&format!(
                "<td><button type=\"button\" class=\"btn btn-sm\" data-id=\"{}\">{}</button></td>",
                escape(id),
                escape(label)
            ));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

/// Text as HTML text or attribute value: `& < > " '` as entities, nothing else special.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_cannot_become_markup() {
        let rows = vec![vec![
            "7\" onclick=\"x".to_string(),
            "<img src=x onerror=alert(1)>".to_string(),
            "a & 'b'".to_string(),
        ]];
        let html = table_html(&["Name", "Who"], &rows, "none", Some("Revoke"));
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("<td>&lt;img src=x onerror=alert(1)&gt;</td>"),
            "{html}"
        );
        assert!(html.contains("<td>a &amp; &#39;b&#39;</td>"), "{html}");
        assert!(
            html.contains("data-id=\"7&quot; onclick=&quot;x\""),
            "{html}"
        );
        assert_eq!(
            table_html(&[], &[], "No <tokens>", None),
            "<p class=\"muted\">No &lt;tokens&gt;</p>"
        );
        let notice = notice_html("n", "<b>", Some("mc_\"x"));
        assert!(notice.contains("&lt;b&gt;") && notice.contains("value=\"mc_&quot;x\""));
    }
}
