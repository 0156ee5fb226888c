//! Blocking client for the POD Protocol HTTP API.
//!
//! ```no_run
//! use pod_protocol_sdk::{Client, NewAgent};
//!
//! let client = Client::new("http://127.0.0.1:3000").with_token("pod_secret_token");
//! println!("API {}", client.health()?.version);
//! let agent = client.create_agent(&NewAgent::new("scout").with_description("finds things"))?;
//! assert_eq!(client.get_agent(&agent.id)?.name, "scout");
//! # Ok::<(), pod_protocol_sdk::Error>(())
//! ```
//!
//! Plain `http://` works out of the box; enable the `tls` feature for `https://` base URLs.

mod client;
mod error;
mod models;

pub use client::Client;
pub use error::Error;
pub use models::{Agent, Health, NewAgent, Readiness};
