use sea_orm::entity::prelude::*;

/// A certificate uploaded for a host. The chain is public; the key is kept sealed
/// (`crate::secrets`), never in the clear.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub host: String,
    pub chain: String,
    pub key_sealed: String,
    pub not_before: ChronoDateTimeUtc,
    pub not_after: ChronoDateTimeUtc,
    pub uploaded_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
