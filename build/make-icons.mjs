// Renders build/icons/icon.svg to the PNG sizes electron-builder needs (512x512.png, 256x256.png)
// with headless Chromium, transparent around the rounded tile. Run after editing the SVG:
//   node build/make-icons.mjs [path/to/chromium]
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const icons = path.join(path.dirname(fileURLToPath(import.meta.url)), 'icons');
const chromium = process.argv[2] ?? process.env.CHROMIUM ?? '/usr/bin/chromium';
const svg = pathToFileURL(path.join(icons, 'icon.svg')).href;

for (const size of [512, 256]) {
  execFileSync(chromium, [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--hide-scrollbars',
    '--default-background-color=00000000',
    // The SVG is drawn at 512 CSS px; the scale factor gives the smaller sizes from the same drawing.
    `--force-device-scale-factor=${size / 512}`,
    '--window-size=512,512',
    `--screenshot=${path.join(icons, `${size}x${size}.png`)}`,
    svg,
  ], { stdio: 'inherit' });
}
