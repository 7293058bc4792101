import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { cbTask, resolveDataDir, sst2Task } from '@panda/datasets';
import { checkPromptSource, loadPromptSource } from './load.js';
import { exampleVariables } from './promptSourceTemplate.js';

// Real rows from ../shared/data (run with `npx vitest run -c vitest.data.config.ts packages/templates`).
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('PromptSource fixtures on real examples', () => {
  it('render every CB validation example with its gold answer choice as the target', async () => {
    const collection = await loadPromptSource(fixture('cb.yaml'));
    const { examples } = await cbTask.load('dev', { dataDir: resolveDataDir() });
    expect(examples.length).toBe(56);
    const features = [...new Set(examples.flatMap((x) => Object.keys(exampleVariables(x))))];
    expect(checkPromptSource(collection, { features })).toEqual([]);
    for (const t of collection.templates) {
      for (const x of examples) {
        const out = t.apply(exampleVariables(x));
        expect(out.answerChoices).toHaveLength(3);
        expect(out.target).toBe(out.answerChoices![x.label]);
        expect(out.input).toContain(x.fields!['hypothesis']!.trim().slice(0, 20));
        expect(out.input).not.toContain('|||');
      }
    }
  });

  it('render SST-2 dev sentences through a variables mapping', async () => {
    const [t] = (await loadPromptSource(fixture('sst2.yaml'))).templates;
    const { examples } = await sst2Task.load('dev', { dataDir: resolveDataDir(), limit: 50 });
    for (const x of examples) {
      const out = t!.apply({ sentence: x.text, label: x.label });
      expect(out.input.startsWith(x.text.trim())).toBe(true);
      expect(out.target).toBe(['negative', 'positive'][x.label]);
    }
  });
});
