// The settings the extension hands the language server.
//
// Sent as `initializationOptions`, as the `falconer` section of
// `workspace/didChangeConfiguration` ({ settings: { falconer: ... } }) when
// they change, and as the answer to `workspace/configuration` requests
// for the `falconer` section:
//
//   { "config": "/abs/path/falconer.toml" | null,
//     "lints": { "<code>": "off" | "hint" | "info" | "warning" | "error" } }

import * as path from 'node:path';
import * as vscode from 'vscode';
import { expandVariables } from './binary';

export const LEVELS = ['off', 'hint', 'info', 'warning', 'error'];

export interface ServerSettings {
  config: string | null;
  lints: Record<string, string>;
}

/** The settings for a scope (a document or workspace folder URI). */
export function serverSettings(scope?: vscode.Uri): ServerSettings {
  const cfg = vscode.workspace.getConfiguration('falconer', scope);
  const folder = (scope && vscode.workspace.getWorkspaceFolder(scope)) ?? vscode.workspace.workspaceFolders?.[0];
  const folderPath = folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
  let config: string | null = null;
  const raw = cfg.get<string>('config', '').trim();
  if (raw !== '') {
    const expanded = expandVariables(raw, folderPath);
    config = path.isAbsolute(expanded) || !folderPath ? expanded : path.resolve(folderPath, expanded);
  }
  const lints: Record<string, string> = {};
  const rawLints = cfg.get<Record<string, unknown>>('lints', {}) ?? {};
  for (const [code, level] of Object.entries(rawLints)) {
    if (typeof level === 'string' && LEVELS.includes(level)) {
      lints[code] = level;
    }
  }
  return { config, lints };
}

/** Settings problems worth telling the user about. */
export function settingsProblems(scope?: vscode.Uri): string[] {
  const problems: string[] = [];
  const cfg = vscode.workspace.getConfiguration('falconer', scope);
  const rawLints = cfg.get<Record<string, unknown>>('lints', {}) ?? {};
  for (const [code, level] of Object.entries(rawLints)) {
    if (typeof level !== 'string' || !LEVELS.includes(level)) {
      problems.push(`falconer.lints: '${code}' has level ${JSON.stringify(level)}; use one of ${LEVELS.join(', ')}`);
    }
  }
  return problems;
}
