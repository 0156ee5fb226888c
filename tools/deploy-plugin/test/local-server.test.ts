import { describe, expect, it } from 'vitest';
import { sameServer } from '../src/cdn/local-server.ts';

describe("an fs site's static server, recognised across checkouts", () => {
  const argv = ['/w2/node_modules/node/bin/node', '/w2/tools/deploy-plugin/src/cdn/serve.ts', '/state/sites/staging/frontend', '127.0.0.1', '4200'];

  it('is the same server when it serves the same folder on the same address, whichever Node and checkout started it', () => {
    expect(sameServer(argv, argv)).toBe(true);
    expect(sameServer(['/usr/bin/node', '/w1/node_modules/@pod/nx-deploy/dist/cdn/serve.js', ...argv.slice(2)], argv)).toBe(true);
  });

  it('is another program when the script, the folder, the address or the port differ', () => {
    expect(sameServer(undefined, argv)).toBe(false);
    expect(sameServer([argv[0]!, '/w/other.js', ...argv.slice(2)], argv)).toBe(false);
    expect(sameServer([...argv.slice(0, 2), '/state/sites/staging/admin', '127.0.0.1', '4200'], argv)).toBe(false);
    expect(sameServer([...argv.slice(0, 4), '4201'], argv)).toBe(false);
    expect(sameServer(argv.slice(0, 4), argv)).toBe(false);
  });
});
