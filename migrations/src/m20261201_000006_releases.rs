//! Releases: an app's configuration (variables, sealed secrets, build arguments, a health path)
//! and, on each deployment, the snapshot it ran with, what started it, whose images it runs and
//! what changed. Existing deployments are builds of their own images (`built_by` empty).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000006_releases"
    }
}

#[derive(DeriveIden)]
enum App {
    Table,
    Vars,
    BuildArgs,
    HealthPath,
}

#[derive(DeriveIden)]
enum Deployment {
    Table,
    Config,
    Trigger,
    BuiltBy,
    Changes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        let app_columns = [
            ColumnDef::new(App::Vars)
                .text()
                .not_null()
                .default("[]")
                .to_owned(),
            ColumnDef::new(App::BuildArgs)
                .text()
                .not_null()
                .default("[]")
                .to_owned(),
            ColumnDef::new(App::HealthPath).string().null().to_owned(),
        ];
        for mut column in app_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(App::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        let deployment_columns = [
            ColumnDef::new(Deployment::Config).text().null().to_owned(),
            ColumnDef::new(Deployment::Trigger)
                .string()
                .not_null()
                .default("build")
                .to_owned(),
            ColumnDef::new(Deployment::BuiltBy)
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(Deployment::Changes)
                .text()
                .not_null()
                .default("[]")
                .to_owned(),
        ];
        for mut column in deployment_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Deployment::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [App::Vars, App::BuildArgs, App::HealthPath] {
            manager
                .alter_table(
                    Table::alter()
                        .table(App::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            Deployment::Config,
            Deployment::Trigger,
            Deployment::BuiltBy,
            Deployment::Changes,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Deployment::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
