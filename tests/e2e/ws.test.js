// Live events over WebSocket (GET /ws) with the `ws` client, against a real
// `impetus serve`: the hello, subscribe acks, metrics_update arriving once
// subscribed, errors that keep the connection, generation_started /
// generation_complete carrying the request's X-Request-Id, and /metrics
// counting requests by route.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.js';
import { connect as connectWs } from './ws_client.js';

let server;
before(async () => { server = await startServer(); });
after(async () => { assert.equal(await server.stop(), 0, server.log()); });

const connect = () => connectWs(server.port, { headers: { 'X-Request-Id': 'e2e-ws-1' } });

test('subscribe is acknowledged and metrics_update arrives', async () => {
  const c = await connect();
  assert.equal(c.headers['x-request-id'], 'e2e-ws-1');
  const hello = await c.next('hello');
  assert.equal(hello.schema_version, 1);
  assert.ok(hello.data.rooms.includes('metrics'));
  c.send({ type: 'subscribe', data: { room: 'metrics' } });
  const ack = await c.next('subscribed');
  assert.equal(ack.room, 'metrics');
  const update = await c.next('metrics_update');
  assert.equal(update.room, 'metrics');
  assert.equal(update.schema_version, 1);
  assert.equal(typeof update.ts, 'number');
  assert.deepEqual(update.data.models.map((m) => m.model), ['stories260K']);
  assert.equal(typeof update.data.models[0].kv_blocks_total, 'number');
  // The periodic one follows (every 2 s).
  const later = await c.next('metrics_update', 5000);
  assert.ok(later.ts > update.ts);
  await c.close();
});

test('bad messages get errors without dropping the connection', async () => {
  const c = await connect();
  c.send('this is not json');
  assert.equal((await c.next('error')).data.code, 'invalid_json');
  c.send({ type: 'subscribe', data: { room: 'nope' } });
  const err = await c.next('error');
  assert.equal(err.data.code, 'invalid_room');
  assert.equal(err.data.room, 'nope');
  c.send({ type: 'ping', data: { n: 1 } });
  assert.deepEqual((await c.next('pong')).data, { n: 1 });
  await c.close();
});

test('generations publish started and complete events with the request id', async () => {
  const c = await connect();
  c.send({ type: 'subscribe', data: { room: 'metrics' } });
  await c.next('subscribed');
  const res = await fetch(server.base + '/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'e2e-gen-1' },
    body: JSON.stringify({ model: 'stories260K', messages: [{ role: 'user', content: 'Once upon a time' }],
      max_tokens: 6, temperature: 0 }),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-request-id'), 'e2e-gen-1');
  const body = await res.json();
  const started = await c.next('generation_started');
  assert.equal(started.data.request_id, 'e2e-gen-1');
  assert.equal(started.data.model, 'stories260K');
  assert.equal(started.data.prompt_tokens, body.usage.prompt_tokens);
  const done = await c.next('generation_complete');
  assert.equal(done.data.request_id, 'e2e-gen-1');
  assert.equal(done.data.response_id, body.id);
  assert.equal(done.data.prompt_tokens, body.usage.prompt_tokens);
  assert.equal(done.data.completion_tokens, body.usage.completion_tokens);
  assert.equal(typeof done.data.ttft_ms, 'number');
  assert.ok(done.data.ttft_ms >= 0 && done.data.ttft_ms <= done.data.duration_ms);
  await c.close();
});

test('/metrics counts requests by route', async () => {
  const count = async () => {
    const text = await (await fetch(server.base + '/metrics')).text();
    const m = text.match(/^impetus_http_requests_total\{method="GET",route="\/v1\/models",status="200"\} (\S+)$/m);
    return m ? Number(m[1]) : 0;
  };
  const before = await count();
  for (let i = 0; i < 2; i++) assert.equal((await fetch(server.base + '/v1/models')).status, 200);
  // A request is counted once its last byte is written, which may trail the client's read by a moment.
  let now = await count();
  for (let i = 0; i < 20 && now < before + 2; i++) {
    await new Promise((res) => setTimeout(res, 50));
    now = await count();
  }
  assert.equal(now, before + 2);
});
