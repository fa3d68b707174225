// The knowledge base on the customer portal, through the real binary: search
// with the matched words marked and more results a page at a time; type-ahead
// opening an article from the keyboard; articles suggested on the raise form,
// where "This solved my problem" ends the flow with no request; "Was this
// helpful?"; and what an anonymous visitor may read: an "Anyone" article of an
// open portal, but neither a "logged-in users" one nor any article of a
// restricted portal, whether searched, suggested or opened by its address.
// The data is set up through the API, as the console would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startWithAdmin, launchBrowser, watchPage, artifacts, outbox, setPasswordLink, sidewaysOverflow } from './rig.mjs';

const admin = { email: 'olga@example.org', password: 'correct horse battery' };
const ana = { name: 'Ana Lima', email: 'ana@acme.example', password: 'ana password 123' };

const desktop = { viewport: { width: 1280, height: 900 } };
// The brief's phone: an iPhone 12–15 sized screen.
const phone390 = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

let portico, browser, adminCtx;
const ids = { it: '', hr: '', getHelp: '', printing: '' };
// Articles by what they are for.
const art = { open: '', loggedIn: '', restricted: '', toner: [] };
const titles = {
  open: 'Printer shows offline',
  loggedIn: 'Printer driver licence keys',
  restricted: 'Printer for payslips',
};

const url = (path) => portico.portal + path.replace(/^\//, '');
const shot = (page, name) => page.screenshot({ path: join(artifacts, name), fullPage: true });

const logInApi = (ctx, who) => api(ctx, 'POST', '/api/login', { email: who.email, password: who.password });

/** One API call with ctx's session; fails the test on anything but 2xx. */
async function api(ctx, method, path, data) {
  const res = await ctx.request.fetch(url(path), { method, data });
  if (!res.ok()) throw new Error(`${method} ${path} answered ${res.status()}: ${await res.text()}`);
  return res.status() === 204 ? null : res.json();
}

/** The ids of the articles a search for q finds for ctx's caller. */
async function found(ctx, q, portal) {
  const params = new URLSearchParams({ q, limit: '50' });
  if (portal) params.set('portal', portal);
  const out = await api(ctx, 'GET', `/api/kb/search?${params}`);
  return (out.articles ?? []).map((a) => a.id);
}

/** Search is near-real-time: wait until q finds article id (as staff), rather than sleeping. */
async function indexed(id, q) {
  const until = Date.now() + 10000;
  while (Date.now() < until) {
    if ((await found(adminCtx, q)).includes(id)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`article ${id} never showed up in a search for "${q}"`);
}

async function article(project, input) {
  const a = await api(adminCtx, 'POST', `/api/projects/${project}/kb/articles`, { status: 'published', ...input });
  return String(a.id);
}

/** A browser context logged in as who, whose set-password link waits in the outbox. */
async function customerContext(who, options = desktop) {
  const emails = await outbox(await adminCtx.newPage(), portico.portal);
  const mail = emails.find((e) => e.to === who.email);
  assert.ok(mail, `an email to ${who.email} in the outbox`);
  const link = setPasswordLink(mail.text) ?? mail.link;
  const ctx = await browser.newContext(options);
  await api(ctx, 'POST', '/api/password/set', { token: link.split('#token=')[1], password: who.password });
  return ctx;
}

/** How many requests ana can see: none is raised when an article solves it. */
async function requestCount(ctx) {
  const out = await api(ctx, 'GET', '/api/requests?status=all&ownership=all');
  return out.total ?? out.values.length;
}

before(async () => {
  portico = await startWithAdmin(admin, { PORTICO_HELP_CENTER_NAME: 'Acme Help' });
  browser = await launchBrowser();
  adminCtx = await browser.newContext();
  await logInApi(adminCtx, admin);

  // Visitors may look around without an account; IT is Open, HR Restricted.
  await api(adminCtx, 'PATCH', '/api/helpcenter', { access: { signup: true, anonymous: true } });
  const it = await api(adminCtx, 'POST', '/api/projects', {
    key: 'IT',
    name: 'IT Support',
    portalDescription: 'Laptops, printers and accounts.',
    channel: 'open',
  });
  ids.it = String(it.id);
  const hr = await api(adminCtx, 'POST', '/api/projects', { key: 'HR', name: 'People Team', channel: 'restricted' });
  ids.hr = String(hr.id);
  await api(adminCtx, 'POST', `/api/projects/${ids.it}/customers`, { email: ana.email, name: ana.name });

  const catalogue = await api(adminCtx, 'GET', `/api/projects/${ids.it}/request-types`);
  ids.getHelp = String(catalogue.types.find((t) => t.name === 'Get help').id);
  await api(adminCtx, 'POST', `/api/projects/${ids.it}/request-types`, {
    name: 'Printer setup',
    description: 'A new printer, or one that moved.',
    icon: 'hardware',
    groupIds: [catalogue.groups[0].id],
    fields: [{ id: 'summary', kind: 'summary', label: 'Summary', required: true }],
  });

  const printing = await api(adminCtx, 'POST', `/api/projects/${ids.it}/kb/categories`, { name: 'Printing' });
  ids.printing = String(printing.id);
  art.open = await article(ids.it, {
    title: titles.open,
    category: ids.printing,
    labels: ['printer', 'windows'],
    body: [
      'When the printer shows offline, the print spooler has usually stopped.',
      '',
      '## Steps',
      '',
      '1. Open **Services**.',
      '2. Restart `Print Spooler`.',
      '3. Print a test page.',
    ].join('\n'),
    view: { mode: 'anyone' },
  });
  art.loggedIn = await article(ids.it, {
    title: titles.loggedIn,
    body: 'The printer driver licence keys for the office printers are in the vault.',
    view: { mode: 'loggedin' },
  });
  art.restricted = await article(ids.hr, {
    title: titles.restricted,
    body: 'Payslips print on the printer in room 4.',
    view: { mode: 'anyone' },
  });
  // Enough for a second page of results.
  for (let i = 1; i <= 12; i++) {
    art.toner.push(
      await article(ids.it, {
        title: `Toner cartridge tip ${i}`,
        body: `Toner tip number ${i}: shake the cartridge before you put it in.`,
        view: { mode: 'anyone' },
      }),
    );
  }
  await indexed(art.open, 'printer');
  await indexed(art.loggedIn, 'licence');
  await indexed(art.restricted, 'payslips');
  await indexed(art.toner.at(-1), 'toner');
});

after(async () => {
  await browser?.close();
  await portico?.stop();
});

test('search marks the matched words, offers request types, pages and keeps the query; a result opens in one click', async () => {
  const ctx = await customerContext(ana);
  const page = await ctx.newPage();
  const problems = watchPage(page);

  await page.goto(url('/'));
  const box = page.getByRole('combobox', { name: 'Search for help' });
  await box.fill('printer');
  await box.press('Enter');
  await page.waitForURL(/\/search\?q=printer$/);
  await page.getByRole('heading', { name: 'Search results', level: 1 }).waitFor();
  assert.equal(await page.getByRole('combobox', { name: 'Search for help' }).inputValue(), 'printer', 'the query stays in the box');

  const result = page.getByRole('link', { name: new RegExp(titles.open) });
  await result.waitFor();
  // The matched word is marked, in the title and in the excerpt, as text: no markers show.
  await result.locator('mark', { hasText: /^printer$/i }).first().waitFor();
  assert.ok((await result.locator('mark').count()) >= 2, 'the title and the excerpt both mark "printer"');
  await result.getByText('IT Support').waitFor();
  await result.getByText('Printing').waitFor();
  assert.equal(await page.getByText('@@@').count(), 0, 'no highlight markers on the page');
  // A logged-in customer of IT finds the logged-in article too; never HR's.
  await page.getByRole('link', { name: new RegExp(titles.loggedIn) }).waitFor();
  assert.equal(await page.getByRole('link', { name: new RegExp(titles.restricted) }).count(), 0);
  // A matching request type is one click from its form.
  const raise = page.getByRole('region', { name: 'Raise a request' });
  await raise.getByRole('link', { name: /Printer setup/ }).waitFor();
  await raise.locator('mark', { hasText: /^printer$/i }).waitFor();
  await shot(page, 'kb-search-results.png');

  await result.click();
  await page.waitForURL(new RegExp(`/articles/${art.open}$`));
  await page.getByRole('heading', { name: titles.open, level: 1 }).waitFor();
  const crumbs = page.getByRole('navigation', { name: 'Breadcrumb' });
  await crumbs.getByRole('link', { name: 'IT Support' }).waitFor();
  await crumbs.getByText('Printing').waitFor();
  // The body is the server's rendering of the Markdown.
  await page.getByRole('heading', { name: 'Steps', level: 2 }).waitFor();
  await page.locator('article li strong', { hasText: 'Services' }).waitFor();
  await page.getByRole('list', { name: 'Labels' }).getByText('windows').waitFor();
  await page.getByText(/^Updated /).waitFor();
  await shot(page, 'kb-article.png');
  await page.goBack();
  await page.getByRole('heading', { name: 'Search results', level: 1 }).waitFor();

  // Ten at a time; Load more adds the rest.
  const search = page.getByRole('combobox', { name: 'Search for help' });
  await search.fill('toner');
  await search.press('Enter');
  await page.waitForURL(/\/search\?q=toner$/);
  await page.getByText('12 articles match “toner”.').waitFor();
  const results = page.getByRole('region', { name: 'Articles' }).getByRole('listitem');
  assert.equal(await results.count(), 10);
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
  assert.equal(await results.count(), 12);
  assert.ok(
    await results.nth(10).getByRole('link').evaluate((el) => el === document.activeElement),
    'focus moves to the first new result',
  );

  // Nothing found: a way to raise a request instead.
  await page.goto(url('/search?q=xylophone'));
  await page.getByText('No articles match “xylophone”').first().waitFor();
  await page.getByRole('link', { name: 'Raise a request in IT Support' }).click();
  await page.getByRole('heading', { name: 'IT Support', level: 1 }).waitFor();

  assert.deepEqual(problems, [], 'no console errors or CSP violations');
  await ctx.close();
});

test('type-ahead: suggestions as you type, chosen and opened with the keyboard', async () => {
  const ctx = await browser.newContext(desktop);
  await logInApi(ctx, ana);
  const page = await ctx.newPage();
  const problems = watchPage(page);

  await page.goto(url(`/portal/${ids.it}`));
  await page.getByRole('heading', { name: 'IT Support', level: 1 }).waitFor();
  // The portal lists its articles by category.
  const kb = page.getByRole('region', { name: 'Knowledge base' });
  await kb.getByRole('region', { name: 'Printing' }).getByRole('link', { name: titles.open }).waitFor();

  const box = page.getByRole('combobox', { name: 'Search for help in IT Support' });
  await box.focus();
  await box.pressSequentially('print', { delay: 30 });
  const list = page.getByRole('listbox', { name: 'Suggestions' });
  const option = list.getByRole('option', { name: new RegExp(titles.open) });
  await option.waitFor();
  assert.equal(await box.getAttribute('aria-expanded'), 'true');
  await list.getByRole('option', { name: /Raise a request: Printer setup/ }).waitFor();
  await shot(page, 'kb-typeahead.png');

  // Escape closes the list and keeps what was typed; Down opens it again.
  await box.press('Escape');
  assert.equal(await box.getAttribute('aria-expanded'), 'false');
  assert.equal(await box.inputValue(), 'print');
  await box.press('ArrowDown');
  assert.equal(await box.getAttribute('aria-expanded'), 'true');

  // Down until the article is the active option, then Enter opens it.
  const wanted = await option.getAttribute('id');
  for (let i = 0; i < 10 && (await box.getAttribute('aria-activedescendant')) !== wanted; i++) {
    await box.press('ArrowDown');
  }
  assert.equal(await box.getAttribute('aria-activedescendant'), wanted);
  assert.equal(await option.getAttribute('aria-selected'), 'true');
  assert.ok(await box.evaluate((el) => el === document.activeElement), 'focus stays in the box');
  await box.press('Enter');
  await page.waitForURL(new RegExp(`/articles/${art.open}$`));
  await page.getByRole('heading', { name: titles.open, level: 1 }).waitFor();

  // Enter with no suggestion chosen searches, narrowed to the portal.
  await page.goto(url(`/portal/${ids.it}`));
  await box.fill('printer');
  await box.press('Enter');
  await page.waitForURL(new RegExp(`/search\\?q=printer&portal=${ids.it}$`));
  await page.getByText('Only IT Support is searched.').waitFor();

  assert.deepEqual(problems, [], 'no console errors or CSP violations');
  await ctx.close();
});

test('articles suggested while the summary is typed; "This solved my problem" ends the flow with no request', async () => {
  const ctx = await browser.newContext(desktop);
  await logInApi(ctx, ana);
  const page = await ctx.newPage();
  const problems = watchPage(page);
  const before = await requestCount(ctx);

  await page.goto(url(`/portal/${ids.it}/create/${ids.getHelp}`));
  await page.getByRole('heading', { name: 'Get help', level: 1 }).waitFor();
  await page.getByLabel('Summary').fill('my printer is offline');
  const suggested = page.getByRole('complementary', { name: 'Suggested articles' });
  const toggle = suggested.getByRole('button', { name: titles.open, exact: true });
  await toggle.waitFor();
  await suggested.locator('mark', { hasText: /^printer$/i }).first().waitFor();
  // Wide screens: beside the form, not in it.
  assert.equal(await page.locator('form').getByRole('complementary', { name: 'Suggested articles' }).count(), 0);
  // Read it in place.
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await suggested.getByRole('heading', { name: 'Steps' }).waitFor();
  await suggested.getByRole('link', { name: `Open in a new tab — ${titles.open}` }).waitFor();
  await shot(page, 'kb-raise-deflection.png');

  await suggested.getByRole('button', { name: `This solved my problem — ${titles.open}` }).click();
  await page.getByRole('heading', { name: 'Problem solved', level: 1 }).waitFor();
  await page.getByText('Glad that helped — no request was raised.').waitFor();
  assert.equal(await page.getByLabel('Summary').count(), 0, 'the form is gone');
  await page.getByRole('link', { name: 'Back to IT Support' }).waitFor();
  await page.getByRole('link', { name: 'Help center home' }).waitFor();
  await shot(page, 'kb-raise-solved.png');
  assert.equal(await requestCount(ctx), before, 'no request was raised');
  const stats = await api(adminCtx, 'GET', `/api/kb/analytics?project=${ids.it}`);
  assert.equal(stats.deflection.solved, 1, 'the deflection is counted');

  assert.deepEqual(problems, [], 'no console errors or CSP violations');
  await ctx.close();
});

test('"Was this helpful?": No with a reason, remembered on reload, then changed to Yes', async () => {
  const ctx = await browser.newContext(desktop);
  await logInApi(ctx, ana);
  const page = await ctx.newPage();
  const problems = watchPage(page);

  await page.goto(url(`/articles/${art.loggedIn}`));
  await page.getByRole('heading', { name: titles.loggedIn, level: 1 }).waitFor();
  const feedback = page.getByRole('region', { name: 'Was this helpful?' });
  const yes = feedback.getByRole('button', { name: 'Yes' });
  const no = feedback.getByRole('button', { name: 'No' });
  assert.equal(await no.getAttribute('aria-pressed'), 'false');
  await no.click();
  const reason = feedback.getByLabel('What was missing or wrong? (optional)');
  await reason.waitFor();
  assert.ok(await reason.evaluate((el) => el === document.activeElement), 'focus goes to the reason');
  assert.equal(await no.getAttribute('aria-pressed'), 'true');
  await reason.fill('Which vault?');
  await feedback.getByRole('button', { name: 'Send' }).click();
  await feedback.getByText('Thanks. Your comment goes to the team').waitFor();
  await reason.waitFor({ state: 'detached' });

  let counts = await api(adminCtx, 'GET', `/api/kb/articles/${art.loggedIn}`);
  assert.deepEqual([counts.helpful ?? 0, counts.notHelpful ?? 0], [0, 1]);

  await page.reload();
  await page.getByRole('heading', { name: titles.loggedIn, level: 1 }).waitFor();
  assert.equal(await no.getAttribute('aria-pressed'), 'true', 'the vote is remembered');
  await feedback.getByText('You said this did not help.').waitFor();
  await yes.click();
  await feedback.getByText('Thanks for letting us know.').waitFor();
  assert.equal(await yes.getAttribute('aria-pressed'), 'true');
  assert.equal(await no.getAttribute('aria-pressed'), 'false');
  counts = await api(adminCtx, 'GET', `/api/kb/articles/${art.loggedIn}`);
  assert.deepEqual([counts.helpful ?? 0, counts.notHelpful ?? 0], [1, 0], 'one vote per person: the new one replaces it');

  // An article she may not read (another portal's) is No Access, as one that does not exist.
  for (const id of [art.restricted, '999999']) {
    await page.goto(url(`/articles/${id}`));
    await page.getByRole('heading', { name: 'No Access', level: 1 }).waitFor();
    assert.equal(await page.getByText(titles.restricted).count(), 0);
  }
  await shot(page, 'kb-article-no-access.png');

  assert.deepEqual(problems.filter((p) => !p.includes('404')), [], 'no console errors but the refusals');
  await ctx.close();
});

test('an anonymous visitor reads "Anyone" articles of an open portal, and nothing logged-in or restricted', async () => {
  const ctx = await browser.newContext(desktop);
  const page = await ctx.newPage();
  const problems = watchPage(page);

  // Through the API: search, suggest and the article itself.
  assert.deepEqual(await found(ctx, 'printer'), [art.open], 'search finds the Anyone article alone');
  assert.deepEqual(await found(ctx, 'payslips'), []);
  assert.deepEqual(await found(ctx, 'licence'), []);
  const suggested = await api(ctx, 'GET', '/api/kb/suggest?q=print');
  const suggestedIds = suggested.suggestions.filter((s) => s.kind === 'article').map((s) => s.id);
  assert.deepEqual(suggestedIds, [art.open]);
  for (const id of [art.loggedIn, art.restricted]) {
    const res = await ctx.request.get(url(`/api/kb/articles/${id}`));
    assert.ok([401, 404].includes(res.status()), `article ${id} answers ${res.status()}`);
    assert.ok(!(await res.text()).includes('Printer'), 'a refusal names nothing');
  }
  const res = await ctx.request.get(url(`/api/portals/${ids.it}/kb`));
  const listed = JSON.stringify(await res.json());
  assert.ok(listed.includes(titles.open) && !listed.includes(titles.loggedIn), 'the portal lists the Anyone article alone');

  // In the browser: results, suggestions and addresses.
  await page.goto(url('/search?q=printer'));
  await page.getByRole('link', { name: new RegExp(titles.open) }).waitFor();
  await page.getByText('1 article matches “printer”.').waitFor();
  assert.equal(await page.getByText(titles.loggedIn).count(), 0);
  assert.equal(await page.getByText(titles.restricted).count(), 0);

  await page.goto(url('/'));
  const box = page.getByRole('combobox', { name: 'Search for help' });
  await box.pressSequentially('print', { delay: 30 });
  const list = page.getByRole('listbox', { name: 'Suggestions' });
  await list.getByRole('option', { name: new RegExp(titles.open) }).waitFor();
  assert.equal(await list.getByRole('option', { name: new RegExp(`${titles.loggedIn}|${titles.restricted}`) }).count(), 0);

  await page.goto(url(`/articles/${art.open}`));
  await page.getByRole('heading', { name: titles.open, level: 1 }).waitFor();
  // A visitor's vote counts too (one per browser).
  await page.getByRole('button', { name: 'Yes' }).click();
  await page.getByText('Thanks for letting us know.').waitFor();

  await page.goto(url(`/articles/${art.loggedIn}`));
  await page.getByRole('heading', { name: 'Log in to continue' }).waitFor();
  assert.equal(await page.getByText(titles.loggedIn).count(), 0);
  await shot(page, 'kb-article-login.png');

  // A restricted portal's article, and one that does not exist, answer the
  // same: an id tells a visitor nothing.
  for (const id of [art.restricted, '999999']) {
    await page.goto(url(`/articles/${id}`));
    await page.getByRole('heading', { name: 'Log in to continue' }).waitFor();
    assert.equal(await page.getByText(titles.restricted).count(), 0);
  }

  assert.deepEqual(problems.filter((p) => !/40[14]/.test(p)), [], 'no console errors beyond the refusals');
  await ctx.close();
});

test('the knowledge base pages fit a 390px phone', async () => {
  const ctx = await browser.newContext(phone390);
  await logInApi(ctx, ana);
  const page = await ctx.newPage();

  await page.goto(url('/search?q=printer'));
  await page.getByRole('link', { name: new RegExp(titles.open) }).waitFor();
  assert.equal(await sidewaysOverflow(page), 0, 'results: no sideways scrolling');
  await shot(page, 'kb-search-results-phone.png');

  await page.goto(url(`/articles/${art.open}`));
  await page.getByRole('heading', { name: titles.open, level: 1 }).waitFor();
  assert.equal(await sidewaysOverflow(page), 0, 'article: no sideways scrolling');
  await shot(page, 'kb-article-phone.png');

  await page.goto(url(`/portal/${ids.it}`));
  await page.getByRole('region', { name: 'Knowledge base' }).waitFor();
  await page.waitForLoadState('networkidle');
  assert.equal(await sidewaysOverflow(page), 0, 'portal: no sideways scrolling');
  await shot(page, 'kb-portal-phone.png');

  // On a phone the suggestions sit under the summary, inside the form.
  await page.goto(url(`/portal/${ids.it}/create/${ids.getHelp}`));
  await page.getByLabel('Summary').fill('printer offline');
  const inForm = page.locator('form').getByRole('complementary', { name: 'Suggested articles' });
  await inForm.getByRole('button', { name: titles.open, exact: true }).waitFor();
  const [summaryBox, suggestBox, descriptionBox] = await Promise.all([
    page.getByLabel('Summary').boundingBox(),
    inForm.boundingBox(),
    page.getByRole('button', { name: 'Send' }).boundingBox(),
  ]);
  assert.ok(summaryBox.y < suggestBox.y && suggestBox.y < descriptionBox.y, 'under the summary, above Send');
  assert.equal(await sidewaysOverflow(page), 0, 'raise form: no sideways scrolling');
  await shot(page, 'kb-raise-deflection-phone.png');
  await ctx.close();
});
