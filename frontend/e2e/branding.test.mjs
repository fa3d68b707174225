// Branding: the admin sets a Markdown announcement with hostile HTML in it,
// a login message, a banner colour and a portal's description and
// announcement; the customer sees them rendered, and nothing in them runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startWithAdmin, launchBrowser, watchPage, artifacts, logIn, logInToConsole, choosePassword, outbox, phone, sidewaysOverflow } from './rig.mjs';

const admin = { email: 'olga@example.org', password: 'correct horse battery' };
const dan = { email: 'dan@example.com', password: 'dan password 123' };
const banner = '#8a2be2';
const hostile =
  '**Scheduled maintenance** on Friday, see [the status page](https://status.example.com).\n\n' +
  "<script>window.__pwned = 1; alert('script')</script>\n\n" +
  '<img src="x" onerror="window.__pwned = 2; alert(\'img\')">';

let portico, browser, adminPage, portalId;

before(async () => {
  portico = await startWithAdmin(admin, { PORTICO_HELP_CENTER_NAME: 'Acme Help' });
  browser = await launchBrowser();
  adminPage = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await logInToConsole(adminPage, portico.portal, admin);
  // A portal and a customer to look at it, set up through the API: this file is about branding.
  const created = await adminPage.request.post(portico.portal + 'api/projects', {
    data: { key: 'IT', name: 'IT Support', channel: 'restricted' },
  });
  assert.equal(created.status(), 201);
  portalId = String((await created.json()).id);
  const added = await adminPage.request.post(portico.portal + `api/projects/${portalId}/customers`, {
    data: { email: dan.email, name: 'Dan Diaz' },
  });
  assert.equal(added.status(), 201);
});
after(async () => {
  await browser?.close();
  await portico?.stop();
});

/** A small PNG drawn by the browser itself: a rounded square with a letter. */
async function drawLogo(page, colour, letter) {
  const dataUrl = await page.evaluate(
    ([c, l]) => {
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 96;
      const g = canvas.getContext('2d');
      g.fillStyle = c;
      g.beginPath();
      g.roundRect(4, 4, 88, 88, 18);
      g.fill();
      g.fillStyle = '#ffffff';
      g.font = 'bold 56px sans-serif';
      g.textAlign = 'center';
      g.textBaseline = 'middle';
      g.fillText(l, 48, 52);
      return canvas.toDataURL('image/png');
    },
    [colour, letter],
  );
  return { name: `${letter}.png`, mimeType: 'image/png', buffer: Buffer.from(dataUrl.split(',')[1], 'base64') };
}

const rgb = (hex) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

test('the admin brands the help center, with a live preview', async () => {
  const page = adminPage;
  await page.goto(portico.portal + 'console/#/customer-access');
  await page.getByRole('heading', { name: 'Branding' }).waitFor();
  await page.getByLabel('Help center logo').setInputFiles(await drawLogo(page, '#f59e0b', 'A'));
  await page.getByRole('status').filter({ hasText: 'Logo saved.' }).waitFor();
  await page.locator('.preview-banner img').waitFor();
  await page.getByLabel('Help center announcement').fill(hostile);
  await page.getByLabel('Login screen message').fill('Log in with your **work** email address.');
  await page.getByLabel('Banner colour').fill(banner);
  const previewBanner = page.locator('.preview-banner');
  assert.equal(await previewBanner.evaluate((el) => getComputedStyle(el).backgroundColor), rgb(banner), 'the preview follows the colour as it is typed');
  await page.getByRole('button', { name: 'Save branding' }).click();
  await page.getByRole('status').filter({ hasText: /^Saved\.$/ }).waitFor();
  const rendered = page.locator('.preview-announcement');
  await rendered.locator('strong', { hasText: 'Scheduled maintenance' }).waitFor();
  assert.equal(await rendered.locator('script, img[onerror]').count(), 0, 'the server sanitised it');
  await page.screenshot({ path: join(artifacts, 'console-branding.png'), fullPage: true });
});

test('the admin gives the portal a description and an announcement', async () => {
  const page = adminPage;
  await page.goto(portico.portal + `console/#/portals/${portalId}/settings`);
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  await page.getByLabel('Portal logo').setInputFiles(await drawLogo(page, '#0e7490', 'IT'));
  await page.getByRole('status').filter({ hasText: 'Logo saved.' }).waitFor();
  // Not an image, whatever its name says: the server refuses it.
  await page.getByLabel('Portal logo').setInputFiles({ name: 'evil.png', mimeType: 'image/png', buffer: Buffer.from('<svg onload="alert(1)"/>') });
  await page.getByRole('alert').waitFor();
  await page.getByLabel('Description').fill('Laptops, accounts and access.');
  await page.getByLabel('Portal announcement').fill('New laptops arrive on *Monday*.');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByRole('status').filter({ hasText: /^Saved\.$/ }).waitFor();
  await page.locator('.preview em', { hasText: 'Monday' }).waitFor();
});

test('the customer sees the branding and nothing in it runs', async () => {
  const link = (await outbox(adminPage, portico.portal)).find((e) => e.to === dan.email)?.link;
  assert.ok(link);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const problems = watchPage(page);
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss();
  });

  // The login screen carries the login message and the banner colour.
  await page.goto(portico.portal);
  await page.locator('.login-message strong', { hasText: 'work' }).waitFor();
  const bar = page.locator('header.topbar');
  assert.equal(await bar.evaluate((el) => getComputedStyle(el).backgroundColor), rgb(banner));

  await page.goto(link);
  await choosePassword(page, dan.password);
  const announcement = page.getByRole('region', { name: 'Announcement' });
  await announcement.locator('strong', { hasText: 'Scheduled maintenance' }).waitFor();
  await announcement.getByRole('link', { name: 'the status page' }).waitFor();
  await page.getByRole('link', { name: /IT Support/ }).waitFor();
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no injected code ran');
  assert.deepEqual(dialogs, [], 'no dialog opened');
  assert.equal(await bar.evaluate((el) => getComputedStyle(el).backgroundColor), rgb(banner), 'the banner has the colour');
  assert.equal(await announcement.locator('script, img[onerror]').count(), 0);

  const loaded = (img) => img.evaluate((el) => el.complete && el.naturalWidth > 0);
  assert.ok(await loaded(bar.locator('img')), 'the help center logo is in the banner');
  assert.ok(await loaded(page.locator('.portal img')), "the portal's logo is on its card");

  await page.getByRole('link', { name: /IT Support/ }).click();
  await page.getByRole('heading', { name: 'IT Support', level: 1 }).waitFor();
  await page.getByText('Laptops, accounts and access.').waitFor();
  assert.ok(await loaded(page.locator('article.portal header img')), "the portal's logo is on its page");
  await page.screenshot({ path: join(artifacts, 'portal-branded-portal.png'), fullPage: true });
  await page.getByRole('region', { name: 'Announcement' }).locator('em', { hasText: 'Monday' }).waitFor();
  // The login screen's GET /api/portals answers 401 by design; nothing else may complain.
  assert.deepEqual(problems.filter((p) => !p.includes('401')), [], 'no console errors or CSP violations');
  await ctx.close();
});

test('the branded help center works at phone width', async () => {
  const ctx = await browser.newContext(phone);
  const page = await ctx.newPage();
  await page.goto(portico.portal);
  await logIn(page, dan);
  await page.getByRole('link', { name: /IT Support/ }).waitFor();
  assert.equal(await sidewaysOverflow(page), 0, 'no sideways scrolling at 375px');
  await page.screenshot({ path: join(artifacts, 'portal-phone-home.png'), fullPage: true });
  await ctx.close();
});

test('the console works at phone width', async () => {
  const ctx = await browser.newContext(phone);
  const page = await ctx.newPage();
  await logInToConsole(page, portico.portal, admin);
  for (const hash of [`#/portals/${portalId}/customers`, '#/customer-access', '#/people', '#/emails']) {
    await page.goto(portico.portal + 'console/' + hash);
    await page.locator('main h1').waitFor();
    await page.waitForLoadState('networkidle');
    assert.equal(await sidewaysOverflow(page), 0, `no sideways scrolling at 375px on ${hash}`);
  }
  await page.goto(portico.portal + `console/#/portals/${portalId}/customers`);
  await page.getByRole('list', { name: 'Customers' }).waitFor();
  await page.screenshot({ path: join(artifacts, 'console-phone-customers.png'), fullPage: true });
  await ctx.close();
});
