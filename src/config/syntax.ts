// Syntax errors in config files, reported compactly as `file:LINE:COL: what is wrong` (1-based).
// JSON: V8's JSON.parse messages give no position for some errors ("Unexpected token '}', … is not valid JSON"),
// so after a failed parse a small scanner walks the text to find where, and why, it stops being JSON.
// YAML: js-yaml's errors carry a 0-based mark and a reason.

import { ConfigError } from '../errors.js';

/** A ConfigError whose message is `file:LINE:COL: reason`; `problems` holds `LINE:COL: reason`. */
export class ConfigSyntaxError extends ConfigError {
  readonly line: number;
  readonly column: number;
  constructor(file: string, line: number, column: number, reason: string, hint?: string) {
    super(file, [`${line}:${column}: ${reason}`], hint);
    this.message = `${file}:${line}:${column}: ${reason}`;
    this.line = line;
    this.column = column;
  }
}

class Fault {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

function show(char: string | undefined): string {
  if (char === undefined) return 'the end of the file';
  return char === "'" || char < ' ' ? JSON.stringify(char) : `'${char}'`;
}

/** Where and why `text` is not valid JSON (RFC 8259), or undefined if it is. */
export function findJsonFault(text: string): { offset: number; reason: string } | undefined {
  let at = 0;
  const fail = (reason: string, offset = at): never => {
    throw new Fault(offset, reason);
  };
  const skipSpace = (): void => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };

  const unexpected = (what: string): never => {
    const char = text[at];
    if (char === "'")
      return fail('strings and keys need double quotes (") in JSON, not single quotes');
    if (char === '/' && (text[at + 1] === '/' || text[at + 1] === '*')) {
      return fail('JSON does not allow comments; remove them, or use a YAML file (.yaml) instead');
    }
    return fail(`expected ${what}, found ${show(char)}`);
  };

  const string = (): void => {
    const start = at;
    at++; // the opening quote
    for (;;) {
      const char = text[at];
      if (char === undefined) fail('this string has no closing double quote', start);
      if (char === '"') {
        at++;
        return;
      }
      if (char === '\\') {
        const next = text[at + 1];
        if (next !== undefined && '"\\/bfnrt'.includes(next)) at += 2;
        else if (next === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(at + 2, at + 6))) at += 6;
        else fail(`invalid escape "\\${next ?? ''}" in a string`);
      } else if (char!.charCodeAt(0) < 0x20) {
        fail(
          'a string cannot contain a raw line break or tab; write \\n or \\t, or close the string with "',
        );
      } else at++;
    }
  };

  const number = (): void => {
    const token = /-?[0-9.eE+-]*/y;
    token.lastIndex = at;
    const found = token.exec(text)?.[0] ?? '';
    if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(found))
      fail(`${JSON.stringify(found)} is not a valid JSON number`);
    at += found.length;
  };

  const literal = (): void => {
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return;
      }
    }
    const word = /[A-Za-z_][A-Za-z0-9_]*/y;
    word.lastIndex = at;
    const found = word.exec(text)?.[0];
    if (found === undefined) unexpected('a value');
    fail(
      `unexpected ${JSON.stringify(found)}: text needs double quotes, and the only bare words are true, false and null`,
    );
  };

  const container = (close: '}' | ']'): void => {
    const isObject = close === '}';
    at++; // the opening bracket
    skipSpace();
    if (text[at] === close) {
      at++;
      return;
    }
    for (;;) {
      skipSpace();
      if (isObject) {
        if (text[at] !== '"') unexpected('a key in double quotes');
        string();
        skipSpace();
        if (text[at] !== ':') unexpected('":" after the key');
        at++;
      }
      value();
      skipSpace();
      if (text[at] === close) {
        at++;
        return;
      }
      if (text[at] !== ',') unexpected(`"," or "${close}" after a value`);
      at++;
      skipSpace();
      if (text[at] === close) fail(`a comma before "${close}" is not allowed in JSON; remove it`);
    }
  };

  const value = (): void => {
    skipSpace();
    const char = text[at];
    if (char === '{') container('}');
    else if (char === '[') container(']');
    else if (char === '"') string();
    else if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) number();
    else if (char !== undefined && /[A-Za-z_]/.test(char)) literal();
    else unexpected('a value');
  };

  try {
    value();
    skipSpace();
    if (at < text.length) fail('unexpected text after the end of the JSON value');
    return undefined;
  } catch (error) {
    if (error instanceof Fault) return { offset: error.offset, reason: error.reason };
    return undefined; // e.g. RangeError on absurdly deep nesting: no position then
  }
}

/** 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** JSON.parse that throws a ConfigSyntaxError (or, if the fault cannot be located, a ConfigError). */
export function parseJson(file: string, content: string): unknown {
  const text = content.startsWith('\uFEFF') ? content.slice(1) : content;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const fault = findJsonFault(text);
    if (fault === undefined) {
      throw new ConfigError(file, [
        `is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      ]);
    }
    const { line, column } = lineAndColumn(text, fault.offset);
    throw new ConfigSyntaxError(file, line, column, fault.reason);
  }
}

/** Converts a js-yaml YAMLException into a ConfigSyntaxError; undefined for any other error. */
export function fromYamlError(file: string, error: unknown): ConfigSyntaxError | undefined {
  if (!(error instanceof Error) || error.name !== 'YAMLException') return undefined;
  const { reason, mark } = error as Error & {
    reason?: unknown;
    mark?: { line?: unknown; column?: unknown };
  };
  if (
    typeof reason !== 'string' ||
    typeof mark?.line !== 'number' ||
    typeof mark.column !== 'number'
  )
    return undefined;
  return new ConfigSyntaxError(file, mark.line + 1, mark.column + 1, reason);
}
