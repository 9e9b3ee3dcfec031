//! Outgoing webhooks (the secret sealed) and their delivery log.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000009_webhooks"
    }
}

#[derive(DeriveIden)]
enum Webhook {
    Table,
    Id,
    Url,
    SecretSealed,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDelivery {
    Table,
    Id,
    WebhookId,
    Event,
    Status,
    Attempts,
    ResponseStatus,
    Error,
    CreatedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhook::Table)
                    .col(
                        ColumnDef::new(Webhook::Id)
                            .big_integer()
                            .not_null()
                            .primary_key()
                            .auto_increment(),
                    )
                    .col(ColumnDef::new(Webhook::Url).string().not_null())
                    .col(ColumnDef::new(Webhook::SecretSealed).string().not_null())
                    .col(
                        ColumnDef::new(Webhook::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDelivery::Table)
                    .col(
                        ColumnDef::new(WebhookDelivery::Id)
                            .big_integer()
                            .not_null()
                            .primary_key()
                            .auto_increment(),
                    )
                    .col(
                        ColumnDef::new(WebhookDelivery::WebhookId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookDelivery::Event).string().not_null())
                    .col(ColumnDef::new(WebhookDelivery::Status).string().not_null())
                    .col(
                        ColumnDef::new(WebhookDelivery::Attempts)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookDelivery::ResponseStatus).integer())
                    .col(ColumnDef::new(WebhookDelivery::Error).text())
                    .col(
                        ColumnDef::new(WebhookDelivery::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookDelivery::FinishedAt).timestamp_with_time_zone())
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDelivery::Table, WebhookDelivery::WebhookId)
                            .to(Webhook::Table, Webhook::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_delivery_webhook")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::WebhookId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookDelivery::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Webhook::Table).to_owned())
            .await
    }
}
