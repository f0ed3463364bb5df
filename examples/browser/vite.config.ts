import { defineConfig } from 'vite'

// `npm run build -w examples/browser` writes a static site to examples/browser/dist; any static file
// server (or `npm run preview -w examples/browser`) serves it.
export default defineConfig({
  base: './',
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2048
  },
  // the verification pool's Web Worker awaits ready() of @murmur/protocol at its top level before it
  // says it is ready: only module workers allow a top-level await (the default 'iife' fails the build)
  worker: { format: 'es' }
})
