import { describe, expect, it } from 'vitest';
import { withBuildLabel } from '../../src/verify/verify.js';

describe("verify's build label", () => {
  it('follows every FROM, a FROM continued over lines included, and nothing else changes', () => {
    const text = [
      'ARG BASE=x',
      'FROM $BASE AS base',
      '',
      'from --platform=linux/arm64 \\',
      '  scratch',
      'COPY --from=base /a /a',
      'USER 1',
    ].join('\n');
    expect(withBuildLabel(text, 'org.scratchify.leftover=1-a')).toBe(
      [
        'ARG BASE=x',
        'FROM $BASE AS base',
        'LABEL org.scratchify.leftover="1-a"',
        '',
        'from --platform=linux/arm64 \\',
        '  scratch',
        'LABEL org.scratchify.leftover="1-a"',
        'COPY --from=base /a /a',
        'USER 1',
      ].join('\n'),
    );
  });
});
