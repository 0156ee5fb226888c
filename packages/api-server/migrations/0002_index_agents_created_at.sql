-- GET /v1/agents lists agents in creation order.
CREATE INDEX agents_created_at_idx ON agents (created_at, id);
