//! API tokens: minted, listed, revoked, and recognised on each request. A token is shown once;
//! only its SHA-256 is stored. It is 256 random bits, so a fast hash is enough: there is nothing
//! to guess a dictionary from, and a lookup by hash costs one indexed read.

use chrono::{DateTime, Duration, Utc};
use rand::distr::{Alphanumeric, SampleString};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, SqlErr,
    sea_query::Expr,
};
use sha2::{Digest, Sha256};
use shared::v1::{ApiToken, CreateToken, NewToken, TokenScope};

use crate::db::entities::api_token;
use crate::domain::{DomainError, DomainResult, FieldErrors, Platform};

/// Every token starts with this, so a leaked one is recognisable (secret scanners, logs) and the
/// API tells it from a session JWT without trying both.
pub const TOKEN_PREFIX: &str = "mc_";
/// 43 letters and digits: just over 256 bits.
const TOKEN_CHARS: usize = 43;
/// `last_used_at` is written at most this often per token, so a busy script does not turn every
/// read into a database write.
const TOUCH_EVERY: Duration = Duration::minutes(1);
use shared::validation::MAX_TOKEN_DAYS as MAX_EXPIRY_DAYS;

/// A recognised, unexpired token: who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHolder {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
}

/// What a bearer `mc_` token turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenCheck {
    Valid(TokenHolder),
    Expired(DateTime<Utc>),
    /// Never issued, or revoked.
    Unknown,
}

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn view(row: api_token::Model) -> DomainResult<ApiToken> {
    Ok(ApiToken {
        scope: scope_of(&row)?,
        id: row.id,
        name: row.name,
        created_at: row.created_at,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
    })
}

fn scope_of(row: &api_token::Model) -> DomainResult<TokenScope> {
    TokenScope::parse(&row.scope).ok_or_else(|| {
        DomainError::Internal(anyhow::anyhow!(
            "token {} has an unknown scope `{}`",
            row.id,
            row.scope
        ))
    })
}

impl Platform {
    /// Mints a token; the answer is the only place its secret ever appears.
    pub async fn create_token(&self, request: &CreateToken) -> DomainResult<NewToken> {
        let mut fields = FieldErrors::new();
        let name = shared::validation::token_name(&request.name)
            .map_err(|e| fields.insert("name".into(), vec![e]))
            .ok();
        if let Some(days) = request.expires_in_days
            && !(1..=MAX_EXPIRY_DAYS).contains(&days)
        {
            fields.insert(
                "expires_in_days".into(),
                vec![format!("must be 1 to {MAX_EXPIRY_DAYS} days")],
            );
        }
        let Some(name) = name.filter(|_| fields.is_empty()) else {
            return Err(DomainError::Invalid(fields));
        };
        let token = format!(
            "{TOKEN_PREFIX}{}",
            Alphanumeric.sample_string(&mut rand::rng(), TOKEN_CHARS)
        );
        let now = Utc::now();
        let expires_at = request
            .expires_in_days
            .map(|days| now + Duration::days(i64::from(days)));
        let row = api_token::ActiveModel {
            name: Set(name.clone()),
            scope: Set(request.scope.as_str().to_string()),
            hash: Set(digest(&token)),
            created_at: Set(now),
            expires_at: Set(expires_at),
            last_used_at: Set(None),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                DomainError::Taken(FieldErrors::from([(
                    "name".to_string(),
                    vec![format!("a token named `{name}` already exists")],
                )]))
            }
            _ => e.into(),
        })?;
        tracing::info!(
            token.id = row.id,
            "created API token {name} ({})",
            request.scope
        );
        Ok(NewToken {
            id: row.id,
            name: row.name,
            scope: request.scope,
            token,
            created_at: row.created_at,
            expires_at: row.expires_at,
        })
    }

    /// Every token, newest first; never their secrets.
    pub async fn list_tokens(&self) -> DomainResult<Vec<ApiToken>> {
        api_token::Entity::find()
            .order_by_desc(api_token::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(view)
            .collect()
    }

    /// Revokes a token: its row goes, so the next request with it is refused. Returns what it was.
    pub async fn revoke_token(&self, id: i64) -> DomainResult<ApiToken> {
        let row = api_token::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| DomainError::not_found("token", id))?;
        api_token::Entity::delete_by_id(id).exec(&self.db).await?;
        tracing::info!(token.id = id, "revoked API token {}", row.name);
        view(row)
    }

    /// Who `token` is, at `now`. Notes the use (at most once a minute per token).
    pub async fn recognise_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> DomainResult<TokenCheck> {
        let Some(row) = api_token::Entity::find()
            .filter(api_token::Column::Hash.eq(digest(token)))
            .one(&self.db)
            .await?
        else {
            return Ok(TokenCheck::Unknown);
        };
        if let Some(expired) = row.expires_at.filter(|at| *at <= now) {
            return Ok(TokenCheck::Expired(expired));
        }
        if row.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY) {
            api_token::Entity::update_many()
                .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
                .filter(api_token::Column::Id.eq(row.id))
                .exec(&self.db)
                .await?;
        }
        Ok(TokenCheck::Valid(TokenHolder {
            scope: scope_of(&row)?,
            id: row.id,
            name: row.name,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::TestPlatform;

    fn request(name: &str, scope: TokenScope, days: Option<u32>) -> CreateToken {
        CreateToken {
            name: name.into(),
            scope,
            expires_in_days: days,
        }
    }

    #[tokio::test]
    async fn a_token_is_recognised_by_its_secret_until_revoked() {
        let test = TestPlatform::new().await;
        let p = &test.platform;
        let new = p
            .create_token(&request("ci", TokenScope::Deploy, None))
            .await
            .unwrap();
        assert!(new.token.starts_with("mc_") && new.token.len() == 46);
        let now = Utc::now();
        let holder = TokenHolder {
            id: new.id,
            name: "ci".into(),
            scope: TokenScope::Deploy,
        };
        assert_eq!(
            p.recognise_token(&new.token, now).await.unwrap(),
            TokenCheck::Valid(holder)
        );
        let listed = p.list_tokens().await.unwrap();
        assert_eq!(listed[0].last_used_at, Some(now));
        // Within a minute, a use is not written again.
        p.recognise_token(&new.token, now + Duration::seconds(30))
            .await
            .unwrap();
        assert_eq!(p.list_tokens().await.unwrap()[0].last_used_at, Some(now));
        assert_eq!(
            p.recognise_token(&format!("{}x", new.token), now)
                .await
                .unwrap(),
            TokenCheck::Unknown
        );
        p.revoke_token(new.id).await.unwrap();
        assert_eq!(
            p.recognise_token(&new.token, now).await.unwrap(),
            TokenCheck::Unknown
        );
        assert!(matches!(
            p.revoke_token(new.id).await,
            Err(DomainError::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn tokens_expire_and_bad_requests_name_their_fields() {
        let test = TestPlatform::new().await;
        let p = &test.platform;
        let new = p
            .create_token(&request("short", TokenScope::Read, Some(1)))
            .await
            .unwrap();
        let later = Utc::now() + Duration::days(2);
        assert!(matches!(
            p.recognise_token(&new.token, later).await.unwrap(),
            TokenCheck::Expired(_)
        ));
        let Err(DomainError::Invalid(fields)) = p
            .create_token(&request("no spaces", TokenScope::Read, Some(0)))
            .await
        else {
            panic!("refused");
        };
        assert!(fields.contains_key("name") && fields.contains_key("expires_in_days"));
        assert!(matches!(
            p.create_token(&request("short", TokenScope::Admin, None))
                .await,
            Err(DomainError::Taken(_))
        ));
    }
}
