//! `${VAR}` interpolation, and the `KEY=VALUE` files (`.env`, `env_file`) it reads from.
//!
//! Variables come from the app's `.env` only: never from the server's environment.

use std::{borrow::Cow, collections::BTreeMap};

use yaml_serde::Value;

use super::{
    Problem,
    parse::{key_path, key_text},
};

/// Variables by name.
pub(super) type Vars = BTreeMap<String, String>;

/// A variable lookup: the value of a name, if it is set.
pub(super) type Lookup<'v> = dyn Fn(&str) -> Option<&'v str> + 'v;

/// Most bytes one interpolated value (a `.env` or `env_file` value, a string of the compose
/// file) may have.
pub(super) const MAX_VALUE_BYTES: usize = 1024 * 1024;
/// Most bytes interpolation may produce while one upload is checked: the `.env`, the
/// `env_file`s and the compose file together.
pub(super) const MAX_TOTAL_BYTES: usize = 4 * 1024 * 1024;
/// Most levels of `${...}` inside a default or alternative.
pub(super) const MAX_NESTING: usize = 10;

/// What interpolation may still produce while one upload is checked. Every byte is counted
/// before it is written, so a `.env` whose lines double the one before is refused at
/// [`MAX_TOTAL_BYTES`], not after allocating gigabytes.
#[derive(Debug)]
pub(super) struct Budget {
    left: usize,
    exhausted: bool,
}

impl Budget {
    pub(super) fn new(total: usize) -> Self {
        Self {
            left: total,
            exhausted: false,
        }
    }

    /// The total was reached: every later interpolation is refused.
    pub(super) fn exhausted(&self) -> bool {
        self.exhausted
    }

    fn take(&mut self, bytes: usize) -> Result<(), String> {
        if self.exhausted || bytes > self.left {
            self.exhausted = true;
            return Err(format!(
                "interpolation would produce more than {} MiB in all (the `.env`, the \
                 `env_file`s and the compose file together)",
                MAX_TOTAL_BYTES / 1024 / 1024
            ));
        }
        self.left -= bytes;
        Ok(())
    }
}

impl Default for Budget {
    fn default() -> Self {
        Self::new(MAX_TOTAL_BYTES)
    }
}

/// One value being written: each piece is checked against both limits before it is added.
struct Output<'b> {
    text: String,
    budget: &'b mut Budget,
}

impl Output<'_> {
    fn push(&mut self, piece: &str) -> Result<(), String> {
        if self.text.len() + piece.len() > MAX_VALUE_BYTES {
            return Err(format!(
                "interpolated, this value would be larger than {} MiB",
                MAX_VALUE_BYTES / 1024 / 1024
            ));
        }
        self.budget.take(piece.len())?;
        self.text.push_str(piece);
        Ok(())
    }
}

/// Interpolates one string: `$$` → `$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
/// `${VAR:?error}`, `${VAR?error}`, `${VAR:+alternative}`, `${VAR+alternative}` (defaults and
/// alternatives are interpolated too, nested at most [`MAX_NESTING`] levels). An unset variable
/// without a default is the empty string. Any other `$` is an error, as in Compose. The result
/// is at most [`MAX_VALUE_BYTES`], and what is produced is taken from `budget`.
pub(super) fn interpolate(
    text: &str,
    vars: &Lookup<'_>,
    budget: &mut Budget,
) -> Result<String, String> {
    expand(text, vars, budget, 0)
}

fn expand(
    text: &str,
    vars: &Lookup<'_>,
    budget: &mut Budget,
    depth: usize,
) -> Result<String, String> {
    if depth > MAX_NESTING {
        return Err(format!(
            "`${{...}}` is nested more than {MAX_NESTING} levels deep"
        ));
    }
    let mut out = Output {
        text: String::new(),
        budget,
    };
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push(&rest[..dollar])?;
        let after = &rest[dollar + 1..];
        match after.chars().next() {
            Some('$') => {
                out.push("$")?;
                rest = &after[1..];
            }
            Some('{') => {
                let body = &after[1..];
                let end =
                    closing_brace(body).ok_or_else(|| format!("unterminated `${{` in `{text}`"))?;
                let value = braced(&body[..end], vars, out.budget, depth)?;
                out.push(&value)?;
                rest = &body[end + 1..];
            }
            Some(c) if is_name_start(c) => {
                let len = name_len(after);
                out.push(vars(&after[..len]).unwrap_or_default())?;
                rest = &after[len..];
            }
            _ => {
                return Err(format!(
                    "invalid interpolation in `{text}`: `$` must start `${{VAR}}` or `$VAR`; \
                     write `$$` for a literal `$`"
                ));
            }
        }
    }
    out.push(rest)?;
    Ok(out.text)
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn name_len(s: &str) -> usize {
    s.bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count()
}

/// Where the `}` closing a `${` is, in the text that follows the `${`; nested `${...}` count.
fn closing_brace(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if matches!(bytes.get(i + 1), Some(b'$')) => i += 1,
            b'$' if matches!(bytes.get(i + 1), Some(b'{')) => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The inside of `${...}`.
fn braced<'v>(
    inner: &str,
    vars: &Lookup<'v>,
    budget: &mut Budget,
    depth: usize,
) -> Result<Cow<'v, str>, String> {
    let len = if inner.starts_with(is_name_start) {
        name_len(inner)
    } else {
        0
    };
    if len == 0 {
        return Err(format!("invalid variable name in `${{{inner}}}`"));
    }
    let (name, modifier) = inner.split_at(len);
    let value = vars(name);
    let set = value.is_some();
    let non_empty = value.is_some_and(|v| !v.is_empty());
    let value = Cow::Borrowed(value.unwrap_or_default());
    let Some((operator, word)) = [":-", ":?", ":+", "-", "?", "+"]
        .into_iter()
        .find_map(|op| modifier.strip_prefix(op).map(|word| (op, word)))
    else {
        if modifier.is_empty() {
            return Ok(value);
        }
        return Err(format!("invalid interpolation `${{{inner}}}`"));
    };
    let required = |present: bool| {
        if present {
            Ok(value.clone())
        } else if word.is_empty() {
            Err(format!("required variable `{name}` is missing a value"))
        } else {
            Err(format!(
                "required variable `{name}` is missing a value: {word}"
            ))
        }
    };
    let word = |budget: &mut Budget| expand(word, vars, budget, depth + 1).map(Cow::Owned);
    match operator {
        ":-" if non_empty => Ok(value),
        "-" if set => Ok(value),
        ":-" | "-" => word(budget),
        ":?" => required(non_empty),
        "?" => required(set),
        ":+" if non_empty => word(budget),
        "+" if set => word(budget),
        _ => Ok(Cow::Borrowed("")),
    }
}

/// Interpolates every string scalar of the file (not mapping keys), reporting failures at their
/// paths; YAML tags (`!reset`, `!override`, ...) are reported and the tagged value dropped.
/// `x-` keys at the top level and in services are skipped (they are ignored anyway, so a
/// `${VAR:?}` in one must not fail the file). Once `budget` is exhausted, the walk stops: that
/// one problem is reported, and the file is not checked further.
pub(super) fn interpolate_file(
    root: &mut Value,
    vars: &Vars,
    budget: &mut Budget,
    problems: &mut Vec<Problem>,
) {
    let lookup = |name: &str| vars.get(name).map(String::as_str);
    let mut walker = Walker {
        vars: &lookup,
        budget,
        problems,
    };
    let Value::Mapping(top) = root else {
        return walker.walk(root, "");
    };
    for (key, value) in top.iter_mut() {
        let key = key.as_str().unwrap_or_default();
        if key.starts_with("x-") {
            continue;
        }
        let path = key_path("", key);
        match (key, value) {
            ("services", Value::Mapping(services)) => {
                for (name, service) in services.iter_mut() {
                    let service_path = key_path(&path, name.as_str().unwrap_or_default());
                    match service {
                        Value::Mapping(fields) => {
                            for (field, value) in fields.iter_mut() {
                                let field = field.as_str().unwrap_or_default();
                                if !field.starts_with("x-") {
                                    let field_path = key_path(&service_path, field);
                                    walker.walk(value, &field_path);
                                }
                            }
                        }
                        other => walker.walk(other, &service_path),
                    }
                }
            }
            (_, value) => walker.walk(value, &path),
        }
    }
}

struct Walker<'a, 'v> {
    vars: &'a Lookup<'v>,
    budget: &'a mut Budget,
    problems: &'a mut Vec<Problem>,
}

impl Walker<'_, '_> {
    fn walk(&mut self, value: &mut Value, path: &str) {
        if self.budget.exhausted() {
            return;
        }
        match value {
            Value::String(text) => {
                if text.contains('$') {
                    match interpolate(text, self.vars, self.budget) {
                        Ok(done) => *text = done,
                        Err(message) => self.problems.push(Problem::new(path, message)),
                    }
                }
            }
            Value::Sequence(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.walk(item, &format!("{path}[{i}]"));
                }
            }
            Value::Mapping(map) => {
                for (key, item) in map.iter_mut() {
                    let key = key_text(key);
                    self.walk(item, &key_path(path, &key));
                }
            }
            Value::Tagged(tagged) => {
                self.problems.push(Problem::new(
                    path,
                    format!("YAML tags (`{}`) are not supported", tagged.tag),
                ));
                *value = Value::Null;
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// Parses a `KEY=VALUE` file (`.env`, `env_file`): blank lines and `#` comments are skipped, an
/// `export ` prefix is allowed, values may be single-quoted (literal), double-quoted (escapes,
/// interpolation; may span lines) or bare (interpolation; ` #` starts a comment). Values may use
/// the file's earlier variables, then `outer`. Returns the variables in order, and the errors as
/// `line N: ...` messages. Values are taken from `budget`; once it is exhausted, parsing stops.
pub(super) fn parse_env_file(
    text: &str,
    outer: &Vars,
    budget: &mut Budget,
) -> (Vec<(String, String)>, Vec<String>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = EnvParser {
        text,
        pos: 0,
        line: 1,
    };
    let mut local = Vars::new();
    let mut order = Vec::new();
    let mut errors = Vec::new();
    loop {
        parser.skip(|c| c.is_whitespace());
        let Some(c) = parser.peek() else { break };
        if c == '#' {
            parser.skip(|c| c != '\n');
            continue;
        }
        let line = parser.line;
        let lookup = |name: &str| {
            local
                .get(name)
                .or_else(|| outer.get(name))
                .map(String::as_str)
        };
        match parser.entry(&lookup, budget) {
            Ok((key, value)) => {
                if local.insert(key.clone(), value.clone()).is_some() {
                    order.retain(|(k, _): &(String, String)| *k != key);
                }
                order.push((key, value));
            }
            Err((message, fatal)) => {
                errors.push(format!("line {line}: {message}"));
                if fatal || budget.exhausted() {
                    break;
                }
                parser.skip(|c| c != '\n');
            }
        }
    }
    (order, errors)
}

struct EnvParser<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl EnvParser<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip(&mut self, while_: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&while_) {
            self.bump();
        }
    }

    fn blank(c: char) -> bool {
        c == ' ' || c == '\t'
    }

    /// One `KEY=VALUE`; the error says whether parsing can go on with the next line.
    fn entry(
        &mut self,
        vars: &Lookup<'_>,
        budget: &mut Budget,
    ) -> Result<(String, String), (String, bool)> {
        let start = self.pos;
        self.skip(|c| !c.is_whitespace() && c != '=');
        let mut key = &self.text[start..self.pos];
        if key == "export" && self.peek().is_some_and(Self::blank) {
            self.skip(Self::blank);
            let start = self.pos;
            self.skip(|c| !c.is_whitespace() && c != '=');
            key = &self.text[start..self.pos];
        }
        let valid = key.starts_with(is_name_start)
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !valid {
            return Err((format!("invalid variable name `{key}`"), false));
        }
        let key = key.to_string();
        self.skip(Self::blank);
        if self.peek() != Some('=') {
            return Err((format!("expected `{key}=VALUE`"), false));
        }
        self.bump();
        self.skip(Self::blank);
        let value = match self.peek() {
            Some(quote @ ('"' | '\'')) => {
                self.bump();
                let mut raw = String::new();
                loop {
                    match self.bump() {
                        None => return Err((format!("unterminated {quote} quote"), true)),
                        Some(c) if c == quote => break,
                        Some('\\') if quote == '"' => match self.bump() {
                            Some('n') => raw.push('\n'),
                            Some('t') => raw.push('\t'),
                            Some('r') => raw.push('\r'),
                            Some('$') => raw.push_str("$$"),
                            Some(c @ ('"' | '\\')) => raw.push(c),
                            Some(c) => {
                                raw.push('\\');
                                raw.push(c);
                            }
                            None => return Err((format!("unterminated {quote} quote"), true)),
                        },
                        Some('$') if quote == '\'' => raw.push_str("$$"),
                        Some(c) => raw.push(c),
                    }
                }
                self.skip(Self::blank);
                if self
                    .peek()
                    .is_some_and(|c| c != '#' && c != '\n' && c != '\r')
                {
                    return Err((
                        format!("unexpected text after the quoted value of `{key}`"),
                        false,
                    ));
                }
                self.skip(|c| c != '\n');
                raw
            }
            _ => {
                let start = self.pos;
                self.skip(|c| c != '\n');
                let line = &self.text[start..self.pos];
                let end = line
                    .char_indices()
                    .find(|&(i, c)| c == '#' && (i == 0 || line[..i].ends_with(Self::blank)))
                    .map_or(line.len(), |(i, _)| i);
                line[..end].trim_end().to_string()
            }
        };
        let value = interpolate(&value, vars, budget).map_err(|e| (e, false))?;
        Ok((key, value))
    }
}
