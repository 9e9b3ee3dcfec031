//! An app's host names: checked (`shared::validation::domains`, never the admin host, never
//! another app's), stored in `app_domain` (UNIQUE host: the last word when two requests race),
//! and routed at their root by the edge, with their certificates' state.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, SqlErr,
    TransactionTrait,
};
use shared::v1::{App, Domain};

use crate::db::entities::{app, app_domain};
use crate::domain::{DomainError, DomainResult, FieldErrors, Platform};

const FIELD: &str = shared::v1::fields::form::DOMAINS;

impl Platform {
    /// Checks the host names asked for an app (`app_id`, or a new one): valid, and no other
    /// app's.
    pub(in crate::domain) async fn check_domains(
        &self,
        requested: &[String],
        app_id: Option<i64>,
    ) -> DomainResult<Vec<String>> {
        let hosts = shared::validation::domains(requested, self.config.proxy.admin_host.as_deref())
            .map_err(|problems| {
                DomainError::Invalid(FieldErrors::from([(FIELD.to_string(), problems)]))
            })?;
        if hosts.is_empty() {
            return Ok(hosts);
        }
        let taken: Vec<String> = app_domain::Entity::find()
            .filter(app_domain::Column::Host.is_in(hosts.clone()))
            .find_also_related(app::Entity)
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|(row, _)| Some(row.app_id) != app_id)
            .map(|(row, owner)| {
                let owner = owner.map_or_else(|| "another app".into(), |a| format!("`{}`", a.name));
                format!("`{}` is already served by {owner}", row.host)
            })
            .collect();
        if taken.is_empty() {
            Ok(hosts)
        } else {
            Err(DomainError::Taken(FieldErrors::from([(
                FIELD.to_string(),
                taken,
            )])))
        }
    }

    /// Replaces an app's host names (inside the caller's transaction).
    pub(in crate::domain) async fn replace_domains(
        db: &impl ConnectionTrait,
        app_id: i64,
        hosts: &[String],
    ) -> DomainResult<()> {
        app_domain::Entity::delete_many()
            .filter(app_domain::Column::AppId.eq(app_id))
            .exec(db)
            .await?;
        if hosts.is_empty() {
            return Ok(());
        }
        app_domain::Entity::insert_many(hosts.iter().map(|h| app_domain::ActiveModel {
            app_id: Set(app_id),
            host: Set(h.clone()),
            ..Default::default()
        }))
        .exec(db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                DomainError::Taken(FieldErrors::from([(
                    FIELD.to_string(),
                    vec!["one of these host names was just given to another app".to_string()],
                )]))
            }
            _ => e.into(),
        })?;
        Ok(())
    }

    /// Sets an app's host names; the edge serves them within a poll of the proxy.
    pub async fn set_domains(&self, name: &str, requested: &[String]) -> DomainResult<App> {
        let app = self.find_app(name).await?;
        let hosts = self.check_domains(requested, Some(app.id)).await?;
        self.store_domains(app.id, &hosts).await?;
        tracing::info!(app = %app.name, "host names of {} set to {hosts:?}", app.name);
        self.get_app(&app.name).await
    }

    /// Stores checked host names and hands them to the edge.
    pub(in crate::domain) async fn store_domains(
        &self,
        app_id: i64,
        hosts: &[String],
    ) -> DomainResult<()> {
        let txn = self.db.begin().await?;
        Self::replace_domains(&txn, app_id, hosts).await?;
        txn.commit().await?;
        self.refresh_domains().await
    }

    /// One app's host names, in the order given.
    pub(in crate::domain) async fn domains_of(&self, app_id: i64) -> DomainResult<Vec<String>> {
        Ok(self
            .domains_by_app()
            .await?
            .remove(&app_id)
            .unwrap_or_default())
    }

    /// Every app's host names, by app id (one query for a whole list).
    pub(in crate::domain) async fn domains_by_app(
        &self,
    ) -> DomainResult<HashMap<i64, Vec<String>>> {
        let mut by_app: HashMap<i64, Vec<String>> = HashMap::new();
        for row in app_domain::Entity::find()
            .order_by_asc(app_domain::Column::Id)
            .all(&self.db)
            .await?
        {
            by_app.entry(row.app_id).or_default().push(row.host);
        }
        Ok(by_app)
    }

    /// Every app's host names, by app name (for the edge).
    pub(in crate::domain) async fn domains_by_app_name(
        &self,
    ) -> DomainResult<BTreeMap<String, Vec<String>>> {
        let mut by_id = self.domains_by_app().await?;
        if by_id.is_empty() {
            return Ok(BTreeMap::new());
        }
        Ok(app::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|a| by_id.remove(&a.id).map(|hosts| (a.name, hosts)))
            .collect())
    }

    /// The wire view of host names, with their certificates.
    pub(in crate::domain) fn domain_views(&self, hosts: Vec<String>) -> Vec<Domain> {
        hosts
            .into_iter()
            .map(|host| Domain {
                certificate: self.certificate_of(&host),
                host,
            })
            .collect()
    }
}
