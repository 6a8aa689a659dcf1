import { InvalidScopeError } from '../lib/errors';
import { parseScope, resolveScope } from '../lib/scope';

/** RFC 6749 §3.3: scope = scope-token *( SP scope-token ); scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
describe('scope parsing (RFC 6749 §3.3)', () => {
  test('every character of the scope-token alphabet is accepted', () => {
    const edges = ['!', '#', '[', ']', '~', 'urn:example:read', 'https://api.example/write'];
    expect(parseScope(edges.join(' '))).toEqual(edges);
  });

  test.each([
    ['a double quote (%x22)', 'read "write"'],
    ['a backslash (%x5C)', 'read wr\\ite'],
    ['a control character', 'read\x7f'],
    ['a non-ASCII character', 'lecture écriture'],
    ['a tab as separator', 'read\twrite'],
    ['two spaces', 'read  write'],
    ['a leading space', ' read'],
    ['a trailing space', 'read '],
    ['an empty value', ''],
  ])('%s is invalid_scope', (_name, value) => {
    expect(() => parseScope(value)).toThrow(InvalidScopeError);
  });

  test('order and repetition do not matter: a repeated token is folded', () => {
    expect(parseScope('write read write')).toEqual(['write', 'read']);
  });

  test('a requested scope must be within the allowed one; none requested gives the allowed one', () => {
    expect(resolveScope(undefined, ['read', 'write'])).toEqual(['read', 'write']);
    expect(resolveScope('write', ['read', 'write'])).toEqual(['write']);
    expect(() => resolveScope('read admin', ['read', 'write'])).toThrow(InvalidScopeError);
    // Scope tokens are case-sensitive.
    expect(() => resolveScope('READ', ['read', 'write'])).toThrow(InvalidScopeError);
  });
});
