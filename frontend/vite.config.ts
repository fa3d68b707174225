import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Two pages, one lib: the portal at / and the console at /console/.
// Asset URLs are absolute (base '/') because the same console page is also
// served at / (inside the desktop window) and at /setup.
export default defineConfig({
  base: '/',
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The server's CSP is script-src 'self': no inline polyfill script.
    modulePreload: { polyfill: false },
    rolldownOptions: {
      // Vite resolves these against the project root.
      input: {
        portal: 'index.html',
        console: 'console/index.html',
      },
      output: {
        // What both pages use (Svelte's runtime, lib/) goes in one chunk named
        // for what it is, rather than after whichever module came first.
        codeSplitting: {
          groups: [{ name: 'shared', minShareCount: 2 }],
        },
      },
    },
  },
  server: {
    // `npm run dev` talks to a Portico started with `portico serve` on its
    // default LAN port.
    proxy: { '/api': 'http://127.0.0.1:8480' },
  },
});
