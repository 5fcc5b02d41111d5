import { defineConfig } from 'vite';

// Built by `npm run sandbox:web` (root: this folder) into dist-sandbox-web/ at the project root, which the
// sandbox's emulator serves. `npx vite src/sandbox/web` serves it with live reload, against a running sandbox.
export default defineConfig({
  base: '/',
  clearScreen: false,
  build: {
    outDir: '../../../dist-sandbox-web',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/_sandbox': `http://127.0.0.1:${process.env.SANDBOX_PORT ?? 8080}` },
  },
});
