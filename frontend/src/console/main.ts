import { mount } from 'svelte';
import '../lib/base.css';
import App from './App.svelte';

// The setup link printed in the terminal carries a one-time token in the
// fragment (#token=…), which never reaches server logs. Read it once and take
// it out of the address bar, so it is not left in history or bookmarks.
function takeSetupToken(): string {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = params.get('token') ?? '';
  if (params.has('token')) {
    history.replaceState(history.state, '', location.pathname + location.search);
  }
  return token;
}

const target = document.getElementById('app');
if (!target) throw new Error('console: no #app element');

export default mount(App, { target, props: { setupToken: takeSetupToken() } });
