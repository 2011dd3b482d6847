import Resolve from './resolve.js';

// oclif's explicit command strategy: one import, no directory scan at start-up.
export const COMMANDS = {
  resolve: Resolve,
};
