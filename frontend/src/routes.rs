//! Every URL of the dashboard. `Page::path` is the only place these strings are written.

/// A page of the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// The public landing page at `/`.
    Landing,
    Login,
    Apps,
    NewApp,
    AppDetail(String),
    Volumes,
    VolumeDetail(String),
    Settings,
    Tokens,
    Audit,
}

impl Page {
    pub fn path(&self) -> String {
        match self {
            Self::Landing => "/".into(),
            Self::Login => "/admin/login".into(),
            Self::Apps => "/admin/apps".into(),
            Self::NewApp => "/admin/apps/new".into(),
            Self::AppDetail(name) => format!("/admin/apps/{name}"),
            Self::Volumes => "/admin/volumes".into(),
            Self::VolumeDetail(name) => format!("/admin/volumes/{name}"),
            Self::Settings => "/admin/settings".into(),
            Self::Tokens => "/admin/tokens".into(),
            Self::Audit => "/admin/audit".into(),
        }
    }
}

impl Page {
    /// The page at `path`; `/admin` is the apps list.
    pub fn parse(path: &str) -> Option<Self> {
        let path = path.trim_end_matches('/');
        Some(match path {
            "" => Self::Landing,
            "/admin" | "/admin/apps" => Self::Apps,
            "/admin/login" => Self::Login,
            "/admin/apps/new" => Self::NewApp,
            "/admin/settings" => Self::Settings,
            "/admin/volumes" => Self::Volumes,
            "/admin/tokens" => Self::Tokens,
            "/admin/audit" => Self::Audit,
            _ => {
                let single = |prefix: &str| {
                    path.strip_prefix(prefix)
                        .filter(|n| !n.is_empty() && !n.contains('/'))
                        .map(str::to_string)
                };
                if let Some(name) = single("/admin/apps/") {
                    Self::AppDetail(name)
                } else {
                    Self::VolumeDetail(single("/admin/volumes/")?)
                }
            }
        })
    }
}

/// Where an app is served, as a link from the dashboard (same origin: Traefik routes both).
pub fn app_href(route: &str) -> String {
    format!("{}/", route.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_under_admin_except_the_landing_page() {
        assert_eq!(Page::Landing.path(), "/");
        assert_eq!(Page::AppDetail("blog".into()).path(), "/admin/apps/blog");
        assert_eq!(app_href("/blog"), "/blog/");
    }

    #[test]
    fn every_path_parses_back_to_its_page() {
        for page in [
            Page::Landing,
            Page::Login,
            Page::Apps,
            Page::NewApp,
            Page::AppDetail("blog".into()),
            Page::Volumes,
            Page::VolumeDetail("uploads".into()),
            Page::Settings,
            Page::Tokens,
            Page::Audit,
        ] {
            assert_eq!(Page::parse(&page.path()), Some(page));
        }
        assert_eq!(Page::parse("/admin/"), Some(Page::Apps));
        assert_eq!(Page::parse("/admin/apps/a/b"), None);
        assert_eq!(Page::parse("/elsewhere"), None);
    }
}
