// Requests in the console, through the real binary: an admin builds a request
// type with a choice field and puts it in a group; a customer raises a request
// through the API; an agent finds it in Unassigned (with the keyboard), takes
// it, replies, adds an internal note and resolves it through a transition that
// needs a comment; the customer's view has the reply and not the note. A reply
// with files shows each upload's progress on a slowed line. The workflow
// editor refuses a transition to a removed status, visibly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  startWithAdmin,
  launchBrowser,
  watchPage,
  artifacts,
  setPasswordLink,
  outbox,
  phone,
  sidewaysOverflow,
  emulateNetwork,
  partway,
} from './rig.mjs';

const admin = { email: 'olga@example.org', password: 'correct horse battery' };
const sam = { name: 'Sam Agent', email: 'sam@example.org', password: 'sam password 1234' };
const ana = { name: 'Ana Lima', email: 'ana@acme.example', password: 'ana password 123' };

const summary = 'Laptop screen flickers after the update';
const reply = 'Thanks Ana: we will swap the screen this afternoon.';
const note = 'Third flickering T14 this week; ask the vendor about the batch.';

let portico, browser, adminCtx, anaCtx;
const ids = { portal: '', sam: '', type: '', hardware: '' };
let key = '';

const url = (path) => portico.portal + path.replace(/^\//, '');
const shot = (page, name, fullPage = true) => page.screenshot({ path: join(artifacts, name), fullPage });
/** Console errors, less the refusals a test provokes on purpose. */
const unexpected = (problems, ...statuses) =>
  problems.filter((p) => !statuses.some((s) => p.includes(`status of ${s}`)));

/** One API call with ctx's session; fails the test on anything but 2xx. */
async function api(ctx, method, path, data) {
  const res = await ctx.request.fetch(url(path), { method, data });
  if (!res.ok()) throw new Error(`${method} ${path} answered ${res.status()}: ${await res.text()}`);
  return res.status() === 204 ? null : res.json();
}

/** Sets who's password from the link waiting in the outbox, in a new browser context, and returns it. */
async function contextFor(who, options = { viewport: { width: 1280, height: 900 } }) {
  const page = await adminCtx.newPage();
  const mail = (await outbox(page, portico.portal)).find((e) => e.to === who.email);
  await page.close();
  assert.ok(mail, `an email to ${who.email} in the outbox`);
  const link = setPasswordLink(mail.text) ?? mail.link;
  const ctx = await browser.newContext(options);
  await api(ctx, 'POST', '/api/password/set', { token: link.split('#token=')[1], password: who.password });
  return ctx;
}

before(async () => {
  portico = await startWithAdmin(admin, { PORTICO_HELP_CENTER_NAME: 'Acme Help' });
  browser = await launchBrowser();
  adminCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await api(adminCtx, 'POST', '/api/login', admin);

  const project = await api(adminCtx, 'POST', '/api/projects', { key: 'IT', name: 'IT Support', channel: 'restricted' });
  ids.portal = String(project.id);
  await api(adminCtx, 'POST', `/api/projects/${ids.portal}/customers`, { email: ana.email, name: ana.name });
  const staff = await api(adminCtx, 'POST', '/api/staff', { email: sam.email, name: sam.name, role: 'agent' });
  ids.sam = String(staff.account.id);
  await api(adminCtx, 'PUT', `/api/projects/${ids.portal}/agents/${ids.sam}`);
  anaCtx = await contextFor(ana);
});

after(async () => {
  await browser?.close();
  await portico?.stop();
});

test('an admin adds a group and a request type with a choice field in it', async () => {
  const page = await adminCtx.newPage();
  const problems = watchPage(page);
  await page.goto(url(`/console/#/portals/${ids.portal}/request-types`));
  await page.getByRole('heading', { name: 'Request types', level: 2 }).waitFor();

  // A group first.
  await page.getByLabel('New group').fill('Hardware');
  await page.getByRole('button', { name: 'Add group' }).click();
  await page.getByRole('list', { name: 'Groups' }).getByText('Hardware').waitFor();

  await page.getByRole('link', { name: 'Create request type' }).click();
  await page.getByRole('heading', { name: 'New request type' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('Laptop repair');
  await page.getByLabel('Description', { exact: true }).fill('Something wrong with your laptop.');
  await page.getByLabel('Hardware', { exact: true }).first().check(); // the icon
  // Out of every group, it would be hidden from the portal: the editor says so.
  const groups = page.getByRole('group', { name: 'Groups' });
  for (const box of await groups.getByRole('checkbox').all()) await box.uncheck();
  await page.getByText('Not in any group: hidden from the portal').waitFor();
  await groups.getByLabel('Hardware').check();
  assert.equal(await page.getByText('Not in any group: hidden from the portal').count(), 0, 'the warning goes with a group');
  await page.getByText('Audience: Everyone who can use the portal.').waitFor();

  // The form: summary and description by default; add a required choice.
  const fields = page.getByRole('list', { name: 'Fields' });
  assert.equal(await fields.getByRole('listitem').count(), 2);
  assert.equal(await fields.getByRole('button', { name: 'Remove Summary' }).count(), 0, 'the summary cannot be removed');
  await page.getByLabel('New field').selectOption({ label: 'Choice (one)' });
  await page.getByRole('button', { name: 'Add field' }).click();
  const urgency = fields.getByRole('listitem').nth(2);
  // Saving a choice without options is refused next to the field.
  await urgency.getByLabel('Label').fill('Urgency');
  await page.getByRole('button', { name: 'Create request type' }).click();
  await urgency.getByText('Add at least one option.').waitFor();
  await urgency.getByLabel('Options, one per line').fill('Low\nNormal\nHigh');
  await urgency.getByLabel('Required').check();
  // Move it above the description.
  await urgency.getByRole('button', { name: 'Move Urgency up' }).click();
  assert.match(await fields.getByRole('listitem').nth(1).innerText(), /Urgency/);
  await page.getByRole('button', { name: 'Create request type' }).click();

  await page.getByRole('heading', { name: 'Edit “Laptop repair”' }).waitFor();
  ids.type = page.url().match(/request-types\/(\d+)/)?.[1] ?? '';
  assert.ok(ids.type, 'the editor moved to the new type');
  await shot(page, 'console-request-type-editor.png');

  const { groups: all, types } = await api(adminCtx, 'GET', `/api/projects/${ids.portal}/request-types`);
  const type = types.find((t) => t.id === ids.type);
  ids.hardware = all.find((g) => g.name === 'Hardware').id;
  assert.deepEqual(type.groupIds, [ids.hardware]);
  assert.equal(type.icon, 'hardware');
  assert.deepEqual(
    type.fields.map((f) => [f.kind, f.label, f.required]),
    [
      ['summary', 'Summary', true],
      ['select', 'Urgency', true],
      ['description', 'Description', false],
    ],
  );
  assert.deepEqual(type.fields[1].options, ['Low', 'Normal', 'High']);

  // Back on the list, the type shows in its group.
  await page.getByRole('link', { name: 'All request types' }).click();
  const row = page.getByRole('list', { name: 'Request types' }).getByRole('listitem').filter({ hasText: 'Laptop repair' });
  await row.getByText('Hardware').waitFor();
  assert.deepEqual(unexpected(problems, 400), [], 'no console errors or CSP violations');
  await page.close();
});

test('customers raise requests; the admin works some of them', async () => {
  // Three others first, so the queues have something in them: one the admin
  // takes, one waiting for the customer, one untouched.
  const { types } = await api(anaCtx, 'GET', `/api/portals/${ids.portal}/request-types`);
  const getHelp = types.find((t) => t.name === 'Get help');
  const other = {};
  for (const s of ['VPN drops every ten minutes', 'Need access to the finance share', 'Printer on floor 3 jams']) {
    other[s] = (await api(anaCtx, 'POST', `/api/portals/${ids.portal}/requests`, { typeId: getHelp.id, fields: { summary: s } })).key;
  }
  const { account } = await api(adminCtx, 'GET', '/api/session');
  await api(adminCtx, 'POST', `/api/requests/${other['VPN drops every ten minutes']}/assign`, { accountId: account.id });
  const printer = await api(adminCtx, 'GET', `/api/requests/${other['Printer on floor 3 jams']}`);
  const wait = printer.transitions.find((t) => t.name === 'Wait for customer');
  await api(adminCtx, 'POST', `/api/requests/${printer.key}/transitions`, { transitionId: wait.id });

  // Then the one the agent works, with the new type and its choice field.
  const form = await api(anaCtx, 'GET', `/api/portals/${ids.portal}/request-types/${ids.type}`);
  const urgency = form.type.fields.find((f) => f.label === 'Urgency');
  const raised = await api(anaCtx, 'POST', `/api/portals/${ids.portal}/requests`, {
    typeId: ids.type,
    fields: { summary, description: 'It flickers **every few seconds**.', [urgency.id]: 'High' },
  });
  key = raised.key;
  assert.match(key, /^IT-\d+$/);
});

test('the agent finds it in Unassigned, takes it, replies, notes and resolves it with a comment', async () => {
  const ctx = await contextFor(sam);
  const page = await ctx.newPage();
  const problems = watchPage(page);
  // Setting the password logged Sam in: the console opens on its home.
  await page.goto(url('/console'));
  await page.getByText('Customers open').waitFor();

  // Requests in the navigation: one project, so straight to its queues.
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Requests' }).click();
  await page.getByRole('heading', { name: 'Open', level: 1 }).waitFor();
  const queues = page.getByRole('navigation', { name: 'Queues' });
  for (const [name, count] of [['Open', 4], ['Unassigned', 3], ['Assigned to me', 0], ['Waiting for customer', 1], ['Resolved', 0]]) {
    await queues.getByRole('link', { name: new RegExp(`^${name}\\s*${count}\\b`) }).waitFor();
  }
  const table = page.getByRole('table');
  assert.equal(await table.getByRole('row').count(), 5, 'a header and four requests');
  await table.getByRole('row').filter({ hasText: 'VPN drops' }).getByText('Administrator').waitFor();
  await shot(page, 'console-queue.png');
  await queues.getByRole('link', { name: /Assigned to me/ }).click();
  await page.getByText('Nothing is assigned to you.').waitFor();
  await queues.getByRole('link', { name: /Unassigned\s*3/ }).click();
  await page.getByRole('heading', { name: 'Unassigned', level: 1 }).waitFor();
  const row = table.getByRole('row').filter({ hasText: summary });
  await row.getByText(key).waitFor();
  await row.getByText('Ana Lima').waitFor();
  await row.getByText('Waiting for support').waitFor();
  await page.getByText('move through the requests').waitFor();
  // The exact time is on hover.
  assert.match((await row.locator('time').getAttribute('title')) ?? '', /\d/);
  await shot(page, 'console-queue-unassigned.png');

  // The search finds it by the reporter's email.
  await page.getByLabel('Search requests').fill(ana.email);
  await table.getByRole('row').filter({ hasText: summary }).waitFor();
  await page.getByLabel('Search requests').fill('no such words anywhere');
  await page.getByText('No request in Unassigned matches').waitFor();
  await page.getByLabel('Search requests').fill('');
  await table.getByRole('row').filter({ hasText: summary }).waitFor();

  // Keyboard: j selects the first row, Enter opens it.
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('j');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: summary, level: 1 }).waitFor();
  assert.ok(page.url().endsWith(`#/requests/${key}`));
  await page.getByText('It flickers').waitFor();
  await page.getByText('High', { exact: true }).waitFor();

  // Assign to me.
  const assignee = page.getByRole('region', { name: 'Assignee' });
  await assignee.getByRole('button', { name: 'Assign to me' }).click();
  await page.getByText('Assigned to Sam Agent.').waitFor();
  assert.equal(await assignee.getByLabel('Assignee').inputValue(), ids.sam);

  // A public reply.
  await page.getByRole('tab', { name: 'Reply to customer' }).click();
  await page.getByRole('textbox', { name: 'Reply to customer' }).fill(reply);
  await page.getByRole('button', { name: 'Send reply' }).click();
  const activity = page.getByRole('list', { name: 'Activity' });
  await activity.getByRole('article', { name: 'Reply by Sam Agent' }).getByText(reply).waitFor();

  // An internal note, sent with Ctrl+Enter: marked as such.
  await page.getByRole('tab', { name: 'Add internal note' }).click();
  const noteBox = page.getByRole('textbox', { name: 'Add internal note' });
  await noteBox.fill(note);
  await noteBox.press('Control+Enter');
  const noted = activity.getByRole('article', { name: 'Internal note by Sam Agent' });
  await noted.getByText(note).waitFor();
  await noted.getByText('Internal note', { exact: true }).waitFor();

  // "Resolve this request" needs a comment: the dialog refuses an empty one.
  const status = page.getByRole('region', { name: 'Status' });
  await status.getByText('Sets resolution “Done”').waitFor();
  await status.getByRole('button', { name: /Resolve this request/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Resolve this request' });
  await dialog.waitFor();
  await dialog.getByText('sets the resolution to “Done”').waitFor();
  await dialog.getByRole('button', { name: 'Resolve this request' }).click();
  await dialog.getByText('Write a comment: this transition needs one.').waitFor();
  assert.ok(await dialog.isVisible(), 'the dialog stays open');
  await dialog.getByLabel('Comment').fill('Screen swapped; closing.');
  await dialog.getByRole('button', { name: 'Resolve this request' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await status.getByText('Resolved', { exact: true }).first().waitFor();
  await status.getByText('Done', { exact: true }).waitFor();
  await status.getByRole('button', { name: 'Reopen' }).waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'console-request.png');

  // The queue counts follow.
  await page.getByRole('link', { name: 'Queues' }).click();
  await queues.getByRole('link', { name: /Resolved\s*1/ }).waitFor();
  await queues.getByRole('link', { name: /Unassigned\s*2/ }).waitFor();
  assert.deepEqual(unexpected(problems), [], 'no console errors or CSP violations');

  // On a phone the queue is a list of cards that fits the screen.
  const phoneCtx = await browser.newContext({ ...phone, storageState: await ctx.storageState() });
  const small = await phoneCtx.newPage();
  await small.goto(url(`/console/#/projects/${ids.portal}/queues/resolved`));
  await small.getByRole('link', { name: summary }).waitFor();
  assert.equal(await sidewaysOverflow(small), 0, 'no sideways scrolling on a phone');
  await shot(small, 'console-queue-phone.png', false);
  await small.goto(url(`/console/#/requests/${key}`));
  await small.getByRole('heading', { name: summary, level: 1 }).waitFor();
  assert.equal(await sidewaysOverflow(small), 0, 'the request fits a phone too');
  await phoneCtx.close();
  await ctx.close();
});

test('the customer sees the reply and never the internal note', async () => {
  const r = await api(anaCtx, 'GET', `/api/requests/${key}`);
  const html = r.activity.map((a) => a.html ?? '').join('\n');
  assert.ok(html.includes('we will swap the screen'), 'the public reply is there');
  assert.ok(!html.includes('vendor about the batch'), 'the internal note is not');
  assert.ok(r.activity.every((a) => a.public), 'only public entries');
  assert.equal(r.status.category, 'done');
  assert.equal(r.resolution, 'Done');
  assert.ok(!JSON.stringify(r).includes(note), 'the note is nowhere in the answer');
});

test('a file attached to a reply shows how much of it is uploaded, a failed one can be tried again, and the customer gets both', async () => {
  const page = await adminCtx.newPage();
  const problems = watchPage(page);
  await page.goto(url(`/console/#/requests/${key}`));
  await page.getByRole('heading', { name: summary, level: 1 }).waitFor();
  await page.getByRole('tab', { name: 'Reply to customer' }).click();
  await page.getByRole('textbox', { name: 'Reply to customer' }).fill('The vendor’s report is attached.');

  // Offline, the upload fails as every call does; back online, it can be tried again.
  await emulateNetwork(page, { offline: true });
  await page.getByLabel('Attach files').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('swap the T14 screen') });
  const files = page.getByRole('list', { name: 'Files to attach' });
  await files.getByText('Portico is not reachable. Check that it is still running.').waitFor();
  await emulateNetwork(page);
  await files.getByRole('button', { name: 'Try again' }).click();
  await files.getByText('19 bytes').waitFor();

  // A slow line, so the upload takes a few seconds.
  await emulateNetwork(page, { upload: 128 * 1024 });
  await page.getByLabel('Attach files').setInputFiles({ name: 'report.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(384 * 1024, 2) });
  const bar = files.getByRole('progressbar', { name: 'Uploading report.pdf' });
  const first = await partway(bar);
  await page.waitForTimeout(600);
  const later = await partway(bar);
  assert.ok(later > first, `the bar moves on (${first} then ${later})`);
  // Sending waits for it.
  assert.ok(await page.getByRole('button', { name: 'Send reply' }).isDisabled(), 'Send waits for the upload');
  await bar.scrollIntoViewIfNeeded();
  await shot(page, 'console-upload-progress.png', false);

  await files.getByText('384 KB').waitFor({ timeout: 15000 });
  assert.equal(await bar.count(), 0, 'the bar goes once the file is uploaded');
  await emulateNetwork(page);
  await page.getByRole('button', { name: 'Send reply' }).click();
  const reply = page.getByRole('list', { name: 'Activity' }).getByRole('article', { name: 'Reply by Administrator' });
  const attached = reply.getByRole('list', { name: 'Attachments of this comment' });
  await attached.getByRole('link', { name: 'report.pdf' }).waitFor();
  await attached.getByRole('link', { name: 'notes.txt' }).waitFor();
  assert.equal(await page.getByRole('list', { name: 'Files to attach' }).count(), 0, 'the uploader is emptied once sent');

  const r = await api(anaCtx, 'GET', `/api/requests/${key}`);
  assert.ok(
    r.activity.some((a) => a.attachments?.some((f) => f.name === 'report.pdf')),
    'the customer sees the file on the reply',
  );
  const offline = (p) => p.includes('ERR_INTERNET_DISCONNECTED');
  assert.deepEqual(unexpected(problems).filter((p) => !offline(p)), [], 'no console errors or CSP violations');
  await page.close();
});

test('the workflow editor refuses a transition to a removed status, visibly, and Cancel reverts', async () => {
  const page = await adminCtx.newPage();
  const problems = watchPage(page);
  await page.goto(url(`/console/#/portals/${ids.portal}/workflow`));
  await page.getByRole('heading', { name: 'Statuses' }).waitFor();
  const statuses = page.getByRole('table').first();
  assert.equal(await statuses.getByRole('row').count(), 5, 'a header and the four default statuses');

  // "In progress" holds no request, but "Start progress" leads to it.
  await page.getByRole('button', { name: 'Remove status In progress' }).click();
  await page.getByRole('button', { name: 'Save workflow' }).click();
  await page.getByText('This transition leads to a status that does not exist.').first().waitFor();
  const problemsBox = page.locator('#workflow-problems');
  await problemsBox.waitFor();
  await page.locator('select[aria-invalid="true"]').first().waitFor();
  await shot(page, 'console-workflow-refused.png');

  // Nothing was saved.
  const wf = await api(adminCtx, 'GET', `/api/projects/${ids.portal}/workflow`);
  assert.ok(wf.statuses.some((s) => s.name === 'In progress'));

  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByText('Changes undone').waitFor();
  assert.equal(await statuses.getByRole('row').count(), 5, 'the removed status is back');
  assert.equal(await problemsBox.count(), 0, 'the errors are gone');

  // A new status saves with an id made from its name, and customers get their own name for it.
  await page.getByRole('button', { name: 'Add status' }).click();
  const added = statuses.getByRole('row').last();
  await added.getByLabel('Internal name').fill('Escalated');
  await added.getByLabel('Customer-facing name').fill('With our specialists');
  await page.getByRole('button', { name: 'Save workflow' }).click();
  await page.getByText('Saved.').waitFor();
  const after = await api(adminCtx, 'GET', `/api/projects/${ids.portal}/workflow`);
  assert.deepEqual(after.statuses.at(-1), { id: 'escalated', name: 'Escalated', customerName: 'With our specialists', category: 'progress' });
  assert.deepEqual(unexpected(problems, 400), [], 'no console errors or CSP violations');
  await page.close();
});

test('admins see the search index and can rebuild it', async () => {
  const page = await adminCtx.newPage();
  const problems = watchPage(page);
  await page.goto(url('/console'));
  const card = page.getByRole('region', { name: 'Search index' });
  await card.getByText('Ready').first().waitFor();
  await card.getByRole('button', { name: 'Rebuild index' }).click();
  await card.getByText(/The index is rebuilt\.|Rebuilding the index/).waitFor();
  await card.getByText('Ready').first().waitFor({ timeout: 15000 });
  assert.deepEqual(unexpected(problems), [], 'no console errors or CSP violations');
  await page.close();
});
