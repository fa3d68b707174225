// The whole story across both sides, in browsers only: a customer raises a
// request on the portal, an agent replies in the console, the customer sees
// the reply on the portal and resolves the request there, and the agent
// finds it in the Resolved queue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startWithAdmin, launchBrowser, watchPage, artifacts, logIn, logInToConsole, outbox } from './rig.mjs';

const admin = { email: 'olga@example.org', password: 'correct horse battery' };
const cleo = { name: 'Cleo Park', email: 'cleo@example.com', password: 'cleo password 123' };

let portico, browser, adminCtx;
let projectId = '';
const url = (path) => portico.portal + path.replace(/^\//, '');

async function api(ctx, method, path, data) {
  const res = await ctx.request.fetch(url(path), { method, data });
  if (!res.ok()) throw new Error(`${method} ${path} answered ${res.status()}: ${await res.text()}`);
  return res.status() === 204 ? null : res.json();
}

before(async () => {
  portico = await startWithAdmin(admin, { PORTICO_HELP_CENTER_NAME: 'Story Help' });
  browser = await launchBrowser();
  adminCtx = await browser.newContext();
  await api(adminCtx, 'POST', '/api/login', admin);
  const p = await api(adminCtx, 'POST', '/api/projects', { key: 'HD', name: 'Help Desk' });
  projectId = String(p.id);
  await api(adminCtx, 'POST', `/api/projects/${projectId}/customers`, { email: cleo.email, name: cleo.name });
  const mail = (await outbox(await adminCtx.newPage(), portico.portal)).find((e) => e.to === cleo.email);
  const token = mail.link.split('#token=')[1];
  await api(await browser.newContext(), 'POST', '/api/password/set', { token, password: cleo.password });
});

after(async () => {
  await browser?.close();
  await portico?.stop();
});

test('raise on the portal, reply in the console, see it and resolve on the portal', async () => {
  const customer = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const problems = [...[customer, agent].map(watchPage)];

  // The customer logs in on the portal and raises a request.
  await customer.goto(url('/login'));
  await logIn(customer, cleo);
  // Wait for the session before leaving the page, or the next page may load without it.
  await customer.getByRole('button', { name: 'Log out' }).waitFor();
  await customer.goto(url(`/portal/${projectId}`));
  await customer.getByRole('link', { name: /Get help/ }).click();
  await customer.getByLabel('Summary').fill('The shared printer prints blank pages');
  await customer.getByLabel('Description').fill('Since this morning, on every job.');
  await customer.getByRole('button', { name: 'Send' }).click();
  await customer.waitForURL(/\/requests\/HD-1$/);
  await customer.getByRole('heading', { name: 'The shared printer prints blank pages', level: 1 }).waitFor();

  // The agent finds it in the console and replies.
  await logInToConsole(agent, portico.portal, admin);
  await agent.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Requests' }).click();
  await agent.getByRole('heading', { name: 'Open', level: 1 }).waitFor();
  await agent.getByRole('table').getByRole('row').filter({ hasText: 'blank pages' }).getByRole('link').first().click();
  await agent.getByRole('heading', { name: 'The shared printer prints blank pages', level: 1 }).waitFor();
  await agent.getByPlaceholder('Reply to the customer (Markdown)').fill('We put in a **new toner**. Try again?');
  await agent.getByRole('button', { name: 'Send reply' }).click();
  await agent.locator('strong', { hasText: 'new toner' }).waitFor();

  // The customer sees the reply and resolves the request from the portal.
  await customer.reload();
  const activity = customer.getByRole('region', { name: 'Activity' });
  await activity.locator('strong', { hasText: 'new toner' }).waitFor();
  await customer.getByRole('button', { name: 'Resolve this request' }).click();
  const dialog = customer.getByRole('dialog', { name: 'Resolve this request?' });
  await dialog.getByRole('button', { name: 'Resolve this request' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await customer.locator('main header').first().getByText('Resolved', { exact: true }).waitFor();
  await customer.screenshot({ path: join(artifacts, 'story-portal-resolved.png'), fullPage: true });

  // The agent finds it among the resolved requests.
  await agent.getByRole('link', { name: /Queues/ }).first().click();
  const queues = agent.getByRole('navigation', { name: 'Queues' });
  await queues.getByRole('link', { name: /^Resolved\s*1\b/ }).click();
  await agent.getByRole('heading', { name: 'Resolved', level: 1 }).waitFor();
  await agent.getByRole('table').getByRole('row').filter({ hasText: 'blank pages' }).waitFor();
  await agent.screenshot({ path: join(artifacts, 'story-console-resolved.png'), fullPage: true });

  assert.deepEqual(problems.flat(), [], 'no console errors or CSP violations');
});
