use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "app")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    #[sea_orm(unique)]
    pub route: String,
    /// What the admin asked for; the runtime says what is.
    pub desired_state: DesiredState,
    pub current_deployment_id: Option<i64>,
    pub memory_bytes: i64,
    pub nano_cpus: i64,
    pub pids: i64,
    pub created_at: ChronoDateTimeUtc,
    /// The variables the next release gets, as JSON (`domain::releases::StoredVar`); secrets sealed.
    pub vars: String,
    /// Build arguments for the next build from an upload, as JSON (`[[key, value]]`).
    pub build_args: String,
    /// Readiness (and Traefik's health check) asks this path for a 2xx/3xx; `None`: any reply.
    pub health_path: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::deployment::Entity")]
    Deployment,
}

impl Related<super::deployment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Deployment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

/// Whether the admin wants the app to run; stored as `running` or `stopped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum DesiredState {
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "stopped")]
    Stopped,
}
