import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('#app missing');
// Marks for the benchmark: navigation start → first alert queue paint is measured in bench/dashboard.ts.
performance.mark('hub:mount:start');
export default mount(App, { target });
performance.mark('hub:mount:end');
