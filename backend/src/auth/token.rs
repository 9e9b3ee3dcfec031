use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};

/// What a session token carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    /// Bumped on every password change, so older sessions stop working.
    pub pwv: i64,
    /// The CSRF token cookie-authenticated writes must echo in `X-CSRF-Token`.
    pub csrf: String,
}

impl Claims {
    pub fn expires_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.exp, 0).unwrap_or_default()
    }
}

/// HS256 keys derived from `SECRET_KEY`.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], lifetime: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            encoding: EncodingKey::from_secret(secret).context("session signing key")?,
            decoding: DecodingKey::from_secret(secret).context("session verifying key")?,
            lifetime,
        })
    }

    pub fn issue(&self, password_version: i64) -> anyhow::Result<(String, Claims)> {
        let now = Utc::now();
        let claims = Claims {
            sub: "admin".into(),
            iat: now.timestamp(),
            exp: (now + self.lifetime).timestamp(),
            pwv: password_version,
            csrf: Alphanumeric.sample_string(&mut rand::rng(), 32),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .context("signing session token")?;
        Ok((token, claims))
    }

    /// The claims of a valid, unexpired token; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::hours(1)).unwrap();
        let (token, claims) = keys.issue(3).unwrap();
        let back = keys.verify(&token).unwrap();
        assert_eq!(back.pwv, 3);
        assert_eq!(back.csrf, claims.csrf);
        let other =
            TokenKeys::new(b"another-secret-another-secret-xx", Duration::hours(1)).unwrap();
        assert!(other.verify(&token).is_none());
        assert!(keys.verify(&format!("{token}x")).is_none());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let keys =
            TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::seconds(-5)).unwrap();
        let (token, _) = keys.issue(0).unwrap();
        assert!(keys.verify(&token).is_none());
    }
}
