// A small Hugging Face Hub look-alike for the browser tests (the C++ tests
// have their own in tests/store/mock_hub.h), serving the shapes the Hub uses:
//   GET      /api/models/{owner}/{name}/tree/{rev}   JSON list with size and LFS SHA-256
//   GET|HEAD /{owner}/{name}/resolve/{rev}/{file}    302 to /cdn/... with X-Linked-Etag / X-Linked-Size
//   GET|HEAD /cdn/{owner}/{name}/{file}              the bytes, with Range, trickled at `bytesPerSecond`
// so a download takes long enough for its progress to be seen.
import { createHash } from 'node:crypto';
import http from 'node:http';

export async function startMockHub({ bytesPerSecond = 256 * 1024 } = {}) {
  const files = new Map(); // "owner/name/file" -> {content, sha256, oid}
  const requests = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const path = decodeURIComponent(url.pathname);
    requests.push(`${req.method} ${path}`);
    let m = path.match(/^\/api\/models\/([^/]+\/[^/]+)\/tree\/[^/]+$/);
    if (m && req.method === 'GET') {
      const list = [...files.entries()]
        .filter(([k]) => k.startsWith(m[1] + '/'))
        .map(([k, f]) => ({ type: 'file', oid: f.oid, size: f.content.length, path: k.slice(m[1].length + 1), lfs: { oid: f.sha256, size: f.content.length, pointerSize: 134 } }));
      if (!list.length) return notFound(res, 'RepoNotFound');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify(list));
    }
    m = path.match(/^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/);
    if (m) {
      const f = files.get(`${m[1]}/${m[2]}`);
      if (!f) return notFound(res, 'EntryNotFound');
      res.writeHead(302, {
        Location: `/cdn/${m[1]}/${m[2]}`,
        'X-Linked-Etag': `"${f.sha256}"`,
        'X-Linked-Size': String(f.content.length),
        'X-Repo-Commit': '0'.repeat(40),
        ETag: `"${f.oid}"`,
      });
      return res.end();
    }
    m = path.match(/^\/cdn\/(.+)$/);
    if (m) {
      const f = files.get(m[1]);
      if (!f) return notFound(res, 'EntryNotFound');
      return sendBytes(req, res, f.content, bytesPerSecond);
    }
    notFound(res, 'EntryNotFound');
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    requests,
    addFile(repo, file, content) {
      files.set(`${repo}/${file}`, {
        content,
        sha256: createHash('sha256').update(content).digest('hex'),
        oid: createHash('sha1').update(content).digest('hex'),
      });
    },
    stop: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

function notFound(res, code) {
  res.writeHead(404, { 'X-Error-Code': code, 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ error: code }));
}

function sendBytes(req, res, content, bytesPerSecond) {
  let start = 0;
  let end = content.length - 1;
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  const headers = { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes' };
  if (range) {
    start = Number(range[1]);
    if (range[2]) end = Math.min(end, Number(range[2]));
    if (start > end) {
      res.writeHead(416, { 'Content-Range': `bytes */${content.length}` });
      return res.end();
    }
    headers['Content-Range'] = `bytes ${start}-${end}/${content.length}`;
  }
  headers['Content-Length'] = String(end - start + 1);
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD') return res.end();
  const chunk = Math.max(1024, Math.floor(bytesPerSecond / 10));
  let pos = start;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    const next = Math.min(end + 1, pos + chunk);
    res.write(content.subarray(pos, next));
    pos = next;
    if (pos > end) {
      clearInterval(timer);
      res.end();
    }
  }, 100);
  res.on('close', () => clearInterval(timer));
}
