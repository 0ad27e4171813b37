// A small WebSocket client for the end-to-end tests (the `ws` package):
// connect() resolves once open with the upgrade response's headers, every
// message received so far (`all`, in arrival order), next(type) that waits
// for the next message of a type (skipping others), and close().
import assert from 'node:assert/strict';
import WebSocket from 'ws';

export function connect(port, { path = '/ws', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    const all = [];
    const queue = [];
    const waiters = [];
    let upgradeHeaders = {};
    ws.on('upgrade', (res) => { upgradeHeaders = res.headers; });
    ws.on('message', (data, isBinary) => {
      assert.equal(isBinary, false);
      const msg = JSON.parse(data.toString());
      all.push(msg);
      queue.push(msg);
      for (const w of waiters.splice(0)) w();
    });
    ws.on('error', reject);
    ws.on('open', () => resolve({
      ws,
      all,
      headers: upgradeHeaders,
      send: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
      async next(type, timeoutMs = 5000, where = () => true) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const i = queue.findIndex((m) => m.type === type && where(m));
          if (i >= 0) return queue.splice(0, i + 1).pop();
          queue.length = 0;
          const left = deadline - Date.now();
          if (left <= 0) throw new Error(`no "${type}" message within ${timeoutMs} ms`);
          await new Promise((res) => {
            const timer = setTimeout(res, left);
            waiters.push(() => { clearTimeout(timer); res(); });
          });
        }
      },
      async subscribe(...rooms) {
        for (const room of rooms) {
          ws.send(JSON.stringify({ type: 'subscribe', data: { room } }));
          await this.next('subscribed', 5000, (m) => (m.data?.room ?? m.room) === room);
        }
      },
      close: () => new Promise((res) => { ws.once('close', res); ws.close(1000); }),
    }));
  });
}
