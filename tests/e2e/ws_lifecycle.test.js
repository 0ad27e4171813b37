// The events of a model's life, in order, as a real WebSocket client sees
// them from a real `impetus serve`: a download from the mock Hugging Face Hub
// (tools/mock_hub.py, trickled so progress is reported), loading the file,
// a generation with it, unloading it, and loading it again on demand when a
// request names it. Meanwhile a second client subscribed to everything never
// reads: the server must not stall on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, storiesModel } from './server.js';
import { connect } from './ws_client.js';
import { startMockHub } from './mock_hub.js';

async function call(base, method, route, body, headers = {}) {
  const r = await fetch(base + route, {
    method, headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

const chat = (base, model, id) => call(base, 'POST', '/v1/chat/completions', {
  model, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 6, temperature: 0,
}, { 'x-request-id': id });

// The types of `msgs` (in order) restricted to `types`.
const sequence = (msgs, types) => msgs.filter((m) => types.includes(m.type)).map((m) => m.type);

test('download, load, generate, unload and on-demand load arrive in order', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'impetus-wslife-'));
  const hubRoot = path.join(dir, 'hub');
  mkdirSync(path.join(hubRoot, 'impetus-test', 'tales-GGUF'), { recursive: true });
  copyFileSync(storiesModel, path.join(hubRoot, 'impetus-test', 'tales-GGUF', 'tales-Q4_0.gguf'));
  const size = statSync(storiesModel).size;
  // ~1.2 MB at 800 kB/s: progress is reported several times on the way.
  const hub = await startMockHub(hubRoot, ['--trickle', '800000']);
  const saved = process.env.HF_ENDPOINT;
  process.env.HF_ENDPOINT = hub.endpoint;
  const s = await startServer(['--models-dir', path.join(dir, 'models')]);
  const c = await connect(s.port);
  const stalled = await connect(s.port);
  try {
    await c.subscribe('models', 'downloads', 'metrics');
    await stalled.subscribe('models', 'downloads', 'metrics', 'logs', 'hardware');
    stalled.ws._socket.pause();  // stops reading: the server's writes to it back up

    // 1. Download.
    const dl = await call(s.base, 'POST', '/api/models/download', { model_id: 'impetus-test/tales-GGUF:Q4_0' });
    assert.equal(dl.status, 200, JSON.stringify(dl.body));
    const taskId = dl.body.task_id;
    const complete = await c.next('download_complete', 30000, (m) => m.data.task_id === taskId);
    assert.equal(complete.data.status, 'completed', JSON.stringify(complete.data));
    assert.equal(complete.data.total_bytes, size);
    assert.equal(complete.data.model, 'impetus-test/tales-GGUF:Q4_0');
    const progress = c.all.filter((m) => m.type === 'download_progress' && m.data.task_id === taskId);
    assert.ok(progress.length >= 2, `only ${progress.length} download_progress events`);
    const bytes = progress.map((m) => m.data.downloaded_bytes);
    assert.deepEqual(bytes, [...bytes].sort((a, b) => a - b), 'downloaded_bytes never goes back');
    assert.ok(bytes.some((b) => b > 0 && b < size), 'a progress event from the middle of the transfer');
    assert.ok(c.all.indexOf(progress.at(-1)) < c.all.indexOf(complete), 'progress comes before completion');

    // 2. Load: model_loaded, then the whole list with it loaded.
    let r = await call(s.base, 'POST', '/api/models/load', { model_id: 'tales-Q4_0' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const loaded = await c.next('model_loaded');
    assert.equal(loaded.data.model, 'tales-Q4_0');
    assert.equal(typeof loaded.data.backend, 'string');
    assert.ok(loaded.data.load_time_ms >= 0 && loaded.data.memory_bytes > 0);
    let update = await c.next('models_update');
    assert.equal(update.data.models.find((m) => m.id === 'tales-Q4_0').status, 'loaded');

    // 3. A generation with it.
    r = await chat(s.base, 'tales-Q4_0', 'wslife-1');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const started = await c.next('generation_started', 5000, (m) => m.data.request_id === 'wslife-1');
    assert.equal(started.data.model, 'tales-Q4_0');
    const done = await c.next('generation_complete', 5000, (m) => m.data.request_id === 'wslife-1');
    assert.equal(done.data.completion_tokens, r.body.usage.completion_tokens);

    // 4. Unload: model_unloaded (manual), then the list with it available again.
    r = await call(s.base, 'POST', '/api/models/unload', { model_id: 'tales-Q4_0' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const unloaded = await c.next('model_unloaded');
    assert.equal(unloaded.data.model, 'tales-Q4_0');
    assert.equal(unloaded.data.reason, 'manual');
    update = await c.next('models_update');
    assert.equal(update.data.models.find((m) => m.id === 'tales-Q4_0').status, 'available');

    // 5. A request naming it loads it on demand, then generates.
    r = await chat(s.base, 'tales-Q4_0', 'wslife-2');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await c.next('generation_complete', 5000, (m) => m.data.request_id === 'wslife-2');

    const types = ['download_complete', 'model_loaded', 'model_unloaded', 'auto_load_started',
      'auto_load_complete', 'generation_started', 'generation_complete'];
    assert.deepEqual(sequence(c.all, types), [
      'download_complete', 'model_loaded', 'generation_started', 'generation_complete', 'model_unloaded',
      'auto_load_started', 'model_loaded', 'auto_load_complete', 'generation_started', 'generation_complete']);
    const auto = c.all.find((m) => m.type === 'auto_load_started');
    assert.equal(auto.data.model, 'tales-Q4_0');
    assert.equal(auto.data.reason, 'request');

    // The client that never read did not hold anything up, and the server still answers.
    assert.equal((await fetch(s.base + '/api/health/ready')).status, 200);
  } finally {
    stalled.ws.terminate();
    await c.close();
    assert.equal(await s.stop(), 0, s.log());
    if (saved === undefined) delete process.env.HF_ENDPOINT; else process.env.HF_ENDPOINT = saved;
    hub.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
