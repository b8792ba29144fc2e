import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ConfigSyntaxError,
  findJsonFault,
  fromYamlError,
  lineAndColumn,
  parseJson,
} from '../../src/config/syntax.js';
import { ConfigError } from '../../src/errors.js';

function jsonIsValid(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

test('findJsonFault agrees with JSON.parse on valid JSON', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2), (value, indent) => {
      return findJsonFault(JSON.stringify(value, null, indent)) === undefined;
    }),
  );
});

test('findJsonFault agrees with JSON.parse on damaged JSON', () => {
  const damaged = fc
    .tuple(
      fc.jsonValue(),
      fc.nat(),
      fc.nat(),
      fc.constantFrom('', ',', '}', ']', '"', ':', 'x', '\n', '0'),
    )
    .map(([value, a, b, insert]) => {
      const text = JSON.stringify(value, null, 1);
      const at = a % (text.length + 1);
      return text.slice(0, at) + insert + text.slice(at + (b % 3));
    });
  fc.assert(
    fc.property(
      fc.oneof(damaged, fc.string()),
      (text) => (findJsonFault(text) === undefined) === jsonIsValid(text),
    ),
  );
});

test('findJsonFault says where and why', () => {
  assert.equal(findJsonFault('{"a": 1,}'), {
    offset: 8,
    reason: 'a comma before "}" is not allowed in JSON; remove it',
  });
  assert.equal(findJsonFault('[1, 2,]'), {
    offset: 6,
    reason: 'a comma before "]" is not allowed in JSON; remove it',
  });
  assert.equal(findJsonFault('{"a": }'), { offset: 6, reason: "expected a value, found '}'" });
  assert.equal(findJsonFault('{"a" 1}'), {
    offset: 5,
    reason: `expected ":" after the key, found '1'`,
  });
  assert.equal(findJsonFault('{"a": "x'), {
    offset: 6,
    reason: 'this string has no closing double quote',
  });
  assert.equal(findJsonFault('{"a": 01}'), {
    offset: 6,
    reason: '"01" is not a valid JSON number',
  });
  assert.equal(findJsonFault('{"a": "\\q"}'), {
    offset: 7,
    reason: 'invalid escape "\\q" in a string',
  });
  assert.equal(findJsonFault('{} {}'), {
    offset: 3,
    reason: 'unexpected text after the end of the JSON value',
  });
  assert.equal(findJsonFault('{"a": yes}'), {
    offset: 6,
    reason:
      'unexpected "yes": text needs double quotes, and the only bare words are true, false and null',
  });
  assert.equal(findJsonFault(''), {
    offset: 0,
    reason: 'expected a value, found the end of the file',
  });
});

test('lineAndColumn is 1-based', () => {
  assert.equal(lineAndColumn('abc', 0), { line: 1, column: 1 });
  assert.equal(lineAndColumn('abc\ndef', 5), { line: 2, column: 2 });
  assert.equal(lineAndColumn('a\n\n', 3), { line: 3, column: 1 });
});

test('parseJson: a compact file:LINE:COL: message, once (no code frame)', () => {
  try {
    parseJson('/c/conf.json', '{\n  "retries": 1\n  "log": "/x"\n}\n');
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, ConfigSyntaxError);
    assert.instance(error, ConfigError);
    const syntax = error as ConfigSyntaxError;
    assert.is(syntax.message, `/c/conf.json:3:3: expected "," or "}" after a value, found '"'`);
    assert.equal(syntax.problems, [`3:3: expected "," or "}" after a value, found '"'`]);
    assert.is(syntax.exitCode, 78);
    assert.is(syntax.file, '/c/conf.json');
    assert.is(syntax.line, 3);
    assert.is(syntax.column, 3);
    assert.not.match(syntax.message, '\n');
  }
});

test('parseJson accepts a byte order mark', () => {
  assert.equal(parseJson('/c.json', '\uFEFF{"a": 1}'), { a: 1 });
});

test('fromYamlError converts js-yaml errors, 0-based marks to 1-based', () => {
  const yamlError = Object.assign(new Error('YAML Error in x'), {
    name: 'YAMLException',
    reason: 'bad indentation',
    mark: { line: 2, column: 3 },
  });
  const converted = fromYamlError('/c.yaml', yamlError);
  assert.ok(converted);
  assert.is(converted.message, '/c.yaml:3:4: bad indentation');
  assert.is(fromYamlError('/c.yaml', new Error('other')), undefined);
  assert.is(fromYamlError('/c.yaml', 'a string'), undefined);
});

test.run();
