use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deployment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub app_id: i64,
    pub status: Status,
    pub error: Option<String>,
    pub image: Option<String>,
    pub container_id: Option<String>,
    pub port: Option<i32>,
    pub created_at: ChronoDateTimeUtc,
    pub finished_at: Option<ChronoDateTimeUtc>,
    pub kind: Kind,
    /// For stacks: the services in start order with their dependencies, as JSON
    /// (`domain::deploy::plan::Topology`).
    pub services: Option<String>,
    /// The configuration it runs with, as JSON (`domain::releases::Snapshot`); `None` for
    /// deployments made before releases (they ran with the app's limits and mounts).
    pub config: Option<String>,
    pub trigger: Trigger,
    /// The deployment whose images it runs; `None`: its own (it was built).
    pub built_by: Option<i64>,
    /// What changed from the release before, as a JSON list of lines (no secret values).
    pub changes: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::app::Entity",
        from = "Column::AppId",
        to = "super::app::Column::Id",
        on_delete = "Cascade"
    )]
    App,
}

impl Related<super::app::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::App.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

/// Where a deployment is in its life; stored as the same words the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Status {
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "building")]
    Building,
    #[sea_orm(string_value = "starting")]
    Starting,
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "superseded")]
    Superseded,
}

impl Status {
    /// The statuses of deployments that are still on their way.
    pub const IN_FLIGHT: [Self; 3] = [Self::Queued, Self::Building, Self::Starting];

    pub fn is_in_flight(self) -> bool {
        Self::IN_FLIGHT.contains(&self)
    }

    /// No further change but `running` → `superseded`.
    pub fn is_final(self) -> bool {
        !self.is_in_flight()
    }
}

/// What an app is built from; stored as `dockerfile` or `compose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Kind {
    #[sea_orm(string_value = "dockerfile")]
    Dockerfile,
    #[sea_orm(string_value = "compose")]
    Compose,
}

/// What made a release; stored as `build`, `config` or `rollback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Trigger {
    /// An upload, built.
    #[sea_orm(string_value = "build")]
    Build,
    /// A configuration change, on the current image.
    #[sea_orm(string_value = "config")]
    Config,
    /// An earlier release's image and configuration.
    #[sea_orm(string_value = "rollback")]
    Rollback,
}
