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

use super::extract::Admin;
use crate::{domain::events::Numbered, state::AppState};

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
/// status, volumes, settings. A `text/event-stream`; each event's name is its `type` and its data
/// an `Event`. Send the last id seen as `Last-Event-ID` to resume; a `resync` event means some
/// were missed.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(("Last-Event-ID" = Option<u64>, Header, description = "The id of the last event received, to resume after it")),
    responses(
        (status = 200, body = Event, content_type = "text/event-stream", description = "One event per change"),
        (status = 401, body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn events(
    State(state): State<AppState>,
    _: Admin,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let subscription = state.platform.subscribe(last_seen);
    let missed = stream::iter(subscription.missed).map(sse);
    let live = stream::unfold(subscription.live, |mut rx| async move {
        let event = match rx.recv().await {
            Ok(event) => event,
            // Fell behind: say so rather than pretend nothing was lost.
            Err(RecvError::Lagged(_)) => (0, std::sync::Arc::new(Event::Resync)),
            Err(RecvError::Closed) => return None,
        };
        Some((sse(event), rx))
    });
    Sse::new(missed.chain(live)).keep_alive(KeepAlive::new().interval(HEARTBEAT))
}
