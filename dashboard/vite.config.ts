import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const hub = process.env.HUB_URL ?? `http://127.0.0.1:${process.env.HUB_PORT ?? '8080'}`;

// Built output goes to dashboard/dist, which the hub serves at `/` (SPA fallback for /worker).
// `npx vite --config dashboard/vite.config.ts` gives a hot-reloading dev server that proxies the hub.
export default defineConfig({
  root,
  base: '/',
  plugins: [svelte()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 800,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      // The hub accepts cookie-authenticated POSTs and the /ws upgrade only from its own origin,
      // so the dev proxy presents the hub's origin instead of the dev server's.
      '/api': {
        target: hub,
        configure: (proxy) => proxy.on('proxyReq', (req) => req.headers?.origin !== undefined && req.setHeader('origin', hub)),
      },
      '/healthz': { target: hub },
      '/ws': {
        target: hub.replace(/^http/, 'ws'),
        ws: true,
        configure: (proxy) => proxy.on('proxyReqWs', (req) => req.setHeader('origin', hub)),
      },
    },
  },
});
