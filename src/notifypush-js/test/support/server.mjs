// A real NotifyPush server as a child process (`dotnet NotifyPush.Server.dll`), configured by environment
// variables the way a deployment is: Development (so POST /dev/token and the API key dev-api-key work), its own
// SQLite file, short timers. The tests never mock the server.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.mjs';

export const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const serverDirectory = join(repositoryRoot, 'src/NotifyPush.Server/bin/Release/net10.0');
const serverDll = join(serverDirectory, 'NotifyPush.Server.dll');
const START_TIMEOUT_MS = 90_000;
const EXIT_TIMEOUT_MS = 30_000;
const API_KEY = 'dev-api-key';

/** Settings every test server gets; a test overrides or adds with `settings` (keys with ':' or '__'). */
const defaults = {
  'NotifyPush:Store:Provider': 'Sqlite',
  'NotifyPush:Backplane:Provider': 'InProcess',
  'NotifyPush:Connections:HeartbeatSeconds': '1',
  'NotifyPush:Connections:HeartbeatTimeoutSeconds': '5',
  'NotifyPush:Connections:TokenExpiryWarningSeconds': '2',
  // No clock skew: a socket's credential then ends at the token's exp itself, which the short-lived tokens of the
  // refresh tests count on (the default 30 s skew would keep it 30 s longer).
  'NotifyPush:Auth:Jwt:ClockSkewSeconds': '0',
  'NotifyPush:Connections:DrainSeconds': '0',
  'NotifyPush:Connections:CloseTimeoutSeconds': '2',
  'NotifyPush:Delivery:AckFlushIntervalMilliseconds': '50',
  'NotifyPush:Api:RateLimitPerSecond': '0',
  // The "Now listening on" line is how the helper learns the port; everything else only when it matters.
  'Logging:LogLevel:Default': 'Warning',
  'Logging:LogLevel:Microsoft.Hosting.Lifetime': 'Information',
};

const running = new Set();
// Should a test file end without disposing a server (an assertion thrown past `after`), none is left behind.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

let building;

/** Builds the server once when its Release build is missing (a fresh clone running only these tests). */
export function ensureServerBuilt() {
  building ??= (async () => {
    if (existsSync(serverDll)) return;
    // Test files run in separate processes: one builds, the others wait for its lock.
    const lock = join(tmpdir(), `notifypush-js-build-${Buffer.from(repositoryRoot).toString('hex').slice(-40)}.lock`);
    await waitFor(() => {
      try {
        mkdirSync(lock);
        return true;
      } catch {
        return existsSync(serverDll);
      }
    }, { timeoutMs: 600_000, intervalMs: 500, message: 'waiting for another test process to build the server' });
    try {
      if (existsSync(serverDll)) return;
      const build = spawnSync('dotnet', ['build', 'src/NotifyPush.Server', '-c', 'Release', '-nologo'], {
        cwd: repositoryRoot,
        encoding: 'utf8',
        timeout: 600_000,
      });
      if (build.status !== 0) throw new Error(`dotnet build failed (${build.status}):\n${build.stdout}\n${build.stderr}`);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  })();
  return building;
}

/** A running server. Create with `NotifyPushServer.start()`; `dispose()` kills it and deletes its data. */
export class NotifyPushServer {
  #child;
  #output = '';
  #ownsData;

  constructor(child, ownsData, dataDirectory) {
    this.#child = child;
    this.#ownsData = ownsData;
    this.dataDirectory = dataDirectory;
    /** @type {number} */
    this.port = 0;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const append = (chunk) => {
      this.#output += chunk;
    };
    child.stdout.setEncoding('utf8').on('data', append);
    child.stderr.setEncoding('utf8').on('data', append);
  }

  /**
   * Starts a server and resolves once it listens.
   * @param {{settings?: Record<string, string>, port?: number, dataDirectory?: string}} [options]
   *   `port` 0 picks a free one; `dataDirectory` reuses another server's SQLite file (a restart).
   */
  static async start({ settings = {}, port = 0, dataDirectory } = {}) {
    await ensureServerBuilt();
    const ownsData = !dataDirectory;
    dataDirectory ??= mkdtempSync(join(tmpdir(), 'notifypush-js-test-'));
    const env = { ...process.env, ASPNETCORE_ENVIRONMENT: 'Development', DOTNET_ENVIRONMENT: 'Development' };
    delete env.ASPNETCORE_URLS;
    const all = {
      ...defaults,
      'NotifyPush:Store:ConnectionString': `Data Source=${join(dataDirectory, 'notifypush.db')}`,
      ...settings,
    };
    for (const [key, value] of Object.entries(all)) env[key.replaceAll(':', '__')] = value;

    const child = spawn('dotnet', [serverDll, '--urls', `http://127.0.0.1:${port}`], {
      cwd: serverDirectory,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const server = new NotifyPushServer(child, ownsData, dataDirectory);
    let exited = false;
    server.exited.then(() => {
      exited = true;
    });
    try {
      await waitFor(() => {
        if (exited) throw new Error('the server exited before it listened');
        const match = /Now listening on: http:\/\/127\.0\.0\.1:(\d+)/.exec(server.#output);
        if (match) server.port = Number(match[1]);
        return server.port !== 0;
      }, { timeoutMs: START_TIMEOUT_MS, message: 'the server to listen' });
    } catch (error) {
      await server.dispose();
      throw new Error(`${error.message}\n--- server output ---\n${server.output}`);
    }
    return server;
  }

  get baseUrl() {
    return `http://127.0.0.1:${this.port}`;
  }

  get socketUrl() {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** What the server wrote to stdout and stderr so far. */
  get output() {
    return this.#output;
  }

  /** Resolves once the output matches `pattern`. */
  waitForOutput(pattern, timeoutMs = 30_000) {
    return waitFor(() => pattern.test(this.#output), { timeoutMs, message: `server output matching ${pattern}` });
  }

  /** Sends SIGTERM (a graceful shutdown: sockets are closed with 1012) and waits for the exit. */
  async terminate() {
    this.#child.kill('SIGTERM');
    return this.#waitForExit();
  }

  /** Kills the process and deletes its data, unless another server was started on it. */
  async dispose({ keepData = false } = {}) {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGKILL');
      await this.#waitForExit();
    }
    if (this.#ownsData && !keepData) rmSync(this.dataDirectory, { recursive: true, force: true });
  }

  async #waitForExit() {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('the server did not exit')), EXIT_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- the HTTP API --------------------------------------------------------------------------------------

  /** A Development user token from POST /dev/token. */
  async token(userId, lifetimeSeconds) {
    const body = await this.#json('POST', '/dev/token', { userId, lifetimeSeconds }, false);
    return body.token;
  }

  /** POST /api/notifications for one user; resolves with the new seq. */
  async send(userId, type = 'test.event', payload = null) {
    const body = await this.#json('POST', '/api/notifications', { userId, type, payload });
    return body.notifications[0].seq;
  }

  /** GET /api/users/{userId}/notifications: {lastSeq, ackedSeq, prunedSeq, notifications}. */
  history(userId) {
    return this.#json('GET', `/api/users/${encodeURIComponent(userId)}/notifications`);
  }

  /** POST /api/users/{userId}/disconnect: closes the user's sockets with 4003. */
  async signOut(userId) {
    await this.#json('POST', `/api/users/${encodeURIComponent(userId)}/disconnect`);
  }

  async #json(method, path, body, service = true) {
    const headers = {};
    if (service) headers.authorization = `ApiKey ${API_KEY}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }
}
