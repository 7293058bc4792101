import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { client, readEvents, sentimentCsv, testService, topicTsv } from './testing/fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
/** Where the browser is required (CI sets PANDA_REQUIRE_BROWSER=1), a missing one fails the suite instead of skipping. */
const required = process.env.PANDA_REQUIRE_BROWSER === '1';
if (!hasChromium && !required) console.warn(`browser test skipped: ${CHROMIUM} is missing (Debian: apt-get install -y chromium)`);

describe.runIf(!hasChromium && required)('the web page needs a browser here', () => {
  it(`finds Chromium at ${CHROMIUM} (PANDA_REQUIRE_BROWSER=1)`, () => {
    expect.fail(`${CHROMIUM} is missing and PANDA_REQUIRE_BROWSER=1: install it (Debian: apt-get install -y chromium)`);
  });
});

/** Screenshots go to $PANDA_SCREENSHOTS (docs/results/apps when regenerating the docs), else a temporary folder. */
const SHOTS = process.env.PANDA_SCREENSHOTS ? resolve(process.env.PANDA_SCREENSHOTS) : mkdtempSync(join(tmpdir(), 'panda-shots-'));

describe.skipIf(!hasChromium)('the web page in headless Chromium', () => {
  let service: Awaited<ReturnType<typeof testService>>;
  let api: ReturnType<typeof client>;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  const prompts: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    service = await testService({ maxJobs: 2 });
    api = client(service.url);
    // Real data: three small tasks trained for real, each stored in the bank with its task embedding.
    const topics = topicTsv(30);
    const train = (await api.upload('reviews-train.csv', sentimentCsv(32))).body.id;
    const dev = (await api.upload('reviews-dev.csv', sentimentCsv(12, 1))).body.id;
    const topicTrain = (await api.upload('topics-train.tsv', topics, 'text/tab-separated-values')).body.id;
    const topicDev = (await api.upload('topics-dev.tsv', topicTsv(12, 1), 'text/tab-separated-values')).body.id;
    const plan = [
      { task: { name: 'reviews', train, dev, labels: ['neg', 'pos'] }, config: { epochs: 2, batchSize: 8, promptLength: 4 }, storeInBank: true },
      { task: { name: 'topics', train: topicTrain, dev: topicDev, labels: ['sport', 'food', 'tech'] }, config: { epochs: 2, batchSize: 8, promptLength: 4 }, storeInBank: true },
      { task: 'afinn', config: { epochs: 1, batchSize: 16, promptLength: 4, maxTrainExamples: 64, maxEvalExamples: 48 }, maxTestExamples: 48, storeInBank: true },
    ];
    const jobs = await Promise.all(plan.map((body) => api.post('/api/jobs', body)));
    for (const job of jobs) {
      expect(job.status, JSON.stringify(job.body)).toBe(202);
      await readEvents(service.url, job.body.id);
      const done = (await api.get(`/api/jobs/${job.body.id}`)).body;
      expect(done.status, JSON.stringify(done.error)).toBe('done');
      expect(done.result.bankId).toBeDefined();
      prompts.push(job.body.id);
    }
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'panda-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1180, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  });

  afterAll(async () => {
    await context?.close();
    await service?.close();
  });

  it('shows the results table, the bank and the heatmap of the stored tasks', async () => {
    await page.goto(service.url + '/');
    await page.waitForSelector('body[data-ready="true"]');
    await expect.poll(() => page.locator('#prompts-table tbody tr').count()).toBe(3);
    for (const id of prompts) await expect(page.locator(`#prompts-table tr[data-prompt="${id}"]`).count()).resolves.toBe(1);
    const reviewRow = await page.locator(`#prompts-table tr[data-prompt="${prompts[0]}"]`).innerText();
    expect(reviewRow).toContain('reviews');
    expect(reviewRow).toMatch(/\d+\.\d %/);
    expect(await page.locator('#bank-table tbody tr').count()).toBe(3);
    // 3 tasks → a 3 × 3 heatmap, 1.00 on the diagonal.
    expect(await page.locator('#heatmap rect').count()).toBe(9);
    const diagonal = await page.locator('#heatmap rect[data-cell="1,1"] title').textContent();
    expect(diagonal).toMatch(/: 1\.000$/);
    expect(await page.locator('.job').count()).toBe(3);
    expect(await page.locator('.job .status.done').count()).toBe(3);
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
    expect(errors, errors.join(" | ")).toEqual([]);
  });

  it('starts a job from the form and draws its training curve live from the event stream', async () => {
    await page.selectOption('#job-task', 'afinn');
    await page.fill('#job-epochs', '2');
    await page.fill('#job-max-train', '192');
    await page.click('#job-form button[type="submit"]');
    await expect.poll(() => page.locator('#job-message').textContent()).toMatch(/^started job-/);
    const id = (await page.locator('#job-message').textContent())!.replace('started ', '');
    const card = page.locator(`.job[data-job="${id}"]`);
    // While it runs, the curve grows point by point.
    await card.locator('.status.running').waitFor({ timeout: 60_000 });
    await expect.poll(async () => (await card.locator('polyline.loss').getAttribute('points'))?.split(' ').length ?? 0, { timeout: 60_000 }).toBeGreaterThanOrEqual(4);
    await card.screenshot({ path: join(SHOTS, 'live-job.png') });
    await card.locator('.status.done').waitFor({ timeout: 120_000 });
    const points = (await card.locator('polyline.loss').getAttribute('points'))!.split(' ').length;
    expect(points).toBe(24); // 192 examples / batch 16 × 2 epochs, one point per step
    expect(await card.locator('circle.acc').count()).toBe(2); // one dev evaluation per epoch
    await expect.poll(() => page.locator('#prompts-table tbody tr').count(), { timeout: 10_000 }).toBe(4);
    expect(errors, errors.join(" | ")).toEqual([]);
  });

  it('predicts with a chosen prompt from the page', async () => {
    await page.selectOption('#predict-prompt', prompts[1]!);
    await page.fill('#predict-texts', 'the goalkeeper saved a penalty\nroast the chicken with garlic\nthe app needs a security update');
    await page.click('#predict-form button[type="submit"]');
    await page.locator('#predict-table:not([hidden]) tbody tr').nth(2).waitFor();
    const labels = await page.locator('#predict-table tbody tr td:nth-child(2)').allInnerTexts();
    expect(labels).toHaveLength(3);
    for (const l of labels) expect(['sport', 'food', 'tech']).toContain(l);
    await page.locator('#predict-section').screenshot({ path: join(SHOTS, 'predict.png') });
    expect(errors, errors.join(" | ")).toEqual([]);
  });
});
