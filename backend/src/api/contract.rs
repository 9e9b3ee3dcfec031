//! What the handlers' annotations do not say, added to the generated document: the constraints the
//! server enforces, built from the constants its checks use (so the document cannot drift from
//! them), and the answers every operation of a kind can give. Schemathesis holds the result to
//! the server's behaviour (`tests/e2e/contract.rs`).

use serde_json::{Map, Value, json};
use shared::{
    v1::fields::form,
    validation::{self as rules, patterns},
};

use crate::domain::{MAX_LOG_TAIL, VOLUME_PAGE};

/// Adds the constraints and the shared answers to `doc`, an OpenAPI 3.1 document as JSON.
pub fn apply(doc: &mut Value) {
    constrain_schemas(doc);
    // An upload into a volume takes `files`, a `zip`, or both; never nothing.
    if let Some(form) = doc.pointer_mut("/components/schemas/UploadForm") {
        merge(form, json!({ "minProperties": 1 }));
    }
    // Upload forms take their parts and no others (`upload::receive` refuses the rest).
    for form in [
        "CreateAppForm",
        "DeployForm",
        "UploadForm",
        "RestoreForm",
        "Mount",
    ] {
        if let Some(form) = doc.pointer_mut(&format!("/components/schemas/{form}")) {
            merge(form, json!({ "additionalProperties": false }));
        }
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for (method, operation) in item.iter_mut() {
                constrain_parameters(operation);
                mark_json_parts(operation);
                add_shared_answers(method, operation);
                describe_event_streams(operation);
            }
        }
    }
}

/// A `text/event-stream` answer is a sequence of events, each with a name and a `data` string
/// holding JSON: the schema describes the event, and its `data` by `contentMediaType` and
/// `contentSchema` (what the annotation gives is the schema of that JSON).
fn describe_event_streams(operation: &mut Value) {
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for response in responses.values_mut() {
        if let Some(media) = response.pointer_mut("/content/text~1event-stream")
            && let Some(payload) = media.get("schema").cloned()
            && payload
                .get("properties")
                .and_then(|p| p.get("data"))
                .is_none()
        {
            media["schema"] = json!({
                "type": "object",
                "required": ["data"],
                "properties": {
                    "event": { "type": "string" },
                    "data": {
                        "type": "string",
                        "contentMediaType": "application/json",
                        "contentSchema": payload,
                    },
                },
            });
        }
    }
}

/// The properties of request bodies, by schema and property.
fn schema_rules() -> Vec<(&'static str, &'static str, Value)> {
    let route = json!({ "pattern": patterns::route(), "maxLength": rules::MAX_ROUTE_LEN });
    let domains = json!({
        "maxItems": rules::MAX_DOMAINS,
        "uniqueItems": true,
        "items": { "type": "string", "pattern": patterns::domain(), "maxLength": rules::MAX_HOST_LEN },
    });
    vec![
        ("DomainsUpdate", "domains", domains.clone()),
        ("AppPatch", "domains", domains.clone()),
        ("CreateAppForm", "domains", domains),
        (
            "CreateVolume",
            "name",
            json!({ "pattern": patterns::name() }),
        ),
        (
            "CreateVolume",
            "description",
            json!({ "maxLength": rules::MAX_VOLUME_DESCRIPTION_LEN }),
        ),
        (
            "Settings",
            "default_home_route",
            json!({ "pattern": patterns::home_route(), "maxLength": rules::MAX_ROUTE_LEN }),
        ),
        (
            "ChangePasswordRequest",
            "new_password",
            json!({ "minLength": rules::MIN_PASSWORD_LEN, "maxLength": rules::MAX_PASSWORD_LEN }),
        ),
        (
            "CreateAppForm",
            "name",
            json!({ "pattern": patterns::name() }),
        ),
        ("CreateAppForm", "route", route.clone()),
        ("UploadForm", "files", json!({ "minItems": 1 })),
        (
            "CreateToken",
            "name",
            json!({ "pattern": patterns::token_name() }),
        ),
        (
            "CreateToken",
            "expires_in_days",
            json!({ "minimum": 1, "maximum": rules::MAX_TOKEN_EXPIRY_DAYS }),
        ),
        (
            "CreateAppForm",
            "mounts",
            json!({ "maxItems": rules::MAX_MOUNTS }),
        ),
        (
            "DeployForm",
            "mounts",
            json!({ "maxItems": rules::MAX_MOUNTS }),
        ),
        (
            "Mount",
            "volume",
            json!({ "pattern": patterns::stored_name() }),
        ),
        (
            "Mount",
            "target",
            json!({ "maxLength": rules::MAX_MOUNT_TARGET_LEN }),
        ),
        (
            "CreateWebhook",
            "secret",
            json!({ "minLength": 16, "maxLength": 256 }),
        ),
        (
            "CreateWebhook",
            "url",
            json!({ "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://" }),
        ),
        (
            "UploadCertificate",
            "chain",
            json!({ "minLength": 1, "maxLength": rules::MAX_CERTIFICATE_CHAIN_LEN }),
        ),
        (
            "UploadCertificate",
            "key",
            json!({ "minLength": 1, "maxLength": rules::MAX_CERTIFICATE_KEY_LEN }),
        ),
        (
            "UploadCertificate",
            "host",
            json!({ "minLength": 1, "maxLength": rules::MAX_HOST_LEN }),
        ),
        ("EnvVar", "key", json!({ "pattern": patterns::env_key() })),
        ("BuildArg", "key", json!({ "pattern": patterns::env_key() })),
        (
            "EnvVar",
            "value",
            json!({ "pattern": patterns::ENV_VALUE, "maxLength": rules::MAX_ENV_VALUE_LEN }),
        ),
        (
            "BuildArg",
            "value",
            json!({ "pattern": patterns::ENV_VALUE, "maxLength": rules::MAX_ENV_VALUE_LEN }),
        ),
        ("AppEnv", "vars", json!({ "maxItems": rules::MAX_ENV_VARS })),
        (
            "AppEnv",
            "build_args",
            json!({ "maxItems": rules::MAX_ENV_VARS }),
        ),
        (
            "AppPatch",
            "health_path",
            json!({ "pattern": patterns::HEALTH_PATH, "maxLength": rules::MAX_HEALTH_PATH_LEN }),
        ),
        ("AppPatch", "route", route.clone()),
        // The floors; the ceilings are the host's settings (a 422 names them).
        (
            "Limits",
            "memory_bytes",
            json!({ "minimum": rules::MIN_MEMORY_BYTES }),
        ),
        ("Limits", "cpus", json!({ "minimum": rules::MIN_CPUS })),
        ("Limits", "pids", json!({ "minimum": rules::MIN_PIDS })),
    ]
}

/// Parameters mean the same wherever they appear: by location and name.
fn parameter_rules(location: &str, name: &str) -> Option<Value> {
    Some(match (location, name) {
        ("path", "name") => json!({ "pattern": patterns::name_in_path() }),
        ("query", "path") => json!({
            "pattern": patterns::volume_path(),
            "maxLength": rules::MAX_VOLUME_PATH_LEN,
        }),
        ("query", "offset") => json!({ "minimum": 0 }),
        ("query", "limit") => json!({ "minimum": 1, "maximum": VOLUME_PAGE }),
        ("query", "tail") => json!({ "minimum": 0, "maximum": MAX_LOG_TAIL }),
        _ => return None,
    })
}

fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        target.extend(extra);
    }
}

fn constrain_schemas(doc: &mut Value) {
    for (schema, property, extra) in schema_rules() {
        let target = doc.pointer_mut(&format!(
            "/components/schemas/{schema}/properties/{property}"
        ));
        // A rule for a property the document lacks is a bug here: the unit test below fails.
        if let Some(target) = target {
            merge(target, extra);
        }
    }
}

fn constrain_parameters(operation: &mut Value) {
    let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for parameter in parameters {
        let location = parameter["in"].as_str().unwrap_or_default().to_string();
        let name = parameter["name"].as_str().unwrap_or_default().to_string();
        if let Some(extra) = parameter_rules(&location, &name) {
            merge(&mut parameter["schema"], extra);
        }
        // A required volume path names an entry; the root (``) is none.
        if location == "query" && name == "path" && parameter["required"] == true {
            merge(&mut parameter["schema"], json!({ "minLength": 1 }));
        }
    }
}

/// The `mounts` part of an upload form is JSON, and says so.
fn mark_json_parts(operation: &mut Value) {
    let Some(form) = operation.pointer_mut("/requestBody/content/multipart~1form-data") else {
        return;
    };
    let is_app_form = form["schema"]["$ref"]
        .as_str()
        .is_some_and(|r| r.ends_with("/CreateAppForm") || r.ends_with("/DeployForm"));
    if is_app_form {
        form["encoding"] = json!({ form::MOUNTS: { "contentType": "application/json" } });
    }
}

fn error_answer(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } },
    })
}

/// The answers that follow from what an operation is, rather than from what it does.
fn add_shared_answers(method: &str, operation: &mut Value) {
    let has_input = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty())
        || operation.get("requestBody").is_some();
    let is_secured = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    let tags: Vec<String> = operation["tags"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let uses_docker = tags
        .iter()
        .any(|t| matches!(t.as_str(), "apps" | "deployments" | "volumes" | "backups"));
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let can_fail = responses
        .values()
        .any(|r| r.to_string().contains("#/components/schemas/ErrorBody"));
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_string())
            .or_insert_with(|| error_answer(description));
    };
    if has_input {
        add(
            "400",
            "A malformed request: a body, parameter or form part that cannot be read (`fields` names it when it can)",
        );
    }
    if is_secured {
        add("401", "Not logged in, or the session or token expired");
        add(
            "403",
            if method == "get" {
                "An API token whose scope does not allow this"
            } else {
                "An API token whose scope does not allow this, or the session cookie without the matching `X-CSRF-Token` header"
            },
        );
    }
    if can_fail {
        add("500", "An unexpected fault; the server log has the details");
    }
    if uses_docker {
        add("503", "The Docker daemon cannot be reached");
    }
    sort_answers(responses);
}

/// Statuses in numeric order, as a reader expects them.
fn sort_answers(responses: &mut Map<String, Value>) {
    let mut sorted: Vec<(String, Value)> = std::mem::take(responses).into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    responses.extend(sorted);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        super::super::openapi::document(super::super::api_router().1)
    }

    #[test]
    fn every_rule_finds_its_target() {
        let doc = document();
        for (schema, property, _) in schema_rules() {
            assert!(
                doc.pointer(&format!(
                    "/components/schemas/{schema}/properties/{property}"
                ))
                .is_some(),
                "{schema}.{property} is not in the document"
            );
        }
    }

    #[test]
    fn every_operation_documents_its_errors_with_the_error_body() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for (status, answer) in operation["responses"].as_object().unwrap() {
                    if status.starts_with('4') || status.starts_with('5') {
                        assert_eq!(
                            answer["content"]["application/json"]["schema"]["$ref"],
                            "#/components/schemas/ErrorBody",
                            "{method} {path} {status}"
                        );
                    }
                }
                if operation.get("security").is_some() {
                    assert!(
                        operation["responses"].get("401").is_some(),
                        "{method} {path}"
                    );
                }
            }
        }
    }

    #[test]
    fn limits_come_from_the_checks_constants() {
        let doc = document();
        let logs = &doc["paths"]["/api/v1/apps/{name}/logs"]["get"]["parameters"];
        let tail = logs
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "tail")
            .unwrap();
        assert_eq!(tail["schema"]["maximum"], MAX_LOG_TAIL);
        assert_eq!(
            doc["components"]["schemas"]["CreateVolume"]["properties"]["name"]["pattern"],
            patterns::name()
        );
    }
}
