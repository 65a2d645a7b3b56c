import { type ParseError, parse, printParseErrorCode } from 'jsonc-parser';
import { caret, type FieldError } from './problem.ts';

/**
 * Where a JSON text stops being JSON, for the 400 of the API and the exit 2 of the CLI. JSON.parse
 * says it inconsistently (Node 20: a position for some errors, none for others), so on failure the
 * text is scanned again by jsonc-parser (VS Code's, strict mode: no comments, no trailing commas),
 * which reports an offset for every error. Only the failure path pays for it.
 */

/** Keyed by jsonc-parser's error names (its codes are a const enum, out of reach of plain imports). */
const WORDS: Record<string, string> = {
  ValueExpected: 'expected a value',
  PropertyNameExpected: 'expected a field name in double quotes (or a trailing comma)',
  CommaExpected: "expected ','",
  ColonExpected: "expected ':'",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: 'unexpected text after the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'malformed number',
  InvalidEscapeCharacter: 'invalid escape in a string',
  InvalidCharacter: 'invalid character in a string',
};

/** 1-based line and column of a 0-based offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text.charCodeAt(k) === 10) {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The first syntax error of `text` as a field error (path '' = the body), or null when it is JSON. */
export function jsonSyntaxError(text: string): FieldError | null {
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first === undefined) return null;
  const name = printParseErrorCode(first.error);
  const what =
    name === 'InvalidSymbol' || name === 'InvalidNumberFormat'
      ? `unexpected '${text.slice(first.offset, first.offset + Math.min(first.length, 20))}'`
      : (WORDS[name] ?? name);
  const { line, column } = lineAndColumn(text, first.offset);
  return {
    path: '',
    message: `invalid JSON at line ${line}, column ${column} (offset ${first.offset}): ${what}`,
    ...caret(text, first.offset),
  };
}
