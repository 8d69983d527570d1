// Serves the dashboard: a fixed allow-list of files (no path from the URL ever reaches the file system).
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';

/** URL path -> [which directory, file name, content type]. */
const FILES: Record<string, ['static' | 'script', string, string]> = {
  '/': ['static', 'index.html', 'text/html; charset=utf-8'],
  '/style.css': ['static', 'style.css', 'text/css; charset=utf-8'],
  '/app.js': ['script', 'app.js', 'text/javascript; charset=utf-8'],
  '/chart.js': ['script', 'chart.js', 'text/javascript; charset=utf-8'],
  '/locks-panel.js': ['script', 'locks-panel.js', 'text/javascript; charset=utf-8'],
};

/** Security headers for every dashboard file: no inline script, no framing, no sniffing. */
const HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** True when `urlPath` is a dashboard file. */
export function isDashboardPath(urlPath: string): boolean {
  return Object.hasOwn(FILES, urlPath);
}

/** Answer a dashboard file request. */
export async function serveDashboard(response: ServerResponse, urlPath: string, dirs: { staticDir: string; scriptDir: string }): Promise<void> {
  const entry = FILES[urlPath];
  if (entry === undefined) throw new Error(`serving dashboard: ${urlPath} is not a dashboard file`);
  const [dir, name, contentType] = entry;
  const body = await readFile(path.join(dir === 'static' ? dirs.staticDir : dirs.scriptDir, name));
  response.writeHead(200, { 'content-type': contentType, ...HEADERS });
  response.end(body);
}
