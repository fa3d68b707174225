// Runes everywhere: no component falls back to Svelte 4 semantics.
export default {
  compilerOptions: { runes: true },
};
