// Which documents are Falco rules files.
//
// The `falco` language (package.json) covers the usual names by filename
// pattern. YAML documents become `falco` here when they match a glob of
// `falconer.files` or, with `falconer.detectByContent`, when they have a
// Falco item at column 0 (the test the language server uses).

import * as path from 'node:path';
import * as vscode from 'vscode';

export const LANGUAGE_ID = 'falco';

const ITEM_LINE = /^-[ \t]+(rule|macro|list|required_engine_version|required_plugin_versions):/m;
/** How much of a document the content test reads. */
const CONTENT_PREFIX = 64 * 1024;

/** Whether a text has a Falco item at column 0 (`- rule:`, `- macro:`...). */
export function looksLikeRules(text: string): boolean {
  return ITEM_LINE.test(text.slice(0, CONTENT_PREFIX));
}

/** Whether a document matches one of the `falconer.files` globs. */
export function matchesFilesSetting(doc: vscode.TextDocument): boolean {
  if (doc.uri.scheme !== 'file') {
    return false;
  }
  const config = vscode.workspace.getConfiguration('falconer', doc.uri);
  const globs = config.get<string[]>('files', []);
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  return globs.some((glob) => {
    if (typeof glob !== 'string' || glob.trim() === '') {
      return false;
    }
    const pattern =
      folder && !path.isAbsolute(glob) ? new vscode.RelativePattern(folder, glob) : glob.replace(/\\/g, '/');
    return vscode.languages.match({ pattern }, doc) > 0;
  });
}

/** Whether a YAML document should be switched to the `falco` language. */
export function shouldAdopt(doc: vscode.TextDocument): boolean {
  if (doc.languageId !== 'yaml') {
    return false;
  }
  if (matchesFilesSetting(doc)) {
    return true;
  }
  const detect = vscode.workspace.getConfiguration('falconer', doc.uri).get<boolean>('detectByContent', true);
  return detect && looksLikeRules(doc.getText());
}

/** Switches a document to the `falco` language when it should be. */
export async function adopt(doc: vscode.TextDocument, log: vscode.LogOutputChannel): Promise<void> {
  if (!shouldAdopt(doc)) {
    return;
  }
  try {
    await vscode.languages.setTextDocumentLanguage(doc, LANGUAGE_ID);
    log.info(`treating ${doc.uri.fsPath} as Falco rules`);
  } catch (e) {
    log.warn(`cannot set the language of ${doc.uri.toString()}: ${e}`);
  }
}

/**
 * "Falconer: Treat this file as Falco rules": switches the active
 * document to `falco` and remembers it in `falconer.files` (of its
 * workspace folder, or the user settings for a file outside any folder).
 */
export async function treatAsRules(log: vscode.LogOutputChannel): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage('Falconer: open the file to treat as Falco rules first.');
    return;
  }
  const doc = editor.document;
  if (doc.uri.scheme === 'file') {
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
    const config = vscode.workspace.getConfiguration('falconer', doc.uri);
    const entry = folder ? path.relative(folder.uri.fsPath, doc.uri.fsPath).split(path.sep).join('/') : doc.uri.fsPath;
    const target = folder ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Global;
    const inspect = config.inspect<string[]>('files');
    const current = (folder ? inspect?.workspaceFolderValue : inspect?.globalValue) ?? ([] as string[]);
    if (!current.includes(entry)) {
      try {
        await config.update('files', [...current, entry], target);
        log.info(`added ${entry} to falconer.files`);
      } catch (e) {
        log.warn(`cannot add ${entry} to falconer.files: ${e}`);
      }
    }
  }
  if (doc.languageId !== LANGUAGE_ID) {
    await vscode.languages.setTextDocumentLanguage(doc, LANGUAGE_ID);
  }
  void vscode.window.setStatusBarMessage(`Falconer: ${path.basename(doc.fileName)} is a Falco rules file`, 4000);
}
