//! The blocking API client.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::models::{Agent, AgentList, Health, NewAgent, Readiness};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Client for one POD Protocol API base URL. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct Client {
    base_url: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Client {
    // Hand-written so the bearer token never ends up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Client {
    /// `base_url` is the API root, e.g. `http://127.0.0.1:3000` (a trailing `/` is ignored).
    pub fn new(base_url: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Self {
            base_url,
            token: None,
            agent: build_agent(DEFAULT_TIMEOUT),
        }
    }

    /// Bearer token sent on every request (`/v1/*` routes require one).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Limit for a whole call (connect, send, receive); 30 s by default.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.agent = build_agent(timeout);
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `GET /health`: liveness and build information.
    pub fn health(&self) -> Result<Health, Error> {
        self.request("GET", "/health", None)
    }

    /// `GET /ready`. A 503 whose body still describes readiness comes back as `Ok`
    /// with [`Readiness::is_ready`] false, so probes can tell "not ready" from "unreachable".
    pub fn ready(&self) -> Result<Readiness, Error> {
        let (url, status, body) = self.exchange("GET", "/ready", None)?;
        match status {
            200..=299 => decode(&url, &body),
            503 => serde_json::from_str(&body).map_err(|_| Error::from_response(status, &body)),
            _ => Err(Error::from_response(status, &body)),
        }
    }

    /// `GET /v1/agents` (scope `agents:read`).
    pub fn list_agents(&self) -> Result<Vec<Agent>, Error> {
        let list: AgentList = self.request("GET", "/v1/agents", None)?;
        Ok(list.agents)
    }

    /// `POST /v1/agents` (scope `agents:write`); returns the created agent.
    pub fn create_agent(&self, agent: &NewAgent) -> Result<Agent, Error> {
        let body = serde_json::to_string(agent).map_err(|e| Error::Decode {
            url: self.url("/v1/agents"),
            message: format!("could not encode the new agent as JSON: {e}"),
        })?;
        self.request("POST", "/v1/agents", Some(body))
    }

    /// `GET /v1/agents/:id` (scope `agents:read`); a missing agent is `Error::Http { status: 404, .. }`.
    pub fn get_agent(&self, id: &str) -> Result<Agent, Error> {
        self.request(
            "GET",
            &format!("/v1/agents/{}", encode_path_segment(id)),
            None,
        )
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// One call that must answer 2xx with a JSON body of type `T`.
    fn request<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<T, Error> {
        let (url, status, text) = self.exchange(method, path, body)?;
        if !(200..300).contains(&status) {
            return Err(Error::from_response(status, &text));
        }
        decode(&url, &text)
    }

    /// Sends the request and reads the whole body, whatever the status.
    fn exchange(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<(String, u16, String), Error> {
        let url = self.url(path);
        if url.starts_with("https://") && !cfg!(feature = "tls") {
            // Fail before connecting: otherwise the real cause hides behind a later, vaguer error.
            return Err(Error::Transport {
                url,
                message: "https needs the `tls` feature of pod-protocol-sdk (features = [\"tls\"])"
                    .into(),
            });
        }
        let transport = |e: ureq::Error| Error::Transport {
            url: url.clone(),
            message: e.to_string(),
        };
        let auth = self.token.as_ref().map(|t| format!("Bearer {t}"));

        let response = match (method, body) {
            ("POST", Some(body)) => {
                let mut req = self
                    .agent
                    .post(&url)
                    .header("content-type", "application/json");
                if let Some(auth) = &auth {
                    req = req.header("authorization", auth);
                }
                req.send(body.as_str())
            }
            _ => {
                let mut req = self.agent.get(&url);
                if let Some(auth) = &auth {
                    req = req.header("authorization", auth);
                }
                req.call()
            }
        };
        let mut response = response.map_err(transport)?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().map_err(transport)?;
        Ok((url, status, text))
    }
}

fn build_agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        // Error statuses carry the API's JSON explanation; we read it ourselves.
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .user_agent(concat!("pod-protocol-sdk-rust/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

fn decode<T: DeserializeOwned>(url: &str, body: &str) -> Result<T, Error> {
    serde_json::from_str(body).map_err(|e| Error::Decode {
        url: url.to_owned(),
        message: e.to_string(),
    })
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so an id cannot change the path.
fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode_path_segment("agt_01-x.y~z"), "agt_01-x.y~z");
        assert_eq!(encode_path_segment("../admin?x=1"), "..%2Fadmin%3Fx%3D1");
        assert_eq!(encode_path_segment("é"), "%C3%A9");
    }

    #[test]
    fn trailing_slash_is_dropped_and_token_is_redacted() {
        let client = Client::new("http://example.test/").with_token("s3cret");
        assert_eq!(client.base_url(), "http://example.test");
        assert!(!format!("{client:?}").contains("s3cret"));
    }
}
