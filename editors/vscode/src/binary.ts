// Finding the `falconer` binary from the `falconer.path` setting.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';

export const INSTALL_HINT =
  "Install it with 'cargo install --path crates/falconer-cli' (from the falconer repository), " +
  'or set "falconer.path" to the binary.';

export type Resolved = { ok: true; path: string } | { ok: false; problem: string };

/** Expands `~`, `${userHome}` and `${workspaceFolder}` in a setting. */
export function expandVariables(value: string, workspaceFolder: string | undefined): string {
  let v = value.trim();
  if (v === '~' || v.startsWith('~/')) {
    v = path.join(os.homedir(), v.slice(1));
  }
  v = v.replace(/\$\{userHome\}/g, os.homedir());
  if (workspaceFolder !== undefined) {
    v = v.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  return v;
}

function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) {
      return false;
    }
    if (process.platform !== 'win32') {
      fs.accessSync(p, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

/** Looks a bare command name up on PATH (with PATHEXT on Windows). */
export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  const exts = process.platform === 'win32' ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) {
      continue;
    }
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (isExecutableFile(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/**
 * The binary named by the `falconer.path` setting: a bare name is looked
 * up on PATH, a relative path is relative to the first workspace folder.
 */
export function resolveBinary(setting: string | undefined, workspaceFolder: string | undefined): Resolved {
  const raw = (setting ?? '').trim() || 'falconer';
  const value = expandVariables(raw, workspaceFolder);
  const shown = raw === value ? `'${raw}'` : `'${raw}' (${value})`;
  if (!value.includes('/') && !value.includes('\\')) {
    const found = findOnPath(value);
    if (found) {
      return { ok: true, path: found };
    }
    return {
      ok: false,
      problem: `the language server binary ${shown} was not found on PATH. ${INSTALL_HINT}`,
    };
  }
  let p = value;
  if (!path.isAbsolute(p)) {
    if (workspaceFolder === undefined) {
      return {
        ok: false,
        problem: `"falconer.path" is the relative path ${shown} but no folder is open. Use an absolute path.`,
      };
    }
    p = path.resolve(workspaceFolder, p);
  }
  if (!fs.existsSync(p)) {
    const where = p === value ? '' : ` (${p})`;
    return { ok: false, problem: `the language server binary ${shown} does not exist${where}. ${INSTALL_HINT}` };
  }
  if (!isExecutableFile(p)) {
    return { ok: false, problem: `${p} (from "falconer.path") is not an executable file. ${INSTALL_HINT}` };
  }
  return { ok: true, path: p };
}

/**
 * Runs `BINARY --version` and checks that it is falconer: resolves to the
 * version line, or rejects with a message saying what is wrong.
 */
export function checkVersion(binary: string, timeoutMs = 10000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, ['--version'], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const out = `${stdout}`.trim();
      if (err) {
        reject(new Error(`'${binary} --version' failed: ${err.message.trim()} ${`${stderr}`.trim()}`.trim()));
      } else if (!out.startsWith('falconer')) {
        reject(new Error(`${binary} is not falconer ('--version' printed '${out.slice(0, 80)}'). ${INSTALL_HINT}`));
      } else {
        resolve(out.split('\n')[0]);
      }
    });
  });
}
