// The whole journey of a municipal request, in Arabic, through Diwan's real
// pages and forms in headless Chromium, with axe-core run on every page
// visited.
//
// A clerk of Tripoli Center files a budget transfer with a PDF attached
// (on a phone-sized screen); the ministry's registry routes it to the
// Planning and Budget department; its head assigns an officer; the officer
// writes an internal note and asks for information; the municipality
// replies; the officer answers; the municipality reads the answer and
// acknowledges it. The registry, bulk SMS and the national inquiry follow
// (a manager writes it, a second approves, a citizen answers through the
// personal link, a 1415 agent by phone). Then a short English pass.
//
// Run it through browser/run.sh, which starts a demo server and sets
// DIWAN_URL. Every person has a browser context of their own (cookies are
// per context). Nothing here calls the API or runs JavaScript in the pages
// except axe-core, which is test tooling: the pages forbid scripts with
// their CSP, so the contexts bypass it (and the tests check that every
// page still sends it).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axe = require('axe-core');

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const RESULTS = path.join(HERE, 'test-results');
const BASE = (process.env.DIWAN_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const PASSWORD = 'diwan-demo-2026';
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

// What the journey types and expects. The demo's names come from
// crates/services/src/demo.rs.
const CASE_TYPE = 'طلب مناقلة في الميزانية';
const DEPARTMENT = 'إدارة التخطيط والميزانية';
const OFFICER_NAME = 'مريم الشريف — موظفة التخطيط';
const SUBJECT = 'طلب مناقلة من بند صيانة الطرق إلى بند النظافة العامة';
const BODY = 'نرجو الموافقة على نقل مبلغ 250,000 دينار من بند صيانة الطرق إلى بند النظافة العامة للربع الحالي من السنة المالية.';
const PDF_NAME = 'كشف-المناقلة.pdf';
const NOTE = 'ملاحظة داخلية لا تظهر للبلدية';
const INFO_REQUEST = 'يُرجى موافاتنا بكشف تفصيلي بالمصروفات الفعلية للبند المنقول منه حتى تاريخه.';
const REPLY = 'نفيدكم بأن المصروفات الفعلية للبند المنقول منه بلغت 120,000 دينار حتى تاريخه.';
const ANSWER = 'تمت الموافقة على المناقلة المطلوبة، ويُعمل بها اعتبارًا من تاريخه.';

// ---------------------------------------------------------------------------
// Labels, read from the application's own message files rather than guessed.

/** The single-line messages of a language's Fluent files, as id → text. */
function readFtl(lang) {
  const dir = path.join(ROOT, 'crates', 'web', 'locales', lang);
  const out = {};
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.ftl'))) {
    for (const line of fs.readFileSync(path.join(dir, name), 'utf8').split('\n')) {
      const m = /^([a-z][a-z0-9-]*)\s*=\s*(\S.*)$/.exec(line);
      if (m) out[m[1]] = m[2].trim();
    }
  }
  return out;
}

const FTL = { ar: readFtl('ar'), en: readFtl('en') };

/** The text of message `id` in `lang`, with `{ $var }` filled in. */
function t(lang, id, vars = {}) {
  const text = FTL[lang][id];
  assert.ok(text !== undefined, `crates/web/locales/${lang}/*.ftl have no single-line message "${id}"`);
  return norm(text.replace(/\{\s*\$([a-z_]+)\s*\}/g, (_, v) => String(vars[v])));
}
const ar = (id, vars) => t('ar', id, vars);
const en = (id, vars) => t('en', id, vars);

/** Text without bidi isolation marks and with collapsed white space. */
function norm(s) {
  return String(s ?? '').replace(/[\u2066-\u2069\u200e\u200f]/g, '').replace(/\s+/g, ' ').trim();
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
const exactly = (s) => new RegExp(`^\\s*${escapeRe(s)}\\s*$`);

/** A minimal valid one-page PDF, with a correct cross-reference table. */
function minimalPdf() {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) pdf += `${String(o).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

// ---------------------------------------------------------------------------
// What every visited page is checked for, collected and asserted at the end
// so that one run reports every defect at once.

const visits = []; // { who, url, status, how }
const violations = []; // { who, url, id, impact, help, helpUrl, nodes: [{ target, summary }] }
/** Queues seen on a phone with at least one case in them. */
let phoneQueuesWithRows = 0;
const problems = { langDir: [], scroll: [], leak: [], csp: [], untranslated: [], controls: [], unassigned: [], cards: [] };

/** Message ids have this shape; Arabic pages never show Latin text like it. */
const MESSAGE_ID = /\b[a-z]{2,}(?:-[a-z0-9]+)+\b/g;

/** Records a problem of `kind` seen by person `p` on page `url`. */
function note(kind, p, url, what) {
  problems[kind].push({ who: p.name, url, what });
}

async function audit(p, how) {
  const page = p.page;
  await page.waitForLoadState('load');
  const url = page.url().startsWith(BASE) ? page.url().slice(BASE.length) : page.url();
  visits.push({ who: p.name, url, status: p.lastStatus, how });

  const facts = await page.evaluate(() => {
    const root = document.documentElement;
    const attrs = [...document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')].flatMap((el) =>
      ['aria-label', 'title', 'placeholder', 'alt'].map((a) => el.getAttribute(a)).filter(Boolean),
    );
    const facts = {
      lang: root.getAttribute('lang'),
      dir: root.getAttribute('dir'),
      scrollWidth: root.scrollWidth,
      innerWidth: window.innerWidth,
      text: `${document.title}\n${document.body.innerText}\n${attrs.join('\n')}`,
      html: root.outerHTML,
      wide: [],
      controls: [],
      rows: [],
    };
    // Queue rows: on a phone each is a card (a block as wide as the list)
    // with its column's name before every value, and no column headers.
    for (const tr of document.querySelectorAll('table.cards tbody tr')) {
      const r = tr.getBoundingClientRect();
      const list = tr.closest('table').getBoundingClientRect();
      const labelled = [...tr.querySelectorAll('td')].every((td) => getComputedStyle(td, '::before').content.length > 2);
      const head = tr.closest('table').querySelector('thead');
      facts.rows.push({
        display: getComputedStyle(tr).display,
        fills: Math.abs(r.width - list.width) <= 2,
        labelled,
        headVisible: head ? head.getBoundingClientRect().width > 2 : false,
      });
    }
    // The text a browser draws inside a select or a text field is not a
    // text node, so axe-core's colour-contrast rule does not see it.
    const rgba = (c) => {
      const m = /^rgba?\(([^)]+)\)$/.exec(c);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const lum = ({ r, g, b }) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const fields = 'select, textarea, input:not([type="hidden"], [type="checkbox"], [type="radio"], [type="file"], [type="submit"], [type="button"])';
    for (const el of document.querySelectorAll(fields)) {
      const cs = getComputedStyle(el);
      if (cs.display === 'none' || cs.visibility === 'hidden' || el.getBoundingClientRect().width === 0) continue;
      const fg = rgba(cs.color);
      let node = el;
      let bg = rgba(cs.backgroundColor);
      while (bg && bg.a === 0 && node.parentElement) {
        node = node.parentElement;
        bg = rgba(getComputedStyle(node).backgroundColor);
      }
      if (!fg || !bg) continue;
      if (bg.a === 0) bg = { r: 255, g: 255, b: 255, a: 1 };
      const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (hi + 0.05) / (lo + 0.05);
      if (ratio < 4.5) {
        facts.controls.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}: text ${cs.color} on ${getComputedStyle(node).backgroundColor} = ${ratio.toFixed(2)}:1`);
      }
    }
    if (facts.scrollWidth > facts.innerWidth + 1) {
      // The innermost elements that stick out of the viewport on either side.
      const out = [...document.body.querySelectorAll('*')].filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && (r.left < -1 || r.right > window.innerWidth + 1);
      });
      const innermost = out.filter((el) => !out.some((o) => o !== el && el.contains(o)));
      facts.wide = innermost.slice(0, 8).map((el) => {
        const r = el.getBoundingClientRect();
        const cls = el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
        return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${cls} [${Math.round(r.left)}..${Math.round(r.right)}]`;
      });
    }
    return facts;
  });

  const dir = p.lang === 'ar' ? 'rtl' : 'ltr';
  if (facts.lang !== p.lang || facts.dir !== dir) {
    note('langDir', p, url, `<html lang="${facts.lang}" dir="${facts.dir}">, expected lang="${p.lang}" dir="${dir}"`);
  }
  if (p.phone && facts.scrollWidth > facts.innerWidth + 1) {
    note('scroll', p, url, `scrollWidth ${facts.scrollWidth} > innerWidth ${facts.innerWidth}; sticking out: ${facts.wide.join(', ')}`);
  }
  if (p.phone && /^\/(cases|search)(\?|$)/.test(url)) {
    if (facts.rows.length > 0) phoneQueuesWithRows += 1;
    for (const row of facts.rows) {
      if (row.display !== 'block' || !row.fills || !row.labelled || row.headVisible) {
        note('cards', p, url, `a queue row is not a card: ${JSON.stringify(row)}`);
        break;
      }
    }
  }
  if (p.municipal && facts.html.includes(NOTE)) {
    note('leak', p, url, `the municipality sees the internal note`);
  }
  const csp = p.lastHeaders?.['content-security-policy'] ?? '';
  if (!csp.includes("script-src 'none'")) {
    note('csp', p, url, `Content-Security-Policy is "${csp}"`);
  }
  if (/<script\b/i.test(facts.html)) {
    note('csp', p, url, 'the page has a <script> element');
  }
  for (const c of facts.controls) note('controls', p, url, c);
  if (p.lang === 'ar') {
    const ids = [...new Set(facts.text.match(MESSAGE_ID) ?? [])];
    if (ids.length) note('untranslated', p, url, `${ids.join(', ')}`);
  }

  await page.addScriptTag({ content: axe.source });
  const found = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 160), summary: n.failureSummary })),
    }));
  }, AXE_TAGS);
  for (const v of found) violations.push({ who: p.name, url, ...v });
  return facts;
}

// ---------------------------------------------------------------------------
// People and navigation.

let browser;
const people = [];

async function person(name, { phone = false, municipal = false, lang = 'ar' } = {}) {
  const context = await browser.newContext({
    locale: lang === 'ar' ? 'ar-LY' : 'en-GB',
    viewport: phone ? PHONE : DESKTOP,
    isMobile: false,
    bypassCSP: true, // only so that axe-core can be injected
    acceptDownloads: true,
  });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const p = { name, page, context, phone, municipal, lang, lastStatus: null, lastHeaders: null };
  page.on('response', (r) => {
    const req = r.request();
    if (req.frame() === page.mainFrame() && req.isNavigationRequest() && !(r.status() >= 300 && r.status() < 400)) {
      p.lastStatus = r.status();
      p.lastHeaders = r.headers();
    }
  });
  people.push(p);
  return p;
}

async function errorsShown(page) {
  const texts = await page.locator('.flash-error, .field-error').allInnerTexts();
  return texts.map(norm).join(' | ');
}

async function expectOk(p, how) {
  assert.ok(p.lastStatus !== null && p.lastStatus < 400, `${how}: HTTP ${p.lastStatus} at ${p.page.url()}; the page says: ${await errorsShown(p.page)}`);
}

async function goto(p, where, how = `GET ${where}`) {
  p.lastStatus = null;
  await p.page.goto(BASE + where);
  await audit(p, how);
  await expectOk(p, how);
}

/** Clicks what submits a form or follows a link, and audits the new page. */
async function navigate(p, target, how) {
  const page = p.page;
  p.lastStatus = null;
  const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 20_000 }).catch((e) => e);
  await target.click();
  const r = await navigated;
  if (r instanceof Error) throw r;
  await audit(p, how);
  await expectOk(p, how);
}

async function signIn(p, username) {
  const L = (id) => t(p.lang, id);
  await goto(p, '/sign-in');
  await p.page.getByLabel(L('username')).fill(username);
  await p.page.getByLabel(L('password')).fill(PASSWORD);
  await navigate(p, p.page.getByRole('button', { name: L('sign-in-submit') }), `sign in as ${username}`);
  assert.equal(new URL(p.page.url()).pathname, '/cases', `${username} lands on the queue after signing in`);
}

/** The text shown next to a label in the case details. */
async function detail(p, labelId) {
  const dt = p.page.locator('dl.details > dt').filter({ hasText: exactly(t(p.lang, labelId)) });
  return norm(await dt.locator('xpath=following-sibling::dd[1]').innerText());
}

async function expectState(p, stateCode) {
  const want = t(p.lang, `state-${stateCode.replace(/_/g, '-')}`);
  assert.equal(await detail(p, 'state'), want, `${p.name} sees the state "${want}" (${stateCode}) on ${p.page.url()}`);
}

async function sectionText(p, headingId) {
  return norm(await p.page.locator(`section[aria-labelledby="${headingId}"]`).innerText());
}

/** A municipality must not be told that an assigned case is unassigned. */
async function noteAssignee(p) {
  const shown = await detail(p, 'assignee');
  if (shown === t(p.lang, 'unassigned')) {
    note('unassigned', p, new URL(p.page.url()).pathname, `"${shown}" although ${OFFICER_NAME} was assigned (state ${await detail(p, 'state')})`);
  }
}

function actionForm(p, action) {
  return p.page.locator('form').filter({ has: p.page.locator(`input[name="action"][value="${action}"]`) });
}

/** Follows the notification whose text is `id` for the case, from /notifications. */
async function followNotification(p, id) {
  await navigate(p, p.page.getByRole('link', { name: t(p.lang, 'nav-notifications') }), 'nav: notifications');
  const want = t(p.lang, id, { number: journey.tracking });
  const links = p.page.locator('main a', { hasText: journey.tracking });
  const texts = (await links.allInnerTexts()).map(norm);
  const i = texts.indexOf(want);
  assert.ok(i >= 0, `${p.name} has the notification "${want}"; the ones about the case are: ${JSON.stringify(texts)}`);
  await navigate(p, links.nth(i), `notification: ${id}`);
  assert.equal(new URL(p.page.url()).pathname, journey.casePath, 'the notification leads to the case');
}

async function screenshot(p, file) {
  fs.mkdirSync(RESULTS, { recursive: true });
  await p.page.screenshot({ path: path.join(RESULTS, file), fullPage: true });
}

// ---------------------------------------------------------------------------
// The steps share this state; a failed step skips the ones after it.

const journey = { tracking: null, casePath: null, pdf: null };
let clerk, registry, head, officer;
let broken = null;

function step(name, fn) {
  test(name, { timeout: 180_000 }, async (tc) => {
    if (broken) {
      tc.skip(`skipped: the step "${broken}" failed`);
      return;
    }
    try {
      await fn(tc);
    } catch (e) {
      broken = name;
      for (const p of people) {
        await screenshot(p, `failed-${p.name}.png`).catch(() => {});
      }
      throw e;
    }
  });
}

before(async () => {
  assert.ok(BASE, 'DIWAN_URL is not set: run the tests through browser/run.sh');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Playwright gives each launch a fresh, temporary user-data-dir.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diwan-pdf-'));
  journey.pdf = path.join(dir, PDF_NAME);
  fs.writeFileSync(journey.pdf, minimalPdf());
});

after(async () => {
  await browser?.close();
  if (journey.pdf) fs.rmSync(path.dirname(journey.pdf), { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// The journey.

step('the municipal clerk files a budget transfer with a PDF, on a phone', async () => {
  clerk = await person('clerk.tripoli', { phone: true, municipal: true });
  await signIn(clerk, 'clerk.tripoli');
  const page = clerk.page;
  await navigate(clerk, page.getByRole('link', { name: ar('nav-new-request'), exact: true }), 'nav: new request');
  assert.equal(new URL(page.url()).pathname, '/cases/new');
  await page.getByLabel(ar('case-type')).selectOption({ label: CASE_TYPE });
  // The type's typed fields come on a second step, so the form works without JavaScript.
  await navigate(clerk, page.getByRole('button', { name: ar('continue') }), 'continue to the form');
  await page.getByLabel(ar('subject')).fill(SUBJECT);
  await page.getByLabel(ar('body'), { exact: true }).fill(BODY);
  await page.locator('input[type="file"]#file').setInputFiles(journey.pdf);
  await navigate(clerk, page.getByRole('button', { name: ar('submit-now') }), 'file the request');

  const url = new URL(page.url());
  assert.match(url.pathname, /^\/cases\/[0-9a-f-]{36}$/, 'filing lands on the case page');
  journey.casePath = url.pathname;
  journey.tracking = await detail(clerk, 'tracking-number');
  assert.match(journey.tracking, /^BDG-\d{4}-\d{6}$/, 'a budget transfer gets a BDG tracking number');
  assert.equal(journey.tracking.slice(4, 8), String(new Date().getFullYear()));
  assert.equal(norm(await page.locator('.flash-ok').innerText()), ar('request-filed', { number: journey.tracking }));
  await expectState(clerk, 'submitted');
  assert.equal(await detail(clerk, 'case-type'), CASE_TYPE);
  assert.ok((await sectionText(clerk, 'details-h')).includes(BODY), 'the body is shown');
  const files = await sectionText(clerk, 'attachments-h');
  assert.ok(files.includes(PDF_NAME), `the attachment is listed: ${files}`);
  assert.ok(files.includes('application/pdf'), 'as a PDF');
});

step('the registry finds the request by its tracking number and routes it to Planning and Budget', async () => {
  registry = await person('registry');
  await signIn(registry, 'registry');
  const page = registry.page;
  await navigate(registry, page.getByRole('link', { name: ar('nav-search'), exact: true }), 'nav: search');
  await page.locator('form[role="search"] input[name="q"]').fill(journey.tracking);
  await navigate(registry, page.getByRole('button', { name: ar('search-submit') }), 'search by tracking number');
  // An exact tracking number goes straight to its case; anything else
  // lists the results.
  if (new URL(page.url()).pathname !== journey.casePath) {
    await navigate(registry, page.locator('main table a', { hasText: journey.tracking }), 'open the case from the results');
  }
  assert.equal(new URL(page.url()).pathname, journey.casePath);
  await expectState(registry, 'submitted');

  const form = actionForm(registry, 'route');
  await form.getByLabel(ar('department')).selectOption({ label: DEPARTMENT });
  await navigate(registry, form.getByRole('button', { name: ar('action-route') }), 'route');
  await expectState(registry, 'routed');
  assert.equal(await detail(registry, 'held-by'), DEPARTMENT);
});

step('the head of Planning and Budget assigns the officer', async () => {
  head = await person('head.plan');
  await signIn(head, 'head.plan');
  await followNotification(head, 'notification-routed');
  await expectState(head, 'routed');
  const form = actionForm(head, 'assign');
  await form.getByLabel(ar('assignee')).selectOption({ label: OFFICER_NAME });
  await navigate(head, form.getByRole('button', { name: ar('action-assign') }), 'assign');
  await expectState(head, 'assigned');
  assert.equal(await detail(head, 'assignee'), OFFICER_NAME);
});

step('the officer downloads the attachment, writes an internal note and asks for information', async () => {
  officer = await person('officer.plan');
  await signIn(officer, 'officer.plan');
  await followNotification(officer, 'notification-assigned');
  await expectState(officer, 'assigned');
  const page = officer.page;

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('section[aria-labelledby="attachments-h"] a', { hasText: PDF_NAME }).click(),
  ]);
  assert.equal(download.suggestedFilename(), PDF_NAME, 'the download keeps the Arabic file name');
  assert.deepEqual(fs.readFileSync(await download.path()), minimalPdf(), 'the download is the file that was attached');

  const noteForm = page.locator('form').filter({ has: page.locator('input[name="internal"][value="1"]') });
  await noteForm.getByLabel(ar('internal-note')).fill(NOTE);
  await navigate(officer, noteForm.getByRole('button', { name: ar('add-note') }), 'add an internal note');
  assert.ok((await sectionText(officer, 'notes-h')).includes(NOTE), 'the officer sees the note');
  assert.ok(!(await sectionText(officer, 'messages-h')).includes(NOTE), 'the note is not among the messages');

  const form = actionForm(officer, 'request_info');
  await form.getByLabel(ar('message')).fill(INFO_REQUEST);
  await navigate(officer, form.getByRole('button', { name: ar('action-request-info') }), 'request information');
  await expectState(officer, 'info_requested');
  assert.ok((await sectionText(officer, 'messages-h')).includes(INFO_REQUEST));
});

step('the municipality sees the request for information and replies', async () => {
  const page = clerk.page;
  await navigate(clerk, page.getByRole('link', { name: ar('nav-queue'), exact: true }), 'nav: queue');
  const row = page.locator('main table tbody tr').filter({ hasText: journey.tracking });
  assert.equal(norm(await row.locator('.badge-state').innerText()), ar('state-info-requested'), 'the queue shows the new state');
  await navigate(clerk, row.getByRole('link', { name: journey.tracking }), 'open the case from the queue');
  await expectState(clerk, 'info_requested');
  await noteAssignee(clerk);
  assert.ok((await sectionText(clerk, 'messages-h')).includes(INFO_REQUEST), 'the clerk reads the question');
  assert.ok(!(await page.content()).includes(NOTE), 'the clerk never sees the internal note');
  assert.equal(await page.locator('section[aria-labelledby="notes-h"]').count(), 0, 'nor the internal notes section');

  const form = actionForm(clerk, 'reply');
  await form.getByLabel(ar('message')).fill(REPLY);
  await navigate(clerk, form.getByRole('button', { name: ar('action-reply') }), 'reply');
  await expectState(clerk, 'assigned');
  assert.ok((await sectionText(clerk, 'messages-h')).includes(REPLY));
});

step('the officer reads the reply and answers', async () => {
  await followNotification(officer, 'notification-reply-received');
  await expectState(officer, 'assigned');
  assert.ok((await sectionText(officer, 'messages-h')).includes(REPLY), 'the officer reads the reply');
  const form = actionForm(officer, 'answer');
  await form.getByLabel(ar('the-answer')).fill(ANSWER);
  await navigate(officer, form.getByRole('button', { name: ar('action-answer') }), 'answer');
  await expectState(officer, 'answered');
  await screenshot(officer, 'officer-case-ar.png');
});

step('the municipality reads the answer and acknowledges it', async () => {
  await followNotification(clerk, 'notification-answered');
  await expectState(clerk, 'answered');
  await noteAssignee(clerk);
  const messages = await sectionText(clerk, 'messages-h');
  assert.ok(messages.includes(ANSWER), `the clerk reads the answer: ${messages}`);
  assert.ok(!(await clerk.page.content()).includes(NOTE), 'the clerk never sees the internal note');

  await navigate(clerk, actionForm(clerk, 'acknowledge').getByRole('button', { name: ar('action-acknowledge') }), 'acknowledge');
  await expectState(clerk, 'closed');
  assert.ok((await sectionText(clerk, 'messages-h')).includes(ANSWER), 'the answer stays on the closed case');
  await screenshot(clerk, 'clerk-case-ar.png');
});

step('the municipal clerk registers a resident and finds them by mobile number, on a phone', async () => {
  const page = clerk.page;
  await navigate(clerk, page.getByRole('link', { name: ar('nav-persons'), exact: true }), 'nav: registry');
  await navigate(clerk, page.getByRole('link', { name: ar('person-new'), exact: true }), 'register a person');
  assert.equal(new URL(page.url()).pathname, '/persons/new');
  await page.getByLabel(ar('national-number')).fill('٢١٩٩٠٠٠٠٠٠٠١');
  await page.getByLabel(ar('name-ar')).fill('فاطمة سالم خليفة الزوي');
  await page.locator('#p-mobile-1').fill('091 234 5678');
  await page.getByLabel(ar('preferred-language')).selectOption('fr');
  await navigate(clerk, page.getByRole('button', { name: ar('save'), exact: true }), 'save the person');
  assert.match(new URL(page.url()).pathname, /^\/persons\/[0-9a-f-]{36}$/, 'saving lands on the record');
  assert.equal(norm(await page.locator('.flash-ok').innerText()), ar('person-saved'));
  assert.equal(await detail(clerk, 'national-number'), '219900000001');
  assert.equal(await detail(clerk, 'mobiles'), '+218912345678');
  assert.equal(await detail(clerk, 'sex'), ar('sex-female'), 'the sex read from the national number');

  await navigate(clerk, page.getByRole('link', { name: ar('persons-title'), exact: true }), 'back to the registry');
  await page.getByLabel(ar('persons-search-label')).fill('٠٩١٢٣٤٥٦٧٨');
  await navigate(clerk, page.getByRole('button', { name: ar('persons-search'), exact: true }), 'search by mobile');
  await navigate(clerk, page.locator('main table a', { hasText: '219900000001' }), 'open the record');
  assert.equal(await detail(clerk, 'national-number'), '219900000001');
  await navigate(clerk, page.getByRole('link', { name: ar('person-edit'), exact: true }), 'edit the record');
  await screenshot(clerk, 'clerk-person-form-ar.png');
});

step('the municipal clerk imports residents from a CSV file and follows the import', async () => {
  const page = clerk.page;
  await goto(clerk, '/persons');
  await navigate(clerk, page.getByRole('link', { name: ar('nav-imports'), exact: true }), 'registry imports');
  const file = path.join(path.dirname(journey.pdf), 'سجل-السكان.csv');
  fs.writeFileSync(file, '\ufeffالرقم الوطني;الاسم;رقم الهاتف\n119850012345;محمد علي سالم الورفلي;0913334444\n12;خطأ;\n');
  await page.locator('#i-file').setInputFiles(file);
  await navigate(clerk, page.getByRole('button', { name: ar('import-start'), exact: true }), 'start the import');
  const where = new URL(page.url()).pathname;
  assert.match(where, /^\/persons\/imports\/[0-9a-f-]{36}$/, 'the upload lands on the import');
  for (let i = 0; i < 50 && !(await page.locator('[role="status"]').innerText()).includes(ar('import-state-done')); i++) {
    await page.waitForTimeout(200);
    await goto(clerk, `${where}?auto=0`, 'the import, again');
  }
  assert.ok((await page.locator('[role="status"]').innerText()).includes(ar('import-state-done')), 'the import ends');
  assert.equal(await detail(clerk, 'import-created'), '1');
  assert.equal(await detail(clerk, 'import-rejected'), '1');
  assert.ok(await page.getByRole('link', { name: ar('import-download-rejected') }).isVisible(), 'the refused line can be downloaded');
  await screenshot(clerk, 'clerk-import-ar.png');
});

step('the head of Tripoli writes to its residents by SMS, sees the cost first, and follows the batch, on a phone', async () => {
  const p = await person('head.tripoli', { phone: true, municipal: true });
  await signIn(p, 'head.tripoli');
  const page = p.page;
  await navigate(p, page.getByRole('link', { name: ar('nav-messages'), exact: true }), 'nav: messages');
  await navigate(p, page.getByRole('link', { name: ar('messages-compose'), exact: true }), 'compose');
  const text = 'بلدية طرابلس: تبدأ حملة النظافة يوم السبت الساعة ٨ صباحًا. شاركونا.';
  await page.getByLabel(ar('message-text')).fill(text);
  await navigate(p, page.getByRole('button', { name: ar('compose-do-preview'), exact: true }), 'work out the cost');
  assert.match(await detail(p, 'message-encoding'), /UCS-2/, 'Arabic goes as UCS-2');
  assert.equal(await detail(p, 'compose-parts'), '1');
  assert.equal(Number(await detail(p, 'batch-recipients')) >= 1, true, 'the resident registered above is reached');
  assert.equal(await page.getByLabel(ar('message-text')).inputValue(), text, 'the text is kept');
  await screenshot(p, 'head-compose-ar.png');
  await navigate(p, page.getByRole('button', { name: ar('compose-do-send'), exact: true }), 'send');
  assert.match(new URL(page.url()).pathname, /^\/messages\/batches\/[0-9a-f-]{36}$/, 'sending lands on the batch');
  assert.ok((await page.locator('main').innerText()).includes(text), 'the batch shows its text');
  await navigate(p, page.getByRole('link', { name: ar('messages-title'), exact: true }).last(), 'the outbox');
  await navigate(p, page.locator('main table a').first(), 'one message');
  assert.equal(await detail(p, 'message-state'), ar('message-state-queued'), 'no gateway here: it waits');
  await screenshot(p, 'head-message-ar.png');
});

step('the national inquiry: a manager writes it, a second approves, a citizen answers by the link, an agent by phone, on phones', async () => {
  const manager = await person('inquiry.manager', { phone: true });
  await signIn(manager, 'inquiry.manager');
  const page = manager.page;
  await navigate(manager, page.getByRole('link', { name: ar('nav-inquiries'), exact: true }), 'nav: inquiries');
  await navigate(manager, page.getByRole('link', { name: ar('inquiry-new'), exact: true }), 'a new inquiry');
  const title = 'الاستعلام الوطني عن حملة النظافة';
  await page.getByLabel(ar('inquiry-title'), { exact: true }).fill(title);
  await page.locator('#q0-kind').selectOption('yes_no');
  await page.locator('#q0-ar').fill('هل تؤيد تمديد حملة النظافة شهرًا آخر؟');
  await page.getByLabel('بلدية طرابلس المركز', { exact: true }).check();
  await page.getByLabel(ar('inquiry-quiet-start')).fill('00:00');
  await page.getByLabel(ar('inquiry-quiet-end')).fill('00:00');
  await screenshot(manager, 'inquiry-new-ar.png');
  await navigate(manager, page.getByRole('button', { name: ar('inquiry-do-save'), exact: true }), 'save the draft');
  const where = new URL(page.url()).pathname;
  assert.match(where, /^\/inquiries\/[0-9a-f-]{36}$/, 'saving lands on the inquiry');
  assert.equal(await detail(manager, 'inquiry-state'), ar('inquiry-state-draft'));
  await navigate(manager, page.getByRole('button', { name: ar('inquiry-do-submit'), exact: true }), 'submit');
  assert.equal(await detail(manager, 'inquiry-state'), ar('inquiry-state-awaiting-approval'), 'a second person approves');
  assert.equal(await page.getByRole('button', { name: ar('inquiry-do-approve'), exact: true }).count(), 0, 'not its author');

  const approver = await person('inquiry.approver', { phone: true });
  await signIn(approver, 'inquiry.approver');
  await goto(approver, where, 'the inquiry to approve');
  await navigate(approver, approver.page.getByRole('button', { name: ar('inquiry-do-approve'), exact: true }), 'approve');
  for (let i = 0; i < 50 && (await detail(approver, 'inquiry-state')) !== ar('inquiry-state-open'); i++) {
    await approver.page.waitForTimeout(200);
    await goto(approver, `${where}?auto=0`, 'the inquiry, again');
  }
  assert.equal(await detail(approver, 'inquiry-state'), ar('inquiry-state-open'), 'sent: open for answers');

  // The personal link, as the SMS in the outbox carries it.
  const admin = await person('admin', { phone: true });
  await signIn(admin, 'admin');
  await goto(admin, '/messages', 'the outbox');
  await navigate(admin, admin.page.locator('main table a').first(), 'the newest message');
  const sms = await detail(admin, 'message-text');
  const recipient = await detail(admin, 'message-recipient');
  const link = /\/i\/[A-Z][0-9]\/[0-9]+\/[0-9a-f]{20}/.exec(sms);
  assert.ok(link, `the question carries a personal link: ${sms}`);

  const citizen = await person('a citizen', { phone: true });
  await goto(citizen, link[0], 'the personal link');
  await citizen.page.getByLabel(ar('inquiry-answer-yes'), { exact: true }).check();
  await screenshot(citizen, 'inquiry-link-ar.png');
  await navigate(citizen, citizen.page.getByRole('button', { name: ar('inquiry-do-answer'), exact: true }), 'answer');
  assert.ok((await citizen.page.locator('[role="status"]').innerText()).includes(ar('inquiry-link-thanks')), 'thanked');

  const agent = await person('agent.1415', { phone: true });
  await signIn(agent, 'agent.1415');
  await navigate(agent, agent.page.getByRole('link', { name: ar('nav-inquiries'), exact: true }), 'nav: inquiries');
  await navigate(agent, agent.page.getByRole('link', { name: ar('call-centre-title'), exact: true }), 'the call centre');
  await agent.page.getByLabel(ar('call-centre-find')).fill(recipient);
  await navigate(agent, agent.page.getByRole('button', { name: ar('search-submit'), exact: true }), 'find the caller');
  await agent.page.getByLabel(ar('inquiry-answer-no'), { exact: true }).check();
  await navigate(agent, agent.page.getByRole('button', { name: ar('call-centre-do-save'), exact: true }), 'record the phone answer');
  assert.ok((await agent.page.locator('[role="status"]').innerText()).includes(ar('call-centre-saved')));
  await screenshot(agent, 'inquiry-call-centre-ar.png');

  await goto(manager, `${where}?auto=0`, 'the results');
  const main = norm(await manager.page.locator('main').innerText());
  assert.ok(main.includes(ar('inquiry-channel-phone')), 'results by channel');
  assert.match(await detail(manager, 'inquiry-respondents'), /^1 /, 'one respondent');
  assert.equal(await manager.page.locator('main svg.chart').count(), 1, 'a chart');
  await screenshot(manager, 'inquiry-results-ar.png');
});

// ---------------------------------------------------------------------------
// English, briefly.

test('English: the clerk signs in, sees the queue and a case, left to right', { timeout: 120_000 }, async () => {
  const p = await person('clerk.tripoli (en)', { phone: true, municipal: true, lang: 'en' });
  await signIn(p, 'clerk.tripoli');
  assert.equal(norm(await p.page.locator('h1').innerText()), en('queue-title'));
  const link = journey.tracking
    ? p.page.locator('main table a', { hasText: journey.tracking })
    : p.page.locator('main table tbody a').first();
  await navigate(p, link, 'open a case');
  assert.match(new URL(p.page.url()).pathname, /^\/cases\/[0-9a-f-]{36}$/);
  if (journey.tracking && !broken) {
    await expectState(p, 'closed');
    await noteAssignee(p);
  }
  await screenshot(p, 'clerk-case-en.png');
});

// ---------------------------------------------------------------------------
// What every page visited was checked for.

/** Problems grouped by what was wrong, each with the pages it was seen on. */
function list(items) {
  const groups = new Map();
  for (const { who, url, what } of items) {
    if (!groups.has(what)) groups.set(what, new Set());
    groups.get(what).add(`${url.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}')} (${who})`);
  }
  return [...groups].map(([what, where]) => `  - ${what}\n    on ${where.size} page(s): ${[...where].join(', ')}`).join('\n');
}

test('every page visited has the expected lang and dir (ar/rtl, en/ltr)', () => {
  assert.ok(visits.length > 0, 'no page was visited');
  assert.equal(problems.langDir.length, 0, `pages with the wrong lang or dir:\n${list(problems.langDir)}`);
});

test('at 360 px wide no page scrolls sideways', () => {
  assert.equal(problems.scroll.length, 0, `pages wider than the phone:\n${list(problems.scroll)}`);
});

test('at 360 px wide a queue shows one card per case, not a squeezed table', () => {
  assert.ok(phoneQueuesWithRows > 0, 'no queue with cases was seen on a phone');
  assert.equal(problems.cards.length, 0, `queues shown as tables on a phone:\n${list(problems.cards)}`);
});

test('the municipality never sees the internal note', () => {
  assert.equal(problems.leak.length, 0, list(problems.leak));
});

test('every page visited has no script and forbids scripts with its Content-Security-Policy', () => {
  assert.equal(problems.csp.length, 0, list(problems.csp));
});

test('the text inside selects and text fields has 4.5:1 contrast (WCAG 1.4.3; axe-core does not check it)', () => {
  assert.equal(problems.controls.length, 0, `form controls with illegible text:\n${list(problems.controls)}`);
});

test('the municipality is never told that an assigned case is unassigned', () => {
  assert.equal(problems.unassigned.length, 0, `misleading assignee:\n${list(problems.unassigned)}`);
});

test('no Arabic page shows an untranslated message id', () => {
  assert.equal(problems.untranslated.length, 0, `message ids shown as text:\n${list(problems.untranslated)}`);
});

test('axe-core finds no WCAG 2.1 A/AA violation on any page visited', (tc) => {
  const pages = new Set(visits.map((v) => `${v.who} ${v.url}`));
  tc.diagnostic(`axe-core ${axe.version} ran on ${visits.length} page views (${pages.size} distinct person+URL)`);
  assert.ok(visits.length >= 20, `only ${visits.length} pages were visited: the journey did not get far`);
  if (violations.length) {
    // One entry per rule and element, with every page it was seen on.
    const groups = new Map();
    for (const v of violations) {
      for (const n of v.nodes) {
        const key = `${v.id}\u0000${n.target}`;
        if (!groups.has(key)) groups.set(key, { v, n, where: new Set() });
        groups.get(key).where.add(`${v.url.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}')} (${v.who})`);
      }
    }
    const lines = [...groups.values()].map(({ v, n, where }) =>
      [
        `  - [${v.impact}] ${v.id}: ${v.help}`,
        `    element: ${n.target}`,
        `    html:    ${n.html}`,
        `    why:     ${String(n.summary).replace(/\s*\n\s*/g, ' / ')}`,
        `    pages:   ${[...where].join(', ')}`,
        `    rule:    ${v.helpUrl}`,
      ].join('\n'),
    );
    const ids = [...new Set(violations.map((v) => v.id))].join(', ');
    assert.fail(`${violations.length} axe-core violations (rule × page view) on ${new Set(violations.map((v) => v.url)).size} distinct URLs (${ids}):\n${lines.join('\n')}`);
  }
});
