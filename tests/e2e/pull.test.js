// End to end: `impetus pull` downloads a model from a mock of the Hugging
// Face Hub (tools/mock_hub.py: the Hub's tree API, redirects to a CDN path,
// X-Linked-Etag, Range), here with a dropped connection to resume from; then
// `impetus serve` finds it in its models directory, loads it on demand and
// chats with it through /v1/chat/completions; `impetus list` and `rm` see it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, copyFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { impetusBin, storiesModel, startServer } from './server.js';
import { startMockHub } from './mock_hub.js';

test('pull from the mock hub (resuming a dropped transfer), then chat with the model', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'impetus-pull-'));
  const hubRoot = path.join(dir, 'hub');
  mkdirSync(path.join(hubRoot, 'impetus-test', 'stories-GGUF'), { recursive: true });
  copyFileSync(storiesModel, path.join(hubRoot, 'impetus-test', 'stories-GGUF', 'stories-Q8_0.gguf'));
  const models = path.join(dir, 'models');
  const hub = await startMockHub(hubRoot, ['--drop-after', '300000']);
  try {
    const env = { ...process.env, HF_ENDPOINT: hub.endpoint, HOME: dir };
    const pull = spawnSync(impetusBin, ['pull', 'impetus-test/stories-GGUF:Q8_0', '--models-dir', models],
      { env, encoding: 'utf8', timeout: 60000 });
    assert.equal(pull.status, 0, pull.stderr);
    const file = path.join(models, 'impetus-test', 'stories-GGUF', 'stories-Q8_0.gguf');
    assert.deepEqual(readFileSync(file), readFileSync(storiesModel));

    const list = spawnSync(impetusBin, ['list', '--models-dir', models, '--json'], { env, encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /stories-Q8_0/);

    const s = await startServer(['--models-dir', models]);
    try {
      const r = await fetch(s.base + '/v1/chat/completions', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'stories-Q8_0', messages: [{ role: 'user', content: 'Once upon a time' }],
          max_tokens: 8, temperature: 0 }),
      });
      const body = await r.json();
      assert.equal(r.status, 200, JSON.stringify(body));
      assert.equal(body.model, 'stories-Q8_0');
      assert.ok(body.usage.completion_tokens > 0);
    } finally {
      await s.stop();
    }
    const rm = spawnSync(impetusBin, ['rm', 'stories-Q8_0', '--models-dir', models], { env, encoding: 'utf8' });
    assert.equal(rm.status, 0, rm.stderr);
    assert.ok(!existsSync(file));
  } finally {
    hub.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('POST /api/models/download with auto_load downloads from the mock hub and loads the model', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'impetus-dl-'));
  const hubRoot = path.join(dir, 'hub');
  mkdirSync(path.join(hubRoot, 'impetus-test', 'tales-GGUF'), { recursive: true });
  copyFileSync(storiesModel, path.join(hubRoot, 'impetus-test', 'tales-GGUF', 'tales-Q4_0.gguf'));
  const hub = await startMockHub(hubRoot);
  const saved = process.env.HF_ENDPOINT;
  process.env.HF_ENDPOINT = hub.endpoint;
  const s = await startServer(['--models-dir', path.join(dir, 'models')]);
  try {
    let r = await fetch(s.base + '/api/models/download', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model_id: 'impetus-test/tales-GGUF:Q4_0', auto_load: true }),
    });
    const task = await r.json();
    assert.equal(r.status, 200, JSON.stringify(task));
    let loaded = false;
    for (let i = 0; i < 200 && !loaded; i++) {
      await new Promise((res) => setTimeout(res, 100));
      const t = await (await fetch(s.base + '/api/models/download/' + task.task_id)).json();
      assert.notEqual(t.status, 'failed', JSON.stringify(t));
      const list = await (await fetch(s.base + '/api/models/list')).json();
      loaded = list.models.some((m) => m.id === 'tales-Q4_0' && m.status === 'loaded');
    }
    assert.ok(loaded, 'the downloaded model was loaded');
  } finally {
    await s.stop();
    if (saved === undefined) delete process.env.HF_ENDPOINT; else process.env.HF_ENDPOINT = saved;
    hub.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
