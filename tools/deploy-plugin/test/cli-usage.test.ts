import { describe, expect, it } from 'vitest';
import { COMMANDS, commandUsage, generalUsage, isCommand, unknownCommand } from '../src/cli/usage.ts';

describe('nx-deploy usage', () => {
  it('lists every command in the general help, and each command has its own', () => {
    for (const c of COMMANDS) {
      expect(generalUsage()).toContain(`\n  ${c} `.replace(/ $/, ''));
      expect(commandUsage(c)).toMatch(new RegExp(`^Usage:\\n {2}${c}\\b`));
      expect(
        commandUsage(c)
          .split('\n')
          .filter((l) => /^ {2}\S/.test(l))
          .every((l) => l.startsWith(`  ${c}`)),
      ).toBe(true);
    }
  });

  it('knows its commands and nothing inherited', () => {
    expect(isCommand('history')).toBe(true);
    expect(isCommand('deploy')).toBe(false);
    expect(isCommand('toString')).toBe(false);
    expect(unknownCommand('deploy')).toBe(`unknown command 'deploy'. The commands are: ${COMMANDS.join(', ')}`);
  });
});
