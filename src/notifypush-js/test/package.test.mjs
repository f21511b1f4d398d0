// The package: the entry and the modules it loads relatively ship together, and the packed tarball installs and
// type-checks in a project of its own.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
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

test('the package has the one version of the server and the .NET client (Directory.Build.props)', () => {
  const props = readFileSync(new URL('../../Directory.Build.props', folder), 'utf8');
  const version = props.match(/<Version>([^<]+)<\/Version>/)?.[1];
  assert.ok(version, 'Directory.Build.props has a <Version>');
  assert.equal(packageJson.version, version);
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

test('npm pack gives a tarball that a fresh project installs, imports and type-checks', { timeout: 120_000 }, () => {
  // The tarball is what a registry would serve; the scratch project knows nothing of this folder.
  const scratch = mkdtempSync(join(tmpdir(), 'notifypush-package-'));
  try {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: fileURLToPath(folder), encoding: 'utf8' }));
    assert.equal(packed.name, 'notifypush');
    assert.equal(packed.version, packageJson.version);
    assert.deepEqual(packed.files.map((file) => file.path).sort(), [...packageJson.files, 'LICENSE', 'package.json'].sort());

    const app = join(scratch, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(scratch, packed.filename)], { cwd: app, encoding: 'utf8' });

    // Imported by its package name, through the exports map, in a separate Node process.
    writeFileSync(join(app, 'main.mjs'), [
      "import { NotifyPushClient, CloseCodes, socketUrl } from 'notifypush';",
      "if (typeof NotifyPushClient !== 'function') throw new Error('no NotifyPushClient');",
      "console.log(JSON.stringify({ slowConsumer: CloseCodes.SlowConsumer, url: socketUrl('wss://notify.example.com/ws', { since: 7 }) }));",
    ].join('\n'));
    const printed = JSON.parse(execFileSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8' }));
    assert.equal(printed.slowConsumer, 4008);
    assert.match(printed.url, /since=7/);

    // A TypeScript application resolves the declarations from the installed package (module nodenext).
    writeFileSync(join(app, 'main.ts'), [
      "import { NotifyPushClient, type Notification } from 'notifypush';",
      "const client = new NotifyPushClient({ url: 'wss://notify.example.com/ws', getToken: async () => 'token' });",
      "client.on('notification', (notification: Notification<{ orderId: number }>) => { const id: number = notification.payload.orderId; void id; });",
      "export { client };",
    ].join('\n'));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, lib: ['es2022', 'dom'], types: [] },
      files: ['main.ts'],
    }));
    const tsc = fileURLToPath(new URL('node_modules/typescript/bin/tsc', folder));
    execFileSync(process.execPath, [tsc, '--project', join(app, 'tsconfig.json')], { cwd: app, encoding: 'utf8' });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
