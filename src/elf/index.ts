export * from './constants.js';
export * from './errors.js';
export * from './file.js';
export * from './source.js';
