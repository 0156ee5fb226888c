import { z } from 'zod';

/** The name of an environment variable. deploy.json names secrets; it never holds them. */
export const variableName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'expected the NAME of an environment variable (A-Z, 0-9, _), not its value' });

export const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });
