-- Loaded at startup: filetype detection for Falco rules files (`yaml.falco`)
-- and the :FalconerMark command. The language server itself starts only
-- after `require('falconer').setup()` or `vim.lsp.enable('falconer')`.
-- Set `vim.g.falconer_no_filetype_detection = true` to skip the detection.
if vim.g.loaded_falconer then
  return
end
vim.g.loaded_falconer = true

if not vim.g.falconer_no_filetype_detection then
  require('falconer.filetype').register()
end

vim.api.nvim_create_user_command('FalconerMark', function()
  require('falconer').mark()
end, { desc = 'Treat the current buffer as a Falco rules file (filetype yaml.falco)' })
