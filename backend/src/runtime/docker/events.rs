//! The daemon's answer to a ping, and its event stream narrowed to containers Milkcrate owns.

use std::collections::HashMap;

use async_trait::async_trait;
use bollard::{models::EventMessage, query_parameters::EventsOptionsBuilder};
use futures_util::{StreamExt, stream::BoxStream};

use super::{Docker, convert};
use crate::runtime::{Events, Health, Result, RuntimeEvent, Selector, StateChange};

#[async_trait]
impl Events for Docker {
    async fn ping(&self) -> Result<()> {
        self.client
            .ping()
            .await
            .map(|_| ())
            .map_err(|e| convert("ping", e))
    }

    async fn events(
        &self,
        selector: Selector<'_>,
    ) -> Result<BoxStream<'static, Result<RuntimeEvent>>> {
        let mut filters: HashMap<String, Vec<String>> = super::label_filter(selector);
        filters.insert("type".into(), vec!["container".into()]);
        let options = EventsOptionsBuilder::default().filters(&filters).build();
        let stream = self
            .client
            .events(Some(options))
            .filter_map(|item| async move {
                match item {
                    Ok(message) => event_of(message).map(Ok),
                    Err(e) => Some(Err(convert("events", e))),
                }
            });
        Ok(stream.boxed())
    }
}

/// Docker's event as a state change; `None` for actions that change no state (exec, attach...).
fn event_of(message: EventMessage) -> Option<RuntimeEvent> {
    let actor = message.actor?;
    let labels = actor.attributes.unwrap_or_default();
    let action = message.action?;
    let change = match action.as_str() {
        "create" => StateChange::Created,
        "start" | "restart" | "unpause" => StateChange::Started,
        "die" => StateChange::Exited(labels.get("exitCode").and_then(|c| c.parse().ok())),
        "destroy" => StateChange::Removed,
        "health_status: healthy" => StateChange::Health(Health::Healthy),
        "health_status: unhealthy" => StateChange::Health(Health::Unhealthy),
        "health_status: starting" => StateChange::Health(Health::Starting),
        _ => return None,
    };
    // Docker adds the container's name and image to its labels in the event's attributes.
    let mut labels = labels;
    let name = labels.remove("name").unwrap_or_default();
    let image = labels.remove("image").unwrap_or_default();
    labels.remove("exitCode");
    Some(RuntimeEvent {
        container: actor.id?,
        name,
        image,
        labels,
        change,
    })
}
