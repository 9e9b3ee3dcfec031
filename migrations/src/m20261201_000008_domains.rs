//! Host names an app is served at the root of. UNIQUE `host`: a name reaches one app, and the
//! constraint settles two requests racing for it.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000008_domains"
    }
}

#[derive(DeriveIden)]
enum App {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppDomain {
    Table,
    Id,
    AppId,
    Host,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AppDomain::Table)
                    .col(
                        ColumnDef::new(AppDomain::Id)
                            .big_integer()
                            .not_null()
                            .primary_key()
                            .auto_increment(),
                    )
                    .col(ColumnDef::new(AppDomain::AppId).big_integer().not_null())
                    .col(
                        ColumnDef::new(AppDomain::Host)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AppDomain::Table, AppDomain::AppId)
                            .to(App::Table, App::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("app_domain_app")
                    .table(AppDomain::Table)
                    .col(AppDomain::AppId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AppDomain::Table).to_owned())
            .await
    }
}
