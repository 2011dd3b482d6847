import { describe, expect, it } from 'vitest';
import { withBuildLabel } from '../../src/verify/verify.js';

describe("verify's build label", () => {
  it('starts every stage that has steps, a FROM continued over lines included; a stage that is only its FROM gets none; on scratch for another platform, after its first step', () => {
    const text = [
      'ARG BASE=x',
      'FROM $BASE AS base',
      '',
      'from --platform=linux/arm64 \\',
      '  scratch',
      'COPY --from=base /a /a',
      'USER 1',
    ].join('\n');
    expect(withBuildLabel(text, 'org.scratchify.leftover=1-a', true)).toBe(
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
    const text = 'FROM nginx AS site\nCOPY a /b\nFROM scratch\nCOPY --from=site /b /b';
    // For this machine's platform the label comes first on scratch too, so that no step is without it.
    expect(withBuildLabel(text, 'k=v')).toBe(
      'FROM nginx AS site\nLABEL k="v"\nCOPY a /b\nFROM scratch\nLABEL k="v"\nCOPY --from=site /b /b',
    );
    expect(withBuildLabel(text, 'k=v', true)).toBe(
      'FROM nginx AS site\nLABEL k="v"\nCOPY a /b\nFROM scratch\nCOPY --from=site /b /b\nLABEL k="v"',
    );
  });
});
