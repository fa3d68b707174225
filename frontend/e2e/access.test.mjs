// Seed 002's story through the browser: a colleague cannot reach a
// Restricted portal, the admin adds a domain rule, the colleague can, and
// "Explain access" says why; removing the rule takes access away at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startWithAdmin, launchBrowser, watchPage, artifacts, logIn, logInToConsole, choosePassword, setPasswordLink } from './rig.mjs';

const admin = { email: 'olga@example.org', password: 'correct horse battery' };
const ana = { email: 'ana@example.com', password: 'ana password 123' };
const bob = { email: 'bob@example.com', password: 'bob password 123' };

let portico, browser, console_, adminProblems;
let portalId = '';

before(async () => {
  portico = await startWithAdmin(admin);
  browser = await launchBrowser();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  console_ = await ctx.newPage();
  adminProblems = watchPage(console_);
});
after(async () => {
  await browser?.close();
  await portico?.stop();
});

const shot = (page, name, fullPage = true) => page.screenshot({ path: join(artifacts, name), fullPage });

/** The set-password link of the newest pending email to `to`, read off the Pending emails page. */
async function linkFor(page, to) {
  await page.goto(portico.portal + 'console/#/emails');
  await page.getByRole('heading', { name: 'Pending emails', level: 1 }).waitFor();
  const item = page.locator('li.email').filter({ hasText: to }).first();
  await item.waitFor();
  const text = await item.locator('pre').innerText();
  const link = setPasswordLink(text);
  assert.ok(link, `a set-password link in the email to ${to}:\n${text}`);
  return link;
}

/** A customer in a fresh browser context sets their password from the link; returns the page. */
async function setPassword(link, who) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const problems = watchPage(page);
  await page.goto(link);
  await page.getByRole('heading', { name: 'Set your password' }).waitFor();
  assert.ok(!page.url().includes('token='), 'the token is taken out of the address bar');
  await choosePassword(page, who.password);
  await page.getByRole('heading', { name: /^Welcome/ }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/', 'back on the help center home');
  return { page, problems };
}

test('the owner logs into the console and creates a Restricted portal', async () => {
  const page = console_;
  await logInToConsole(page, portico.portal, admin);

  const nav = page.getByRole('navigation', { name: 'Console' });
  for (const item of ['Home', 'Portals', 'Organizations', 'People', 'Customer access', 'Pending emails']) {
    await nav.getByRole('link', { name: item }).waitFor();
  }
  await nav.getByRole('link', { name: 'Portals' }).click();
  await page.getByRole('heading', { name: 'Portals', level: 1 }).waitFor();
  await page.getByText('No portals yet.').waitFor();
  await page.getByRole('link', { name: 'Create portal' }).first().click();

  await page.getByLabel('Name', { exact: true }).fill('IT Support');
  assert.equal(await page.getByLabel('Key').inputValue(), 'IT', 'the key is suggested from the name');
  await page.getByLabel('Description').fill('Laptops, accounts and access.');
  await page.getByLabel('Restricted').check();
  await page.getByRole('button', { name: 'Create portal' }).click();

  await page.getByRole('heading', { name: 'IT Support', level: 1 }).waitFor();
  portalId = page.url().match(/#\/portals\/(\w+)/)?.[1] ?? '';
  assert.ok(portalId, 'the portal has an id in the address');

  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Portals' }).click();
  await page.getByRole('link', { name: 'IT Support' }).waitFor();
  await shot(page, 'console-portals.png');
});

test('Customer permissions say what the channel means under the site settings', async () => {
  const page = console_;
  await page.goto(portico.portal + `console/#/portals/${portalId}/permissions`);
  const meaning = page.getByRole('status').filter({ hasText: 'What this means now' });
  await meaning.getByText('The portal is Restricted').waitFor();
  assert.ok(await page.getByLabel('Other customers in their organization').isChecked(), 'the tightest sharing by default');
  await page.getByLabel('Open', { exact: true }).check();
  await page.getByLabel('Any customer, by typing an email address').check();
  await page.getByRole('button', { name: 'Save permissions' }).click();
  await meaning.getByText('The portal is Open').waitFor();
  await page.getByText('Sharing takes effect when requests arrive').waitFor();
  await page.screenshot({ path: join(artifacts, 'console-customer-permissions.png'), fullPage: true });
  // Back to Restricted for the story.
  await page.getByLabel('Restricted').check();
  await page.getByLabel('Other customers in their organization').check();
  await page.getByRole('button', { name: 'Save permissions' }).click();
  await meaning.getByText('The portal is Restricted').waitFor();
});

test('the admin adds Ana on the Customers tab; her link waits in Pending emails', async () => {
  const page = console_;
  await page.goto(portico.portal + `console/#/portals/${portalId}/customers`);
  await page.getByRole('heading', { name: 'Add a customer' }).waitFor();
  await page.getByLabel('Email').fill(ana.email);
  await page.getByLabel('Name (optional)').fill('Ana Lima');
  await page.getByRole('button', { name: 'Add customer' }).click();
  const done = page.getByRole('status').filter({ hasText: 'is now a customer of IT Support' });
  await done.waitFor();
  await done.getByText('A new account was created').waitFor();
  const row = page.getByRole('list', { name: 'Customers' }).getByRole('listitem').filter({ hasText: ana.email });
  await row.getByText('Direct').waitFor();
  // The count badge in the navigation.
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: /Pending emails\s*1/ }).waitFor();
  await shot(page, 'console-project-customers.png');
});

test('Ana sets her password from the link and sees IT Support', async () => {
  const link = await linkFor(console_, ana.email);
  await shot(console_, 'console-pending-emails.png');
  const { page, problems } = await setPassword(link, ana);
  await page.getByRole('link', { name: /IT Support/ }).waitFor();
  await page.getByText('Laptops, accounts and access.').waitFor();
  await shot(page, 'portal-home-with-portals.png');
  await page.getByRole('link', { name: /IT Support/ }).click();
  await page.getByRole('heading', { name: 'IT Support', level: 1 }).waitFor();
  assert.match(page.url(), new RegExp(`/portal/${portalId}$`));
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('a portal link opened before logging in asks for a login, then shows the portal', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(portico.portal + `portal/${portalId}`);
  await page.getByRole('heading', { name: 'Log in to continue' }).waitFor();
  await page.getByText('Log in to use this portal.').waitFor();
  assert.equal(await page.getByText('IT Support').count(), 0, 'no portal name before login');
  await logIn(page, ana);
  await page.getByRole('heading', { name: 'IT Support', level: 1 }).waitFor();
  assert.match(page.url(), new RegExp(`/portal/${portalId}$`), 'still on the portal');
  await ctx.close();
});

let bobPage;

test('Bob, in an organization not attached to IT, sees no portal and is refused with a remedy', async () => {
  const page = console_;
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Organizations' }).click();
  await page.getByLabel('Organization name').fill('Finance');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await page.getByRole('list', { name: 'Organizations' }).getByText('Not attached to any portal').waitFor();
  await page.getByRole('link', { name: 'Finance' }).first().click();
  await page.getByRole('heading', { name: 'Finance', level: 1 }).waitFor();
  await page.getByLabel('Email').fill(bob.email);
  await page.getByLabel('Name (optional)').fill('Bob Brown');
  await page.getByRole('button', { name: 'Add member' }).click();
  await page.getByRole('list', { name: 'Members' }).getByText(bob.email).waitFor();
  await page.screenshot({ path: join(artifacts, 'console-organization.png'), fullPage: true });

  const link = await linkFor(page, bob.email);
  const { page: bp, problems } = await setPassword(link, bob);
  bobPage = bp;
  await bp.getByText("You don't have access to any portals yet.").waitFor();
  assert.equal(await bp.getByRole('link', { name: /IT Support/ }).count(), 0);

  await bp.goto(portico.portal + `portal/${portalId}`);
  const alert = bp.getByRole('alert');
  await alert.getByText('This portal is restricted to its customers.').waitFor();
  await alert.getByText('Ask the team that runs this portal to add you as a customer.').waitFor();
  assert.equal(await bp.getByText('IT Support').count(), 0, 'a refusal never shows the portal name');
  assert.equal(await bp.getByText('Laptops, accounts and access.').count(), 0, 'nor its description');
  await shot(bp, 'portal-restricted-refusal.png');
  assert.deepEqual(problems.filter((p) => !p.includes('403')), []);
});

test('a domain rule for example.com lets Bob in at once; Explain access says why', async () => {
  const page = console_;
  await page.goto(portico.portal + `console/#/portals/${portalId}/organizations`);
  await page.getByRole('heading', { name: 'Domain rules' }).waitFor();
  await page.getByText('Portico checks rules every time someone signs in or opens a portal').waitFor();
  await page.getByRole('textbox', { name: 'Domain' }).fill('example.com');
  await page.getByRole('button', { name: 'Add rule' }).click();
  await page.getByRole('list', { name: 'Domain rules' }).getByText('@example.com').waitFor();
  await page.screenshot({ path: join(artifacts, 'console-project-domains.png'), fullPage: true });

  await bobPage.goto(portico.portal);
  await bobPage.getByRole('link', { name: /IT Support/ }).waitFor();
  await bobPage.getByRole('link', { name: /IT Support/ }).click();
  await bobPage.getByRole('heading', { name: 'IT Support', level: 1 }).waitFor();

  await page.getByRole('navigation', { name: 'Portal sections' }).getByRole('link', { name: 'Explain access' }).click();
  await page.getByLabel('Email').fill(bob.email);
  await page.getByRole('button', { name: 'Explain' }).click();
  const result = page.locator('section.result');
  await result.getByText('Allowed', { exact: true }).waitFor();
  await result.getByText("email address matches the project's domain rule @example.com").waitFor();
  await shot(page, 'console-explain-access.png');

  await page.getByRole('navigation', { name: 'Portal sections' }).getByRole('link', { name: 'Customers' }).click();
  const row = page.getByRole('list', { name: 'Customers' }).getByRole('listitem').filter({ hasText: bob.email });
  await row.getByText('Domain @example.com').waitFor();
});

test('removing the rule takes Bob’s access away at once', async () => {
  const page = console_;
  await page.getByRole('navigation', { name: 'Portal sections' }).getByRole('link', { name: 'Organizations and domains' }).click();
  await page.getByRole('button', { name: 'Remove the rule for example.com' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('lose access to IT Support at once').waitFor();
  await dialog.getByRole('button', { name: 'Remove rule' }).click();
  await page.getByText('No domain rules.').waitFor();

  await bobPage.goto(portico.portal);
  await bobPage.getByText("You don't have access to any portals yet.").waitFor();
  await bobPage.goto(portico.portal + `portal/${portalId}`);
  await bobPage.getByRole('alert').getByText('This portal is restricted to its customers.').waitFor();
  await bobPage.context().close();

  await page.getByRole('navigation', { name: 'Portal sections' }).getByRole('link', { name: 'Explain access' }).click();
  await page.getByLabel('Email').fill(bob.email);
  await page.getByRole('button', { name: 'Explain' }).click();
  await page.locator('section.result').getByText('Refused', { exact: true }).waitFor();
  await page.locator('section.result').getByText('Ask the team that runs this portal to add you as a customer.').waitFor();
  assert.deepEqual(adminProblems, [], 'no console errors in the console');
});

test('an agent sees only the projects they are assigned to, and no admin pages', async () => {
  const page = console_;
  const gus = { name: 'Gus Grant', email: 'gus@example.org', password: 'gus password 123' };
  await page.goto(portico.portal + 'console/#/people');
  await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
  assert.equal(
    await page.evaluate(() => document.activeElement?.tagName),
    'H1',
    'focus moves to the new page’s heading',
  );
  await page.getByLabel('Name', { exact: true }).fill(gus.name);
  await page.getByLabel('Email').fill(gus.email);
  await page.getByLabel('Agent', { exact: true }).check();
  await page.getByRole('button', { name: 'Add person' }).click();
  await page.getByRole('cell', { name: new RegExp(gus.email) }).waitFor();
  await page.screenshot({ path: join(artifacts, 'console-people.png'), fullPage: true });

  await page.goto(portico.portal + `console/#/portals/${portalId}/agents`);
  await page.getByRole('button', { name: `Assign ${gus.name}` }).click();
  await page.getByRole('button', { name: `Unassign ${gus.name}` }).waitFor();

  const link = await linkFor(page, gus.email);
  const { page: gp } = await setPassword(link, gus);
  await gp.goto(portico.portal + 'console/#/portals');
  const nav = gp.getByRole('navigation', { name: 'Console' });
  await nav.getByRole('link', { name: 'Portals' }).waitFor();
  assert.equal(await nav.getByRole('link', { name: 'Customer access' }).count(), 0);
  assert.equal(await nav.getByRole('link', { name: /Pending emails/ }).count(), 0);
  await gp.getByRole('link', { name: 'IT Support' }).click();
  const tabs = gp.getByRole('navigation', { name: 'Portal sections' });
  await tabs.getByRole('link', { name: 'Customers' }).waitFor();
  assert.equal(await tabs.getByRole('link', { name: 'Settings' }).count(), 0, 'settings are for admins');
  assert.equal(await tabs.getByRole('link', { name: 'Agents' }).count(), 0);
  await tabs.getByRole('link', { name: 'Customer permissions' }).click();
  assert.ok(await gp.getByLabel('Restricted').isDisabled(), 'agents see the permissions but cannot change them');
  await gp.getByText('Only admins can change these.').waitFor();
  await gp.context().close();
});
