-- :checkhealth falconer

local M = {}

local health = vim.health
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local err = health.error or health.report_error
local info = health.info or health.report_info

function M.check()
  start('falconer')

  local v = vim.version()
  local version = string.format('%d.%d.%d', v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.11') == 1 then
    ok('Neovim ' .. version .. ': vim.lsp.config/vim.lsp.enable')
  elseif vim.fn.has('nvim-0.8') == 1 then
    ok('Neovim ' .. version .. ': vim.lsp.start from a FileType autocmd')
  else
    err('Neovim ' .. version .. ' has no vim.lsp.start: 0.8 or newer is needed')
  end

  local falconer = require('falconer')
  local opts = falconer.options
  if opts then
    ok('setup() was called')
  else
    info("setup() was not called: using the defaults (require('falconer').setup() starts the server)")
    opts = falconer.defaults
  end

  local cmd = opts.cmd
  local problem = falconer.cmd_problem(cmd)
  if problem then
    err(problem)
  elseif type(cmd) == 'table' then
    local out = vim.fn.system({ cmd[1], '--version' })
    if vim.v.shell_error == 0 then
      ok(string.format('server command: %s (%s)', table.concat(cmd, ' '), vim.trim(out)))
    else
      err(string.format("'%s --version' failed: %s", cmd[1], vim.trim(out)))
    end
  end

  local ft = require('falconer.filetype').filetype
  local detected = vim.filetype.match({ filename = 'falco_rules.yaml' })
  if detected == ft then
    ok('falco_rules.yaml is detected as ' .. ft)
  else
    warn(
      string.format(
        'falco_rules.yaml is detected as %s, not %s (is vim.g.falconer_no_filetype_detection set?)',
        tostring(detected),
        ft
      )
    )
  end
  if opts.config then
    if vim.fn.filereadable(opts.config) == 1 then
      ok('config: ' .. opts.config)
    else
      err('config: ' .. opts.config .. ' cannot be read')
    end
  end

  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local clients = get({ name = 'falconer' })
  if #clients == 0 then
    info('no falconer client is running (open a Falco rules file)')
  end
  for _, c in ipairs(clients) do
    ok(string.format('client %d running, root %s', c.id, tostring(c.config.root_dir)))
  end
end

return M
