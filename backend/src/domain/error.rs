use std::collections::BTreeMap;

use crate::{intake::IntakeError, runtime::RuntimeError};

/// Messages per request field.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// What a use case can fail with. `api::error` is the one place that turns these into HTTP.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{entity} `{id}` not found")]
    NotFound { entity: &'static str, id: String },
    #[error("{0}")]
    Conflict(String),
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// A unique field (an app's name or route) is already in use.
    #[error("already in use")]
    Taken(FieldErrors),
    #[error("archive refused: {0}")]
    Archive(#[from] IntakeError),
    /// A compose file breaks the security policy; one `path: message` per problem.
    #[error("the compose file breaks Milkcrate's policy")]
    Policy(Vec<String>),
    #[error("{0}")]
    TooLarge(String),
    /// Milkcrate's data disk is full.
    #[error("the data disk is full ({0}); free space and try again")]
    NoSpace(String),
    #[error("wrong password")]
    WrongPassword,
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl DomainError {
    /// An I/O failure while `doing`: the disk being full is the client's to know (507), any
    /// other failure is ours.
    pub fn io(doing: &str, e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::StorageFull {
            Self::NoSpace(doing.to_string())
        } else {
            Self::Internal(anyhow::anyhow!("{doing}: {e}"))
        }
    }

    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// One invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(BTreeMap::from([(field.to_string(), vec![message.into()])]))
    }

    /// The whole story in one line, field messages included (for the CLI; the API uses fields).
    pub fn describe(&self) -> String {
        match self {
            Self::Invalid(fields) | Self::Taken(fields) => fields
                .iter()
                .map(|(field, messages)| format!("{field}: {}", messages.join("; ")))
                .collect::<Vec<_>>()
                .join("; "),
            Self::Policy(problems) => format!("{self}: {}", problems.join("; ")),
            other => other.to_string(),
        }
    }
}

pub type DomainResult<T> = Result<T, DomainError>;
