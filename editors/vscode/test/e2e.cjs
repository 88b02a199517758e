// End-to-end test of the VS Code extension in a real VS Code (code-server)
// driven through Debian's chromium by playwright-core.
//
// Run by scripts/test-vscode, which installs everything, installs the
// .vsix, starts code-server on 127.0.0.1 with `falconer.path` set to the
// built binary, and passes:
//   FALCONER_URL         the code-server URL with ?folder= the workspace
//   FALCONER_PLAYWRIGHT  the folder whose node_modules has playwright-core
//   FALCONER_SCREENSHOT  where to save the screenshot
//   FALCONER_CHROMIUM    the browser (default /usr/bin/chromium)
//   FALCONER_MACHINE_SETTINGS  the Machine settings.json, whose
//                        falconer.path names a missing binary at first
//   FALCONER_BIN         the falconer binary
//   FALCONER_WORKSPACE   the workspace folder (editors/fixtures/workspace
//                        plus editors/fixtures/vscode-extra)
//
// Checks: local_rules.yaml opens as "Falco rules"; the extension reports
// the missing binary with the fix; once falconer.path names the binary
// (written to the settings file) the server starts; the unknown-field
// squiggle appears under proc.nmae; the Problems panel lists it with the
// falconer code; typing ` and proc.` opens the suggestions, which offer
// proc.name; the "▶ Run 1 test" code lens shows above the rule (tested by
// shell_tests.yaml) and, clicked, reports that the tests could not run (the
// rules have a load error); detected.yaml opens as Falco rules by its contents, plain.yaml
// as YAML until "Falconer: Treat this file as Falco rules" switches it and
// records it in falconer.files. Prints `ok:` lines; a failure exits 1 saying what was
// expected (and saves a screenshot of the failure next to the other one).

'use strict';

const fs = require('node:fs');
const path = require('node:path');

const url = required('FALCONER_URL');
const screenshot = required('FALCONER_SCREENSHOT');
const { chromium } = require(path.join(required('FALCONER_PLAYWRIGHT'), 'node_modules', 'playwright-core'));
const executablePath = process.env.FALCONER_CHROMIUM || '/usr/bin/chromium';
const machineSettings = required('FALCONER_MACHINE_SETTINGS');
const bin = required('FALCONER_BIN');
const workspace = required('FALCONER_WORKSPACE');
const STEP_TIMEOUT = Number(process.env.FALCONER_STEP_TIMEOUT_MS || 60000);

function required(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`FAIL: ${name} is not set`);
    process.exit(1);
  }
  return v;
}

class Failure extends Error {}

function ok(msg) {
  console.log(`ok: ${msg}`);
}

/** Waits for a locator to be visible; fails saying what was awaited. */
async function visible(locator, what, timeout = STEP_TIMEOUT) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
  } catch {
    throw new Failure(`timed out after ${timeout} ms waiting for ${what}`);
  }
  return locator.first();
}

/** Polls `fn` until it returns a truthy value. */
async function until(what, fn, timeout = STEP_TIMEOUT) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) {
      return last;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Failure(`timed out after ${timeout} ms waiting for ${what}`);
}

/** Runs a command from the command palette (F1). */
async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = await visible(page.locator('.quick-input-widget input'), 'the command palette');
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title });
  await visible(row, `the command "${title}" in the palette`);
  await page.keyboard.press('Enter');
}

async function main(page) {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: STEP_TIMEOUT });
  await visible(page.locator('.monaco-workbench'), 'the VS Code workbench');
  ok('code-server workbench loaded');

  // Open local_rules.yaml from the explorer: its name makes it Falco rules.
  const editor = await openFromExplorer(page, 'local_rules.yaml');
  await languageMode(page, 'Falco rules', 'local_rules.yaml');
  ok('local_rules.yaml opened with language mode "Falco rules"');

  // falconer.path names a missing binary: an error with the fix.
  const toast = await visible(
    page.locator('.notification-toast', { hasText: 'cannot start the language server' }),
    'the notification about the missing binary',
  );
  const toastText = (await toast.innerText()).replace(/\s+/g, ' ');
  const toastMessage = await toast.locator('.notification-list-item-message').innerText();
  for (const needed of ['does not exist', 'cargo install', 'falconer.path', 'Open Settings']) {
    if (!toastText.includes(needed)) {
      throw new Failure(`the missing-binary notification does not say "${needed}": ${toastText}`);
    }
  }
  ok(`missing binary reported: ${toastMessage.replace(/\s+/g, ' ')}`);
  await toast
    .locator('.codicon-notifications-clear, .codicon-close')
    .first()
    .click()
    .catch(() => {});

  // Point falconer.path at the binary: the extension restarts the server.
  fs.writeFileSync(machineSettings, JSON.stringify({ 'falconer.path': bin }, null, 2) + '\n');

  // The diagnostic: a squiggle over proc.nmae.
  await visible(editor.locator('.squiggly-error'), 'the error squiggle of the diagnostic');
  // The code lens above the rule arrives on its own schedule and moves the
  // lines below it down: wait for it so that the layout is settled.
  await visible(
    editor.locator('.codelens-decoration a', { hasText: 'Run 1 test' }),
    'the code lens "▶ Run 1 test" above the rule',
  );
  // The squiggle lies under the text layer: move the mouse over it, from
  // its current position each time (anything re-laying out the editor
  // would otherwise leave the mouse over another line).
  const hoverText = await until('the hover of the squiggle', async () => {
    const box = await editor
      .locator('.squiggly-error')
      .first()
      .boundingBox()
      .catch(() => null);
    if (!box) {
      return false;
    }
    const hovering = await page
      .locator('.monaco-hover')
      .first()
      .innerText()
      .catch(() => '');
    if (hovering.includes('unknown-field')) {
      return hovering;
    }
    await page.mouse.move(box.x + box.width / 2, box.y - 40);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
    // The hover shows after a delay (300 ms by default).
    await page.waitForTimeout(1000);
    const t = await page
      .locator('.monaco-hover')
      .first()
      .innerText()
      .catch(() => '');
    return t.includes('unknown-field') && t;
  });
  if (!hoverText.includes('proc.nmae')) {
    throw new Failure(`the squiggle's hover does not name proc.nmae: ${hoverText}`);
  }
  ok(`squiggle under the mistake, hover: ${hoverText.split('\n')[0]}`);
  await page.keyboard.press('Escape');

  // The Problems panel lists it with falconer's code.
  await runCommand(page, 'Problems: Focus on Problems View');
  await visible(page.locator('.markers-panel .monaco-list-row'), 'an entry in the Problems panel');
  const problems = await until('the falconer code in the Problems panel', async () => {
    const t = await page
      .locator('.markers-panel')
      .innerText()
      .catch(() => '');
    return t.includes('unknown-field') && t;
  });
  // VS Code shows 1-based positions, as `falconer check` (6:34).
  if (!problems.includes('falconer') || !problems.includes('proc.nmae') || !problems.includes('Ln 6, Col 34')) {
    throw new Failure(`the Problems panel does not show falconer's diagnostic on proc.nmae: ${problems}`);
  }
  const entry = page.locator('.markers-panel .monaco-list-row', { hasText: 'unknown-field' }).first();
  ok(`Problems panel: ${(await entry.innerText()).replace(/\s+/g, ' ').slice(0, 160)}`);

  // Completion: type ` and proc.` at the end of the condition line.
  await editor.locator('.view-lines').click();
  await runCommand(page, 'Go to Line/Column');
  await page.keyboard.type('6');
  await page.keyboard.press('Enter');
  await page.keyboard.press('End');
  await page.keyboard.type(' and proc.', { delay: 30 });
  const suggest = await visible(page.locator('.editor-widget.suggest-widget.visible'), 'the suggestions after proc.');
  const labels = await until('suggestions starting with proc.', async () => {
    const l = await suggest.locator('.monaco-list-row .label-name').allInnerTexts();
    return l.some((x) => x.startsWith('proc.')) && l;
  });
  ok(`suggestions after "proc.": ${labels.slice(0, 6).join(', ')}, ...`);
  // Narrow the same list as a user would: proc.name must be among them.
  await page.keyboard.type('nam', { delay: 30 });
  const nameRow = await visible(
    suggest.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: /^proc\.name$/ }) }),
    'proc.name among the suggestions',
    15000,
  );
  const icon = await nameRow.locator('.suggest-icon').getAttribute('class');
  if (!/codicon-symbol-field/.test(icon || '')) {
    throw new Failure(`proc.name is offered, but not as a field from the server (icon ${icon})`);
  }
  ok('completion offers proc.name (a field item from the server)');
  await page.screenshot({ path: screenshot });
  ok(`screenshot saved to ${screenshot}`);
  await page.keyboard.press('Escape');

  // The "run tests" code lens above the rule (shell_tests.yaml tests it);
  // running it reports that the tests could not run (the rules have a
  // load error on purpose).
  const lens = await visible(
    editor.locator('.codelens-decoration a', { hasText: 'Run 1 test' }),
    'the code lens "▶ Run 1 test" above the rule',
  );
  ok(`code lens above the rule: ${(await lens.innerText()).trim()}`);
  await lens.click();
  const after = await until('the code lens to show the result of the run', async () => {
    const t = await editor
      .locator('.codelens-decoration')
      .allInnerTexts()
      .catch(() => []);
    return t.find((x) => x.includes('could not run') || x.includes('passed') || x.includes('failed'));
  });
  if (!after.includes('could not run')) {
    throw new Failure(`after the run the code lens says "${after}", expected "tests could not run"`);
  }
  ok(`after the run the code lens says: ${after.trim()}`);

  // Which files are rules: by contents, and by the command.
  await openFromExplorer(page, 'detected.yaml');
  await languageMode(page, 'Falco rules', 'detected.yaml (a `- list:` item at column 0)');
  ok('detected.yaml opened as "Falco rules" (by its contents)');
  await openFromExplorer(page, 'plain.yaml');
  await languageMode(page, 'YAML', 'plain.yaml');
  await runCommand(page, 'Falconer: Treat this file as Falco rules');
  await languageMode(page, 'Falco rules', 'plain.yaml after the command');
  const settingsFile = path.join(workspace, '.vscode', 'settings.json');
  const files = await until(`falconer.files in ${settingsFile}`, async () => {
    try {
      return JSON.parse(fs.readFileSync(settingsFile, 'utf8'))['falconer.files'];
    } catch {
      return undefined;
    }
  });
  if (!Array.isArray(files) || !files.includes('plain.yaml')) {
    throw new Failure(`falconer.files is ${JSON.stringify(files)}, expected it to list plain.yaml`);
  }
  ok(`"Treat this file as Falco rules" switched plain.yaml and set falconer.files = ${JSON.stringify(files)}`);
}

async function openFromExplorer(page, name) {
  const row = await visible(
    page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }),
    `${name} in the explorer`,
  );
  await row.click();
  return visible(page.locator(`.editor-instance .monaco-editor[data-uri$="/${name}"]`), `the editor of ${name}`);
}

async function languageMode(page, expected, what) {
  const mode = page.locator('#status\\.editor\\.mode');
  await until(
    `the language mode "${expected}" for ${what}`,
    async () => (await mode.innerText().catch(() => '')).trim() === expected,
  );
}

(async () => {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    timeout: STEP_TIMEOUT,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  let code = 0;
  try {
    await main(page);
    console.log('vscode e2e: all checks passed');
  } catch (e) {
    code = 1;
    console.error(`FAIL: ${e instanceof Failure ? e.message : e.stack || e}`);
    const failShot = screenshot.replace(/\.png$/, '') + '-failure.png';
    await page.screenshot({ path: failShot }).catch(() => {});
    console.error(`(screenshot of the failure: ${failShot})`);
  } finally {
    await browser.close().catch(() => {});
  }
  process.exit(code);
})();
