/**
 * The permissions table (permissions.ts) and what is said of it: accessOf
 * gives each principal the widest access its roles grant, and the contract's
 * table (docs/api-contract.md, "Who may do what") lists every operation with
 * exactly the roles the routes enforce. Pure: no infrastructure.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT_DIR } from '../lib/config';
import { accessOf, describeRoles, OPERATION_IDS } from './permissions';
import type { Principal, Role } from './principal';

const principal = (...roles: Role[]): Principal => ({ id: 'p', roles, development: false });

describe('accessOf', () => {
  it('when a principal holds no granting role, then null; an own-only role alone, own; any other granting role, all', () => {
    expect(accessOf(principal('auditor'), 'createTransfer')).toBeNull();
    expect(accessOf(principal('approver'), 'getAccount')).toBeNull();
    expect(accessOf(principal('submitter'), 'getTransfer')).toBe('own');
    expect(accessOf(principal('approver'), 'getTransfer')).toBe('all');
    expect(accessOf(principal('submitter', 'auditor'), 'getTransfer')).toBe('all');
    expect(accessOf(principal('submitter'), 'createTransfer')).toBe('all');
  });
});

describe('the contract says what the table says', () => {
  it('when docs/api-contract.md is read, then its roles table has one row per operation, with the table roles', () => {
    const text = readFileSync(path.join(ROOT_DIR, 'docs', 'api-contract.md'), 'utf8');
    const rows = new Map([...text.matchAll(/^> \| `[A-Z]+ [^`]+` \((\w+)\) \| ([^|]+) \|$/gm)].map(([, operation = '', roles = '']) => [operation, roles.trim()]));

    expect([...rows.keys()].sort()).toEqual([...OPERATION_IDS].sort());
    for (const id of OPERATION_IDS) expect(`${id}: ${rows.get(id)}`).toBe(`${id}: ${describeRoles(id).replace(/ \(own only\)/g, ' (own)')}`);
  });
});
