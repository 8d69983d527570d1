// The fake tools record each call; tests assert on those records, so calls made at once must each get their own.
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { TOOL_PATHS } from '../../agent/src/system/tools.js';
import { FakeMac } from './fake-mac.js';

describe('FakeMac', () => {
  let fake: FakeMac | undefined;
  afterEach(() => fake?.dispose());

  it('records every one of many calls made at once, each with its own arguments and answer', async () => {
    fake = FakeMac.create();
    const answers = Array.from({ length: 12 }, (_, index) => ({ stdout: `answer ${index + 1}` }));
    fake.install('dscl', answers);
    const tool = path.join(fake.root, TOOL_PATHS.dscl);
    const outputs = await Promise.all(Array.from({ length: 12 }, (_, index) => execa(tool, ['-read', `/Users/u${index}`], { input: '' })));
    expect(outputs.map(({ stdout }) => stdout).sort()).toEqual(answers.map(({ stdout }) => stdout).sort());
    expect(fake.calls('dscl').map((call) => call.args[1]).sort()).toEqual(Array.from({ length: 12 }, (_, index) => `/Users/u${index}`).sort());
  });
});
