// The falconer extension: starts `falconer lsp` for Falco rules files.
//
// * binary.ts: `falconer.path` → the binary (with a clear error when it
//   is missing);
// * files.ts: which documents are Falco rules (language `falco`);
// * settings.ts: what the server is told (`falconer.config`,
//   `falconer.lints`).
//
// The server starts when the first Falco rules document opens (or at
// activation when one is open or the workspace has a falconer.toml).

import * as fs from 'node:fs';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
} from 'vscode-languageclient/node';
import { checkVersion, resolveBinary } from './binary';
import { LANGUAGE_ID, adopt, treatAsRules } from './files';
import { serverSettings, settingsProblems } from './settings';

let client: LanguageClient | undefined;
let starting: Promise<void> | undefined;
/** Set after a failed start; cleared by a settings change or a restart. */
let startFailed = false;
let log: vscode.LogOutputChannel;

function firstFolderPath(): string | undefined {
  const f = vscode.workspace.workspaceFolders?.find((w) => w.uri.scheme === 'file');
  return f?.uri.fsPath;
}

async function showStartError(message: string): Promise<void> {
  log.error(message);
  const choice = await vscode.window.showErrorMessage(`Falconer: ${message}`, 'Open Settings', 'Show Output');
  if (choice === 'Open Settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'falconer.path');
  } else if (choice === 'Show Output') {
    log.show();
  }
}

function warnSettingsProblems(): void {
  const settings = serverSettings();
  const problems = settingsProblems();
  if (settings.config !== null && !fs.existsSync(settings.config)) {
    problems.push(`falconer.config: ${settings.config} does not exist`);
  }
  for (const p of problems) {
    log.warn(p);
    void vscode.window.showWarningMessage(`Falconer: ${p}`);
  }
}

async function start(): Promise<void> {
  if (client || startFailed) {
    return;
  }
  const setting = vscode.workspace.getConfiguration('falconer').get<string>('path', 'falconer');
  const resolved = resolveBinary(setting, firstFolderPath());
  if (!resolved.ok) {
    startFailed = true;
    void showStartError(`cannot start the language server: ${resolved.problem}`);
    return;
  }
  try {
    const version = await checkVersion(resolved.path);
    log.info(`starting ${resolved.path} lsp (${version})`);
  } catch (e) {
    startFailed = true;
    void showStartError(`cannot start the language server: ${(e as Error).message}`);
    return;
  }
  warnSettingsProblems();

  const serverOptions: ServerOptions = {
    command: resolved.path,
    args: ['lsp'],
    options: { cwd: firstFolderPath() },
  };
  const clientOptions: LanguageClientOptions = {
    // Plain YAML files too: rule test files (`cases:`) get diagnostics
    // and "run case" lenses; the server ignores other YAML files.
    // `falconer.runTests` (the lenses' command) is registered by the
    // client itself from the server's executeCommandProvider: do not
    // register it here.
    documentSelector: [
      { language: LANGUAGE_ID, scheme: 'file' },
      { language: LANGUAGE_ID, scheme: 'untitled' },
      { language: 'yaml', scheme: 'file' },
    ],
    initializationOptions: serverSettings(),
    outputChannel: log,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    middleware: {
      workspace: {
        // workspace/configuration for the `falconer` section: the
        // resolved settings (absolute config path, valid lint levels).
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) {
            return answers;
          }
          return params.items.map((item, i) =>
            item.section === 'falconer'
              ? serverSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
              : answers[i],
          );
        },
      },
    },
  };
  const c = new LanguageClient('falconer', 'Falconer', serverOptions, clientOptions);
  try {
    await c.start();
    client = c;
  } catch (e) {
    startFailed = true;
    void showStartError(`the language server failed to start: ${(e as Error).message ?? e}`);
  }
}

function ensureStarted(): Promise<void> {
  if (!starting) {
    starting = start().finally(() => {
      starting = undefined;
    });
  }
  return starting;
}

async function stop(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) {
    try {
      await c.stop(5000);
    } catch (e) {
      log.warn(`stopping the language server: ${e}`);
    }
  }
}

async function restart(): Promise<void> {
  await starting;
  await stop();
  startFailed = false;
  await ensureStarted();
}

function anyRulesDocumentOpen(): boolean {
  return vscode.workspace.textDocuments.some((d) => d.languageId === LANGUAGE_ID);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  log = vscode.window.createOutputChannel('Falconer', { log: true });
  context.subscriptions.push(log);

  context.subscriptions.push(
    vscode.commands.registerCommand('falconer.treatAsRules', () => treatAsRules(log)),
    vscode.commands.registerCommand('falconer.restartServer', restart),
    vscode.commands.registerCommand('falconer.showOutput', () => log.show()),
    vscode.workspace.onDidOpenTextDocument((doc) => {
      if (doc.languageId === LANGUAGE_ID) {
        void ensureStarted();
      } else {
        void adopt(doc, log);
      }
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('falconer.path')) {
        log.info('falconer.path changed: restarting the language server');
        void restart();
        return;
      }
      if (e.affectsConfiguration('falconer.config') || e.affectsConfiguration('falconer.lints')) {
        warnSettingsProblems();
        void client?.sendNotification(DidChangeConfigurationNotification.type, {
          settings: { falconer: serverSettings() },
        });
      }
      if (e.affectsConfiguration('falconer.files') || e.affectsConfiguration('falconer.detectByContent')) {
        for (const doc of vscode.workspace.textDocuments) {
          void adopt(doc, log);
        }
      }
    }),
  );

  for (const doc of vscode.workspace.textDocuments) {
    void adopt(doc, log);
  }
  const hasConfig =
    (await vscode.workspace.findFiles('**/falconer.toml', '**/{node_modules,target,.git}/**', 1)).length > 0;
  if (anyRulesDocumentOpen() || hasConfig) {
    await ensureStarted();
  }
}

export async function deactivate(): Promise<void> {
  await stop();
}
