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
