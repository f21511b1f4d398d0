// The package: the entry and the modules it loads relatively ship together.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as entry from '../notifypush.js';

const folder = new URL('../', import.meta.url);
const packageJson = JSON.parse(readFileSync(new URL('package.json', folder), 'utf8'));

test('package.json files lists every module beside notifypush.js, and its types', () => {
  const modules = readdirSync(folder).filter((file) => file.endsWith('.js')).sort();
  assert.ok(modules.includes('notifypush.js'));
  assert.ok(modules.length > 1, 'notifypush.js loads its modules relatively');
  assert.deepEqual(packageJson.files.filter((file) => file.endsWith('.js')).sort(), modules);
  assert.ok(packageJson.files.includes('notifypush.d.ts'));
});

test('the package entry is notifypush.js with notifypush.d.ts', () => {
  assert.deepEqual(packageJson.exports['.'], { types: './notifypush.d.ts', default: './notifypush.js' });
});

test('notifypush.js exports exactly the values notifypush.d.ts declares', () => {
  // Their types are held to the declarations by `npm run typecheck`; the names, which it cannot see, are held here.
  const declarations = readFileSync(new URL('notifypush.d.ts', folder), 'utf8');
  const declared = [...declarations.matchAll(/^export declare (?:const|function|class) (\w+)/gm)].map(([, name]) => name);
  assert.deepEqual(Object.keys(entry).sort(), declared.sort());
});
