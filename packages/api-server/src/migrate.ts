#!/usr/bin/env node
// Migration CLI: `node dist/migrate.js up|pending|status`. Exit codes: 0 ok, 1 a migration
// failed, 2 cannot connect to the database, 64 bad usage or missing migrations folder.
import './quiet-warnings.js';
import { runMigrateCli } from './migrate-cli.js';

const io = { out: (line: string) => console.log(line), err: (line: string) => console.error(line) };
process.exitCode = await runMigrateCli(process.argv.slice(2), process.env, io);
