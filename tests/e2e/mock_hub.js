// Starts tools/mock_hub.py (a stdlib mock of the Hugging Face Hub) on a free
// loopback port for the end-to-end tests; `extra` are its flags
// (--trickle, --drop-after, ...). Returns the child and its endpoint.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repo } from './server.js';

export async function startMockHub(root, extra = []) {
  const portFile = path.join(root, '..', 'hub.port');
  const child = spawn('/usr/bin/python3', [path.join(repo, 'tools', 'mock_hub.py'), '--root', root,
    '--port-file', portFile, ...extra], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 100));
  const port = Number(readFileSync(portFile, 'utf8').trim());
  return { child, endpoint: `http://127.0.0.1:${port}` };
}
