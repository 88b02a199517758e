-- The falconer language server for Neovim >= 0.11's built-in client.
--
-- With this plugin (or just this file) on 'runtimepath':
--
--   vim.lsp.enable('falconer')
--
-- and override any field with vim.lsp.config('falconer', { ... }).
-- `require('falconer').setup()` does both, plus filetype detection.
return {
  cmd = { 'falconer', 'lsp' },
  filetypes = { 'yaml.falco' },
  root_markers = { 'falconer.toml', '.git' },
}
