//! `.dockerignore` as Docker reads it: one pattern a line, relative to the folder (a leading `/`
//! changes nothing), `#` comments, `*` and `?` within a path segment, `**` across segments, `!`
//! to take an exception; the last matching line decides, and a pattern that matches a folder
//! matches everything in it. (Character classes, `[a-z]`, are taken literally.)

/// The patterns of one `.dockerignore`.
#[derive(Debug, Default)]
pub struct DockerIgnore {
    /// (exception, segments), in file order.
    rules: Vec<(bool, Vec<String>)>,
}

impl DockerIgnore {
    pub fn parse(text: &str) -> Self {
        let rules = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|line| {
                let (exception, pattern) = match line.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, line),
                };
                let segments: Vec<String> = pattern
                    .split('/')
                    .filter(|s| !s.is_empty() && *s != ".")
                    .map(str::to_string)
                    .collect();
                (!segments.is_empty()).then_some((exception, segments))
            })
            .collect();
        Self { rules }
    }

    /// Whether `path` (relative, `/`-separated) is left out.
    pub fn excludes(&self, path: &str) -> bool {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut excluded = false;
        for (exception, pattern) in &self.rules {
            // The path itself or a folder it is in.
            let hit = (1..=segments.len()).any(|n| matches(pattern, &segments[..n]));
            if hit {
                excluded = !exception;
            }
        }
        excluded
    }

    /// Whether an excluded folder may still hold files an exception takes back, so it must be
    /// walked rather than skipped.
    pub fn has_exceptions(&self) -> bool {
        self.rules.iter().any(|(exception, _)| *exception)
    }
}

fn matches(pattern: &[String], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first == "**" => (0..=path.len()).any(|i| matches(rest, &path[i..])),
        Some((first, rest)) => path.split_first().is_some_and(|(name, tail)| {
            glob(first.as_bytes(), name.as_bytes()) && matches(rest, tail)
        }),
    }
}

/// `*` and `?` within one segment.
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| glob(rest, &name[i..])),
        Some((b'?', rest)) => !name.is_empty() && glob(rest, &name[1..]),
        Some((c, rest)) => name.first() == Some(c) && glob(rest, &name[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_exceptions_and_folders_as_docker_reads_them() {
        let ignore = DockerIgnore::parse(
            "# comment\n\n.git\n/node_modules\n*.log\n**/secret*.txt\ntarget/\ndocs/*\n!docs/keep.md\n",
        );
        for excluded in [
            ".git",
            ".git/config",
            "node_modules/a/b.js",
            "debug.log",
            "secret-key.txt",
            "deep/er/secret.txt",
            "target/debug/x",
            "docs/other.md",
        ] {
            assert!(ignore.excludes(excluded), "{excluded}");
        }
        for kept in [
            "Dockerfile",
            "src/debug.log",
            "docs/keep.md",
            "src/main.rs",
            "gitignore",
            "a.txt",
        ] {
            assert!(!ignore.excludes(kept), "{kept}");
        }
        assert!(ignore.has_exceptions());
        assert!(!DockerIgnore::parse("*.tmp").has_exceptions());
    }

    #[test]
    fn the_last_matching_line_decides() {
        let ignore = DockerIgnore::parse("*.md\n!README.md\nREADME.md\n");
        assert!(ignore.excludes("README.md"));
        let ignore = DockerIgnore::parse("*\n!Dockerfile\n!www\n");
        assert!(!ignore.excludes("Dockerfile"));
        assert!(!ignore.excludes("www/index.html"));
        assert!(ignore.excludes("notes.txt"));
    }
}
