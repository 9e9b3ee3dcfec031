//! The audit trail: logins and changes made through the API, who made them, from where, and how
//! they ended. Written by the API's guard (the one place that sees every request), read by
//! `GET /api/v1/audit`, pruned after `MILKCRATE_AUDIT_DAYS`. It never holds a secret: only names,
//! ids and statuses, never a request body.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use shared::v1::AuditEntry;

use crate::db::entities::audit;
use crate::domain::{DomainError, DomainResult, Platform};

/// Entries per page unless asked otherwise, and at most.
pub const DEFAULT_PAGE: u64 = 100;
pub const MAX_PAGE: u64 = 1000;

/// What to record: one login or change.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub status: u16,
    pub client: String,
}

/// Which entries to read: newest first, below `before`, matching `actor` and `target` exactly.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub limit: Option<u64>,
    pub before: Option<i64>,
    pub actor: Option<String>,
    pub target: Option<String>,
}

impl Platform {
    pub async fn record(&self, record: AuditRecord) -> DomainResult<()> {
        audit::ActiveModel {
            at: Set(Utc::now()),
            actor: Set(record.actor),
            action: Set(record.action),
            target: Set(record.target),
            status: Set(i32::from(record.status)),
            client: Set(record.client),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    pub async fn audit_trail(&self, query: AuditQuery) -> DomainResult<Vec<AuditEntry>> {
        let limit = query.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(DomainError::field(
                "limit",
                format!("must be 1 to {MAX_PAGE}"),
            ));
        }
        let mut select = audit::Entity::find().order_by_desc(audit::Column::Id);
        if let Some(before) = query.before {
            select = select.filter(audit::Column::Id.lt(before));
        }
        if let Some(actor) = query.actor.filter(|a| !a.is_empty()) {
            select = select.filter(audit::Column::Actor.eq(actor));
        }
        if let Some(target) = query.target.filter(|t| !t.is_empty()) {
            select = select.filter(audit::Column::Target.eq(target));
        }
        Ok(select
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| AuditEntry {
                id: row.id,
                at: row.at,
                actor: row.actor,
                action: row.action,
                target: row.target,
                status: u16::try_from(row.status).unwrap_or_default(),
                client: row.client,
            })
            .collect())
    }

    /// Deletes entries older than `MILKCRATE_AUDIT_DAYS` before `now`; returns how many.
    pub async fn prune_audit(&self, now: DateTime<Utc>) -> DomainResult<u64> {
        let cutoff = now - Duration::days(i64::from(self.config.audit_days));
        let deleted = audit::Entity::delete_many()
            .filter(audit::Column::At.lt(cutoff))
            .exec(&self.db)
            .await?
            .rows_affected;
        if deleted > 0 {
            tracing::info!("pruned {deleted} audit entries older than {cutoff}");
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::TestPlatform;

    fn record(actor: &str, target: &str) -> AuditRecord {
        AuditRecord {
            actor: actor.into(),
            action: "app.stop".into(),
            target: target.into(),
            status: 200,
            client: "192.0.2.1".into(),
        }
    }

    #[tokio::test]
    async fn the_trail_pages_by_id_filters_and_prunes() {
        let test = TestPlatform::new().await;
        let p = &test.platform;
        for (actor, target) in [
            ("admin session", "blog"),
            ("token:ci", "blog"),
            ("token:ci", "shop"),
        ] {
            p.record(record(actor, target)).await.unwrap();
        }
        let all = p.audit_trail(AuditQuery::default()).await.unwrap();
        assert_eq!(all.len(), 3);
        assert!(all[0].id > all[1].id, "newest first");
        let page = p
            .audit_trail(AuditQuery {
                limit: Some(1),
                before: Some(all[0].id),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page, vec![all[1].clone()]);
        let ci_blog = p
            .audit_trail(AuditQuery {
                actor: Some("token:ci".into()),
                target: Some("blog".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(ci_blog, vec![all[1].clone()]);
        assert!(matches!(
            p.audit_trail(AuditQuery {
                limit: Some(1001),
                ..Default::default()
            })
            .await,
            Err(DomainError::Invalid(_))
        ));
        assert_eq!(p.prune_audit(Utc::now()).await.unwrap(), 0);
        assert_eq!(
            p.prune_audit(Utc::now() + Duration::days(91))
                .await
                .unwrap(),
            3
        );
    }
}
