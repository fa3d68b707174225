// Personal API tokens, through the real binary: a customer makes one on the
// portal's Profile page, sees its secret once, a script (Node's fetch, HTTP
// Basic) calls the Service Desk API with it, and once revoked the same call
// is refused. An agent does the same in the console, with the keyboard. Both
// pages fit a 390 px phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startWithAdmin, launchBrowser, watchPage, artifacts, setPasswordLink, outbox, sidewaysOverflow } from './rig.mjs';

const admin = { email: 'olga@example.org', password: 'correct horse battery' };
const sam = { name: 'Sam Agent', email: 'sam@example.org', password: 'sam password 1234' };
const ana = { name: 'Ana Lima', email: 'ana@acme.example', password: 'ana password 123' };

let portico, browser, adminCtx;

const url = (path) => portico.portal + path.replace(/^\//, '');
const shot = (page, name, fullPage = true) => page.screenshot({ path: join(artifacts, name), fullPage });
const desktop = { viewport: { width: 1280, height: 900 } };
const phone390 = { viewport: { width: 390, height: 800 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
/** Console errors, less the refusals a test provokes on purpose. */
const unexpected = (problems, ...statuses) => problems.filter((p) => !statuses.some((s) => p.includes(`status of ${s}`)));

/** One API call with ctx's session; fails the test on anything but 2xx. */
async function api(ctx, method, path, data) {
  const res = await ctx.request.fetch(url(path), { method, data });
  if (!res.ok()) throw new Error(`${method} ${path} answered ${res.status()}: ${await res.text()}`);
  return res.status() === 204 ? null : res.json();
}

/** Sets who's password from the link waiting in the outbox, in a new (logged-in) browser context. */
async function contextFor(who, options = desktop) {
  const page = await adminCtx.newPage();
  const mail = (await outbox(page, portico.portal)).find((e) => e.to === who.email);
  await page.close();
  assert.ok(mail, `an email to ${who.email} in the outbox`);
  const link = setPasswordLink(mail.text) ?? mail.link;
  const ctx = await browser.newContext(options);
  await api(ctx, 'POST', '/api/password/set', { token: link.split('#token=')[1], password: who.password });
  return ctx;
}

/** What a script gets from the Service Desk API with email and secret (HTTP Basic), as Node's fetch. */
async function script(email, secret) {
  const res = await fetch(url('/rest/servicedeskapi/servicedesk'), {
    headers: { Authorization: 'Basic ' + Buffer.from(`${email}:${secret}`).toString('base64'), Accept: 'application/json' },
  });
  await res.arrayBuffer();
  return res.status;
}

before(async () => {
  portico = await startWithAdmin(admin, { PORTICO_HELP_CENTER_NAME: 'Acme Help' });
  browser = await launchBrowser();
  adminCtx = await browser.newContext(desktop);
  await api(adminCtx, 'POST', '/api/login', admin);
  const project = await api(adminCtx, 'POST', '/api/projects', { key: 'IT', name: 'IT Support', channel: 'restricted' });
  const portal = String(project.id);
  await api(adminCtx, 'POST', `/api/projects/${portal}/customers`, { email: ana.email, name: ana.name });
  const staff = await api(adminCtx, 'POST', '/api/staff', { email: sam.email, name: sam.name, role: 'agent' });
  await api(adminCtx, 'PUT', `/api/projects/${portal}/agents/${staff.account.id}`);
});

after(async () => {
  await browser?.close();
  await portico?.stop();
});

test('a visitor who is not logged in is asked to log in on /profile', async () => {
  const ctx = await browser.newContext(desktop);
  const page = await ctx.newPage();
  await page.goto(url('/profile'));
  await page.getByRole('heading', { name: 'Log in to continue' }).waitFor();
  await page.getByText('Log in to see your profile and API tokens.').waitFor();
  assert.equal(await page.getByRole('heading', { name: 'API tokens' }).count(), 0);
  await ctx.close();
});

test('a customer creates a token on the portal, a script uses it, and revoking it locks the script out', async () => {
  const ctx = await contextFor(ana, { ...desktop, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await ctx.newPage();
  const problems = watchPage(page);
  await page.goto(portico.portal);

  // The account name in the top bar leads to the profile.
  await page.getByRole('banner').getByRole('link', { name: ana.name }).click();
  await page.waitForURL(/\/profile$/);
  await page.getByRole('heading', { name: 'Profile', level: 1 }).waitFor();
  assert.equal(await page.title(), 'Profile · Acme Help');
  await page.getByText(ana.email, { exact: true }).waitFor();
  await page.getByText('You have no API tokens').waitFor();
  await page.getByText("Jira Service Management's REST API").first().waitFor();
  assert.equal(await page.getByLabel('Expires after').inputValue(), '90', '90 days is the default');
  await shot(page, 'api-tokens-portal-empty.png');

  // A name is required, visibly.
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.getByText('Name the token after what will use it').waitFor();
  assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.ok(await page.getByLabel('Name', { exact: true }).evaluate((el) => el === document.activeElement), 'focus goes to the name');

  await page.getByLabel('Name', { exact: true }).fill('Nightly report');
  await page.getByLabel('Expires after').selectOption({ label: '30 days' });
  await page.getByRole('button', { name: 'Create token' }).click();

  // The secret, once, with the warning and a ready-to-run example.
  const secretBox = page.getByLabel('Token', { exact: true });
  await secretBox.waitFor();
  const secret = await secretBox.inputValue();
  assert.match(secret, /^ptk_\S{20,}$/);
  assert.equal(await secretBox.getAttribute('readonly'), '');
  assert.ok(await secretBox.evaluate((el) => el === document.activeElement), 'focus goes to the secret');
  await page.getByText("Copy it now: you won't see it again").waitFor();
  const example = await page.locator('pre.example').innerText();
  assert.equal(example.trim(), `curl -u ${ana.email}:${secret} ${portico.portal.replace(/\/$/, '')}/rest/servicedeskapi/request`);
  await page.getByRole('button', { name: 'Copy', exact: true }).click();
  await page.getByText('Token copied.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret, 'Copy puts the secret on the clipboard');
  // The list already has it: never used, expiring in 30 days.
  const row = page.locator('ul.tokens > li', { hasText: 'Nightly report' });
  await row.getByText('never', { exact: true }).waitFor();
  await shot(page, 'api-tokens-portal-secret.png');

  // A script calls the Service Desk API with it.
  assert.equal(await script(ana.email, secret), 200, 'the token works with HTTP Basic');
  assert.equal(await script('someone@else.example', secret), 401, "another email with the token is refused");

  // Shown once: after a reload the secret is nowhere on the page.
  await page.reload();
  await page.getByRole('heading', { name: 'Profile', level: 1 }).waitFor();
  await row.waitFor();
  assert.equal(await page.getByLabel('Token', { exact: true }).count(), 0);
  assert.ok(!(await page.content()).includes(secret), 'the secret is not shown again');
  await row.getByText('just now').waitFor(); // last used
  assert.match(await row.innerText(), new RegExp(`Expires\\s+\\S.*${new Date(Date.now() + 30 * 86400e3).getFullYear()}`), 'the expiry date is shown');

  // Revoke, after confirming.
  await page.getByRole('button', { name: 'Revoke Nightly report' }).click();
  const dialog = page.getByRole('dialog', { name: 'Revoke “Nightly report”?' });
  await dialog.waitFor();
  await dialog.getByText('stop working at once').waitFor();
  await shot(page, 'api-tokens-portal-revoke.png', false);
  await dialog.getByRole('button', { name: 'Revoke token' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await row.waitFor({ state: 'detached' });
  await page.getByText('You have no API tokens').waitFor();

  assert.equal(await script(ana.email, secret), 401, 'a revoked token is refused');
  assert.deepEqual(unexpected(problems, 400), [], 'no console errors');
  await ctx.close();
});

test('an agent creates and revokes a token in the console with the keyboard', async () => {
  const ctx = await contextFor(sam);
  const page = await ctx.newPage();
  const problems = watchPage(page);
  await page.goto(url('/console'));
  await page.getByText('Customers open').waitFor();

  await page.getByRole('banner').getByRole('link', { name: sam.name }).click();
  await page.waitForURL(/#\/profile$/);
  await page.getByRole('heading', { name: 'Profile', level: 1 }).waitFor();
  assert.equal(await page.title(), 'Profile · Portico');
  await page.getByText(sam.email, { exact: true }).waitFor();
  await page.getByText('You have no API tokens').waitFor();

  // Name, then Enter: the form submits, and focus lands on the secret.
  await page.getByLabel('Name', { exact: true }).focus();
  await page.keyboard.type('Queue export');
  await page.keyboard.press('Enter');
  const secretBox = page.getByLabel('Token', { exact: true });
  await secretBox.waitFor();
  assert.ok(await secretBox.evaluate((el) => el === document.activeElement), 'focus goes to the secret');
  const secret = await secretBox.inputValue();
  assert.match(secret, /^ptk_/);
  await page.getByText("Copy it now: you won't see it again").waitFor();
  assert.match(await page.locator('pre.example').innerText(), new RegExp(`curl -u ${sam.email}:${secret} http://`));
  const row = page.locator('ul.tokens > li', { hasText: 'Queue export' });
  await row.waitFor();
  await shot(page, 'api-tokens-console-secret.png');

  assert.equal(await script(sam.email, secret), 200, 'the agent token works with HTTP Basic');
  const bearer = await fetch(url('/rest/servicedeskapi/servicedesk'), { headers: { Authorization: `Bearer ${secret}` } });
  assert.equal(bearer.status, 200, 'and as a Bearer token');

  // "Done" hides the secret and puts focus back on the form.
  await page.getByRole('button', { name: "Done, I've copied it" }).click();
  assert.equal(await secretBox.count(), 0);
  assert.ok(await page.getByLabel('Name', { exact: true }).evaluate((el) => el === document.activeElement));

  // Revoke with the keyboard: focus the button, Enter, then Tab past Cancel and Enter.
  await row.getByRole('button', { name: 'Revoke Queue export' }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Revoke “Queue export”?' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Revoke token' }).focus();
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden' });
  await row.waitFor({ state: 'detached' });
  await page.getByText('You have no API tokens').waitFor();
  await shot(page, 'api-tokens-console-empty.png');

  assert.equal(await script(sam.email, secret), 401, 'a revoked token is refused');
  assert.deepEqual(unexpected(problems), [], 'no console errors');
  await ctx.close();
});

test('the profile pages fit a 390 px phone', async () => {
  for (const [who, path, name] of [
    [ana, '/profile', 'api-tokens-portal-phone.png'],
    [sam, '/console#/profile', 'api-tokens-console-phone.png'],
  ]) {
    const ctx = await browser.newContext(phone390);
    await api(ctx, 'POST', '/api/login', { email: who.email, password: who.password });
    const page = await ctx.newPage();
    await page.goto(url(path));
    await page.getByRole('heading', { name: 'Profile', level: 1 }).waitFor();
    await page.getByText('You have no API tokens').waitFor();
    assert.equal(await sidewaysOverflow(page), 0, `no sideways scrolling at 390px on ${path} (empty)`);
    await page.getByLabel('Name', { exact: true }).fill('Sync with the asset spreadsheet on the shared drive');
    await page.getByLabel('Expires after').selectOption({ label: 'Never' });
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByLabel('Token', { exact: true }).waitFor();
    await page.locator('ul.tokens > li').first().getByText('never').first().waitFor();
    assert.equal(await sidewaysOverflow(page), 0, `no sideways scrolling at 390px on ${path} (secret shown)`);
    await shot(page, name);
    await ctx.close();
  }
});
