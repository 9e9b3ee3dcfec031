//! `GET /api/v1/events`: what changes, as Server-Sent Events, for the dashboard and any client.

use std::convert::Infallible;

use axum::{
    extract::State,
    http::HeaderMap,
    response::sse::{Event as SseEvent, KeepAlive, Sse},
};
use futures_util::{Stream, StreamExt, stream};
use shared::v1::{ErrorBody, Event};
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ApiError, ApiResult,
    extract::{Admin, Query},
};
use crate::{
    domain::{StatsTarget, events::Numbered},
    state::AppState,
};

/// `GET /events`' query.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
struct EventsQuery {
    /// Also send `stats` events: of this app (its name), or of every running app (`*`), sampled
    /// about every 2 s while this stream is open.
    stats: Option<String>,
}

impl EventsQuery {
    fn target(&self) -> ApiResult<Option<StatsTarget>> {
        match self.stats.as_deref().map(str::trim) {
            None => Ok(None),
            Some("*") => Ok(Some(StatsTarget::All)),
            Some(name) => shared::validation::app_name(name)
                .map(|name| Some(StatsTarget::App(name)))
                .map_err(|e| {
                    ApiError::bad_field("stats", format!("`stats` must be an app name or `*`: {e}"))
                }),
        }
    }
}

/// A comment line this often keeps proxies from closing a quiet stream.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(15);

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

fn sse((id, event): Numbered) -> Result<SseEvent, Infallible> {
    Ok(SseEvent::default()
        .id(id.to_string())
        .event(event.kind())
        .json_data(event.as_ref())
        .unwrap_or_default())
}

/// Changes as they happen: app status (also after `docker stop` outside Milkcrate), deployment
/// status and log lines, volumes, settings; with `stats`, resource use. A `text/event-stream`;
/// each event's name is its `type` and its data an `Event`. Send the last id seen as
/// `Last-Event-ID` to resume; a `resync` event means some were missed.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(EventsQuery, ("Last-Event-ID" = Option<u64>, Header, description = "The id of the last event received, to resume after it")),
    responses(
        (status = 200, body = Event, content_type = "text/event-stream", description = "One event per change"),
        (status = 400, body = ErrorBody, description = "`stats` is neither an app name nor `*`"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "The app named by `stats` does not exist"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn events(
    State(state): State<AppState>,
    _: Admin,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    // Held by the stream: sampling stops when the client leaves.
    let watch = match query.target()? {
        Some(target) => Some(
            state
                .platform
                .watch_stats(target.clone())
                .await
                .map(|w| (target, w))?,
        ),
        None => None,
    };
    let subscription = state.platform.subscribe(last_seen);
    let missed = stream::iter(subscription.missed).map(sse);
    let live = stream::unfold((subscription.live, watch), |(mut rx, watch)| async move {
        let event = loop {
            match rx.recv().await {
                // Samples go only to those who watch that app.
                Ok((_, event))
                    if matches!(&*event, Event::Stats { app, .. }
                    if !watch.as_ref().is_some_and(|(target, _)| target.covers(app))) => {}
                Ok(event) => break event,
                // Fell behind: say so rather than pretend nothing was lost.
                Err(RecvError::Lagged(_)) => break (0, std::sync::Arc::new(Event::Resync)),
                Err(RecvError::Closed) => return None,
            }
        };
        Some((sse(event), (rx, watch)))
    });
    Ok(Sse::new(missed.chain(live)).keep_alive(KeepAlive::new().interval(HEARTBEAT)))
}
