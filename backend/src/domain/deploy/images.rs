//! App images are named `<instance>/<app>:<deployment>` (a stack's services
//! `<instance>/<app>:<deployment>-<service>`), and that name is their ownership record: build
//! labels would cost the classic builder one extra step (a container) each.

use crate::domain::{DomainResult, Platform};

/// One of this instance's app images, by tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedImage {
    pub tag: String,
    pub app: String,
    pub deployment: i64,
}

/// Reads `<instance>/<app>:<deployment>[-<service>]`; anything else is not ours.
pub fn parse_tag(instance: &str, tag: &str) -> Option<OwnedImage> {
    let rest = tag.strip_prefix(instance)?.strip_prefix('/')?;
    let (app, version) = rest.split_once(':')?;
    let deployment = version.split_once('-').map_or(version, |(d, _)| d);
    Some(OwnedImage {
        tag: tag.to_string(),
        app: app.to_string(),
        deployment: deployment.parse().ok()?,
    })
}

impl Platform {
    /// This instance's images, of one app or of all.
    pub(in crate::domain) async fn owned_images(
        &self,
        app: Option<&str>,
    ) -> DomainResult<Vec<OwnedImage>> {
        let instance = self.names.instance();
        let reference = format!("{instance}/{}", app.unwrap_or("*"));
        let images = self.runtime.list_images(&reference).await?;
        Ok(images
            .iter()
            .flat_map(|i| i.tags.iter())
            .filter_map(|tag| parse_tag(instance, tag))
            .filter(|owned| app.is_none_or(|a| owned.app == a))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_instances_tags_parse() {
        let owned = parse_tag("milkcrate", "milkcrate/blog:12").unwrap();
        assert_eq!((owned.app.as_str(), owned.deployment), ("blog", 12));
        assert!(parse_tag("milkcrate", "milkcrate2/blog:12").is_none());
        assert!(parse_tag("milkcrate", "milkcrate/blog:latest").is_none());
        let service = parse_tag("milkcrate", "milkcrate/shop:7-api.v2").unwrap();
        assert_eq!((service.app.as_str(), service.deployment), ("shop", 7));
        assert!(parse_tag("milkcrate", "traefik:v3.7.15").is_none());
    }
}
