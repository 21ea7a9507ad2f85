//! Calling another daemon: typed JSON requests (and one encoded body, the state stream) with the shared secret and a timeout.
//!
//! Errors say what failed so the caller can tell a refused connection (the daemon is down:
//! counts at once) from a timeout (maybe slow: counts as one failed attempt) and from a refusal
//! (the daemon answered, with a status).
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use vigia_proto::endpoint::{Endpoint, Method, JSON};
use vigia_proto::SECRET_HEADER;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("{url}: connection refused or reset: {detail}")]
    Down { url: String, detail: String },
    #[error("{url}: no answer within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("{url}: answered {status}: {body}")]
    Refused { url: String, status: u16, body: String },
    #[error("{url}: unreadable answer: {detail}")]
    Protocol { url: String, detail: String },
}

impl LinkError {
    /// The daemon is certainly not there (as opposed to slow or refusing).
    pub fn is_down(&self) -> bool {
        matches!(self, LinkError::Down { .. })
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            LinkError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A client for one daemon's API.
#[derive(Clone, Debug)]
pub struct Link {
    pub base: String,
    secret: crate::secret::Secrets,
    http: reqwest::Client,
}

/// The process's TLS client settings (its CA, its certificate with mutual TLS), set once when
/// the daemon starts: every link made after uses them for `https://` daemons.
static CLIENT_TLS: std::sync::OnceLock<rustls::ClientConfig> = std::sync::OnceLock::new();

/// Sets the TLS client settings every [`Link`] uses (the first call wins: one daemon per
/// process).
pub fn use_tls(config: rustls::ClientConfig) {
    let _ = CLIENT_TLS.set(config);
}

impl Link {
    /// A link to `base` sending `secret` (a daemon's [`crate::secret::Secrets`], followed as
    /// they rotate, or a fixed one).
    pub fn new(base: impl Into<String>, secret: impl Into<crate::secret::Secrets>) -> Link {
        crate::tls::install_provider();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .pool_idle_timeout(Duration::from_secs(30));
        if let Some(tls) = CLIENT_TLS.get() {
            builder = builder.use_preconfigured_tls(tls.clone());
        }
        let http = builder.build().unwrap_or_else(|e| {
            tracing::error!("cannot set up an HTTP client: {e}");
            reqwest::Client::new()
        });
        Link {
            base: base.into().trim_end_matches('/').to_string(),
            secret: secret.into(),
            http,
        }
    }

    /// Links to `urls`, keeping those of `old` that point to the same place (their pooled
    /// connections: over TLS, no new handshake because an assignment named them again).
    pub fn keep_or_make(old: Vec<Link>, urls: &[String], secret: &crate::secret::Secrets) -> Vec<Link> {
        urls.iter()
            .map(|url| {
                old.iter()
                    .find(|l| l.base == url.trim_end_matches('/'))
                    .cloned()
                    .unwrap_or_else(|| Link::new(url.clone(), secret.clone()))
            })
            .collect()
    }

    /// Calls endpoint `E` with its request (the JSON body of a `POST`, the query string of a
    /// `GET`) and reads its response. For the endpoints whose body is not JSON
    /// ([`vigia_proto::endpoint::Standby`], [`vigia_proto::endpoint::Parts`]), see
    /// [`Link::post_encoded`].
    pub async fn call<E: Endpoint>(&self, request: &E::Request, timeout: Duration) -> Result<E::Response, LinkError>
    where
        E::Request: Serialize,
        E::Response: DeserializeOwned,
    {
        debug_assert_eq!(
            E::CONTENT_TYPE,
            JSON,
            "{}: an encoded body goes through post_encoded",
            E::PATH
        );
        let builder = match E::METHOD {
            Method::Get => self.http.get(self.url(E::PATH)).query(request),
            Method::Post => self.http.post(self.url(E::PATH)).json(request),
        };
        self.send(builder, E::PATH, timeout).await
    }

    pub async fn get<R: DeserializeOwned>(&self, path: &str, timeout: Duration) -> Result<R, LinkError> {
        self.send(self.http.get(self.url(path)), path, timeout).await
    }

    pub async fn post<B: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        timeout: Duration,
    ) -> Result<R, LinkError> {
        self.send(self.http.post(self.url(path)).json(body), path, timeout)
            .await
    }

    /// A body already encoded (`content_type`); the answer in JSON.
    pub async fn post_encoded<R: DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
        timeout: Duration,
    ) -> Result<R, LinkError> {
        let request = self
            .http
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        self.send(request, path, timeout).await
    }

    /// Calls endpoint `E` asking for its answer in `accept`: the answer's content type (the peer
    /// may answer JSON instead) and its bytes.
    pub async fn call_accepting<E: Endpoint>(
        &self,
        request: &E::Request,
        accept: &str,
        timeout: Duration,
    ) -> Result<(Option<String>, bytes::Bytes), LinkError>
    where
        E::Request: Serialize,
    {
        let builder = match E::METHOD {
            Method::Get => self.http.get(self.url(E::PATH)).query(request),
            Method::Post => self.http.post(self.url(E::PATH)).json(request),
        };
        let url = self.url(E::PATH);
        let response = self
            .answer(builder.header(reqwest::header::ACCEPT, accept), &url, timeout)
            .await?;
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = response.bytes().await.map_err(|e| read_error(&url, timeout, e))?;
        Ok((content_type, bytes))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn send<R: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        path: &str,
        timeout: Duration,
    ) -> Result<R, LinkError> {
        let url = self.url(path);
        let response = self.answer(request, &url, timeout).await?;
        response.json::<R>().await.map_err(|e| read_error(&url, timeout, e))
    }

    /// Sends with the secret and the timeout; a status other than 2xx is an error.
    async fn answer(
        &self,
        mut request: reqwest::RequestBuilder,
        url: &str,
        timeout: Duration,
    ) -> Result<reqwest::Response, LinkError> {
        if let Some(secret) = self.secret.sent() {
            request = request.header(SECRET_HEADER, secret);
        }
        let response = request
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| classify(url, timeout, e))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(LinkError::Refused {
                url: url.to_string(),
                status: status.as_u16(),
                body,
            });
        }
        Ok(response)
    }
}

/// Reading an answer's body failed: too slow, or not what was expected.
fn read_error(url: &str, timeout: Duration, e: reqwest::Error) -> LinkError {
    if e.is_timeout() {
        LinkError::Timeout {
            url: url.to_string(),
            timeout,
        }
    } else {
        LinkError::Protocol {
            url: url.to_string(),
            detail: e.to_string(),
        }
    }
}

fn classify(url: &str, timeout: Duration, e: reqwest::Error) -> LinkError {
    if e.is_timeout() {
        LinkError::Timeout {
            url: url.to_string(),
            timeout,
        }
    } else {
        LinkError::Down {
            url: url.to_string(),
            detail: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigia_proto::endpoint;

    #[test]
    fn a_get_without_query_and_with_one() {
        let link = Link::new("http://127.0.0.1:1/", None);
        let plain = link
            .http
            .get(link.url(endpoint::Status::PATH))
            .query(&())
            .build()
            .unwrap();
        assert_eq!(plain.url().as_str(), "http://127.0.0.1:1/v1/status");
        let filter = vigia_proto::StatusFilter {
            host_name: Some("web 1".into()),
        };
        let filtered = link
            .http
            .get(link.url(endpoint::Services::PATH))
            .query(&filter)
            .build()
            .unwrap();
        assert_eq!(
            filtered.url().as_str(),
            "http://127.0.0.1:1/api/v1/services?host_name=web+1"
        );
    }
}
