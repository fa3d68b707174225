// The knowledge base in the console, through the real binary: an admin sets
// who can view the knowledge base, adds and orders categories, writes an
// article (Markdown with a preview, an image pasted in), saves it with Ctrl+S,
// publishes it, meets someone else's newer save (409), restores an old
// revision, and is asked before leaving unsaved changes. A folder of Markdown
// files imports in batches with a progress bar that reaches the end and the
// failures listed; the export is a zip. An agent links an article in a reply
// and turns a resolved request into a draft. A customer's search that found
// nothing shows in the analytics as a content gap, whose "Write article"
// opens the editor with the query as the title. The search language is saved
// from the console's home. Screenshots on a desktop and a 390 px phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWithAdmin, launchBrowser, watchPage, artifacts, outbox, setPasswordLink, sidewaysOverflow } from './rig.mjs';

const admin = { email: 'olga@example.org', password: 'correct horse battery' };
const sam = { name: 'Sam Agent', email: 'sam@example.org', password: 'sam password 1234' };
const ana = { name: 'Ana Lima', email: 'ana@acme.example', password: 'ana password 123' };

const desktop = { viewport: { width: 1280, height: 900 } };
const phone390 = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

const vpn = {
  title: 'Connect to the VPN from home',
  first: ['Open **GlobalProtect** from the tray.', '', '## Steps', '', '1. Sign in with your work account.', '2. Choose *Europe*.'].join('\n'),
};
const gapQuery = 'espresso descaling schedule';

let portico, browser, adminCtx, anaCtx;
const ids = { it: '', sam: '', article: '', network: '', email: '' };
let folder = '';

const url = (path) => portico.portal + path.replace(/^\//, '');
const shot = (page, name, fullPage = true) => page.screenshot({ path: join(artifacts, name), fullPage });
/** Console errors, less the refusals a test provokes on purpose. */
const unexpected = (problems, ...statuses) => problems.filter((p) => !statuses.some((s) => p.includes(`status of ${s}`)));

/** One API call with ctx's session; fails the test on anything but 2xx. */
async function api(ctx, method, path, data) {
  const res = await ctx.request.fetch(url(path), { method, data });
  if (!res.ok()) throw new Error(`${method} ${path} answered ${res.status()}: ${await res.text()}`);
  return res.status() === 204 ? null : res.json();
}

/** A browser context logged in as who, from the set-password link waiting in the outbox. */
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

/** Waits until a search (as the admin: drafts and all) for q finds article id. */
async function indexed(id, q) {
  const until = Date.now() + 10000;
  while (Date.now() < until) {
    const out = await api(adminCtx, 'GET', `/api/kb/search?q=${encodeURIComponent(q)}&limit=50`);
    if ((out.articles ?? []).some((a) => String(a.id) === String(id))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`article ${id} never showed up in a search for "${q}"`);
}

const kbHref = (...rest) => url(`/console/#/portals/${ids.it}/kb${rest.length ? '/' + rest.join('/') : ''}`);

before(async () => {
  portico = await startWithAdmin(admin, { PORTICO_HELP_CENTER_NAME: 'Acme Help' });
  browser = await launchBrowser();
  adminCtx = await browser.newContext(desktop);
  await api(adminCtx, 'POST', '/api/login', admin);

  const it = await api(adminCtx, 'POST', '/api/projects', { key: 'IT', name: 'IT Support', channel: 'restricted' });
  ids.it = String(it.id);
  await api(adminCtx, 'POST', `/api/projects/${ids.it}/customers`, { email: ana.email, name: ana.name });
  const staff = await api(adminCtx, 'POST', '/api/staff', { email: sam.email, name: sam.name, role: 'agent' });
  ids.sam = String(staff.account.id);
  await api(adminCtx, 'PUT', `/api/projects/${ids.it}/agents/${ids.sam}`);
  await api(adminCtx, 'POST', '/api/organizations', { name: 'Acme Corp' });
  anaCtx = await contextFor(ana);

  // A folder of Markdown to import: two in a subfolder (a category), one at the top, a picture to skip.
  folder = mkdtempSync(join(tmpdir(), 'kb-import-'));
  mkdirSync(join(folder, 'Handbook', 'Printers'), { recursive: true });
  writeFileSync(join(folder, 'Handbook', 'Printers', 'toner.md'), '# Change the toner\n\nOpen the front door and pull the cartridge.\n');
  writeFileSync(join(folder, 'Handbook', 'Printers', 'jam.markdown'), '---\ntitle: Clear a paper jam\nlabels: [printer, paper]\n---\nOpen tray 2.\n');
  writeFileSync(join(folder, 'Handbook', 'welcome.md'), 'Welcome to the handbook.\n');
  writeFileSync(join(folder, 'Handbook', 'logo.png'), Buffer.from([137, 80, 78, 71]));
});

after(async () => {
  await browser?.close();
  await portico?.stop();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

test('an admin sets who can view the knowledge base and adds, edits, orders and deletes categories', async () => {
  const page = await adminCtx.newPage();
  const problems = watchPage(page);
  await page.goto(url(`/console/#/portals/${ids.it}`));
  await page.getByRole('navigation', { name: 'Portal sections' }).getByRole('link', { name: 'Knowledge base' }).click();
  await page.getByText('No articles yet.').waitFor();
  await page.getByRole('navigation', { name: 'Knowledge base sections' }).getByRole('link', { name: 'Categories and access' }).click();

  // Who can view: each choice says what it means.
  const who = page.getByRole('group', { name: 'Who can view', exact: true });
  await who.getByText('Anyone who can reach the portal — without logging in only where the portal allows that.').waitFor();
  assert.ok(await who.getByLabel('Anyone', { exact: true }).isChecked(), 'a new knowledge base is for anyone');
  await who.getByLabel('Specific organizations or email domains').check();
  await who.getByText('nobody could read it').waitFor();
  await who.getByLabel('Acme Corp').check();
  await who.getByLabel('Email domains', { exact: true }).fill('@Acme.example');
  await who.getByLabel('Email domains', { exact: true }).press('Enter');
  await who.getByRole('button', { name: 'Remove domain acme.example' }).waitFor();
  await page.getByRole('button', { name: 'Save who can view' }).click();
  await page.getByText('Saved.').waitFor();
  let space = await api(adminCtx, 'GET', `/api/projects/${ids.it}/kb`);
  assert.equal(space.view.mode, 'audience');
  assert.deepEqual(space.view.domains, ['acme.example']);
  assert.deepEqual(space.view.orgs.map((o) => o.name), ['Acme Corp']);
  // Back to anyone, for the customer's searches later.
  await who.getByLabel('Anyone', { exact: true }).check();
  await page.getByRole('button', { name: 'Save who can view' }).click();
  await page.getByText('Saved.').waitFor();

  // Categories: add three, move one, edit one's viewers, delete one.
  for (const [name, description] of [['Network', 'VPN, Wi-Fi and cables'], ['Email', ''], ['Old stuff', '']]) {
    await page.getByLabel('Category name').fill(name);
    await page.getByRole('textbox', { name: 'Description', exact: true }).fill(description);
    await page.getByRole('button', { name: 'Add category' }).click();
    await page.getByText(`Category “${name}” added.`).waitFor();
  }
  const list = page.getByRole('list', { name: 'Categories' });
  await list.getByText('VPN, Wi-Fi and cables').waitFor();
  await page.getByRole('button', { name: 'Move Email up' }).click();
  await page.getByText('“Email” moved up.').waitFor();
  assert.ok(await page.getByRole('button', { name: 'Move Email up' }).isDisabled(), 'Email is first now');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Move Email down', 'focus stays on the moved category');
  assert.match(await list.getByRole('listitem').first().innerText(), /Email/);

  await page.getByRole('button', { name: 'Edit Network' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit “Network”' });
  await dialog.getByText('Currently: Anyone who can reach the portal').waitFor();
  assert.ok(await dialog.getByLabel('Same as the knowledge base').isChecked());
  await dialog.getByLabel('All logged-in users').check();
  await dialog.getByRole('button', { name: 'Save category' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await list.getByRole('listitem').filter({ hasText: 'Network' }).getByText('Logged-in users').waitFor();

  await page.getByRole('button', { name: 'Delete Old stuff' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete the category “Old stuff”?' });
  await confirm.getByText('It has no articles.').waitFor();
  await confirm.getByRole('button', { name: 'Delete category' }).click();
  await page.getByText('Category “Old stuff” deleted.').waitFor();

  space = await api(adminCtx, 'GET', `/api/projects/${ids.it}/kb`);
  assert.equal(space.view.mode, 'anyone');
  assert.deepEqual(space.categories.map((c) => c.name), ['Email', 'Network']);
  ids.network = String(space.categories.find((c) => c.name === 'Network').id);
  ids.email = String(space.categories.find((c) => c.name === 'Email').id);
  assert.equal(space.categories.find((c) => c.name === 'Network').view.mode, 'loggedin');
  await shot(page, 'console-kb-categories.png');
  assert.deepEqual(unexpected(problems), [], 'no console errors or CSP violations');
  await page.close();
});

test('an admin writes an article with a preview, saves it with Ctrl+S, publishes it, meets a newer save and restores a revision', async () => {
  const page = await adminCtx.newPage();
  const problems = watchPage(page);
  await page.goto(kbHref());
  await page.getByRole('link', { name: 'New article' }).click();
  await page.getByRole('heading', { name: 'New article' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'New article', 'focus starts at the heading');

  // Saving without a title is refused next to the field.
  await page.getByRole('button', { name: 'Save draft' }).click();
  await page.getByText('Give the article a title.').waitFor();

  await page.getByLabel('Title').fill(vpn.title);
  await page.getByLabel('Category').selectOption({ label: 'Network' });
  const labels = page.getByLabel('Labels', { exact: true });
  await labels.fill('vpn');
  await labels.press('Enter');
  await labels.fill('remote work');
  await labels.press('Enter');
  // Labels are single words, as the server keeps them.
  await page.getByRole('list', { name: 'Labels added' }).getByText('remote-work').waitFor();
  // The article's own rule starts as its category's, which says what that is.
  const who = page.getByRole('group', { name: 'Who can view this article' });
  assert.ok(await who.getByLabel('Same as its category (Network)').isChecked());
  await who.getByText('Currently: Everyone who can reach the portal, once they have logged in.').waitFor();
  await who.getByLabel('Anyone', { exact: true }).check();

  const body = page.getByRole('textbox', { name: 'Text (Markdown)' });
  await body.fill(vpn.first);
  await page.getByText('Unsaved changes').waitFor();

  // Preview: the server's rendering.
  await page.getByRole('tab', { name: 'Preview' }).click();
  const previewPanel = page.getByRole('tabpanel', { name: 'Preview' });
  await previewPanel.locator('strong', { hasText: 'GlobalProtect' }).waitFor();
  await previewPanel.getByRole('heading', { name: 'Steps', level: 2 }).waitFor();
  await previewPanel.locator('em', { hasText: 'Europe' }).waitFor();
  await shot(page, 'console-kb-editor-preview.png');
  // The arrow keys move between Write and Preview.
  await page.getByRole('tab', { name: 'Preview' }).press('ArrowLeft');
  assert.equal(await page.getByRole('tab', { name: 'Write' }).getAttribute('aria-selected'), 'true');

  // Ctrl+S saves a draft, and the address becomes the article's.
  await body.press('Control+s');
  await page.getByText('Draft saved.').waitFor();
  await page.waitForURL(/\/kb\/articles\/\d+$/);
  ids.article = page.url().match(/articles\/(\d+)$/)[1];
  await page.getByRole('heading', { name: 'Edit article' }).waitFor();

  // An image pasted into the text uploads and lands where the cursor was.
  await body.focus();
  await body.press('Control+End');
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  );
  await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], 'tray.png', { type: 'image/png' }));
    const area = document.querySelector('textarea[name="body"]');
    area.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, png.toString('base64'));
  await page.waitForFunction(() => /!\[[^\]]*\]\(\/api\/kb\/files\/\d+\)/.test(document.querySelector('textarea[name="body"]').value));
  assert.ok((await body.inputValue()).startsWith(vpn.first), 'the image went after the text, where the cursor was');

  // Publish.
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByText('Published: customers can read it now.').waitFor();
  await page.getByRole('button', { name: 'Unpublish' }).waitFor();
  let a = await api(adminCtx, 'GET', `/api/kb/articles/${ids.article}`);
  assert.equal(a.status, 'published');
  assert.equal(a.category.name, 'Network');
  assert.deepEqual(a.labels, ['vpn', 'remote-work']);
  assert.equal(a.view.mode, 'anyone');
  assert.match(a.html, /<img[^>]+src="\/api\/kb\/files\/\d+"/);

  // An edit saved with Ctrl+S updates the published article.
  await body.fill(vpn.first + '\n\nAsk IT for a token if it refuses.');
  await body.press('Control+s');
  await page.getByText('Saved: the published article is updated.').waitFor();

  // Someone else saves meanwhile: this editor's save is refused, and says so.
  a = await api(adminCtx, 'GET', `/api/kb/articles/${ids.article}`);
  await api(adminCtx, 'PATCH', `/api/kb/articles/${ids.article}`, { body: 'Written elsewhere.', revision: a.revision });
  await body.fill('My version.');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('Someone else saved a newer version of this article while you were editing.').waitFor();
  await page.getByRole('button', { name: 'Reload the article' }).click();
  await page.waitForFunction(() => document.querySelector('textarea[name="body"]')?.value === 'Written elsewhere.');

  // History: the first revision, rendered, and restored.
  const history = page.getByRole('list', { name: 'Revisions' });
  await history.getByText('Current').waitFor();
  await page.getByRole('button', { name: 'View revision 1' }).click();
  const rev = page.getByRole('dialog', { name: 'Revision 1' });
  await rev.locator('strong', { hasText: 'GlobalProtect' }).waitFor();
  await rev.getByRole('button', { name: 'Show the Markdown' }).click();
  await rev.getByText('Open **GlobalProtect** from the tray.').waitFor();
  await rev.getByRole('button', { name: 'Restore this revision' }).click();
  await rev.getByText('Restore revision 1?').waitFor();
  await rev.getByRole('button', { name: 'Restore revision 1' }).click();
  await rev.waitFor({ state: 'hidden' });
  await page.getByText(/Revision 1 restored, as revision \d+\./).waitFor();
  assert.equal(await body.inputValue(), vpn.first);
  a = await api(adminCtx, 'GET', `/api/kb/articles/${ids.article}`);
  assert.equal(a.body, vpn.first);

  // Unsaved changes: leaving by a link asks first; staying keeps them.
  await page.getByLabel('Title').fill(vpn.title + ' (draft title)');
  await page.getByRole('link', { name: 'All articles' }).click();
  const leave = page.getByRole('dialog', { name: 'Leave without saving?' });
  await leave.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await page.getByLabel('Title').inputValue(), vpn.title + ' (draft title)', 'the change is still there');
  assert.match(page.url(), /articles\/\d+$/);
  // The Back button asks too (the browser's own confirm); refusing stays, changes and all.
  let asked = '';
  page.once('dialog', (d) => {
    asked = d.message();
    void d.dismiss();
  });
  await page.goBack();
  await page.waitForFunction(() => /articles\/\d+$/.test(location.hash));
  assert.equal(asked, 'This article has unsaved changes. Leave without saving them?');
  assert.equal(await page.getByLabel('Title').inputValue(), vpn.title + ' (draft title)');
  await page.getByRole('link', { name: 'All articles' }).click();
  await leave.getByRole('button', { name: 'Leave without saving' }).click();

  // The list: the article with its status, category, labels and counts; the filters.
  const table = page.getByRole('table', { name: 'Articles' });
  const row = table.getByRole('row').filter({ hasText: vpn.title });
  await row.getByText('Published').waitFor();
  await row.getByText('Network').waitFor();
  await row.getByText('remote-work').waitFor();
  assert.equal(await table.getByRole('row').filter({ hasText: '(draft title)' }).count(), 0, 'the unsaved title was not saved');
  await page.getByLabel('Filter articles').fill('remote');
  await row.waitFor();
  await page.getByLabel('Filter articles').fill('no such article');
  await page.getByText('No article matches “no such article”.').waitFor();
  await page.getByRole('button', { name: 'Show every article' }).click();
  await page.getByLabel('Status').selectOption('draft');
  await page.getByText('No article matches these filters.').waitFor();
  await page.getByLabel('Status').selectOption('all');
  await row.waitFor();
  assert.deepEqual(unexpected(problems, 400, 409), [], 'no console errors or CSP violations');
  await page.close();
});

test('a folder of Markdown files imports with progress to the end; failures are listed; the export is a zip', async () => {
  const page = await adminCtx.newPage();
  const problems = watchPage(page);
  await page.goto(kbHref('import'));
  await page.getByRole('heading', { name: 'Import Markdown files' }).waitFor();

  // A folder: its Markdown files, the picture skipped; the subfolder becomes a category.
  await page.getByLabel('Folder to import').setInputFiles(join(folder, 'Handbook'));
  await page.getByText('3 Markdown files from “Handbook”').waitFor();
  await page.getByText('(1 other file skipped)').waitFor();
  await page.getByLabel('Drafts').check();
  await page.getByRole('button', { name: 'Import 3 files' }).click();
  await page.getByText('Imported 3 of 3.').waitFor();
  await page.getByText('Every file became an article.').waitFor();
  let space = await api(adminCtx, 'GET', `/api/projects/${ids.it}/kb`);
  const jam = space.articles.find((x) => x.title === 'Clear a paper jam');
  assert.equal(jam?.category?.name, 'Printers', 'the subfolder is the category');
  assert.deepEqual(jam.labels, ['printer', 'paper']);
  assert.equal(jam.status, 'draft');

  // 54 files: two batches (50 and 4), as published; one has a title too long to keep.
  const files = [];
  for (let i = 1; i <= 53; i++) {
    files.push({ name: `tip-${String(i).padStart(2, '0')}.md`, mimeType: 'text/markdown', buffer: Buffer.from(`# Laptop tip ${i}\n\nKeep the lid closed when moving it (${i}).\n`) });
  }
  files.push({ name: 'broken.md', mimeType: 'text/markdown', buffer: Buffer.from(`---\ntitle: ${'x'.repeat(300)}\n---\nToo long a title.\n`) });
  await page.getByLabel('Markdown files to import').setInputFiles(files);
  await page.getByText('54 Markdown files').waitFor();
  await page.getByLabel('Published').check();
  const batches = [];
  page.on('request', (r) => r.url().endsWith('/kb/import') && batches.push(r.postDataJSON().files.length));
  await page.getByRole('button', { name: 'Import 54 files' }).click();
  const bar = page.getByRole('progressbar', { name: 'Import progress' });
  await page.getByText('Imported 53 of 54.').waitFor();
  assert.equal(await bar.evaluate((el) => [el.value, el.max].join('/')), '54/54', 'the bar reaches the end');
  assert.deepEqual(batches, [50, 4], 'at most 50 files a call');
  const failures = page.getByRole('list', { name: 'Files not imported' });
  await failures.getByText('broken.md').waitFor();
  await failures.getByText('Keep the title under 255 characters.').waitFor();
  await page.getByText('1 file was not imported').waitFor();
  await shot(page, 'console-kb-import.png');
  space = await api(adminCtx, 'GET', `/api/projects/${ids.it}/kb`);
  assert.equal(space.articles.filter((x) => x.title.startsWith('Laptop tip') && x.status === 'published').length, 53);

  // Export: a zip download.
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download all articles (.zip)' }).click();
  const file = await download;
  assert.equal(file.suggestedFilename(), 'IT-knowledge-base.zip');
  const res = await page.request.get(url(`/api/projects/${ids.it}/kb/export`));
  assert.equal(res.status(), 200);
  assert.equal(res.headers()['content-type'], 'application/zip');
  const zip = await res.body();
  assert.equal(zip.subarray(0, 2).toString(), 'PK', 'a zip archive');
  assert.ok(zip.includes(Buffer.from('connect-to-the-vpn')) || zip.includes(Buffer.from('GlobalProtect')), 'the VPN article is in it');

  // The list, with drafts and published articles from the import.
  await page.goto(kbHref());
  const table = page.getByRole('table', { name: 'Articles' });
  await page.getByLabel('Filter articles').fill('paper');
  await table.getByRole('link', { name: 'Clear a paper jam' }).waitFor();
  await page.getByLabel('Filter articles').fill('');
  // 57 articles: 50 show, and the rest on request.
  assert.equal(await table.locator('tbody tr').count(), 50);
  await page.getByRole('button', { name: 'Show 7 more' }).click();
  assert.equal(await table.locator('tbody tr').count(), 57);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'console-kb-articles.png', false);
  assert.deepEqual(unexpected(problems), [], 'no console errors or CSP violations');
  await page.close();
});

test('an agent links an article in a reply and turns the resolved request into a draft article', async () => {
  await indexed(ids.article, 'vpn');
  const { types } = await api(anaCtx, 'GET', `/api/portals/${ids.it}/request-types`);
  const getHelp = types.find((t) => t.name === 'Get help');
  const raised = await api(anaCtx, 'POST', `/api/portals/${ids.it}/requests`, {
    typeId: getHelp.id,
    fields: { summary: 'VPN keeps asking for my password', description: 'Since Monday, at home.' },
  });

  const ctx = await contextFor(sam);
  const page = await ctx.newPage();
  const problems = watchPage(page);
  await page.goto(url(`/console/#/requests/${raised.key}`));
  await page.getByRole('heading', { name: 'VPN keeps asking for my password', level: 1 }).waitFor();
  const reply = page.getByRole('textbox', { name: 'Reply to customer' });
  await reply.fill('Hi Ana, this should help: ');
  await page.getByRole('button', { name: 'Insert article' }).click();
  const picker = page.getByRole('dialog', { name: 'Insert an article' });
  const search = picker.getByRole('combobox', { name: 'Search published articles' });
  await search.fill('vpn');
  const option = picker.getByRole('option', { name: new RegExp(vpn.title) });
  await option.waitFor();
  await option.locator('mark').first().waitFor();
  await shot(page, 'console-kb-insert-article.png', false);
  await search.press('Enter');
  await picker.waitFor({ state: 'hidden' });
  const inserted = await reply.inputValue();
  assert.match(inserted, new RegExp(`^Hi Ana, this should help: \\[${vpn.title}\\]\\(https?://[^)]+/articles/${ids.article}\\)$`));
  await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'body'); // focus is back in the reply
  await page.getByRole('button', { name: 'Send reply' }).click();
  const activity = page.getByRole('list', { name: 'Activity' });
  await activity.getByRole('link', { name: vpn.title }).waitFor();

  // Not resolved yet: no "Create article".
  assert.equal(await page.getByRole('button', { name: 'Create article' }).count(), 0);
  const r = await api(ctx, 'GET', `/api/requests/${raised.key}`);
  const resolve = r.transitions.find((t) => t.name === 'Resolve this request');
  await api(ctx, 'POST', `/api/requests/${raised.key}/transitions`, { transitionId: resolve.id, comment: 'The VPN article fixed it.' });
  await page.reload();
  const kb = page.getByRole('region', { name: 'Knowledge base' });
  await kb.scrollIntoViewIfNeeded();
  await shot(page, 'console-request-create-article.png', false);
  await kb.getByRole('button', { name: 'Create article' }).click();
  await page.getByRole('heading', { name: 'Edit article' }).waitFor();
  await page.waitForURL(new RegExp(`/portals/${ids.it}/kb/articles/\\d+$`));
  assert.equal(await page.getByLabel('Title').inputValue(), 'VPN keeps asking for my password');
  assert.match(await page.getByRole('textbox', { name: 'Text (Markdown)' }).inputValue(), /Since Monday, at home\./);
  await page.getByText('Draft', { exact: true }).first().waitFor();
  await page.getByRole('link', { name: raised.key }).waitFor();
  assert.deepEqual(unexpected(problems), [], 'no console errors or CSP violations');
  await ctx.close();
});

test('a customer search that found nothing is a content gap in the analytics, and "Write article" starts one', async () => {
  // As a customer: one search that finds nothing (twice: on the help center and on the IT
  // portal, whose own analytics count only searches made there), one that finds the VPN article.
  for (const q of [gapQuery, `${gapQuery}&portal=${ids.it}`, 'vpn']) {
    await api(anaCtx, 'GET', `/api/kb/search?q=${q.split('&').map((p, i) => (i ? p : encodeURIComponent(p))).join('&')}`);
  }
  // Someone reads the article and finds it helpful.
  await api(anaCtx, 'GET', `/api/kb/articles/${ids.article}`);
  await api(anaCtx, 'POST', `/api/kb/articles/${ids.article}/feedback`, { helpful: true });

  const page = await adminCtx.newPage();
  const problems = watchPage(page);
  await page.goto(url('/console'));
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Knowledge base' }).click();
  await page.getByRole('heading', { name: 'Knowledge base', level: 1 }).waitFor();
  await page.getByRole('list', { name: 'Knowledge bases' }).getByRole('link', { name: 'IT Support', exact: true }).waitFor();
  const gaps = page.getByRole('region', { name: 'Content gaps' });
  const gap = gaps.getByRole('row').filter({ hasText: gapQuery });
  await gap.waitFor();
  assert.match(await gap.innerText(), /\b2\b/, 'asked twice');
  const top = page.getByRole('region', { name: 'Top searches' });
  await top.getByRole('row').filter({ hasText: 'vpn' }).waitFor();
  const read = page.getByRole('region', { name: 'Most read articles' });
  await read.getByRole('link', { name: vpn.title }).waitFor();
  await page.getByText('Deflection rate').waitFor();
  await shot(page, 'console-kb-analytics.png');

  // The portal's own analytics, on its Knowledge base tab, show the same gap.
  await page.goto(kbHref('analytics'));
  await page.getByRole('region', { name: 'Content gaps' }).getByText(gapQuery).waitFor();
  await page.getByRole('region', { name: 'Most read articles' }).getByRole('link', { name: vpn.title }).waitFor();

  await page.getByRole('region', { name: 'Content gaps' }).getByRole('button', { name: `Write article: ${gapQuery}` }).click();
  await page.getByRole('heading', { name: 'New article' }).waitFor();
  assert.equal(await page.getByLabel('Title').inputValue(), gapQuery);
  assert.deepEqual(unexpected(problems), [], 'no console errors or CSP violations');
  await page.close();
});

test('the search language is saved from the home page, and the knowledge base index is listed', async () => {
  const page = await adminCtx.newPage();
  const problems = watchPage(page);
  await page.goto(url('/console'));
  const card = page.getByRole('region', { name: 'Search language' });
  await card.getByText('Changing it rebuilds the search index; search keeps answering meanwhile.').waitFor();
  const select = card.getByLabel('Language of the knowledge base');
  assert.equal(await select.inputValue(), 'en');
  await select.selectOption({ label: 'Deutsch' });
  await card.getByRole('button', { name: 'Save language' }).click();
  await card.getByText('Saved. The search index is being rebuilt.').waitFor();
  const hc = await api(adminCtx, 'GET', '/api/helpcenter');
  assert.equal(hc.language, 'de');
  const index = page.getByRole('region', { name: 'Search index' });
  await index.getByText('Knowledge base', { exact: true }).waitFor();
  await index.getByText('Ready').first().waitFor({ timeout: 15000 });
  await page.reload();
  assert.equal(await page.getByLabel('Language of the knowledge base').inputValue(), 'de');
  await shot(page, 'console-home-language.png');
  assert.deepEqual(unexpected(problems), [], 'no console errors or CSP violations');
  await page.close();
});

test('on a 390 px phone the knowledge base, the editor and the analytics fit the screen', async () => {
  const ctx = await browser.newContext({ ...phone390, storageState: await adminCtx.storageState() });
  const page = await ctx.newPage();
  const problems = watchPage(page);
  await page.goto(kbHref());
  await page.getByLabel('Filter articles').fill('printer');
  await page.getByRole('link', { name: 'Clear a paper jam' }).waitFor();
  assert.equal(await sidewaysOverflow(page), 0, 'the article list fits');
  await shot(page, 'console-kb-phone.png');

  await page.goto(kbHref('articles', ids.article));
  await page.getByRole('heading', { name: 'Edit article' }).waitFor();
  await page.getByRole('tab', { name: 'Preview' }).click();
  await page.getByRole('tabpanel', { name: 'Preview' }).locator('strong', { hasText: 'GlobalProtect' }).waitFor();
  assert.equal(await sidewaysOverflow(page), 0, 'the editor fits');
  await shot(page, 'console-kb-editor-phone.png');

  await page.goto(kbHref('categories'));
  await page.getByRole('list', { name: 'Categories' }).waitFor();
  assert.equal(await sidewaysOverflow(page), 0, 'the categories fit');

  await page.goto(url('/console/#/kb'));
  await page.getByRole('region', { name: 'Content gaps' }).getByText(gapQuery).waitFor();
  assert.equal(await sidewaysOverflow(page), 0, 'the analytics fit');
  await shot(page, 'console-kb-analytics-phone.png');
  assert.deepEqual(unexpected(problems), [], 'no console errors or CSP violations');
  await ctx.close();
});
