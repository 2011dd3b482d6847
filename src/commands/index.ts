import Doctor from './doctor.js';
import Generate from './generate.js';
import Resolve from './resolve.js';
import Why from './why.js';

// oclif's explicit command strategy: one import, no directory scan at start-up.
export const COMMANDS = {
  doctor: Doctor,
  generate: Generate,
  resolve: Resolve,
  why: Why,
};
