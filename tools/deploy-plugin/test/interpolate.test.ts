import { describe, expect, it } from 'vitest';
import { interpolate } from '../src/core/interpolate.ts';

describe('interpolate', () => {
  it('fills ${NAME} from the environment', () => {
    expect(interpolate('Bearer ${TOKEN}', { TOKEN: 'x1' }, 'header')).toBe('Bearer x1');
    expect(interpolate('${A}=${B_2:-two}', { A: 'one' }, 'x')).toBe('one=two');
  });

  it('names the missing variable and where it was used', () => {
    expect(() => interpolate('Bearer ${TOKEN}', {}, "smoke check 'auth' header")).toThrow(
      "smoke check 'auth' header uses ${TOKEN}, but the environment variable TOKEN is not set",
    );
  });

  it('keeps references in plan mode', () => {
    expect(interpolate('Bearer ${TOKEN}', {}, 'x', true)).toBe('Bearer ${TOKEN}');
  });
});
