// Signing up: refused while the site does not allow accounts; once it does,
// a visitor signs up, the link waits in Pending emails, they set a password
// and log in. A bot that fills the honeypot gets the same answer and no email.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startWithAdmin, launchBrowser, watchPage, artifacts, logIn, logInToConsole, choosePassword, setPasswordLink, outbox } from './rig.mjs';

const admin = { email: 'olga@example.org', password: 'correct horse battery' };
const cleo = { name: 'Cleo Park', email: 'cleo@example.net', password: 'cleo password 123' };
const bot = { name: 'Totally Human', email: 'bot@spam.example' };

let portico, browser, adminPage;

before(async () => {
  portico = await startWithAdmin(admin, { PORTICO_HELP_CENTER_NAME: 'Acme Help' });
  browser = await launchBrowser();
  adminPage = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await logInToConsole(adminPage, portico.portal, admin);
});
after(async () => {
  await browser?.close();
  await portico?.stop();
});

async function signUp(page, who, honeypot = '') {
  await page.goto(portico.portal + 'signup');
  await page.getByRole('heading', { name: /^Sign up for/ }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill(who.name);
  await page.getByLabel('Email').fill(who.email);
  if (honeypot) {
    // People never see the field; a bot fills in whatever it finds.
    await page.locator('input[name="website"]').fill(honeypot, { force: true });
  }
  await page.getByRole('button', { name: 'Sign up' }).click();
}

const queued = () => outbox(adminPage, portico.portal);

test('signup is refused while the site does not allow accounts', async () => {
  const page = await browser.newPage();
  await page.goto(portico.portal);
  await page.getByRole('heading', { name: 'Log in to Acme Help' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Sign up' }).count(), 0, 'no sign-up link');
  await page.getByRole('link', { name: 'Forgot your password?' }).waitFor();
  await signUp(page, cleo);
  await page.getByRole('alert').getByText('This help center does not let people sign up.').waitFor();
  assert.equal((await queued()).length, 0, 'nothing queued');
  await page.close();
});

test('the admin allows accounts on the Customer access page', async () => {
  const page = adminPage;
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Customer access' }).click();
  await page.getByRole('heading', { name: 'Customer access', level: 1 }).waitFor();
  const anonymous = page.getByLabel('Customers can access and send requests from the portal without logging in');
  assert.ok(await page.getByLabel("Don't allow customers to create their own accounts").isChecked());
  assert.ok(await anonymous.isDisabled(), 'anonymous access needs accounts first');
  await page.getByText('Only possible when customers may create accounts').waitFor();
  await page.getByLabel('Allow customers to create accounts').check();
  assert.ok(await anonymous.isEnabled());
  await page.getByRole('button', { name: 'Save customer access' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).first().waitFor();
  await page.screenshot({ path: join(artifacts, 'console-customer-access.png'), fullPage: true });
});

test('a visitor signs up, sets a password from the link and logs in', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const problems = watchPage(page);
  await page.goto(portico.portal);
  await page.getByRole('link', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: 'Sign up for Acme Help' }).waitFor();
  const hp = page.locator('input[name="website"]');
  assert.equal(await hp.getAttribute('tabindex'), '-1');
  assert.equal(await hp.getAttribute('autocomplete'), 'off');
  assert.equal(await page.locator('.hp').getAttribute('aria-hidden'), 'true');
  const box = await hp.boundingBox();
  assert.ok(!box || box.x + box.width <= 0, 'the honeypot is off screen');
  await page.getByLabel('Name', { exact: true }).fill(cleo.name);
  await page.getByLabel('Email').fill(cleo.email);
  await page.screenshot({ path: join(artifacts, 'portal-signup.png'), fullPage: true });
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('status').getByText('A link to set your password will be sent').waitFor();

  // The link, from the Pending emails page.
  await adminPage.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: /Pending emails/ }).click();
  const item = adminPage.locator('li.email').filter({ hasText: cleo.email });
  await item.waitFor();
  const link = setPasswordLink(await item.locator('pre').innerText());
  assert.ok(link);

  await page.goto(link);
  await choosePassword(page, cleo.password, 'not the same password');
  await page.getByText('The passwords do not match.').waitFor();
  await choosePassword(page, cleo.password);
  await page.getByRole('heading', { name: `Welcome, ${cleo.name}` }).waitFor();
  await page.getByText("You don't have access to any portals yet.").waitFor();

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in to Acme Help' }).waitFor();
  await logIn(page, cleo);
  await page.getByRole('heading', { name: `Welcome, ${cleo.name}` }).waitFor();
  assert.deepEqual(problems.filter((p) => !p.includes('401')), []);
  await ctx.close();
});

test('a bot that fills the honeypot gets the same answer and no email is queued', async () => {
  const before = (await queued()).length;
  const page = await browser.newPage();
  await signUp(page, bot, 'http://cheap-pills.example');
  await page.getByRole('status').getByText('A link to set your password will be sent').waitFor();
  const emails = await queued();
  assert.equal(emails.length, before, 'no new email');
  assert.ok(!emails.some((e) => e.to === bot.email), 'nothing to the bot');
  await page.close();
});

test('the forgotten-password page answers the same for anyone', async () => {
  const page = await browser.newPage();
  await page.goto(portico.portal + 'forgot');
  await page.getByLabel('Email').fill('nobody@nowhere.example');
  await page.getByRole('button', { name: 'Send link' }).click();
  const message = await page.getByRole('status').innerText();
  await page.goto(portico.portal + 'forgot');
  await page.getByLabel('Email').fill(cleo.email);
  await page.getByRole('button', { name: 'Send link' }).click();
  assert.equal(await page.getByRole('status').innerText(), message, 'no hint whether the address has an account');
  await page.close();
});
