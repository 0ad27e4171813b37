// Starts a real `impetus serve` on a free loopback port for the end-to-end
// tests and stops it afterwards. The binary comes from IMPETUS_BIN (set by
// scripts/test.sh) or the ci build folder.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '..', '..');
export const impetusBin = process.env.IMPETUS_BIN || path.join(repo, 'build', 'ci', 'src', 'impetus');
export const storiesModel = path.resolve(repo, '..', 'shared', 'testdata', 'models', 'stories260K', 'stories260K.gguf');

export async function startServer(extraArgs = []) {
  const threads = extraArgs.includes('--threads') ? [] : ['--threads', '2'];  // extraArgs may set it
  const child = spawn(impetusBin, ['serve', '--model', storiesModel, '--port', '0', ...threads,
    '--ctx-size', '512', '--parallel', '64', ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start: ' + log)), 30000);
    child.stderr.on('data', (d) => {
      log += d.toString();
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${log}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    const r = await fetch(base + '/api/health/ready').catch(() => null);
    if (r && r.status === 200) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  return {
    child, port, base,
    log: () => log,
    rssKiB() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(status.match(/VmRSS:\s+(\d+)/)[1]);
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise((res) => child.on('exit', (code) => res(code)));
      child.kill('SIGTERM');
      return exited;
    },
  };
}
