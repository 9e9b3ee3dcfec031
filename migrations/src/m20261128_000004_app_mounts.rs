//! Volumes mounted into an app's (main) container: part of the app, kept across redeploys.
//! The volume is named, not referenced by id: a mount outlives nothing it points to, since a
//! mounted volume cannot be deleted unless forced (and a forced delete removes its mounts).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000004_app_mounts"
    }
}

#[derive(DeriveIden)]
enum App {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppMount {
    Table,
    Id,
    AppId,
    Volume,
    Target,
    ReadOnly,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AppMount::Table)
                    .col(
                        ColumnDef::new(AppMount::Id)
                            .big_integer()
                            .not_null()
                            .primary_key()
                            .auto_increment(),
                    )
                    .col(ColumnDef::new(AppMount::AppId).big_integer().not_null())
                    .col(ColumnDef::new(AppMount::Volume).string().not_null())
                    .col(ColumnDef::new(AppMount::Target).string().not_null())
                    .col(
                        ColumnDef::new(AppMount::ReadOnly)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AppMount::Table, AppMount::AppId)
                            .to(App::Table, App::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("app_mount_target")
                    .table(AppMount::Table)
                    .col(AppMount::AppId)
                    .col(AppMount::Target)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("app_mount_volume")
                    .table(AppMount::Table)
                    .col(AppMount::Volume)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AppMount::Table).to_owned())
            .await
    }
}
