// The one folder that holds test tools built from source (cargo install), so provisioning installs
// them where test/support looks for them. POD_TEST_TOOLS overrides it. Otherwise /opt/pod-test-tools
// when this user can write there (root, CI), else the user's cache folder: building these tools
// needs no root, so a developer without sudo still gets them.
import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const SHARED_DIR = '/opt/pod-test-tools';

export function testToolsDir(env = process.env) {
  if (env.POD_TEST_TOOLS) return env.POD_TEST_TOOLS;
  return writable(SHARED_DIR) ? SHARED_DIR : join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pod-test-tools');
}

/** The folder itself if it exists, else its parent, where it would be created. */
function writable(dir) {
  try {
    accessSync(existsSync(dir) ? dir : dirname(dir), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
