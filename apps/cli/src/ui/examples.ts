import type { Command } from 'commander';

/** Examples shown at the end of each command's `--help` (paths are placeholders to adapt). */
export const EXAMPLES: Record<string, readonly string[]> = {
  demo: ['panda demo                                  # a short real run on the built-in spam task'],
  tune: [
    'panda tune -t sst2 --epochs 3 -o runs/sst2                            # prompt tuning on a benchmark task',
    'panda tune --train my/train.csv --dev my/dev.csv --labels neg,pos -o runs/mine',
    'panda tune -t rte --method deep-prompt-tuning --prompt-length 16 --model ./bert-base-uncased -o runs/rte-bert',
    'panda tune -c tune.yaml --checkpoint-every 50                          # options from a file; resumable',
  ],
  eval: ['panda eval runs/sst2 --split test', 'panda eval runs/mine --file my/test.csv --text-column review --label-column stars'],
  export: ['panda export runs/mine --format peft --out peft/mine'],
  import: ['panda import peft/mine --format peft --out runs/from-peft'],
  predict: ['panda predict runs/mine "what a lovely film" "two hours I will never get back"', 'panda predict runs/mine --input my/new.csv --json > predictions.jsonl'],
  transfer: ['panda bank add runs/sst2 && panda bank add runs/imdb', 'panda transfer -t mr -k 2 --fusion late -o runs/mr-panda   # sources from the bank, PANDA student into it'],
  grid: ['panda grid --sources sst2,imdb --targets mr,cola --methods prompt-tuning,pot,panda -o grids/g1', 'panda grid -c grid.yaml -o grids/g1 --report-only', 'panda grid -c grid.yaml -o grids/g1 --queue redis://10.0.0.5:6379   # cells run by panda workers'],
  worker: ['panda worker --queue redis://10.0.0.5:6379 --processes 2 --dir /var/tmp/panda-worker', 'panda worker --queue rediss://:$REDIS_PASSWORD@queue.example:6380 --model ./bert-base-uncased'],
  bank: ['panda bank list', 'panda bank add runs/sst2 --samples 100', 'panda bank search --like sst2/prompt-tuning/sst2 -k 3', 'panda bank search --train my/train.csv --dev my/dev.csv --labels neg,pos -k 5   # which bank prompts suit my data set'],
  templates: ['panda templates search -t sst2 --top 5'],
  serve: ['panda serve --port 8080 --dir panda-service', 'PANDA_TOKEN=$(openssl rand -hex 16) panda serve --host 0.0.0.0'],
};

/** Adds the examples of `EXAMPLES` to each command that has some (and to its subcommands' parent). */
export function addExamples(program: Command): void {
  for (const cmd of program.commands) {
    const lines = EXAMPLES[cmd.name()];
    if (lines?.length) cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
  }
}
