//! The client against a real local HTTP server answering like the POD Protocol API.

mod support;

use pod_protocol_sdk::{Client, Error, NewAgent};
use support::FakeApi;

const AGENT: &str = r#"{"id":"agt_1","name":"scout","description":"finds things","createdAt":"2026-01-02T03:04:05.000Z"}"#;

#[test]
fn health_reads_status_version_and_git_sha() {
    let api = FakeApi::start(|_| {
        (
            200,
            r#"{"status":"ok","version":"0.1.0","gitSha":"abc123"}"#.into(),
        )
    });
    let health = Client::new(&api.base_url).health().unwrap();
    assert_eq!(
        (
            health.status.as_str(),
            health.version.as_str(),
            health.git_sha.as_str()
        ),
        ("ok", "0.1.0", "abc123")
    );
    let seen = api.seen();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("GET", "/health")
    );
    assert_eq!(
        seen[0].authorization, None,
        "no token configured, none sent"
    );
}

#[test]
fn ready_tells_ready_from_not_ready() {
    let api = FakeApi::start(|_| (200, r#"{"status":"ready","database":"up"}"#.into()));
    let ready = Client::new(&api.base_url).ready().unwrap();
    assert!(ready.is_ready());
    assert_eq!(ready.database.as_deref(), Some("up"));

    let api = FakeApi::start(|_| (503, r#"{"status":"not_ready","database":"down"}"#.into()));
    let ready = Client::new(&api.base_url).ready().unwrap();
    assert!(!ready.is_ready());
    assert_eq!(ready.database.as_deref(), Some("down"));

    let api = FakeApi::start(|_| (503, "upstream unavailable".into()));
    let err = Client::new(&api.base_url).ready().unwrap_err();
    assert_eq!(err.status(), Some(503));
}

#[test]
fn list_agents_sends_the_bearer_token() {
    let api = FakeApi::start(|_| {
        (
            200,
            format!(
                r#"{{"agents":[{AGENT},{{"id":"agt_2","name":"bare","createdAt":"2026-01-01T00:00:00Z"}}]}}"#
            ),
        )
    });
    let agents = Client::new(format!("{}/", api.base_url))
        .with_token("tok_read")
        .list_agents()
        .unwrap();
    assert_eq!(agents.len(), 2);
    assert_eq!(agents[0].created_at, "2026-01-02T03:04:05.000Z");
    assert_eq!(agents[1].description, None);
    let seen = api.seen();
    assert_eq!(seen[0].path, "/v1/agents");
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer tok_read"));
}

#[test]
fn create_agent_posts_json_and_returns_the_agent() {
    let api = FakeApi::start(|_| (201, AGENT.into()));
    let client = Client::new(&api.base_url).with_token("tok_write");
    let agent = client
        .create_agent(&NewAgent::new("scout").with_description("finds things"))
        .unwrap();
    assert_eq!(agent.id, "agt_1");
    client.create_agent(&NewAgent::new("bare")).unwrap();

    let seen = api.seen();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", "/v1/agents")
    );
    assert_eq!(seen[0].content_type.as_deref(), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"name":"scout","description":"finds things"})
    );
    assert_eq!(
        seen[1].body, r#"{"name":"bare"}"#,
        "absent description is omitted, not null"
    );
}

#[test]
fn get_agent_encodes_the_id_and_maps_404() {
    let api = FakeApi::start(|req| match req.path.as_str() {
        "/v1/agents/agt_1" => (200, AGENT.into()),
        _ => (
            404,
            r#"{"error":"not_found","message":"agent does not exist"}"#.into(),
        ),
    });
    let client = Client::new(&api.base_url).with_token("t");
    assert_eq!(client.get_agent("agt_1").unwrap().name, "scout");

    let err = client.get_agent("../health").unwrap_err();
    assert_eq!(
        err,
        Error::Http {
            status: 404,
            code: "not_found".into(),
            message: "agent does not exist".into()
        }
    );
    assert_eq!(api.seen()[1].path, "/v1/agents/..%2Fhealth");
}

#[test]
fn api_errors_become_readable_http_errors() {
    let api = FakeApi::start(|req| {
        match req.authorization.as_deref() {
        None => (401, r#"{"error":"unauthorized"}"#.into()),
        Some("Bearer reader") => (403, r#"{"error":"forbidden","requiredScope":"agents:write"}"#.into()),
        Some("Bearer busy") => (429, r#"{"statusCode":429,"error":"Too Many Requests","message":"Rate limit exceeded, retry in 1 minute"}"#.into()),
        _ => (400, r#"{"statusCode":400,"code":"FST_ERR_VALIDATION","error":"Bad Request","message":"body must have required property 'name'"}"#.into()),
    }
    });
    let new = NewAgent::new("x");

    let err = Client::new(&api.base_url).list_agents().unwrap_err();
    assert!(matches!(&err, Error::Http { status: 401, code, .. } if code == "unauthorized"));
    assert_eq!(err.to_string(), "POD API answered 401 unauthorized: missing or invalid bearer token (pass a valid token with Client::with_token)");

    let err = Client::new(&api.base_url)
        .with_token("reader")
        .create_agent(&new)
        .unwrap_err();
    assert!(matches!(&err, Error::Http { status: 403, code, .. } if code == "forbidden"));
    assert!(
        err.to_string().contains("lacks the `agents:write` scope"),
        "{err}"
    );

    let err = Client::new(&api.base_url)
        .with_token("busy")
        .list_agents()
        .unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert!(err.to_string().contains("retry in 1 minute"), "{err}");

    let err = Client::new(&api.base_url)
        .with_token("other")
        .create_agent(&new)
        .unwrap_err();
    assert_eq!(
        err,
        Error::Http {
            status: 400,
            code: "Bad Request".into(),
            message: "body must have required property 'name'".into()
        }
    );
}

#[test]
fn unexpected_bodies_are_decode_errors() {
    let api = FakeApi::start(|_| (200, r#"{"agents":"nope"}"#.into()));
    let err = Client::new(&api.base_url).list_agents().unwrap_err();
    assert!(
        matches!(&err, Error::Decode { url, .. } if url.ends_with("/v1/agents")),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("unexpected response from the POD API at http://127.0.0.1:"),
        "{err}"
    );
}

#[test]
fn unreachable_api_is_a_transport_error() {
    // Bind then drop: the port was free a moment ago and nothing listens on it now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Client::new(format!("http://127.0.0.1:{port}"))
        .health()
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(&format!(
            "could not reach the POD API at http://127.0.0.1:{port}/health"
        )),
        "{err}"
    );
}

#[cfg(not(feature = "tls"))]
#[test]
fn https_without_the_tls_feature_says_how_to_fix_it() {
    let err = Client::new("https://127.0.0.1:9").health().unwrap_err();
    assert!(err.to_string().contains("`tls` feature"), "{err}");
}
