// Vite build of the Impetus dashboard, and the Vitest setup.
//
// `npm run build` writes web/dist: index.html, hashed files under assets/
// (served as immutable by the server), and a .gz twin of every compressible
// file larger than 1 KiB, which the server sends to clients that accept gzip.
// `npm run dev` proxies the API to a running `impetus serve`
// (IMPETUS_URL, default http://127.0.0.1:8080).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync, constants as zlib } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vitest/config';

const compressible = /\.(js|mjs|css|html|svg|json|txt|map|wasm)$/;

// Writes <file>.gz beside every compressible output file worth compressing.
function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'impetus-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const file = path.join(dir, name);
          if (statSync(file).isDirectory()) {
            walk(file);
          } else if (compressible.test(name) && statSync(file).size > 1024) {
            const gz = gzipSync(readFileSync(file), { level: zlib.Z_BEST_COMPRESSION });
            writeFileSync(file + '.gz', gz);
          }
        }
      };
      walk(outDir);
    },
  };
}

const target = process.env.IMPETUS_URL || 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      '/api': target,
      '/v1': target,
      '/ws': { target, ws: true },
    },
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    testTimeout: 30_000,
  },
});
