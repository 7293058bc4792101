import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { list as tarList } from 'tar';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { client, sentimentCsv, testService, topicTsv } from './testing/fixtures.js';
import { writeGridFixture } from './testing/gridFixture.js';

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

/** The reviews training file as a user would have it: 32 good rows and two a job must refuse. */
const REVIEWS = `${sentimentCsv(32)}"too many, fields",pos,extra\n,neg\n`;

describe.skipIf(!hasChromium)('the web page in headless Chromium', () => {
  let service: Awaited<ReturnType<typeof testService>>;
  let api: ReturnType<typeof client>;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  const ids: { reviewsJob?: string; afinnJob?: string; transferJob?: string; topicsTrain?: string; topicsDev?: string } = {};

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const grids = mkdtempSync(join(tmpdir(), 'panda-grid-'));
    writeGridFixture(join(grids, 'demo-grid'));
    service = await testService({ maxJobs: 2, grids: [join(grids, 'demo-grid')] });
    api = client(service.url);
    ids.topicsTrain = (await api.upload('topics-train.tsv', topicTsv(30), 'text/tab-separated-values')).body.id;
    ids.topicsDev = (await api.upload('topics-dev.tsv', topicTsv(12, 1), 'text/tab-separated-values')).body.id;
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'panda-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1180, height: 900 },
      acceptDownloads: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(service.url + '/');
    await page.waitForSelector('body[data-ready="true"]');
  });

  afterAll(async () => {
    await context?.close();
    await service?.close();
  });

  const noErrors = () => expect(errors, errors.join(' | ')).toEqual([]);
  const go = async (view: string) => {
    await page.evaluate(`location.hash = ${JSON.stringify(view)}`);
    await page.waitForSelector(`body[data-view="${view.split('/')[0]}"]`);
  };
  const datasetId = async (name: string) => ((await api.get('/api/datasets')).body.datasets as Array<{ id: string; name: string }>).find((d) => d.name === name)!.id;
  const startedJob = async () => {
    // The first job waits for the inference process (the backbone's limits are checked at submit).
    await expect.poll(() => page.locator('#job-message').textContent(), { timeout: 60_000 }).toMatch(/^started job-/);
    const id = (await page.locator('#job-message').textContent())!.replace('started ', '');
    await page.evaluate(`document.getElementById('job-message').textContent = ''`);
    return id;
  };
  const fill = async (fields: Record<string, string | number>) => {
    for (const [id, v] of Object.entries(fields)) await page.fill(`#${id}`, String(v));
  };

  it('says "no trained prompts yet" in the prompt selector before the first prompt, with the predict button off', async () => {
    const select = page.locator('#predict-prompt');
    expect(await select.locator('option').allInnerTexts()).toEqual(['no trained prompts yet']);
    expect(await select.isDisabled()).toBe(true);
    expect(await page.locator('#predict-button').isDisabled()).toBe(true);
    const box = (await select.boundingBox())!;
    expect(box.width).toBeGreaterThan(100); // not an empty sliver
    await page.screenshot({ path: join(SHOTS, 'empty.png'), fullPage: true });
    noErrors();
  });

  it('uploads a data set and previews its columns, first rows and bad rows with their reasons', async () => {
    await go('data');
    await page.setInputFiles('#upload-file', { name: 'reviews-train.csv', mimeType: 'text/csv', buffer: Buffer.from(REVIEWS) });
    await page.click('#upload-form button[type="submit"]');
    await page.locator('#preview:not([hidden]) #preview-rows').waitFor();
    expect(await page.locator('#preview-rows thead th').allInnerTexts()).toEqual(['line', 'text', 'label']);
    expect(await page.locator('#preview-rows tbody tr').count()).toBe(8);
    const bad = await page.locator('#preview-bad tbody tr').allInnerTexts();
    expect(bad).toHaveLength(2);
    expect(bad[0]).toMatch(/^34\s+expected 2 fields \(the header's\), found 3/);
    expect(bad[1]).toMatch(/^35\s+empty text/);
    expect(await page.locator('#preview-labels').textContent()).toBe('values of label: pos (17), neg (17)');
    await page.locator('#view-data').screenshot({ path: join(SHOTS, 'upload-preview.png') });
    await page.setInputFiles('#upload-file', { name: 'reviews-dev.csv', mimeType: 'text/csv', buffer: Buffer.from(sentimentCsv(12, 1)) });
    await page.click('#upload-form button[type="submit"]');
    await expect.poll(() => page.locator('#datasets tbody tr').count()).toBe(4);
    noErrors();
  });

  it('starts a tuning job on the uploaded files from the form and shows each phase (train, evaluate, test, bank) to the end', async () => {
    await page.locator('#datasets tr', { hasText: 'reviews-train.csv' }).locator('button').click();
    await page.locator('#preview-use').click();
    await page.waitForSelector('body[data-view="jobs"]');
    expect(await page.inputValue('#job-labels')).toBe('pos,neg');
    const dev = await datasetId('reviews-dev.csv');
    await page.selectOption('#job-dev', dev);
    await page.selectOption('#job-test', dev);
    await page.fill('#job-labels', 'neg,pos');
    await page.fill('#job-name', 'reviews');
    await fill({ 'job-prompt-length': 4, 'job-epochs': 2, 'job-batch': 8, 'job-max-train': 32, 'job-max-test': 12 });
    await page.check('#job-store');
    await page.click('#job-form button[type="submit"]');
    ids.reviewsJob = await startedJob();
    const card = page.locator(`.job[data-job="${ids.reviewsJob}"]`);
    await card.locator('.status.done').waitFor({ timeout: 120_000 });
    // Every phase of the run is on the card, each complete.
    await expect.poll(() => card.locator('.phase').allInnerTexts(), { timeout: 10_000 }).toEqual(['train 8/8 steps ✓', 'evaluate 12/12 examples ✓', 'test 12/12 examples ✓', 'bank 1/1 prompts ✓']);
    // The chart: uPlot with both series in its legend, one point per step and per dev evaluation.
    const chart = card.locator('.curve-box');
    expect(await chart.getAttribute('data-steps')).toBe('8');
    expect(await chart.getAttribute('data-evals')).toBe('2');
    expect(await chart.locator('.u-legend .u-series .u-label').allInnerTexts()).toEqual(['train loss', 'dev score']);
    expect(await chart.locator('canvas').count()).toBe(1);
    const job = (await api.get(`/api/jobs/${ids.reviewsJob}`)).body;
    expect(job.result.skippedRows.train).toBe(1); // the empty text; the row with an extra field still reads
    expect(job.progress.phases.map((p: any) => [p.name, p.done === p.total])).toEqual([['train', true], ['evaluate', true], ['test', true], ['bank', true]]);
    noErrors();
  });

  it('shows the test phase with its ETA while a job scores its test split (not "12/12 running")', async () => {
    await page.selectOption('#job-task', 'afinn');
    await fill({ 'job-prompt-length': 4, 'job-epochs': 1, 'job-batch': 16, 'job-max-train': 48, 'job-max-eval': 32, 'job-max-test': 1000 });
    await page.click('#job-form button[type="submit"]');
    ids.afinnJob = await startedJob();
    const card = page.locator(`.job[data-job="${ids.afinnJob}"]`);
    // While the test split is scored, the card says so, with the examples done and the time left.
    await page.waitForFunction(
      (id: string) => /test \d+\/\d+ examples · ETA (<1s|\d)/.test((globalThis as any).document.querySelector(`.job[data-job="${id}"] .phase.current`)?.textContent ?? ''),
      ids.afinnJob!,
      { timeout: 120_000, polling: 'raf' },
    );
    expect(await card.locator('.phase[data-phase="train"]').textContent()).toBe('train 3/3 steps ✓');
    await card.screenshot({ path: join(SHOTS, 'job-test-phase.png') });
    await card.locator('.status.done').waitFor({ timeout: 120_000 });
    expect(await card.locator('.phase').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringMatching(/^test (\d+)\/\1 examples ✓$/), 'bank 1/1 prompts ✓']));
    noErrors();
  });

  it('overlays the curves of the runs chosen for comparison, each named in the legend', async () => {
    for (const id of [ids.reviewsJob!, ids.afinnJob!]) await page.locator(`.job[data-job="${id}"] input.compare`).check();
    await page.locator('#compare:not([hidden])').waitFor();
    for (const box of ['#compare-loss', '#compare-dev']) {
      expect(await page.locator(box).getAttribute('data-runs')).toBe('2');
      const labels = await page.locator(`${box} .u-legend .u-series .u-label`).allInnerTexts();
      expect(labels).toHaveLength(2);
      expect(labels[0]).toContain('reviews');
      expect(labels[1]).toContain('afinn');
    }
    await page.locator('#compare').screenshot({ path: join(SHOTS, 'compare.png') });
    await page.screenshot({ path: join(SHOTS, 'jobs.png'), fullPage: true });
    noErrors();
  });

  it("opens a run's page with its config, metrics and files, and downloads its folder as a tar archive", async () => {
    await page.locator(`.job[data-job="${ids.reviewsJob}"] a.button`, { hasText: 'Run page' }).click();
    await page.locator('#run-config').waitFor();
    const config = Object.fromEntries((await page.locator('#run-config tbody tr').allInnerTexts()).map((r) => r.split('\t')));
    expect(config).toMatchObject({ method: 'prompt-tuning', promptLength: '4', epochs: '2', batchSize: '8' });
    expect(await page.locator('#run-metrics tbody').innerText()).toMatch(/devScore\s+\d+\.\d %/);
    const files = await page.locator('#run-files tbody tr td:first-child').allInnerTexts();
    expect(files).toEqual(expect.arrayContaining(['adapter.safetensors', 'manifest.json', 'panda_adapter.json']));
    await page.screenshot({ path: join(SHOTS, 'run-page.png'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe(`${ids.reviewsJob}.tar`);
    const file = join(mkdtempSync(join(tmpdir(), 'panda-dl-')), 'run.tar');
    await download.saveAs(file);
    const entries: string[] = [];
    await tarList({ file, onReadEntry: (e) => void entries.push(e.path) });
    expect(entries.sort()).toEqual(files.map((f) => `${ids.reviewsJob}/${f}`).sort());
    noErrors();
  });

  it('searches the bank by a data set: uploaded files → bank prompts ranked by similarity, with β', async () => {
    await go('bank');
    await expect.poll(() => page.locator('#bank-table tbody tr').count(), { timeout: 20_000 }).toBe(2);
    await page.selectOption('#search-task', '__upload__');
    await page.selectOption('#search-train', ids.topicsTrain!);
    await page.selectOption('#search-dev', ids.topicsDev!);
    await page.fill('#search-labels', 'sport,food,tech');
    await page.fill('#search-name', 'topics');
    await page.fill('#search-k', '2');
    await page.click('#search-form button[type="submit"]');
    await page.locator('#search-table').waitFor({ timeout: 120_000 });
    // The search's probe run, then the data set's task embedding.
    expect(await page.locator('.job .phase[data-phase="embedding"]').allInnerTexts()).toEqual(['embedding 1/1 tasks ✓']);
    const rows = await page.locator('#search-table tbody tr').allInnerTexts();
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.split('\t')[2]).sort()).toEqual(['afinn', 'reviews']);
    const sims = rows.map((r) => Number(r.split('\t')[3]));
    expect(sims[0]).toBeGreaterThanOrEqual(sims[1]!);
    for (const r of rows) expect(Number(r.split('\t')[4])).toBeGreaterThan(0); // β
    // The heatmap's legend is a scale: a colour bar with several distinct tick values.
    const ticks = await page.locator('#heatmap text.legend-tick').allTextContents();
    expect(new Set(ticks).size).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#heatmap rect.legend-bar').count()).toBe(1);
    // Two tasks in the bank: a 2 × 2 map, 1.000 on the diagonal.
    expect(await page.locator('#heatmap rect[data-cell]').count()).toBe(4);
    expect(await page.locator('#heatmap rect[data-cell="1,1"] title').textContent()).toMatch(/: 1\.000$/);
    await page.locator('#view-bank').screenshot({ path: join(SHOTS, 'bank-search.png') });
    noErrors();
  });

  it('starts a transfer job from the form and shows the sources it used on its run page', async () => {
    await go('jobs');
    await page.selectOption('#job-kind', 'transfer');
    await page.selectOption('#job-task', '__upload__');
    await page.selectOption('#job-train', ids.topicsTrain!);
    await page.selectOption('#job-dev', ids.topicsDev!);
    await page.selectOption('#job-test', '');
    await page.fill('#job-labels', 'sport,food,tech');
    await page.fill('#job-name', 'topics');
    await fill({ 'job-prompt-length': 4, 'job-epochs': 1, 'job-batch': 8, 'job-max-train': 24, 'job-max-eval': 12, 'job-k': 1, 'job-probe-epochs': 1 });
    await page.selectOption('#job-fusion', 'best');
    await page.click('#job-form button[type="submit"]');
    ids.transferJob = await startedJob();
    const card = page.locator(`.job[data-job="${ids.transferJob}"]`);
    await card.locator('.status.done').waitFor({ timeout: 180_000 });
    // The student's run, then storing it in the bank.
    expect(await card.locator('.phase').allInnerTexts()).toEqual(['train 3/3 steps ✓', 'evaluate 12/12 examples ✓', 'bank 1/1 prompts ✓']);
    await card.locator('a.button', { hasText: 'Run page' }).click();
    await page.locator('#run-sources').waitFor().catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}: the run page shows ${await page.locator('#run').innerText()}`);
    });
    const sources = await page.locator('#run-sources tbody tr').allInnerTexts();
    expect(sources.length).toBeGreaterThanOrEqual(1);
    expect(sources[0]).toMatch(/^✓ used\t\S+\t(reviews|afinn)\t/);
    expect(await page.locator('#run-teachers tbody tr').count()).toBe(1);
    const files = await page.locator('#run-files tbody tr td:first-child').allInnerTexts();
    expect(files).toEqual(expect.arrayContaining(['student/adapter.safetensors', 'probe/adapter.safetensors']));
    await page.screenshot({ path: join(SHOTS, 'transfer-run.png'), fullPage: true });
    noErrors();
  }, 240_000);

  it("shows a grid's source × target tables and its heatmaps, each with a colour scale", async () => {
    await go('grids');
    await page.locator('#grid[data-grid="demo-grid"]').waitFor();
    const pot = await page.locator('#grid-table-pot tbody tr').allInnerTexts();
    expect(pot).toHaveLength(3);
    expect(pot[0]).toMatch(/^reviews\t·\t/); // the diagonal has no run
    expect(await page.locator('#grid-baselines tbody tr').allInnerTexts()).toEqual(['prompt-tuning\t70.0 %\t60.0 %\t65.0 %']);
    for (const id of ['gain-pot', 'gain-panda', 'grid-similarity']) {
      const ticks = await page.locator(`[data-heatmap="${id}"] text.legend-tick`).allTextContents();
      expect(new Set(ticks).size, id).toBeGreaterThanOrEqual(3);
    }
    expect(await page.locator('[data-heatmap="gain-pot"] rect[data-cell]').count()).toBe(9);
    await page.screenshot({ path: join(SHOTS, 'grid.png'), fullPage: true });
    noErrors();
  });

  it('predicts with a chosen prompt from the page', async () => {
    await go('jobs');
    await expect.poll(() => page.locator('#predict-prompt').isDisabled(), { timeout: 20_000 }).toBe(false);
    await page.selectOption('#predict-prompt', ids.reviewsJob!);
    await page.fill('#predict-texts', 'a wonderful film\nboring and far too long\ni loved every minute');
    await page.click('#predict-form button[type="submit"]');
    await page.locator('#predict-table tbody tr').nth(2).waitFor();
    const labels = await page.locator('#predict-table tbody tr td:nth-child(2)').allInnerTexts();
    expect(labels).toHaveLength(3);
    for (const l of labels) expect(['neg', 'pos']).toContain(l);
    await page.locator('#predict-section').screenshot({ path: join(SHOTS, 'predict.png') });
    noErrors();
  });
});
