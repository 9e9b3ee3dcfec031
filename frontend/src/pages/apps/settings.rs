//! An app's Settings tab: its variables and secrets (`variables.rs`), and its health check,
//! limits and route. Each save is a new release on the current image; the tab shows it until it
//! runs or fails, as the app's events move it on.

use leptos::{ev::SubmitEvent, prelude::*};
#[cfg(test)]
use shared::v1::AppPatch;
use shared::v1::{App, Deployment, Limits};

use super::variables::Variables;
use crate::{
    api::{ApiClient, Error},
    components::{Fetch, Notice, NoticeKind, failure, write},
    format,
};

const MIB: u64 = 1024 * 1024;
/// The request fields the form shows the server's problems next to.
const FIELDS: [&str; 5] = [
    "health_path",
    "limits.memory_bytes",
    "limits.cpus",
    "limits.pids",
    "route",
];

#[component]
pub fn AppSettings(
    name: String,
    app: Memo<Option<App>>,
    deployments: Fetch<Vec<Deployment>>,
) -> impl IntoView {
    // The newest release: the configuration is read again when it changes.
    let newest = Memo::new(move |_| deployments.ok().and_then(|d| d.first().map(|d| d.id)));
    let released = RwSignal::new(None::<i64>);
    let on_release = Callback::new(move |d: Deployment| released.set(Some(d.id)));
    view! {
        // The release itself is followed in the history below (status, log).
        {move || {
            released
                .get()
                .map(|id| {
                    view! {
                        <Notice
                            kind=NoticeKind::Success
                            message=format!("Saved as release #{id}: it replaces the running one once it answers (see Releases).")
                        />
                    }
                })
        }}
        <div class="detail-grid">
            <Variables name=name.clone() newest=newest on_release=on_release />
            <Config name=name app=app on_release=on_release />
        </div>
    }
}

/// A local objection, shown like the server's.
fn invalid(field: &str, message: &str) -> Error {
    Error::Api {
        status: 422,
        message: "invalid input".into(),
        fields: vec![(field.to_string(), message.to_string())],
    }
}

/// Health path, limits and route: only what differs from the app is sent (`PATCH /apps/{name}`).
/// A plain form, read when submitted: its inputs are drawn from the app on each of its changes,
/// which Leptos applies as a diff, so a value changes on screen only when the app's does (a
/// save, a rollback) and what is being typed stays.
#[component]
fn Config(name: String, app: Memo<Option<App>>, on_release: Callback<Deployment>) -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let name = StoredValue::new(name);
    let form = NodeRef::<leptos::html::Form>::new();
    let unchanged = RwSignal::new(false);
    let save = write(move || {
        let data = form
            .get_untracked()
            .and_then(|f| web_sys::FormData::new_with_form(&f).ok());
        let read = |field: &str| {
            data.as_ref()
                .and_then(|d| d.get(field).as_string())
                .unwrap_or_default()
        };
        let patch = patch(
            app.get_untracked()
                .map(|a| (a.health_path, a.limits, a.route)),
            &read(HEALTH),
            [MEMORY, CPUS, PIDS].map(read),
            &read(ROUTE),
        );
        let n = name.get_value();
        async move {
            let patch = patch?;
            unchanged.set(patch.is_none());
            if let Some(body) = patch {
                on_release.run(api.patch_app(&n, body).await?);
            }
            Ok(())
        }
    });
    let saving = save.pending();
    let field =
        move |id: &'static str, label: &'static str, value: String, problem: &'static str| {
            let error = move || failure(save)?.field(problem);
            view! {
                <div class="field" class:field-invalid=move || error().is_some()>
                    <label for=id>{label}</label>
                    <input id=id name=id type="text" autocomplete="off" prop:value=value />
                    {move || error().map(|e| view! { <p class="field-error">{e}</p> })}
                </div>
            }
        };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        save.dispatch(());
    };
    view! {
        <section class="card" aria-labelledby="config-title">
            <h2 id="config-title">"Health check, limits and route"</h2>
            <form node_ref=form on:submit=submit novalidate=true>
                {move || {
                    failure(save)
                        .filter(|e| !e.is_only_about(&FIELDS))
                        .map(|e| view! { <Notice kind=NoticeKind::Error message=e.message() /> })
                }}
                {move || unchanged.get().then(|| view! { <Notice kind=NoticeKind::Info message="Nothing changed." /> })}
                {move || {
                    app.get()
                        .map(|a| {
                            view! {
                                {field(HEALTH, "Health path", a.health_path.unwrap_or_default(), FIELDS[0])}
                                <p class="hint">"Ready when it answers 2xx or 3xx there. Empty: any HTTP reply."</p>
                                <div class="form-grid">
                                    {field(MEMORY, "Memory (MiB)", (a.limits.memory_bytes / MIB).to_string(), FIELDS[1])}
                                    {field(CPUS, "CPUs", format::cores(a.limits.cpus), FIELDS[2])}
                                    {field(PIDS, "Processes", a.limits.pids.to_string(), FIELDS[3])}
                                </div>
                                {field(ROUTE, "Route", a.route, FIELDS[4])}
                            }
                        })
                }}
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" data-action="save-config" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Save and release" }}
                    </button>
                </div>
            </form>
        </section>
    }
}

/// The form's inputs (ids and names).
const HEALTH: &str = "health-path";
const MEMORY: &str = "memory";
const CPUS: &str = "cpus";
const PIDS: &str = "pids";
const ROUTE: &str = "app-route";

/// The `PATCH` body (a `shared::v1::AppPatch`) of what differs from `saved` (the app's health
/// path, limits and route): `None` when nothing does, or the field that is not a number. Written
/// by hand: serializing `AppPatch`'s `f64` and parsing one brought float code and tables
/// costing the module kilobytes; CPUs are read and sent in hundredths.
fn patch(
    saved: Option<(Option<String>, Limits, String)>,
    health: &str,
    [memory, cpus, pids]: [String; 3],
    route: &str,
) -> Result<Option<String>, Error> {
    let Some((old_health, old, old_route)) = saved else {
        return Ok(None);
    };
    let number = |field: &str, text: &str, scale: u64| -> Result<u64, Error> {
        let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
        let fraction = format!("{fraction:0<2}");
        match (whole.parse::<u64>(), fraction.parse::<u64>()) {
            (Ok(w), Ok(f)) if fraction.len() == 2 && (scale == 100 || f == 0) => {
                Ok(w * scale + if scale == 100 { f } else { 0 })
            }
            _ => Err(invalid(field, "must be a number")),
        }
    };
    let mib = number("limits.memory_bytes", &memory, 1)?;
    let hundredths = number("limits.cpus", &cpus, 100)?;
    let pids = number("limits.pids", &pids, 1)?;
    let mut fields = Vec::new();
    let health = health.trim();
    if Some(health) != old_health.as_deref().or(Some("")) {
        fields.push(format!(
            "\"health_path\":{}",
            if health.is_empty() {
                "null".into()
            } else {
                quote(health)
            }
        ));
    }
    // Compared in the units shown, so that an unchanged form sends nothing.
    if mib != old.memory_bytes / MIB
        || format::cores(hundredths as f64 / 100.0) != format::cores(old.cpus)
        || pids != u64::from(old.pids)
    {
        fields.push(format!(
            "\"limits\":{{\"memory_bytes\":{},\"cpus\":{}.{:02},\"pids\":{pids}}}",
            mib * MIB,
            hundredths / 100,
            hundredths % 100
        ));
    }
    let route = route.trim();
    if route != old_route {
        fields.push(format!("\"route\":{}", quote(route)));
    }
    Ok((!fields.is_empty()).then(|| format!("{{{}}}", fields.join(","))))
}

/// A JSON string.
fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            memory_bytes: 256 * MIB,
            cpus: 0.5,
            pids: 128,
        }
    }

    fn body(health: &str, numbers: [&str; 3], route: &str) -> Option<AppPatch> {
        let saved = Some((Some("/up".to_string()), limits(), "/blog".to_string()));
        patch(saved, health, numbers.map(String::from), route)
            .unwrap()
            .map(|b| serde_json::from_str(&b).unwrap())
    }

    #[test]
    fn only_what_changed_is_sent_as_an_app_patch() {
        assert_eq!(body("/up", ["256", "0.5", "128"], "/blog"), None);
        assert_eq!(
            body(" ", ["512", "1.25", "64"], "/news"),
            Some(AppPatch {
                health_path: Some(None),
                limits: Some(Limits {
                    memory_bytes: 512 * MIB,
                    cpus: 1.25,
                    pids: 64,
                }),
                route: Some("/news".into()),
                domains: None,
            })
        );
        let quoted = body("/a\"b", ["256", "0.50", "128"], "/blog").unwrap();
        assert_eq!(quoted.health_path, Some(Some("/a\"b".into())));
        assert_eq!(quoted.limits, None);
    }

    #[test]
    fn numbers_are_checked_before_sending() {
        let saved = Some((None, limits(), "/blog".to_string()));
        for (numbers, field) in [
            (["x", "1", "1"], "limits.memory_bytes"),
            (["1.5", "1", "1"], "limits.memory_bytes"),
            (["1", "0.125", "1"], "limits.cpus"),
            (["1", "1", "-1"], "limits.pids"),
        ] {
            let e = patch(saved.clone(), "", numbers.map(String::from), "/blog").unwrap_err();
            assert!(e.field(field).is_some(), "{numbers:?}: {e:?}");
        }
    }
}
