import { mount } from 'svelte';
import '../lib/base.css';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('portal: no #app element');

export default mount(App, { target });
