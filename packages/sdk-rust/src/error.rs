//! Errors of the client, worded for the person reading them.

use std::fmt;

/// Everything a call can fail with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The API answered with a non-success status.
    /// `code` is the API's `error` field (e.g. `unauthorized`, `forbidden`) or `http_<status>`
    /// when the body had none; `message` explains it (includes the missing scope for 403).
    Http {
        status: u16,
        code: String,
        message: String,
    },
    /// No usable HTTP exchange: connection refused, DNS, timeout, https without the `tls` feature...
    Transport { url: String, message: String },
    /// The API answered 2xx but the body was not the JSON this client expects.
    Decode { url: String, message: String },
}

impl Error {
    /// HTTP status for `Http` errors, `None` otherwise.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Builds an `Http` error from a status and the (JSON or not) error body.
    pub(crate) fn from_response(status: u16, body: &str) -> Self {
        let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
        let field = |name: &str| {
            json.as_ref()
                .and_then(|v| v.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let code = field("error").unwrap_or_else(|| format!("http_{status}"));
        let message = match (status, field("requiredScope"), field("message")) {
            (403, Some(scope), _) => format!("the token lacks the `{scope}` scope"),
            (_, _, Some(message)) => message,
            _ => default_message(status, body),
        };
        Error::Http {
            status,
            code,
            message,
        }
    }
}

fn default_message(status: u16, body: &str) -> String {
    match status {
        401 => "missing or invalid bearer token".to_owned(),
        403 => "the token is not allowed to do this".to_owned(),
        404 => "not found".to_owned(),
        429 => "rate limited".to_owned(),
        _ if body.trim().is_empty() => "no details in the response body".to_owned(),
        // Non-JSON bodies (proxies, HTML error pages) are shown trimmed so the error stays one line.
        _ => body.trim().chars().take(200).collect(),
    }
}

fn hint(status: u16) -> &'static str {
    match status {
        401 => " (pass a valid token with Client::with_token)",
        403 => " (use a token that has the required scope)",
        429 => " (slow down and retry later)",
        _ => "",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Http {
                status,
                code,
                message,
            } => write!(
                f,
                "POD API answered {status} {code}: {message}{}",
                hint(*status)
            ),
            Error::Transport { url, message } => {
                write!(f, "could not reach the POD API at {url}: {message}")
            }
            Error::Decode { url, message } => {
                write!(
                    f,
                    "unexpected response from the POD API at {url}: {message}"
                )
            }
        }
    }
}

impl std::error::Error for Error {}
