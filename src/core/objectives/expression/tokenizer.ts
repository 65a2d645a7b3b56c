/**
 * Tokenizer for expression objectives: one pass over the text, no regular expressions (so no
 * backtracking on hostile input), one token at a time so the first error reported is the
 * leftmost one.
 *
 * Tokens: numbers (`12`, `1.5`, `.5`, `1.`, `1e-3`, `2.5E+4`), identifiers
 * (`[A-Za-z_][A-Za-z0-9_]*`), the operators `+ - * / ^`, `(`, `)` and `,`. Whitespace is
 * space, tab, CR and LF. Any other character is an error: there is no `.` member access,
 * no `[`, no `=`, no `;`, no quotes or backticks.
 */

export type TokenKind = 'number' | 'identifier' | 'operator' | '(' | ')' | ',' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** The source text of the token ('' for `end`). */
  readonly text: string;
  /** 0-based character offset of the token's first character. */
  readonly position: number;
  /** The numeric value of a `number` token (NaN otherwise). */
  readonly value: number;
}

/**
 * A syntax error: the message is `<what> at <position>`, then ` (<hint>)` when the likely intent is
 * known (`x**2`, `100(y - x)`: the notations of other languages).
 */
export class SyntaxFailure extends Error {
  constructor(
    message: string,
    readonly position: number,
    hint?: string,
  ) {
    super(`${message} at ${position}${hint === undefined ? '' : ` (${hint})`}`);
    this.name = 'SyntaxFailure';
  }
}

/** The hint of a product written without its `*` (`100(`, `2x`). */
export function missingTimesHint(left: string, right: string): string {
  return `missing '*'? write ${left}*${right} to multiply`;
}

const CODE_0 = 48;
const CODE_9 = 57;

function isDigit(code: number): boolean {
  return code >= CODE_0 && code <= CODE_9;
}

function isIdentifierStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isIdentifierPart(code: number): boolean {
  return isIdentifierStart(code) || isDigit(code);
}

function isWhitespace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

/** Shows a character in a message: printable ASCII as itself, anything else as `U+XXXX`. */
export function describeCharacter(text: string, position: number): string {
  const code = text.codePointAt(position) ?? 0;
  if (code >= 0x20 && code <= 0x7e) return `'${String.fromCharCode(code)}'`;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

export class Tokenizer {
  private offset = 0;

  constructor(private readonly text: string) {}

  /** The next token; throws {@link SyntaxFailure} on a character outside the grammar. */
  next(): Token {
    const text = this.text;
    while (this.offset < text.length && isWhitespace(text.charCodeAt(this.offset))) this.offset++;
    const start = this.offset;
    if (start >= text.length) return { kind: 'end', text: '', position: start, value: Number.NaN };
    const code = text.charCodeAt(start);
    if (isDigit(code) || (code === 46 && isDigit(text.charCodeAt(start + 1)))) return this.number(start);
    if (isIdentifierStart(code)) {
      let end = start + 1;
      while (end < text.length && isIdentifierPart(text.charCodeAt(end))) end++;
      this.offset = end;
      return { kind: 'identifier', text: text.slice(start, end), position: start, value: Number.NaN };
    }
    const char = text[start]!;
    this.offset = start + 1;
    switch (char) {
      case '+':
      case '-':
      case '*':
      case '/':
      case '^':
        return { kind: 'operator', text: char, position: start, value: Number.NaN };
      case '(':
      case ')':
      case ',':
        return { kind: char, text: char, position: start, value: Number.NaN };
      default:
        throw new SyntaxFailure(`unexpected character ${describeCharacter(text, start)}`, start);
    }
  }

  /** digits [. digits] [(e|E) [+|-] digits], or . digits [exponent]. */
  private number(start: number): Token {
    const text = this.text;
    let end = start;
    while (isDigit(text.charCodeAt(end))) end++;
    if (text.charCodeAt(end) === 46) {
      end++;
      while (isDigit(text.charCodeAt(end))) end++;
    }
    const exponentMark = text.charCodeAt(end);
    if (exponentMark === 101 || exponentMark === 69) {
      let exponentEnd = end + 1;
      const sign = text.charCodeAt(exponentEnd);
      if (sign === 43 || sign === 45) exponentEnd++;
      if (!isDigit(text.charCodeAt(exponentEnd))) {
        throw new SyntaxFailure(`malformed number '${text.slice(start, exponentEnd)}'`, start);
      }
      while (isDigit(text.charCodeAt(exponentEnd))) exponentEnd++;
      end = exponentEnd;
    }
    // `2x`, `1.5.5`, `3e2e1`: a number runs straight into something that cannot follow it.
    const following = text.charCodeAt(end);
    if (isIdentifierPart(following) || following === 46) {
      let tokenEnd = end + 1;
      while (
        tokenEnd < text.length &&
        (isIdentifierPart(text.charCodeAt(tokenEnd)) || text.charCodeAt(tokenEnd) === 46)
      )
        tokenEnd++;
      // `2x`, `3.5y`: a number then a name reads as a product written without its `*`.
      const hint = isIdentifierStart(following)
        ? missingTimesHint(text.slice(start, end), text.slice(end, Math.min(tokenEnd, end + 40)))
        : undefined;
      throw new SyntaxFailure(
        `malformed number '${text.slice(start, Math.min(tokenEnd, start + 40))}'`,
        start,
        hint,
      );
    }
    const source = text.slice(start, end);
    const value = Number(source);
    if (!Number.isFinite(value))
      throw new SyntaxFailure(`number out of range '${source.slice(0, 40)}'`, start);
    this.offset = end;
    return { kind: 'number', text: source, position: start, value };
  }
}
