// Moved to the shared line-reading module (also used by file_log).
export * from '../lines/lines.js';
