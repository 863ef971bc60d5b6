/**
 * The Content-Security-Policy of the renderer, shared by the Electron protocol handler and the
 * browser host. `connect-src` allows only the app itself and the data gateway; wasm needs
 * 'wasm-unsafe-eval' (not 'unsafe-eval').
 */
export function buildCsp(gatewayOrigin: string): string {
  if (!/^http:\/\/127\.0\.0\.1:\d{1,5}$/.test(gatewayOrigin)) {
    throw new Error(`the data gateway must be on http://127.0.0.1:PORT, not ${gatewayOrigin}`);
  }
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    `connect-src 'self' ${gatewayOrigin}`,
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * Headers that make the renderer cross-origin isolated, sent on every response of the Electron
 * protocol and of the browser host when isolation is switched on (off by default: the threaded
 * build was not kept, see bench/README.md "Threads"). Isolation gives the page SharedArrayBuffer,
 * which DuckDB-WASM's threaded `coi` build needs (queries/engine/browser-bundles.ts). COEP
 * require-corp means every subresource must be same-origin, CORS-approved or carry CORP: the
 * renderer's files are same-origin (CORP same-origin says so), and the data gateway, another
 * origin, answers with CORS (Access-Control-Allow-Origin for the app's origin).
 */
export const CROSS_ORIGIN_ISOLATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
});
