// Test helper: runs a grid given as JSON on the command line (`<dir> <spec-json>`), so a test can kill it.
import { runGrid } from './runGrid.js';

const [dir, spec] = process.argv.slice(2);
await runGrid({ dir: dir!, spec: JSON.parse(spec!) as never });
