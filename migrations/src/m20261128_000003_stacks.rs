//! Compose stacks: a deployment records what it runs (`dockerfile` or `compose`) and, for stacks,
//! its services in start order with their start conditions (JSON), so start/stop/restart and the
//! status view know the whole stack even when a container was removed behind Milkcrate's back.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000003_stacks"
    }
}

#[derive(DeriveIden)]
enum Deployment {
    Table,
    Kind,
    Services,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Deployment::Table)
                    .add_column(
                        ColumnDef::new(Deployment::Kind)
                            .string()
                            .not_null()
                            .default("dockerfile"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Deployment::Table)
                    .add_column(ColumnDef::new(Deployment::Services).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Deployment::Services, Deployment::Kind] {
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
