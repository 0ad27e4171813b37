#!/usr/bin/env python3
"""A stand-in for the Hugging Face Hub, for end-to-end tests of `impetus pull`
and the download API. Standard library only.

Serves a directory laid out as <root>/<owner>/<name>/<files...> with the Hub's
API shapes:
  GET  /api/models/{owner}/{name}/tree/main[?recursive=true&cursor=K]
       JSON array of {type, oid, size, path[, lfs {oid, size, pointerSize}]}
       (.gguf and other files over --lfs-min bytes are "LFS" files; with
       --page-size N, a Link: <...>; rel="next" header pages the list)
  GET|HEAD /{owner}/{name}/resolve/main/{path}
       LFS files: 302 to /cdn/{owner}/{name}/{path} with X-Linked-Etag (the
       SHA-256), X-Linked-Size and X-Repo-Commit; other files: the bytes;
       404 with X-Error-Code RepoNotFound / EntryNotFound when absent
  GET|HEAD /cdn/{owner}/{name}/{path}
       the bytes, honouring "Range: bytes=N-" / "bytes=N-M" (206, 416)

Faults for tests: --token T (401 without "Authorization: Bearer T"),
--drop-after K (the first CDN body is cut after K bytes), --corrupt (one byte
of every CDN body flipped), --trickle BYTES_PER_SEC, --fail-first N (the first
N CDN requests answer 503).

Usage:
  python3 tools/mock_hub.py --root DIR [--port 0] [--port-file F]
Prints "mock hub listening on http://127.0.0.1:PORT" and, with --port-file,
writes the port there once it accepts connections. Point HF_ENDPOINT at it.
"""

import argparse
import hashlib
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "c" * 40


def git_blob_oid(path):
    h = hashlib.sha1()
    h.update(b"blob %d\0" % os.path.getsize(path))
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Files:
    """Sizes and digests of the served files, computed once per file version."""

    def __init__(self, root, lfs_min):
        self.root = os.path.realpath(root)
        self.lfs_min = lfs_min
        self.cache = {}
        self.lock = threading.Lock()

    def repo_dir(self, repo):
        d = os.path.realpath(os.path.join(self.root, repo))
        if not d.startswith(self.root + os.sep) or not os.path.isdir(d):
            return None
        return d

    def file_path(self, repo, path):
        d = self.repo_dir(repo)
        if d is None:
            return None
        p = os.path.realpath(os.path.join(d, path))
        if not p.startswith(d + os.sep) or not os.path.isfile(p):
            return None
        return p

    def info(self, p):
        st = os.stat(p)
        key = (p, st.st_size, st.st_mtime_ns)
        with self.lock:
            if key in self.cache:
                return self.cache[key]
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        lfs = p.lower().endswith(".gguf") or st.st_size >= self.lfs_min
        info = {"size": st.st_size, "sha256": h.hexdigest(), "oid": git_blob_oid(p), "lfs": lfs}
        with self.lock:
            self.cache[key] = info
        return info

    def tree(self, repo):
        d = self.repo_dir(repo)
        entries = []
        for dirpath, dirnames, filenames in os.walk(d):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, d)
            for name in dirnames:
                rel = os.path.normpath(os.path.join(rel_dir, name)).replace(os.sep, "/")
                entries.append({"type": "directory", "oid": "0" * 40, "size": 0, "path": rel})
            for name in sorted(filenames):
                if name.endswith(".partial"):
                    continue
                p = os.path.join(dirpath, name)
                rel = os.path.normpath(os.path.join(rel_dir, name)).replace(os.sep, "/")
                i = self.info(p)
                e = {"type": "file", "oid": i["oid"], "size": i["size"], "path": rel}
                if i["lfs"]:
                    e["lfs"] = {"oid": i["sha256"], "size": i["size"], "pointerSize": 134}
                entries.append(e)
        entries.sort(key=lambda e: e["path"])
        return entries


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.dropped = False
        self.failures_left = args.fail_first


def make_handler(files, state):
    args = state.args

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "mock-hub"

        def log_message(self, fmt, *a):
            if args.verbose:
                sys.stderr.write("mock hub: " + (fmt % a) + "\n")

        def send(self, status, body=b"", headers=None, content_type="application/json"):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.close_connection = True

        def error(self, status, message, code=None):
            headers = {"X-Error-Message": message}
            if code:
                headers["X-Error-Code"] = code
            self.send(status, json.dumps({"error": message}).encode(), headers)

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            if args.token and self.headers.get("Authorization") != "Bearer " + args.token:
                return self.error(401, "Invalid credentials in Authorization header")
            url = urllib.parse.urlsplit(self.path)
            seg = [urllib.parse.unquote(s) for s in url.path.split("/")[1:]]
            if len(seg) == 6 and seg[:2] == ["api", "models"] and seg[4:] == ["tree", "main"]:
                return self.tree(seg[2] + "/" + seg[3], urllib.parse.parse_qs(url.query))
            if len(seg) >= 5 and seg[2:4] == ["resolve", "main"]:
                return self.resolve(seg[0] + "/" + seg[1], "/".join(seg[4:]))
            if len(seg) >= 4 and seg[0] == "cdn":
                return self.cdn(seg[1] + "/" + seg[2], "/".join(seg[3:]))
            self.error(404, "no such route")

        def tree(self, repo, query):
            if files.repo_dir(repo) is None:
                return self.error(404, "Repository not found", "RepoNotFound")
            entries = files.tree(repo)
            start = int(query.get("cursor", ["0"])[0])
            n = args.page_size or len(entries)
            headers = {}
            if start + n < len(entries):
                host = self.headers.get("Host", "127.0.0.1")
                headers["Link"] = '<http://%s/api/models/%s/tree/main?recursive=true&cursor=%d>; rel="next"' % (
                    host, repo, start + n)
            self.send(200, json.dumps(entries[start:start + n]).encode(), headers)

        def resolve(self, repo, path):
            if files.repo_dir(repo) is None:
                return self.error(404, "Repository not found", "RepoNotFound")
            p = files.file_path(repo, path)
            if p is None:
                return self.error(404, "Entry not found", "EntryNotFound")
            i = files.info(p)
            if not i["lfs"]:
                with open(p, "rb") as f:
                    body = f.read()
                return self.send(200, body, {"ETag": '"%s"' % i["oid"], "X-Repo-Commit": COMMIT},
                                 "application/octet-stream")
            host = self.headers.get("Host", "127.0.0.1")
            location = "http://%s/cdn/%s/%s" % (host, repo, urllib.parse.quote(path))
            self.send(302, b"Found. Redirecting to " + location.encode(), {
                "Location": location,
                "X-Linked-Etag": '"%s"' % i["sha256"],
                "X-Linked-Size": str(i["size"]),
                "ETag": '"%s"' % i["sha256"],
                "X-Repo-Commit": COMMIT,
            }, "text/plain; charset=utf-8")

        def cdn(self, repo, path):
            p = files.file_path(repo, path)
            if p is None:
                return self.error(404, "Entry not found", "EntryNotFound")
            with state.lock:
                if self.command == "GET" and state.failures_left > 0:
                    state.failures_left -= 1
                    return self.error(503, "cdn failure")
                drop = args.drop_after if (args.drop_after is not None and not state.dropped
                                           and self.command == "GET") else None
                if drop is not None:
                    state.dropped = True
            size = os.path.getsize(p)
            start, end = 0, size - 1
            status = 200
            headers = {"Accept-Ranges": "bytes", "ETag": '"%s"' % files.info(p)["sha256"]}
            rng = self.headers.get("Range", "")
            if rng.startswith("bytes="):
                a, _, b = rng[6:].partition("-")
                start = int(a) if a else 0
                end = min(int(b), size - 1) if b else size - 1
                if start >= size:
                    return self.send(416, b"", {"Content-Range": "bytes */%d" % size})
                status = 206
                headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, size)
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(end - start + 1))
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            if self.command == "HEAD":
                return
            self.stream(p, start, end + 1, drop, size)

        def stream(self, p, start, stop, drop, size):
            limit = stop if drop is None else min(stop, start + drop)
            flip = size // 2 if args.corrupt else -1
            chunk = 1 << 16
            if args.trickle:
                chunk = max(1, args.trickle // 20)
            with open(p, "rb") as f:
                f.seek(start)
                pos = start
                while pos < limit:
                    data = bytearray(f.read(min(chunk, limit - pos)))
                    if not data:
                        break
                    if pos <= flip < pos + len(data):
                        data[flip - pos] ^= 0x5A
                    try:
                        self.wfile.write(data)
                    except (BrokenPipeError, ConnectionResetError):
                        return
                    pos += len(data)
                    if args.trickle:
                        time.sleep(len(data) / args.trickle)

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True, help="directory of <owner>/<name>/<files>")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the bound port here")
    ap.add_argument("--page-size", type=int, default=0, help="tree entries per page (0 = all)")
    ap.add_argument("--lfs-min", type=int, default=10 << 20, help="non-.gguf files this large are LFS")
    ap.add_argument("--token", help="require this bearer token")
    ap.add_argument("--drop-after", type=int, help="cut the first CDN body after this many bytes")
    ap.add_argument("--corrupt", action="store_true", help="flip one byte of every CDN body")
    ap.add_argument("--trickle", type=int, default=0, help="CDN bytes per second (0 = full speed)")
    ap.add_argument("--fail-first", type=int, default=0, help="answer the first N CDN requests with 503")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if not os.path.isdir(args.root):
        ap.error("--root %s is not a directory" % args.root)
    files = Files(args.root, args.lfs_min)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(files, State(args)))
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
    print("mock hub listening on http://%s:%d" % (args.host, port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
