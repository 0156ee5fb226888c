//! `cargo run --example probe -- http://127.0.0.1:3000 [token]`: prints health, readiness and agents.
fn main() {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let mut client = pod_protocol_sdk::Client::new(base);
    if let Some(token) = args.next() {
        client = client.with_token(token);
    }
    let report = |label: &str, result: Result<String, pod_protocol_sdk::Error>| match result {
        Ok(text) => println!("{label}: {text}"),
        Err(err) => println!("{label}: error: {err}"),
    };
    report("health", client.health().map(|h| format!("{h:?}")));
    report("ready", client.ready().map(|r| format!("{r:?}")));
    report("agents", client.list_agents().map(|a| format!("{a:?}")));
}
