// electron-builder configuration (https://www.electron.build/configuration). `npm run dist`
// (build/dist.mjs) assembles the app into out/app with build/assemble-app.mjs, then packs that
// folder for the current OS. Signing and notarisation are driven only by environment variables
// (CSC_LINK, CSC_KEY_PASSWORD, APPLE_ID, ...; see build/PACKAGING.md): nothing secret lives here.
// CommonJS because electron-builder `require`s its config file, hence require() below.
/* eslint-disable @typescript-eslint/no-require-imports */
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const electronVersion = require(path.join(root, 'node_modules', 'electron', 'package.json')).version;

// Dashboard files have a double extension (`*.northstar.json`, `*.dashboard.json`), and only Linux
// matches files by a glob on the whole name. So the associations are per OS (see PACKAGING.md,
// "File associations"): each OS gets the one setting that works there and takes nothing over.
const dashboardFile = (ext, description) => ({
  ext,
  name: 'Northstar dashboard',
  description,
  role: 'Editor',
  // The deb's shared-mime-info file gets `<glob pattern="*.northstar.json"/>`: the longest glob wins
  // over `*.json`, so a double-click opens Northstar.
  mimeType: 'application/x-northstar-dashboard',
  icon: 'icons/512x512.png',
});

/** @type {import('app-builder-lib').Configuration} */
module.exports = {
  appId: 'org.northstar.workbench',
  productName: 'Northstar',
  copyright: 'Copyright © The Northstar authors. Apache-2.0.',
  electronVersion,
  directories: {
    // The staging folder build/assemble-app.mjs fills with exactly what ships.
    app: 'out/app',
    output: 'out/dist',
    buildResources: 'build',
  },
  // The staging folder is already exact; these patterns are a second guard against sources,
  // source maps and local state ever reaching the asar.
  files: ['**/*', '!**/*.{ts,mts,cts,map}', '!**/.northstar{,/**}', '!**/testdata{,/**}', '!**/*.test.*'],
  asar: true,
  // Nothing needs unpacking: the renderer (DuckDB wasm and workers included) is served by the
  // app:// protocol handler through Electron's asar-aware fs, and the main process loads no
  // native modules.
  asarUnpack: [],
  // No native modules ship, so nothing is rebuilt (and nothing needs a compiler or network here).
  npmRebuild: false,
  nodeGypRebuild: false,
  buildDependenciesFromSource: false,
  compression: 'normal',
  electronLanguages: ['en-US', 'en-GB', 'de', 'fr', 'es', 'ja', 'zh-CN'],
  // No top-level fileAssociations: they would apply to every OS (see dashboardFile above).
  // northstar://open?file=...#view=... links (Views > Copy link in the desktop app): macOS Info.plist
  // URL types, the Linux .desktop x-scheme-handler, and the Windows registry via the app's own
  // setAsDefaultProtocolClient. What a link may do is checked in electron/desktop.ts parseDeepLink.
  protocols: [{ name: 'Northstar link', schemes: ['northstar'] }],
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  },
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Office',
    icon: 'icons',
    maintainer: 'The Northstar authors <northstar@users.noreply.github.com>',
    synopsis: 'KPI dashboards, drill-down and data-quality checks on Parquet',
    executableName: 'northstar',
    mimeTypes: ['application/x-northstar-dashboard'],
    fileAssociations: [dashboardFile('northstar.json', 'Northstar dashboard'), dashboardFile('dashboard.json', 'Northstar dashboard')],
    desktop: { entry: { StartupWMClass: 'Northstar' } },
  },
  appImage: { artifactName: 'Northstar-${version}-${arch}.AppImage' },
  deb: { artifactName: 'northstar_${version}_${arch}.deb', depends: ['libgtk-3-0', 'libnotify4', 'libnss3', 'libxss1', 'libxtst6', 'xdg-utils', 'libatspi2.0-0', 'libuuid1', 'libsecret-1-0'] },
  mac: {
    target: [{ target: 'dmg', arch: ['universal'] }],
    category: 'public.app-category.business',
    icon: 'icons/512x512.png',
    hardenedRuntime: true,
    // V8 needs JIT (for JavaScript and DuckDB's WebAssembly); nothing else is granted.
    entitlements: 'build/entitlements.mac.plist',
    entitlementsInherit: 'build/entitlements.mac.plist',
    // Notarised only when APPLE_ID / APPLE_APP_SPECIFIC_PASSWORD / APPLE_TEAM_ID are set (PACKAGING.md).
    notarize: Boolean(process.env.APPLE_ID && process.env.APPLE_APP_SPECIFIC_PASSWORD && process.env.APPLE_TEAM_ID),
    // LaunchServices matches only the last extension ("northstar.json" in CFBundleTypeExtensions never
    // matches a file). `json` as an Alternate handler puts Northstar in Finder's Open With menu for
    // dashboards without taking .json files over; main.ts refuses a .json that is not a dashboard.
    fileAssociations: [{ ext: 'json', name: 'Northstar dashboard', description: 'Northstar dashboard', role: 'Editor', rank: 'Alternate', icon: 'icons/512x512.png' }],
  },
  dmg: { artifactName: 'Northstar-${version}-universal.dmg' },
  win: {
    target: [{ target: 'nsis', arch: ['x64', 'arm64'] }],
    icon: 'icons/256x256.png',
    // No file association: Explorer picks a handler by the last extension only, so the installer's
    // `.northstar.json` key would never be read, and registering `.json` would take every JSON file
    // over. "Open with" › Northstar works (the path arrives on the command line).
  },
  nsis: {
    artifactName: 'Northstar-Setup-${version}.exe',
    oneClick: false,
    perMachine: false,
    allowToChangeInstallationDirectory: true,
    createDesktopShortcut: true,
    createStartMenuShortcut: true,
  },
  publish: null,
};
