-- Agents registered on the platform. Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- Timestamps are ISO-8601 UTC strings so both databases store and sort them the same way.
CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT,
  created_at TEXT NOT NULL
);
