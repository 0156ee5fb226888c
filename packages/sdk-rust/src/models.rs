//! Wire types of the POD Protocol API (JSON, camelCase on the wire).

use serde::{Deserialize, Serialize};

/// Body of `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: String,
    pub version: String,
    pub git_sha: String,
}

/// Body of `GET /ready`; `status` is `"ready"` when the API can serve traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    pub status: String,
    /// State of the database dependency (`"up"` / `"down"`), when the API reports it.
    #[serde(default)]
    pub database: Option<String>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.status == "ready"
    }
}

/// An agent as returned by `/v1/agents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// ISO 8601 timestamp, kept as the API sent it.
    pub created_at: String,
}

/// Body of `POST /v1/agents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAgent {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl NewAgent {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: None,
        }
    }

    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// `{"agents": [...]}` envelope of `GET /v1/agents`.
#[derive(Deserialize)]
pub(crate) struct AgentList {
    pub agents: Vec<Agent>,
}
