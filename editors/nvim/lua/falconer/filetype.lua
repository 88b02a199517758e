-- Filetype detection for Falco rules files.
--
-- Rules files get the compound filetype `yaml.falco`: Neovim then applies
-- YAML's syntax, indent and ftplugin (the `yaml` part) and falconer's
-- language server attaches to it (the whole name).

local M = {}

M.filetype = 'yaml.falco'

-- Lua patterns (anchored; matched against the file name, or against the
-- full path when they contain a '/').
M.default_patterns = {
  '.*_rules%.ya?ml', -- falco_rules.yaml, k8s_audit_rules.yaml, my_rules.yaml
  '.*_rules%.local%.ya?ml', -- falco_rules.local.yaml
  '.*%.falco%.ya?ml', -- anything.falco.yaml
  '.*/falco/rules%.d/.*%.ya?ml', -- /etc/falco/rules.d/*.yaml
}

local ITEM_KEYS = {
  'rule:',
  'macro:',
  'list:',
  'required_engine_version:',
  'required_plugin_versions:',
}

--- Whether a line is a Falco item at column 0 (`- rule:`, `- macro:`...),
--- the same test the language server uses to pick rules files.
--- @param line string
--- @return boolean
function M.is_item_line(line)
  local rest = line:match('^%-[ \t]+(.*)$')
  if not rest then
    return false
  end
  for _, key in ipairs(ITEM_KEYS) do
    if rest:sub(1, #key) == key then
      return true
    end
  end
  return false
end

--- Whether a line is the top-level `cases:` key of a rule test file
--- (`falconer test`): test files also get `yaml.falco`, so that the
--- server checks them (it never reads them as rules).
--- @param line string
--- @return boolean
function M.is_test_line(line)
  return line:match('^cases:') ~= nil
end

--- Whether the first `max_lines` lines of a buffer look like a rules file
--- or a rule test file.
--- @param bufnr integer
--- @param max_lines? integer
--- @return boolean
function M.buffer_looks_like_rules(bufnr, max_lines)
  if not bufnr or not vim.api.nvim_buf_is_valid(bufnr) then
    return false
  end
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, max_lines or 400, false)
  for _, line in ipairs(lines) do
    if M.is_item_line(line) or M.is_test_line(line) then
      return true
    end
  end
  return false
end

local registered = {}

-- Whether YAML files are also recognised by their contents (read at each
-- detection, so `setup({ detect_content = false })` takes effect after the
-- plugin file registered the detection).
M.detect_content = true

--- Registers filetype detection (idempotent per pattern).
--- @param opts? { patterns?: string[], detect_content?: boolean }
function M.register(opts)
  opts = opts or {}
  local pattern = {}
  local function add(p, value)
    if not registered[p] then
      registered[p] = true
      pattern[p] = value
    end
  end
  for _, p in ipairs(M.default_patterns) do
    add(p, { M.filetype, { priority = 10 } })
  end
  for _, p in ipairs(opts.patterns or {}) do
    add(p, { M.filetype, { priority = 20 } })
  end
  if opts.detect_content ~= nil then
    M.detect_content = opts.detect_content
  end
  -- Other YAML files become Falco rules files when they hold a Falco item
  -- at column 0 (or a top-level `cases:`: a rule test file); otherwise
  -- detection falls through to plain yaml.
  add('.*%.ya?ml', {
    function(_, bufnr)
      if M.detect_content and M.buffer_looks_like_rules(bufnr) then
        return M.filetype
      end
    end,
    { priority = 5 },
  })
  if next(pattern) then
    vim.filetype.add({ pattern = pattern })
  end
end

return M
