//! Figures for `/metrics`: apps by status (from the live view), deployments by outcome with their
//! durations (one aggregate query).

use std::collections::BTreeMap;

use sea_orm::{
    EntityTrait, QuerySelect,
    sea_query::{Expr, Func},
};

use crate::{
    db::entities::deployment::{self, Status},
    domain::{DomainResult, Platform, convert},
};

/// What Milkcrate counts about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlatformFigures {
    /// App status (its wire word) → apps.
    pub apps: BTreeMap<String, u64>,
    /// Deployment status → (deployments, seconds from upload to the end, summed over those that
    /// ended).
    pub deployments: BTreeMap<String, (u64, f64)>,
}

/// The wire word of a status (`running`, `failed`...).
fn word<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl Platform {
    pub async fn figures(&self) -> DomainResult<PlatformFigures> {
        let mut figures = PlatformFigures::default();
        for app in self.list_apps().await?.iter() {
            *figures.apps.entry(word(app.status)).or_default() += 1;
        }
        let rows: Vec<(Status, i64, Option<f64>)> = deployment::Entity::find()
            .select_only()
            .column(deployment::Column::Status)
            .expr(Func::count(Expr::col(deployment::Column::Id)))
            .expr(Expr::cust(
                "SUM((julianday(finished_at) - julianday(created_at)) * 86400.0)",
            ))
            .group_by(deployment::Column::Status)
            .into_tuple()
            .all(&self.db)
            .await?;
        for (status, count, seconds) in rows {
            figures.deployments.insert(
                word(convert::status(status)),
                (u64::try_from(count).unwrap_or(0), seconds.unwrap_or(0.0)),
            );
        }
        Ok(figures)
    }
}
