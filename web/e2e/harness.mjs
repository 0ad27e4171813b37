// The end-to-end harness: starts the real `impetus serve` on stories260K
// (with IMPETUS_WEB_DIR pointing at web/dist), finds out which APIs this
// build has, and launches Debian's Chromium through playwright-core.
//
// When the binary does not serve the dashboard at "/" yet (an older build),
// a small Node server stands in front of it: it serves web/dist like the C++
// static routes do and forwards /api, /v1, /ws and /metrics to impetus. The
// tests say which mode they ran in.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startMockHub } from './mock_hub.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '..', '..');
export const webDist = path.join(repo, 'web', 'dist');
export const storiesModel = path.resolve(repo, '..', 'shared', 'testdata', 'models', 'stories260K', 'stories260K.gguf');
export const screenshotDir = process.env.IMPETUS_SCREENSHOT_DIR || path.join(repo, 'build', 'web-screenshots');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
// The flags this machine needs: no sandbox (root in a container), no GPU, /tmp instead of a small /dev/shm.
export const chromiumArgs = ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage'];

export function findImpetus() {
  const candidates = [
    process.env.IMPETUS_BIN,
    path.join(repo, 'build', 'ci', 'src', 'impetus'),
    path.join(repo, 'build', 'dev', 'src', 'impetus'),
    path.join(repo, 'build', 'release', 'src', 'impetus'),
  ].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`no impetus binary (set IMPETUS_BIN); looked at ${candidates.join(', ')}`);
  return found;
}

export async function startImpetus(extraArgs = [], extraEnv = {}) {
  const bin = findImpetus();
  const child = spawn(bin, ['serve', '--model', storiesModel, '--port', '0', '--threads', '2', '--ctx-size', '512', '--parallel', '4', ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, IMPETUS_WEB_DIR: webDist, ...extraEnv },
  });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('impetus did not start: ' + log)), 30000);
    child.stderr.on('data', (d) => {
      log += d.toString();
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`impetus exited with ${code}: ${log}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    const r = await fetch(base + '/api/health/ready').catch(() => null);
    if (r && r.status === 200) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  return {
    bin, port, base, child,
    log: () => log,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise((res) => child.on('exit', (code) => res(code)));
      child.kill('SIGTERM');
      return exited;
    },
  };
}

const TYPES = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml', json: 'application/json' };
const API = /^\/(api|v1|ws|metrics)(\/|$)/;

// Serves web/dist with the client-route fallback and forwards the API to `target` (HTTP and WebSocket upgrades).
export function startProxy(target) {
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (API.test(url.pathname)) {
      const fwd = http.request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      });
      fwd.on('error', (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      req.pipe(fwd);
      res.on('close', () => fwd.destroy());
      return;
    }
    let file = path.join(webDist, path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(webDist) || !existsSync(file) || !statSync(file).isFile()) file = path.join(webDist, 'index.html');
    const ext = path.extname(file).slice(1);
    res.writeHead(200, { 'Content-Type': TYPES[ext] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  server.on('upgrade', (req, socket, head) => {
    const up = net.connect(Number(t.port), t.hostname, () => {
      let raw = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      up.write(raw + '\r\n');
      if (head?.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ base: `http://127.0.0.1:${server.address().port}`, stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) }),
    ),
  );
}

async function status(url, init) {
  const r = await fetch(url, init).catch(() => null);
  if (!r) return 0;
  await r.arrayBuffer().catch(() => null);
  return r.status;
}

// Whether a route exists: anything but a 404/405 from the router ("no route", "not allowed").
async function exists(url, init) {
  const s = await status(url, init);
  return s !== 0 && s !== 404 && s !== 405;
}

// An HTTP upgrade to /ws: true when the server answers 101.
function wsUpgrades(base) {
  const u = new URL(base);
  return new Promise((resolve) => {
    const req = http.request({
      host: u.hostname, port: u.port, path: '/ws',
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(true);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(false);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(3000, () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

// Which of the dashboard's APIs this build of impetus has.
export async function probeFeatures(api) {
  const post = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' };
  return {
    hardwareInfo: await exists(api + '/api/hardware/info'),
    hardwareMetrics: await exists(api + '/api/hardware/metrics'),
    ws: await wsUpgrades(api),
    modelsList: await exists(api + '/api/models/list'),
    loadUnload: (await exists(api + '/api/models/unload', post)) && (await exists(api + '/api/models/load', post)),
    downloads: await exists(api + '/api/models/downloads'),
    catalog: await exists(api + '/api/models/discover'),
    benchmarks: await exists(api + '/api/models/benchmarks/comparison'),
  };
}

// The repository and file the download test asks for: the catalog's smallest
// entry, served by the mock hub with stories260K's bytes.
export const hubModel = { id: 'smollm2-135m-instruct', repo: 'bartowski/SmolLM2-135M-Instruct-GGUF', file: 'SmolLM2-135M-Instruct-Q8_0.gguf' };

// impetus (with a private HOME, so models, benchmark history and caches start
// empty, and HF_ENDPOINT at a mock hub), plus the proxy when the binary does
// not serve the dashboard itself.
export async function startDashboard(extraArgs = [], extraEnv = {}) {
  if (!existsSync(path.join(webDist, 'index.html'))) throw new Error('web/dist is missing: run scripts/build_web.sh first');
  const home = mkdtempSync(path.join(os.tmpdir(), 'impetus-web-e2e-'));
  const hub = await startMockHub();
  hub.addFile(hubModel.repo, hubModel.file, readFileSync(storiesModel));
  const impetus = await startImpetus(extraArgs, { HOME: home, HF_ENDPOINT: hub.endpoint, ...extraEnv });
  const r = await fetch(impetus.base + '/').catch(() => null);
  const text = r ? await r.text() : '';
  const served = !!r && r.ok && (r.headers.get('content-type') ?? '').startsWith('text/html') && text.includes('id="root"');
  const proxy = served ? null : await startProxy(impetus.base);
  return {
    impetus,
    hub,
    home,
    mode: served ? 'served by impetus' : 'through the Node proxy (impetus does not serve web/dist at / yet)',
    served,
    base: served ? impetus.base : proxy.base,
    api: impetus.base,
    features: await probeFeatures(impetus.base),
    async stop() {
      await proxy?.stop();
      const code = await impetus.stop();
      await hub.stop();
      rmSync(home, { recursive: true, force: true });
      return code;
    },
  };
}

export function launchBrowser() {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
}

// A page that records console errors and uncaught exceptions.
export async function openPage(browser, url, { colorScheme = 'light', viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ colorScheme, viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push({ text: msg.text(), url: msg.location()?.url ?? '' });
  });
  page.on('pageerror', (e) => errors.push({ text: `uncaught: ${e.message}`, url: '' }));
  await page.goto(url);
  return { page, context, errors };
}
