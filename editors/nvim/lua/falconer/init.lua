-- falconer for Neovim: registers `falconer lsp` with the built-in LSP
-- client for Falco rules files.
--
--   require('falconer').setup({
--     cmd = { 'falconer', 'lsp' },                -- the server command
--     filetypes = { 'yaml.falco' },               -- buffers it attaches to
--     root_markers = { 'falconer.toml', '.git' }, -- workspace root
--     config = nil,           -- a falconer.toml (its folder becomes the root)
--     lints = {},             -- { ['unused-macro'] = 'off' } (sent to the server)
--     patterns = {},          -- more Lua patterns of rules file names
--     detect_content = true,  -- *.yaml with `- rule:`/`- macro:`/`- list:` items
--     autostart = true,
--     method = 'auto',        -- 'enable' (vim.lsp.enable), 'start' (vim.lsp.start)
--     codelens = true,        -- show the "run tests" lenses (vim.lsp.codelens)
--     on_attach = nil, capabilities = nil,
--   })
--
-- Neovim >= 0.11 uses vim.lsp.config/vim.lsp.enable (the same config as
-- this plugin's lsp/falconer.lua); older versions (>= 0.8) start the client
-- with vim.lsp.start from a FileType autocmd.

local filetype = require('falconer.filetype')

local M = {}

M.defaults = {
  cmd = { 'falconer', 'lsp' },
  filetypes = { filetype.filetype },
  root_markers = { 'falconer.toml', '.git' },
  config = nil,
  lints = {},
  patterns = {},
  detect_content = true,
  autostart = true,
  method = 'auto',
  codelens = true,
  on_attach = nil,
  capabilities = nil,
}

--- The options of the last setup() call (nil before).
M.options = nil

local function has(version)
  return vim.fn.has('nvim-' .. version) == 1
end

local function dirname(path)
  return vim.fn.fnamemodify(path, ':p:h')
end

-- vim.json turns an empty Lua table into an empty array; the server
-- expects objects.
local function object(t)
  if t == nil or next(t) == nil then
    return vim.empty_dict()
  end
  return t
end

--- What the client sends the server about the user's settings: in
--- `initializationOptions`, and as the `falconer` section of the
--- workspace settings (workspace/configuration and
--- workspace/didChangeConfiguration).
--- @param opts table
--- @return table
function M.server_settings(opts)
  local s = { lints = object(opts.lints) }
  if opts.config then
    s.config = vim.fn.fnamemodify(opts.config, ':p')
  end
  return s
end

--- The vim.lsp config for the options (a table usable by vim.lsp.config,
--- and by vim.lsp.start once `root_dir` is set).
--- @param opts table
--- @return table
function M.lsp_config(opts)
  local settings = M.server_settings(opts)
  local cfg = {
    name = 'falconer',
    cmd = opts.cmd,
    filetypes = opts.filetypes,
    root_markers = opts.root_markers,
    init_options = settings,
    settings = { falconer = settings },
    on_attach = opts.on_attach,
    capabilities = opts.capabilities,
  }
  if opts.config then
    -- The server reads falconer.toml from the workspace root (or a
    -- parent); a config given here makes its folder the root.
    cfg.root_dir = dirname(opts.config)
  end
  return cfg
end

--- Why the server command cannot run, or nil when it can.
--- @param cmd table|function
--- @return string?
function M.cmd_problem(cmd)
  if type(cmd) ~= 'table' or type(cmd[1]) ~= 'string' then
    return nil -- a function (RPC) or something vim.lsp will judge
  end
  if vim.fn.executable(cmd[1]) == 1 then
    return nil
  end
  return string.format(
    "falconer: the language server command '%s' was not found. Install falconer "
      .. '(cargo install --path crates/falconer-cli, from the falconer repository) '
      .. "or give its path: require('falconer').setup({ cmd = { '/path/to/falconer', 'lsp' } })",
    cmd[1]
  )
end

local function find_root(bufnr, markers)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' then
    return nil
  end
  if vim.fs.root then
    local root = vim.fs.root(bufnr, markers)
    if root then
      return root
    end
  else
    local found = vim.fs.find(markers, { upward = true, path = dirname(name) })[1]
    if found then
      return dirname(found)
    end
  end
  return dirname(name)
end

local function start_legacy(cfg, bufnr)
  local root = cfg.root_dir or find_root(bufnr, cfg.root_markers)
  if not root then
    return
  end
  local start = vim.tbl_extend('force', cfg, { root_dir = root })
  start.root_markers = nil
  start.filetypes = nil
  vim.lsp.start(start, { bufnr = bufnr })
end

--- Shows the server's code lenses ("▶ Run 3 tests" above rules with unit
--- tests, "▶ Run case" above test cases) in the buffers it attaches to:
--- refreshed on attach, on entering the buffer, after insert mode and
--- after writing (the server also asks for a refresh after each run).
--- Run the lens under the cursor with `vim.lsp.codelens.run()`.
local function enable_codelens()
  local group = vim.api.nvim_create_augroup('falconer_codelens', { clear = true })
  vim.api.nvim_create_autocmd('LspAttach', {
    group = group,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data and args.data.client_id or -1)
      if not client or client.name ~= 'falconer' then
        return
      end
      local caps = client.server_capabilities or {}
      if not caps.codeLensProvider then
        return
      end
      local buf = args.buf
      local function refresh()
        if vim.api.nvim_buf_is_valid(buf) then
          vim.lsp.codelens.refresh({ bufnr = buf })
        end
      end
      vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'BufWritePost' }, {
        group = group,
        buffer = buf,
        callback = refresh,
      })
      refresh()
    end,
  })
end

--- Sets up filetype detection and the language server.
--- @param user_opts? table see the top of this file
function M.setup(user_opts)
  local opts = vim.tbl_deep_extend('force', {}, M.defaults, user_opts or {})
  -- Lists replace the defaults instead of merging index by index.
  for _, key in ipairs({ 'cmd', 'filetypes', 'root_markers', 'patterns' }) do
    if user_opts and user_opts[key] ~= nil then
      opts[key] = user_opts[key]
    end
  end
  M.options = opts

  filetype.register({ patterns = opts.patterns, detect_content = opts.detect_content })

  local problem = M.cmd_problem(opts.cmd)
  if problem then
    vim.notify(problem, vim.log.levels.WARN)
    return
  end

  if opts.codelens ~= false and vim.lsp.codelens then
    enable_codelens()
  end

  local cfg = M.lsp_config(opts)
  local method = opts.method
  if method == nil or method == 'auto' then
    method = has('0.11') and 'enable' or 'start'
  end
  if method == 'enable' then
    if not has('0.11') then
      vim.notify("falconer: method = 'enable' needs Neovim 0.11", vim.log.levels.ERROR)
      return
    end
    vim.lsp.config('falconer', cfg)
    vim.lsp.enable('falconer', opts.autostart ~= false)
    return
  end
  if method ~= 'start' then
    vim.notify("falconer: method must be 'auto', 'enable' or 'start'", vim.log.levels.ERROR)
    return
  end
  if not has('0.8') then
    vim.notify('falconer: Neovim 0.8 or newer is needed', vim.log.levels.ERROR)
    return
  end
  if opts.autostart == false then
    return
  end
  local group = vim.api.nvim_create_augroup('falconer', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = opts.filetypes,
    callback = function(args)
      start_legacy(cfg, args.buf)
    end,
  })
  -- Buffers opened before setup() (lazy loading).
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(opts.filetypes, vim.bo[buf].filetype) then
      start_legacy(cfg, buf)
    end
  end
end

--- Treats a buffer as a Falco rules file (what :FalconerMark does).
--- @param bufnr? integer
function M.mark(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = filetype.filetype
end

return M
