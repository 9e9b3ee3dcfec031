//! Why a deployment stopped short. The message goes to the deployment's record and its log, so
//! each kind reads as what happened: the runtime failing is not the app's Dockerfile failing.

use crate::runtime::RuntimeError;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The container engine failed or could not be reached.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// Milkcrate refuses what the upload asks for (reserved labels, a refused compose file...).
    #[error("{0}")]
    Refused(String),
    /// The app itself failed: its build, or it exited, or a service it needs did.
    #[error("{0}")]
    App(String),
    /// A deadline passed (the build, or the app answering).
    #[error("{0}")]
    TimedOut(String),
    /// Milkcrate stopped before the deployment finished, or something newer took its place.
    #[error("{0}")]
    Interrupted(String),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    /// Files on Milkcrate's side (the build context, the source folder).
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Domain(#[from] Box<crate::domain::DomainError>),
}

impl From<crate::domain::DomainError> for DeployError {
    fn from(e: crate::domain::DomainError) -> Self {
        match e {
            crate::domain::DomainError::Runtime(e) => Self::Runtime(e),
            crate::domain::DomainError::Database(e) => Self::Database(e),
            other => Self::Domain(Box::new(other)),
        }
    }
}

impl DeployError {
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }
}
