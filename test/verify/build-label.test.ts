import { describe, expect, it } from 'vitest';
import { withBuildLabel } from '../../src/verify/verify.js';

describe("verify's build label", () => {
  it('starts every stage that has steps, a FROM continued over lines included; a stage that is only its FROM gets none', () => {
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
        '',
        'from --platform=linux/arm64 \\',
        '  scratch',
        'COPY --from=base /a /a',
        'LABEL org.scratchify.leftover="1-a"',
        'USER 1',
      ].join('\n'),
    );
  });

  it("a user's stage with steps of its own is labelled too: its step images are the ones left untagged", () => {
    expect(withBuildLabel('FROM nginx AS site\nCOPY a /b\nFROM scratch\nCOPY --from=site /b /b', 'k=v')).toBe(
      'FROM nginx AS site\nLABEL k="v"\nCOPY a /b\nFROM scratch\nCOPY --from=site /b /b\nLABEL k="v"',
    );
  });
});
