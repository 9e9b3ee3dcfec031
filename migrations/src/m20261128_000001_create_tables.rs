use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000001_create_tables"
    }
}

#[derive(DeriveIden)]
enum App {
    Table,
    Id,
    Name,
    Route,
    DesiredState,
    CurrentDeploymentId,
    MemoryBytes,
    NanoCpus,
    Pids,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Deployment {
    Table,
    Id,
    AppId,
    Status,
    Error,
    Image,
    ContainerId,
    Port,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Setting {
    Table,
    Key,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(App::Table)
                    .col(
                        ColumnDef::new(App::Id)
                            .big_integer()
                            .not_null()
                            .primary_key()
                            .auto_increment(),
                    )
                    // UNIQUE in the schema, not just a check before insert: concurrent uploads race.
                    .col(ColumnDef::new(App::Name).string().not_null().unique_key())
                    .col(ColumnDef::new(App::Route).string().not_null().unique_key())
                    .col(ColumnDef::new(App::DesiredState).string().not_null())
                    .col(
                        ColumnDef::new(App::CurrentDeploymentId)
                            .big_integer()
                            .null(),
                    )
                    .col(ColumnDef::new(App::MemoryBytes).big_integer().not_null())
                    .col(ColumnDef::new(App::NanoCpus).big_integer().not_null())
                    .col(ColumnDef::new(App::Pids).big_integer().not_null())
                    .col(
                        ColumnDef::new(App::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deployment::Table)
                    .col(
                        ColumnDef::new(Deployment::Id)
                            .big_integer()
                            .not_null()
                            .primary_key()
                            .auto_increment(),
                    )
                    .col(ColumnDef::new(Deployment::AppId).big_integer().not_null())
                    .col(ColumnDef::new(Deployment::Status).string().not_null())
                    .col(ColumnDef::new(Deployment::Error).text().null())
                    .col(ColumnDef::new(Deployment::Image).string().null())
                    .col(ColumnDef::new(Deployment::ContainerId).string().null())
                    .col(ColumnDef::new(Deployment::Port).integer().null())
                    .col(
                        ColumnDef::new(Deployment::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Deployment::FinishedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deployment::Table, Deployment::AppId)
                            .to(App::Table, App::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deployment_app")
                    .table(Deployment::Table)
                    .col(Deployment::AppId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Setting::Table)
                    .col(
                        ColumnDef::new(Setting::Key)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Setting::Value).text().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Setting::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Deployment::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(App::Table).to_owned())
            .await
    }
}
