// Requests on the customer portal, through the real binary: a customer raises
// a request (a required field refused first), finds it under Requests,
// comments (with a file, its upload's progress shown), resolves and reopens
// it; a visitor raises one without an account on an open portal; a request
// shared with an organization shows up in a colleague's Requests under that
// organization. The data is set up through the API, as the console would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startWithAdmin, launchBrowser, watchPage, artifacts, logIn, setPasswordLink, outbox, phone, sidewaysOverflow, emulateNetwork, partway } from './rig.mjs';

const admin = { email: 'olga@example.org', password: 'correct horse battery' };
const ana = { name: 'Ana Lima', email: 'ana@acme.example', password: 'ana password 123' };
const bob = { name: 'Bob Stone', email: 'bob@acme.example', password: 'bob password 123' };
const visitor = { email: 'walk-in@example.net' };

let portico, browser, adminCtx;
const ids = { portal: '', laptop: '', getHelp: '', org: '' };
const keys = { laptop: '', private: '' };

const url = (path) => portico.portal + path.replace(/^\//, '');
const shot = (page, name) => page.screenshot({ path: join(artifacts, name), fullPage: true });

/** Logs ctx in as who through the API. */
const logInApi = (ctx, who) => api(ctx, 'POST', '/api/login', { email: who.email, password: who.password });

/** One API call with ctx's session; fails the test on anything but 2xx. */
async function api(ctx, method, path, data) {
  const res = await ctx.request.fetch(url(path), { method, data });
  if (!res.ok()) throw new Error(`${method} ${path} answered ${res.status()}: ${await res.text()}`);
  return res.status() === 204 ? null : res.json();
}

/** A browser context logged in as who, whose set-password link waits in the outbox. */
async function customerContext(who, options = { viewport: { width: 1280, height: 900 } }) {
  const emails = await outbox(await adminCtx.newPage(), portico.portal);
  const mail = emails.find((e) => e.to === who.email);
  assert.ok(mail, `an email to ${who.email} in the outbox`);
  const link = setPasswordLink(mail.text) ?? mail.link;
  const token = link.split('#token=')[1];
  const ctx = await browser.newContext(options);
  await api(ctx, 'POST', '/api/password/set', { token, password: who.password });
  return ctx;
}

before(async () => {
  portico = await startWithAdmin(admin, { PORTICO_HELP_CENTER_NAME: 'Acme Help' });
  browser = await launchBrowser();
  adminCtx = await browser.newContext();
  await logInApi(adminCtx, admin);

  // Anyone may sign up and raise without logging in; the portal is Open and
  // shares within organizations.
  await api(adminCtx, 'PATCH', '/api/helpcenter', { access: { signup: true, anonymous: true } });
  const project = await api(adminCtx, 'POST', '/api/projects', {
    key: 'IT',
    name: 'IT Support',
    portalDescription: 'Laptops, accounts and access.',
    channel: 'open',
    sharing: 'organization',
  });
  ids.portal = String(project.id);

  // A new portal comes with a "General" group holding "Get help"; add a
  // Hardware group and a type in both, with a required field of its own.
  const catalogue = await api(adminCtx, 'GET', `/api/projects/${ids.portal}/request-types`);
  const general = catalogue.groups.find((g) => g.name === 'General');
  ids.getHelp = catalogue.types.find((t) => t.name === 'Get help').id;
  const hardware = await api(adminCtx, 'POST', `/api/projects/${ids.portal}/groups`, { name: 'Hardware' });
  const laptop = await api(adminCtx, 'POST', `/api/projects/${ids.portal}/request-types`, {
    name: 'Laptop repair',
    description: 'Something wrong with your laptop.',
    helpText: 'Bring the laptop to the IT desk on the 2nd floor if you can.\nWe lend a spare meanwhile.',
    icon: 'hardware',
    groupIds: [general.id, hardware.id],
    fields: [
      { id: 'summary', kind: 'summary', label: 'Summary', required: true },
      { id: 'description', kind: 'description', label: 'What happened?' },
      { id: 'asset_tag', kind: 'text', label: 'Asset tag', help: 'On the sticker under the laptop.', required: true },
      { id: 'urgency', kind: 'select', label: 'Urgency', options: ['Low', 'Normal', 'High'] },
      { id: 'since', kind: 'date', label: 'Broken since' },
      { id: 'spare', kind: 'checkbox', label: 'I need a spare laptop meanwhile' },
      { id: 'screenshot', kind: 'attachment', label: 'Photos or screenshots' },
    ],
  });
  ids.laptop = String(laptop.id);

  // Ana and Bob work at Acme, an organization attached to the portal.
  const org = await api(adminCtx, 'POST', '/api/organizations', { name: 'Acme' });
  ids.org = String(org.id);
  await api(adminCtx, 'PUT', `/api/projects/${ids.portal}/organizations/${ids.org}`);
  for (const who of [ana, bob]) {
    await api(adminCtx, 'POST', `/api/organizations/${ids.org}/members`, { email: who.email, name: who.name });
  }
});

after(async () => {
  await browser?.close();
  await portico?.stop();
});

test('a customer raises a request: a required field is refused first, then it lands on the request', async () => {
  const ctx = await customerContext(ana);
  const page = await ctx.newPage();
  const problems = watchPage(page);

  await page.goto(url(`/portal/${ids.portal}`));
  await page.getByRole('heading', { name: 'IT Support', level: 1 }).waitFor();
  const tabs = page.getByRole('tablist', { name: 'Request type groups' });
  await tabs.getByRole('tab', { name: 'General' }).waitFor();
  // A type shows under each of its groups.
  await page.getByRole('link', { name: /Laptop repair/ }).waitFor();
  // Arrow keys move between the tabs.
  await tabs.getByRole('tab', { name: 'General' }).focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await tabs.getByRole('tab', { name: 'Hardware' }).getAttribute('aria-selected'), 'true');
  await page.getByRole('tabpanel').getByRole('link', { name: /Laptop repair/ }).waitFor();
  assert.equal(await page.getByRole('tabpanel').getByRole('link', { name: /Get help/ }).count(), 0);
  await shot(page, 'portal-request-types.png');
  // The search box looks through every group.
  await page.getByLabel('Search request types').fill('question');
  await page.getByRole('link', { name: /Get help/ }).waitFor();
  assert.equal(await page.getByRole('link', { name: /Laptop repair/ }).count(), 0);
  await page.getByLabel('Search request types').fill('laptop');
  await page.getByRole('link', { name: /Laptop repair/ }).click();

  await page.getByRole('heading', { name: 'Laptop repair', level: 1 }).waitFor();
  await page.getByText('Bring the laptop to the IT desk').waitFor();
  assert.equal(
    await page.getByLabel('Share with', { exact: true }).inputValue(),
    ids.org,
    'one organization: shared with it by default',
  );
  await page.getByLabel('Summary').fill('Laptop fan is loud');
  await page.getByLabel('What happened?').fill('It makes a *clicking* noise since Monday.');
  await page.getByLabel('Urgency').selectOption('High');
  await page.getByRole('button', { name: 'Send' }).click();
  const assetTag = page.getByLabel('Asset tag');
  await page.getByText('This field is required.').waitFor();
  assert.equal(await assetTag.getAttribute('aria-invalid'), 'true');
  assert.ok(await assetTag.evaluate((el) => el === document.activeElement), 'focus moves to the field to fix');
  await shot(page, 'portal-raise-form.png');

  await assetTag.fill('ACME-0042');
  await page.getByLabel('Photos or screenshots').setInputFiles({
    name: 'noise.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('click click click'),
  });
  const files = page.getByRole('list', { name: 'Files to attach' });
  await files.getByText('noise.txt').waitFor();
  await files.getByRole('button', { name: 'Remove noise.txt' }).waitFor();
  // Uploaded: its size where the progress bar was.
  await files.getByText('17 bytes').waitFor();
  assert.equal(await files.getByRole('progressbar').count(), 0);
  await page.getByRole('button', { name: 'Send' }).click();

  await page.waitForURL(/\/requests\/IT-\d+$/);
  keys.laptop = page.url().split('/requests/')[1];
  await page.getByRole('heading', { name: 'Laptop fan is loud', level: 1 }).waitFor();
  const details = page.getByRole('region', { name: 'Details' });
  await details.locator('em', { hasText: 'clicking' }).waitFor();
  await details.getByText('ACME-0042').waitFor();
  await details.getByText('High').waitFor();
  await page.getByRole('list', { name: 'Attachments' }).getByRole('link', { name: 'noise.txt' }).waitFor();
  const shared = page.getByRole('complementary', { name: 'About this request' });
  await shared.getByText('Acme').waitFor();

  assert.deepEqual(problems, [], 'no console errors or CSP violations');
  await ctx.close();
});

test('the customer finds it under Requests, comments, resolves and reopens it', async () => {
  const c = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await logInApi(c, ana);
  const page = await c.newPage();
  const problems = watchPage(page);

  await page.goto(url('/'));
  await page.getByRole('link', { name: 'Requests' }).click();
  await page.getByRole('heading', { name: 'Requests', level: 1 }).waitFor();
  const row = page.getByRole('row').filter({ hasText: keys.laptop });
  await row.getByText('Laptop fan is loud').waitFor();
  await row.getByText('IT Support').waitFor();
  await row.getByText(ana.name).waitFor();
  await row.getByRole('img', { name: 'Laptop repair' }).waitFor();
  await shot(page, 'portal-requests.png');

  // Filters live in the address: a reload keeps them.
  await page.getByLabel('Status').selectOption('closed');
  await page.waitForURL(/status=closed/);
  await page.getByText('You have no closed requests').waitFor();
  await page.reload();
  assert.equal(await page.getByLabel('Status').inputValue(), 'closed');
  await page.goBack();
  await row.waitFor();

  await row.getByRole('link', { name: keys.laptop }).click();
  await page.getByRole('heading', { name: 'Laptop fan is loud', level: 1 }).waitFor();
  const comment = page.getByLabel('Comment', { exact: true });
  await comment.fill('It got **worse** today.');
  await comment.press('Control+Enter');
  const activity = page.getByRole('region', { name: 'Activity' });
  await activity.locator('strong', { hasText: 'worse' }).waitFor();
  assert.equal(await comment.inputValue(), '', 'the box is emptied once sent');

  await page.getByRole('button', { name: 'Resolve this request' }).click();
  const dialog = page.getByRole('dialog', { name: 'Resolve this request?' });
  await dialog.getByLabel('Comment (optional)').fill('Fixed by a restart.');
  await dialog.getByRole('button', { name: 'Resolve this request' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const head = page.locator('main header').first();
  await head.getByText('Resolved', { exact: true }).waitFor();
  await activity.getByText('Fixed by a restart.').waitFor();
  await shot(page, 'portal-request-view.png');

  await page.getByRole('button', { name: 'Reopen' }).click();
  await page.getByRole('dialog', { name: 'Reopen?' }).getByRole('button', { name: 'Reopen' }).click();
  await page.getByRole('button', { name: 'Resolve this request' }).waitFor();
  assert.equal(await head.getByText('Resolved', { exact: true }).count(), 0, 'no longer resolved');

  // Notifications toggle.
  const toggle = page.getByRole('switch', { name: /Notifications (on|off)/ });
  const before = await toggle.getAttribute('aria-checked');
  await toggle.click();
  await page.getByRole('switch', { name: before === 'true' ? 'Notifications off' : 'Notifications on' }).waitFor();

  assert.deepEqual(problems, [], 'no console errors or CSP violations');
  await c.close();
});

test('a file attached to a comment shows how much of it is uploaded, then is on the comment; a refused one says why', async () => {
  const c = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await logInApi(c, ana);
  const page = await c.newPage();
  const problems = watchPage(page);
  await page.goto(url(`/requests/${keys.laptop}`));
  await page.getByRole('heading', { name: 'Laptop fan is loud', level: 1 }).waitFor();

  // A file the server refuses: its reason shows on the file.
  await page.getByLabel('Attach files').setInputFiles({ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) });
  const files = page.getByRole('list', { name: 'Files to attach' });
  await files.getByText('The file is empty.').waitFor();
  await files.getByRole('button', { name: 'Remove empty.txt' }).click();
  await page.getByRole('status').getByText('empty.txt is no longer attached.').waitFor();

  // A slow line, so the upload takes a few seconds.
  await emulateNetwork(page, { upload: 128 * 1024 });
  await page.getByLabel('Attach files').setInputFiles({ name: 'fan.wav', mimeType: 'audio/wav', buffer: Buffer.alloc(384 * 1024, 1) });
  const bar = files.getByRole('progressbar', { name: 'Uploading fan.wav' });
  const first = await partway(bar);
  await page.waitForTimeout(600);
  const later = await partway(bar);
  assert.ok(later > first, `the bar moves on (${first} then ${later})`);
  await files.getByText(/^\d+%$/).waitFor();
  await shot(page, 'portal-upload-progress.png');

  // Sending waits for it.
  const comment = page.getByLabel('Comment', { exact: true });
  await comment.fill('A recording of the noise.');
  await page.getByRole('button', { name: 'Comment' }).click();
  await page.getByText('Wait for the files to finish uploading.').waitFor();

  await files.getByText('384 KB').waitFor({ timeout: 15000 });
  assert.equal(await bar.count(), 0, 'the bar goes once the file is uploaded');
  await emulateNetwork(page);
  await page.getByRole('button', { name: 'Comment' }).click();
  const activity = page.getByRole('region', { name: 'Activity' });
  await activity.getByRole('list', { name: 'Attachments of this comment' }).getByRole('link', { name: 'fan.wav' }).waitFor();
  assert.equal(await comment.inputValue(), '', 'the box is emptied once sent');
  assert.equal(await page.getByRole('list', { name: 'Files to attach' }).count(), 0, 'and the files with it');

  assert.deepEqual(problems.filter((p) => !p.includes('status of 400')), [], 'no console errors or CSP violations');
  await c.close();
});

test('the portal pages fit a phone', async () => {
  const ctx = await browser.newContext(phone);
  await logInApi(ctx, ana);
  const page = await ctx.newPage();
  const pages = [
    [`/portal/${ids.portal}`, 'heading', 'IT Support', 'portal-request-types-phone.png'],
    [`/portal/${ids.portal}/create/${ids.laptop}`, 'heading', 'Laptop repair', 'portal-raise-form-phone.png'],
    ['/requests', 'heading', 'Requests', 'portal-requests-phone.png'],
    [`/requests/${keys.laptop}`, 'heading', 'Laptop fan is loud', 'portal-request-view-phone.png'],
  ];
  for (const [path, role, name, file] of pages) {
    await page.goto(url(path));
    await page.getByRole(role, { name, level: 1 }).waitFor();
    // Let late-arriving parts (the catalogue, the portals filter) settle.
    await page.waitForLoadState('networkidle');
    assert.equal(await sidewaysOverflow(page), 0, `no sideways scrolling at 375px on ${path}`);
    await shot(page, file);
  }
  await ctx.close();
});

test('a visitor raises a request on an open portal without an account and is told to set a password', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const problems = watchPage(page);
  await page.goto(url(`/portal/${ids.portal}`));
  await page.getByRole('link', { name: /Get help/ }).click();
  await page.getByRole('heading', { name: 'Get help', level: 1 }).waitFor();
  await page.getByLabel('Summary').fill('Printer on floor 3 is jammed');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByText('Enter your email address.').waitFor();
  assert.equal(await page.getByLabel('Share with people').count(), 0, 'visitors share nothing');
  await page.getByLabel('Email').fill(visitor.email);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('heading', { name: 'Request sent', level: 1 }).waitFor();
  await page.getByRole('status').getByText(/set a password/).waitFor();
  assert.equal(await page.getByLabel('Summary').count(), 0, 'the message replaces the form');
  await shot(page, 'portal-raise-anonymous.png');
  // Seeing requests needs an account: Requests asks to log in.
  await page.goto(url('/requests'));
  await page.getByRole('heading', { name: 'Log in to continue' }).waitFor();
  assert.deepEqual(problems.filter((p) => !p.includes('401')), []);
  await ctx.close();
});

test('a request shared with an organization shows in a colleague\'s Requests under it', async () => {
  const anaCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await logInApi(anaCtx, ana);
  const page = await anaCtx.newPage();
  const problems = watchPage(page);

  // A private request first ("No one"), shared afterwards.
  await page.goto(url(`/portal/${ids.portal}/create/${ids.getHelp}`));
  await page.getByRole('heading', { name: 'Get help', level: 1 }).waitFor();
  await page.getByLabel('Summary').fill('VPN drops every hour');
  await page.getByLabel('Share with', { exact: true }).selectOption('');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForURL(/\/requests\/IT-\d+$/);
  keys.private = page.url().split('/requests/')[1];
  const side = page.getByRole('complementary', { name: 'About this request' });
  await side.getByText('Only the person who raised it').waitFor();

  await side.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog', { name: `Share ${keys.private}` });
  await dialog.getByLabel('Acme').check();
  await shot(page, 'portal-share-dialog.png');
  await dialog.getByRole('button', { name: 'Share' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await side.getByRole('button', { name: 'Remove Acme' }).waitFor();
  assert.deepEqual(problems, [], 'no console errors or CSP violations');

  // Bob sees it under Acme, not under "Created by me".
  const bobCtx = await customerContext(bob);
  const bp = await bobCtx.newPage();
  await bp.goto(url('/requests'));
  await bp.getByRole('heading', { name: 'Requests', level: 1 }).waitFor();
  await bp.getByLabel('Show').selectOption({ label: 'Acme' });
  await bp.waitForURL(new RegExp(`ownership=organization&organization=${ids.org}`));
  await bp.getByRole('row').filter({ hasText: keys.private }).getByText('VPN drops every hour').waitFor();
  await bp.getByLabel('Show').selectOption({ label: 'Created by me' });
  await bp.getByText('No requests match these filters').waitFor();

  // A similar summary on the raise form offers it; Bob joins instead of raising it again.
  await bp.goto(url(`/portal/${ids.portal}/create/${ids.getHelp}`));
  await bp.getByLabel('Summary').fill('VPN drops');
  const similar = bp.getByRole('complementary', { name: 'Similar requests' });
  await similar.getByText(keys.private, { exact: true }).waitFor();
  await shot(bp, 'portal-similar-requests.png');
  await similar.getByRole('button', { name: `Join as participant in ${keys.private}` }).click();
  await bp.waitForURL(new RegExp(`/requests/${keys.private}$`));
  const bobSide = bp.getByRole('complementary', { name: 'About this request' });
  await bobSide.getByText(`${bob.name} (you)`).waitFor();
  await bobSide.getByRole('button', { name: 'Leave' }).waitFor();

  await bobCtx.close();
  await anaCtx.close();
});

test('a request the caller may not see says No Access', async () => {
  const ctx = await browser.newContext();
  await logInApi(ctx, bob);
  const page = await ctx.newPage();
  await page.goto(url('/requests/IT-999'));
  await page.getByRole('heading', { name: 'No Access' }).waitFor();
  await page.getByText('You do not have permission to view this request.').waitFor();
  await page.getByRole('link', { name: 'Go to your requests' }).click();
  await page.getByRole('heading', { name: 'Requests', level: 1 }).waitFor();
  await ctx.close();
});

test('a shared link to a request asks a logged-out customer to log in, then shows it', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(url(`/requests/${keys.laptop}`));
  await page.getByRole('heading', { name: 'Log in to continue' }).waitFor();
  await logIn(page, ana);
  await page.getByRole('heading', { name: 'Laptop fan is loud', level: 1 }).waitFor();
  assert.equal(new URL(page.url()).pathname, `/requests/${keys.laptop}`, 'still on the request');
  await ctx.close();
});
