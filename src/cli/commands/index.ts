import Cache from './cache.js';
import CachePrune from './cache-prune.js';
import Doctor from './doctor.js';
import Generate from './generate.js';
import Resolve from './resolve.js';
import Verify from './verify.js';
import Why from './why.js';

// oclif's explicit command strategy: one import, no directory scan at start-up.
export const COMMANDS = {
  cache: Cache,
  'cache:prune': CachePrune,
  doctor: Doctor,
  generate: Generate,
  resolve: Resolve,
  verify: Verify,
  why: Why,
};
