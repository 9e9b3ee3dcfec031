//! Which releases can be brought back: the images of the newest `MILKCRATE_KEEP_RELEASES`
//! releases that ran are kept (with the compose files of stacks), and so is anything in flight.

use std::collections::BTreeSet;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    db::entities::{
        app,
        deployment::{self, Status},
    },
    domain::{DomainResult, Platform},
};

/// The builds (deployment ids) whose images an app keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptReleases {
    builds: BTreeSet<i64>,
    /// The releases counted, newest first (to name them when one asked for is gone).
    releases: Vec<i64>,
}

/// The build whose images a release runs.
pub fn build_of(dep: &deployment::Model) -> i64 {
    dep.built_by.unwrap_or(dep.id)
}

/// A release that reached `running` (and may since have been superseded).
pub fn ran(dep: &deployment::Model) -> bool {
    matches!(dep.status, Status::Running | Status::Superseded)
}

impl KeptReleases {
    /// Of one app's deployments (any order): the newest `keep` that ran, and those in flight.
    pub fn of(deployments: &[deployment::Model], keep: usize) -> Self {
        let mut newest: Vec<&deployment::Model> = deployments.iter().collect();
        newest.sort_by_key(|d| std::cmp::Reverse(d.id));
        let counted: Vec<&deployment::Model> = newest
            .iter()
            .copied()
            .filter(|d| ran(d))
            .take(keep)
            .collect();
        let builds = counted
            .iter()
            .copied()
            .chain(newest.iter().copied().filter(|d| d.status.is_in_flight()))
            .map(build_of)
            .collect();
        Self {
            builds,
            releases: counted.iter().map(|d| d.id).collect(),
        }
    }

    /// Whether the images of build `id` are kept.
    pub fn keeps_build(&self, id: i64) -> bool {
        self.builds.contains(&id)
    }

    /// Whether `dep` can be brought back: it ran and its images are kept.
    pub fn can_roll_back_to(&self, dep: &deployment::Model) -> bool {
        ran(dep) && self.keeps_build(build_of(dep))
    }

    /// The builds whose images are kept.
    pub fn builds(&self) -> impl Iterator<Item = i64> + '_ {
        self.builds.iter().copied()
    }

    /// The releases counted, for messages.
    pub fn releases(&self) -> &[i64] {
        &self.releases
    }
}

impl Platform {
    pub(in crate::domain) async fn kept_releases(
        &self,
        app: &app::Model,
    ) -> DomainResult<(KeptReleases, Vec<deployment::Model>)> {
        let deployments = deployment::Entity::find()
            .filter(deployment::Column::AppId.eq(app.id))
            .order_by_desc(deployment::Column::Id)
            .all(&self.db)
            .await?;
        Ok((
            KeptReleases::of(&deployments, self.config.keep_releases),
            deployments,
        ))
    }
}
