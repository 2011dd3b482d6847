import Generate from './generate.js';
import Resolve from './resolve.js';

// oclif's explicit command strategy: one import, no directory scan at start-up.
export const COMMANDS = {
  generate: Generate,
  resolve: Resolve,
};
