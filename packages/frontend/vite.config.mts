import { defineConfig } from 'vite';

// The API address is not compiled in: the app reads config.json (next to index.html) at run time,
// so one build serves every environment. A relative base lets that build live under any path.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
});
