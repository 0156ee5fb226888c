import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

/** Pure: 1-based line and column of an offset in a text. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

/**
 * Pure: why a text is not strict JSON, with where (`line 4, column 3: PropertyNameExpected`), or
 * undefined when it is. jsonc-parser reports the offset of every kind of error, where the
 * engine's JSON.parse gives a position for some only.
 */
export function jsonProblem(text: string): string | undefined {
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return undefined;
  const { line, column } = lineAndColumn(text, first.offset);
  const words = printParseErrorCode(first.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return `line ${line}, column ${column}: ${words}${first.error === 3 /* PropertyNameExpected */ || first.error === 4 /* ValueExpected */ ? ' (a trailing comma?)' : ''}`;
}
