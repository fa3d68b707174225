// The end-to-end rig: the real headless binary on a random loopback port with
// its own data dir, and Debian's Chromium driven by playwright-core.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

export const artifacts = process.env.ARTIFACTS || join(process.cwd(), 'test-results');
mkdirSync(artifacts, { recursive: true });

const bin = process.env.PORTICO_BIN;
if (!bin) throw new Error('PORTICO_BIN must name the headless portico binary (make e2e sets it)');

/**
 * Starts `portico serve` and resolves once it has printed its addresses.
 * Returns the portal URL, the setup link (if printed) and every line read.
 */
export async function startPortico({ dataDir, env = {} } = {}) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'portico-e2e-'));
  const child = spawn(bin, ['serve', '--data', dir, '--addr', '127.0.0.1:0'], {
    env: { ...process.env, PORTICO_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = [];
  const stderr = [];
  createInterface({ input: child.stderr }).on('line', (l) => stderr.push(l));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('portico did not start:\n' + stderr.join('\n'))), 20000);
    child.on('exit', (code) => reject(new Error(`portico exited ${code}:\n${stderr.join('\n')}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout.push(line);
      if (line.startsWith('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await ready;
  const portal = stdout.find((l) => l.startsWith('Portal: '))?.slice(8);
  const setup = stdout.find((l) => l.startsWith('Setup: '))?.slice(7);
  return {
    dir,
    portal,
    setup,
    stdout,
    stderr,
    async stop({ keepData = false } = {}) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const code = await exited;
      if (!keepData) rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // No background networking: this machine's network is closed, and a
    // test browser has no business phoning home anyway.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Collects console errors and CSP violations so a test can assert there were none. */
export function watchPage(page) {
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

/** Starts Portico already set up, with admin ({email, password}) as its owner. */
export function startWithAdmin(admin, env = {}) {
  return startPortico({
    env: { PORTICO_ADMIN_EMAIL: admin.email, PORTICO_ADMIN_PASSWORD: admin.password, ...env },
  });
}

/** Fills in the login form on the page (the portal's or the console's) and submits it. */
export async function logIn(page, who) {
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Opens the console at portal, logs in as who and waits for the console's home. */
export async function logInToConsole(page, portal, who) {
  await page.goto(portal + 'console');
  await logIn(page, who);
  await page.getByText('Customers open').waitFor();
}

/** Fills in the set-password page (confirm: what to type the second time) and submits it. */
export async function choosePassword(page, password, confirm = password) {
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Confirm new password').fill(confirm);
  await page.getByRole('button', { name: 'Set password' }).click();
}

/** The set-password link in an email's text, if there is one. */
export function setPasswordLink(text) {
  return text.match(/https?:\/\/\S+set-password#token=[\w-]+/)?.[0];
}

/** The emails waiting in the outbox, read through the API with page's (an admin's) session. */
export async function outbox(page, portal) {
  const res = await page.request.get(portal + 'api/outbox');
  assert.equal(res.status(), 200);
  return (await res.json()).emails;
}

/** A phone-sized browser context's options. */
export const phone = { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** How far the page scrolls sideways: 0 when it fits the screen. */
export function sidewaysOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

const devtools = new WeakMap();

/**
 * Sets page's network as DevTools' throttling does: offline, or uploads
 * slowed to upload bytes a second (-1: as fast as they go).
 */
export async function emulateNetwork(page, { offline = false, upload = -1 } = {}) {
  if (!devtools.has(page)) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    devtools.set(page, cdp);
  }
  await devtools.get(page).send('Network.emulateNetworkConditions', {
    offline,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: upload,
  });
}

/** The fraction a <progress> bar shows, once it shows some but not all (fails after timeout ms). */
export async function partway(bar, timeout = 10000) {
  const until = Date.now() + timeout;
  while (Date.now() < until) {
    const v = await bar.evaluate((el) => el.value, undefined, { timeout: 1000 }).catch(() => NaN);
    if (v > 0 && v < 1) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the progress bar never showed part of the upload');
}
