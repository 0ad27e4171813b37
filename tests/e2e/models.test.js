// Model management against a real `impetus serve`: the installed-model list,
// load/unload, on-demand loading by a chat request, the loaded-model limit
// (LRU eviction, or 507 with --no-evict), warm-up and its cold/warm
// benchmark, mmap status and benchmark, and ids that try to be paths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, storiesModel } from './server.js';

let dir;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'impetus-models-'));
  copyFileSync(storiesModel, path.join(dir, 'tiny-a.gguf'));
  symlinkSync(storiesModel, path.join(dir, 'tiny-b.gguf'));  // links count as installed
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function call(base, method, p, body) {
  const r = await fetch(base + p, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

const loadedIds = (list) => list.body.models.filter((m) => m.status === 'loaded').map((m) => m.id).sort();

async function chat(base, model) {
  return call(base, 'POST', '/v1/chat/completions', {
    model, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 4, temperature: 0,
  });
}

test('list, load, unload, on-demand load and LRU eviction', async () => {
  const s = await startServer(['--models-dir', dir, '--max-loaded-models', '2']);
  try {
    let list = await call(s.base, 'GET', '/api/models/list');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.models.map((m) => m.id).sort(), ['stories260K', 'tiny-a', 'tiny-b']);
    assert.deepEqual(loadedIds(list), ['stories260K']);
    assert.equal(list.body.limits.max_loaded_models, 2);

    let r = await call(s.base, 'POST', '/api/models/load', { model_id: 'tiny-a', use_mmap: false });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.model.use_mmap, false);
    list = await call(s.base, 'GET', '/api/models/list');
    assert.deepEqual(loadedIds(list), ['stories260K', 'tiny-a']);

    // Use stories260K so tiny-a is the least recently used, then ask for tiny-b.
    assert.equal((await chat(s.base, 'stories260K')).status, 200);
    r = await chat(s.base, 'tiny-b');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.model, 'tiny-b');
    list = await call(s.base, 'GET', '/api/models/list');
    assert.deepEqual(loadedIds(list), ['stories260K', 'tiny-b']);

    r = await call(s.base, 'POST', '/api/models/unload', { model_id: 'tiny-b' });
    assert.equal(r.status, 200);
    r = await call(s.base, 'POST', '/api/models/unload', { model_id: 'tiny-b' });
    assert.equal(r.status, 404);
    const models = await call(s.base, 'GET', '/v1/models');
    assert.deepEqual(models.body.data.map((m) => m.id), ['stories260K']);
  } finally {
    await s.stop();
  }
});

test('ids that are paths or unknown are refused', async () => {
  const s = await startServer(['--models-dir', dir]);
  try {
    for (const id of ['../tiny-a', '/etc/passwd', 'a/../../b', '..', 'x\\y']) {
      const r = await call(s.base, 'POST', '/api/models/load', { model_id: id });
      assert.equal(r.status, 400, id);
      assert.equal(r.body.error.param, 'model_id');
    }
    let r = await call(s.base, 'POST', '/api/models/load', { model_id: 'nope' });
    assert.equal(r.status, 404);
    r = await call(s.base, 'POST', '/api/models/load', { model_id: 'tiny-a', bogus: 1 });
    assert.equal(r.status, 400);
    r = await chat(s.base, '../../etc/passwd');
    assert.equal(r.status, 400);
  } finally {
    await s.stop();
  }
});

test('over the limit without eviction answers 507', async () => {
  const s = await startServer(['--models-dir', dir, '--max-loaded-models', '1', '--no-evict']);
  try {
    const r = await call(s.base, 'POST', '/api/models/load', { model_id: 'tiny-a' });
    assert.equal(r.status, 507, JSON.stringify(r.body));
    assert.match(r.body.error.message, /max_loaded_models/);
    const c = await chat(s.base, 'tiny-b');
    assert.equal(c.status, 507);
  } finally {
    await s.stop();
  }
});

test('warm-up, its cold/warm benchmark and the mmap figures', async () => {
  const s = await startServer(['--models-dir', dir]);
  try {
    let r = await call(s.base, 'POST', '/api/models/warmup/stories260K');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'completed');
    assert.ok(r.body.warmup_time_ms > 0);
    r = await call(s.base, 'GET', '/api/models/warmup/status');
    assert.equal(r.body.models.stories260K.status, 'completed');
    r = await call(s.base, 'POST', '/api/models/warmup/stories260K/benchmark');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.cold_ttft_ms > 0 && r.body.warm_ttft_ms > 0);
    assert.equal(typeof r.body.page_cache_dropped, 'boolean');
    assert.equal((await chat(s.base, 'stories260K')).status, 200);  // still served after the reload

    r = await call(s.base, 'GET', '/api/models/mmap/status');
    assert.equal(r.body.models[0].model_id, 'stories260K');
    assert.ok(r.body.models[0].file_bytes > 0);
    r = await call(s.base, 'POST', '/api/models/mmap/benchmark', { model_id: 'tiny-a' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.mmap.ready_ms > 0 && r.body.read.ready_ms > 0);
    r = await call(s.base, 'POST', '/api/models/warmup/tiny-a');
    assert.equal(r.status, 404);
  } finally {
    await s.stop();
  }
});
