// POST /api/hardware/performance-mode really changes the loaded engine: its
// CPU worker threads (counted in /proc/<pid>/status) follow the mode's
// n_threads from the next forward step on, and answers stay correct.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer } from './server.js';

const threadsOf = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/Threads:\s+(\d+)/)[1]);

async function setMode(base, mode) {
  const r = await fetch(base + '/api/hardware/performance-mode', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode }),
  });
  const body = await r.json();
  assert.equal(r.status, 200, JSON.stringify(body));
  return body;
}

async function chat(base) {
  const r = await fetch(base + '/v1/chat/completions', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'stories260K', messages: [{ role: 'user', content: 'Once upon a time' }],
      max_tokens: 8, temperature: 0 }),
  });
  const body = await r.json();
  assert.equal(r.status, 200, JSON.stringify(body));
  return body.choices[0].message.content;
}

test('a mode change resizes the loaded model\'s thread pool and keeps its answers', async () => {
  const s = await startServer(['--threads', '4']);
  try {
    const reference = await chat(s.base);
    const before = threadsOf(s.child.pid);
    const eff = await setMode(s.base, 'efficiency');
    const n = eff.settings.n_threads;
    assert.ok(n >= 1 && n < 4, JSON.stringify(eff));
    assert.deepEqual(eff.changed.find((c) => c.setting === 'n_threads'), { setting: 'n_threads', before: 4, after: n });
    assert.equal(await chat(s.base), reference);  // the next step resizes the pool first
    let now = threadsOf(s.child.pid);
    for (let i = 0; i < 20 && now !== before - (4 - n); i++) {
      await new Promise((res) => setTimeout(res, 50));
      now = threadsOf(s.child.pid);
    }
    assert.equal(now, before - (4 - n), `threads ${before} -> ${now} for n_threads 4 -> ${n}`);

    const perf = await setMode(s.base, 'performance');
    const m = perf.settings.n_threads;
    assert.equal(await chat(s.base), reference);
    now = threadsOf(s.child.pid);
    for (let i = 0; i < 20 && now !== before - (4 - m); i++) {
      await new Promise((res) => setTimeout(res, 50));
      now = threadsOf(s.child.pid);
    }
    assert.equal(now, before - (4 - m), `threads ${before} -> ${now} for n_threads 4 -> ${m}`);
  } finally {
    assert.equal(await s.stop(), 0, s.log());
  }
});
