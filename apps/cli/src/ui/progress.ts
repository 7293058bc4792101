import { appendFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { ProgressListener } from '@panda/core';

/**
 * Turns progress events into a terminal progress bar (steps, loss, steps/s, ETA) on a TTY, or
 * into a line every 10 % elsewhere (CI logs). `json` mode prints every event as one JSON line.
 */
export function progressPrinter(options: { json: boolean; stream?: NodeJS.WriteStream; logFile?: string }): { listener: ProgressListener; stop(): void } {
  const stream = options.stream ?? process.stderr;
  const printer = options.json ? jsonPrinter(stream) : humanPrinter(stream);
  if (!options.logFile) return printer;
  const file = options.logFile;
  return {
    listener: (e) => {
      appendFileSync(file, JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n');
      printer.listener(e);
    },
    stop: printer.stop,
  };
}

function jsonPrinter(stream: NodeJS.WriteStream): { listener: ProgressListener; stop(): void } {
  return { listener: (e) => stream.write(JSON.stringify(e) + '\n'), stop: () => {} };
}

function humanPrinter(stream: NodeJS.WriteStream): { listener: ProgressListener; stop(): void } {
  let bar: cliProgress.SingleBar | undefined;
  // The bar's fields: a restarted bar (after an evaluation line) needs them again, or cli-progress
  // prints the placeholders ({phase}, {loss}) themselves.
  let payload: { phase: string; loss: string; sps: string; timeLeft: string } = { phase: '', loss: '-', sps: '-', timeLeft: '-' };
  let lastPct = -1;
  const listener: ProgressListener = (e) => {
    switch (e.type) {
      case 'start':
        if (e.message) stream.write(`${e.message}\n`);
        if (stream.isTTY) {
          bar = new cliProgress.SingleBar(
            { stream, format: '{phase} [{bar}] {value}/{total} steps | loss {loss} | {sps} steps/s | ETA {timeLeft}', hideCursor: true, etaBuffer: 50 },
            cliProgress.Presets.shades_classic,
          );
          payload = { phase: e.phase, loss: '-', sps: '-', timeLeft: '-' };
          bar.start(e.total, 0, payload);
        }
        lastPct = -1;
        break;
      case 'step':
        if (bar) {
          payload = { ...payload, loss: e.loss?.toFixed(4) ?? '-', sps: e.stepsPerSecond?.toFixed(2) ?? '-', timeLeft: etaText(e.step, e.total, e.stepsPerSecond) };
          bar.update(e.step, payload);
        } else {
          const pct = Math.floor((10 * e.step) / e.total);
          if (pct !== lastPct) {
            lastPct = pct;
            const loss = e.loss === undefined ? '' : ` loss ${e.loss.toFixed(4)}`;
            const speed = e.stepsPerSecond === undefined ? '' : ` (${e.stepsPerSecond.toFixed(2)} steps/s)`;
            const eta = e.stepsPerSecond ? `, ETA ${etaText(e.step, e.total, e.stepsPerSecond)}` : '';
            stream.write(`${e.phase}: step ${e.step}/${e.total}${loss}${speed}${eta}\n`);
          }
        }
        break;
      case 'eval': {
        const text = Object.entries(e.metrics)
          .map(([k, v]) => `${k} ${k.toLowerCase().includes('accuracy') ? `${(v * 100).toFixed(2)} %` : Number.isInteger(v) ? v : v.toFixed(4)}`)
          .join(', ');
        if (bar) bar.stop();
        stream.write(`epoch ${e.epoch}: ${text}\n`);
        if (bar) {
          const b = bar as unknown as { value: number; total: number };
          bar.start(b.total, b.value, payload);
        }
        break;
      }
      case 'log':
        stream.write(`${e.message}\n`);
        break;
      case 'done':
        bar?.stop();
        bar = undefined;
        break;
    }
  };
  return { listener, stop: () => bar?.stop() };
}

/** Time left at the measured speed, as `42s`, `3m05s` or `1h02m`; `-` before a speed is known. */
export function etaText(step: number, total: number, stepsPerSecond: number | undefined): string {
  if (!stepsPerSecond || !Number.isFinite(stepsPerSecond) || stepsPerSecond <= 0) return '-';
  const s = Math.max(0, Math.round((total - step) / stepsPerSecond));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
