-- End-to-end test of the Neovim plugin with a real `falconer lsp`.
--
-- Run by scripts/test-nvim as
--   nvim --headless --clean -l editors/nvim/test/e2e.lua
-- with FALCONER_BIN (the binary), FALCONER_PLUGIN (editors/nvim) and
-- FALCONER_WORKSPACE (a copy of editors/fixtures/workspace, also the
-- current directory). Prints `ok:` lines; any failure exits 1 with a
-- message saying what was expected and what came.

local TIMEOUT = tonumber(vim.env.FALCONER_TEST_TIMEOUT_MS or '') or 30000

local bin = assert(vim.env.FALCONER_BIN, 'FALCONER_BIN is not set')
local plugin = assert(vim.env.FALCONER_PLUGIN, 'FALCONER_PLUGIN is not set')
local ws = assert(vim.env.FALCONER_WORKSPACE, 'FALCONER_WORKSPACE is not set')

local function say(msg)
  io.stdout:write(msg .. '\n')
  io.stdout:flush()
end

local function fail(msg)
  error({ falconer_failure = msg }, 0)
end

local function check(cond, msg)
  if not cond then
    fail(msg)
  end
end

--- Waits for `fn` to return a truthy value; fails with `what` on timeout.
local function wait_for(what, fn, timeout)
  local value
  local done = vim.wait(timeout or TIMEOUT, function()
    value = fn()
    return value ~= nil and value ~= false
  end, 50)
  if not done then
    fail(string.format('timed out after %d ms waiting for %s', timeout or TIMEOUT, what))
  end
  return value
end

--- 0-based line and byte column of the first `needle` in a buffer.
local function find_in_buffer(buf, needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local col = line:find(needle, 1, true)
    if col then
      return i - 1, col - 1
    end
  end
  fail(string.format('fixture problem: %q not found in %s', needle, vim.api.nvim_buf_get_name(buf)))
end

local function falconer_client(buf)
  return vim.lsp.get_clients({ bufnr = buf, name = 'falconer' })[1]
end

local function run()
  check(vim.fn.has('nvim-0.11') == 1, 'this test needs Neovim 0.11 (vim.lsp.config)')
  vim.o.showmode = false
  vim.opt.runtimepath:prepend(plugin)
  vim.cmd('filetype on')
  vim.cmd.runtime('plugin/falconer.lua')

  -- Filetype detection: names, contents, and a plain YAML file left alone.
  local ft = require('falconer.filetype')
  for _, name in ipairs({
    'falco_rules.yaml',
    '/etc/falco/falco_rules.local.yaml',
    'x.falco.yml',
    '/etc/falco/rules.d/custom.yaml',
  }) do
    local got = vim.filetype.match({ filename = name })
    check(got == 'yaml.falco', string.format('%s detected as %s, expected yaml.falco', name, tostring(got)))
  end
  local function detect(name, lines)
    local b = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(b, ws .. '/' .. name)
    vim.api.nvim_buf_set_lines(b, 0, -1, false, lines)
    local got = vim.filetype.match({ buf = b })
    vim.api.nvim_buf_delete(b, { force = true })
    return got
  end
  local got = detect('custom.yaml', { '# mine', '- macro: m', '  condition: proc.name = x' })
  check(got == 'yaml.falco', 'a .yaml file with a `- macro:` item detected as ' .. tostring(got))
  got = detect('pod.yaml', { 'apiVersion: v1', 'kind: Pod', 'rules:', '  - rule: indented, not an item' })
  check(got == 'yaml', 'a plain YAML file detected as ' .. tostring(got) .. ', expected yaml')
  say('ok: filetype detection (names, contents, plain yaml untouched)')

  -- The plugin's default config must agree with lsp/falconer.lua.
  local lsp_file = dofile(plugin .. '/lsp/falconer.lua')
  local defaults = require('falconer').defaults
  check(
    vim.deep_equal(lsp_file.cmd, defaults.cmd)
      and vim.deep_equal(lsp_file.filetypes, defaults.filetypes)
      and vim.deep_equal(lsp_file.root_markers, defaults.root_markers),
    'lsp/falconer.lua and the defaults of lua/falconer/init.lua differ'
  )

  -- FALCONER_TEST_METHOD=start runs the same checks through vim.lsp.start
  -- (the path of Neovim 0.8-0.10).
  local method = vim.env.FALCONER_TEST_METHOD or 'enable'
  require('falconer').setup({ cmd = { bin, 'lsp' }, method = method })
  say('setup with method = ' .. method)

  -- A rule test file for the rule of local_rules.yaml (written before the
  -- server starts, so that its first walk finds it).
  vim.fn.mkdir(ws .. '/tests', 'p')
  vim.fn.writefile({
    'rules: [../base_rules.yaml, ../local_rules.yaml]',
    'cases:',
    '  - name: bash fires',
    '    scenario:',
    '      processes: [{pid: 100, exe: /usr/sbin/nginx}]',
    '      events: [{spawn: {pid: 101, ppid: 100, command: "bash -c id"}}]',
    '    expect: [{rule: Shell spawned, count: 1}]',
  }, ws .. '/tests/shell.yaml')

  -- 1. Open the rules file with the mistake: filetype, client, diagnostic.
  vim.cmd.edit(vim.fn.fnameescape(ws .. '/local_rules.yaml'))
  local buf = vim.api.nvim_get_current_buf()
  check(vim.bo[buf].filetype == 'yaml.falco', 'local_rules.yaml has filetype ' .. vim.bo[buf].filetype)
  local client = wait_for('the falconer client to attach to local_rules.yaml', function()
    return falconer_client(buf)
  end)
  check(client.config.root_dir == ws, 'client root is ' .. tostring(client.config.root_dir) .. ', expected ' .. ws)
  say(
    string.format(
      'ok: client %d attached (root %s, encoding %s)',
      client.id,
      client.config.root_dir,
      client.offset_encoding
    )
  )

  local diag = wait_for('a diagnostic on local_rules.yaml', function()
    return vim.diagnostic.get(buf)[1]
  end)
  local diags = vim.diagnostic.get(buf)
  if #diags ~= 1 then
    local seen = {}
    for _, d in ipairs(diags) do
      seen[#seen + 1] = string.format('%s at %d:%d', tostring(d.code), d.lnum, d.col)
    end
    fail(string.format('expected 1 diagnostic, got %d: %s', #diags, table.concat(seen, '; ')))
  end
  check(diag.code == 'unknown-field', 'diagnostic code is ' .. tostring(diag.code) .. ', expected unknown-field')
  check(diag.source == 'falconer', 'diagnostic source is ' .. tostring(diag.source))
  check(diag.severity == vim.diagnostic.severity.ERROR, 'diagnostic severity is ' .. tostring(diag.severity))
  -- Neovim's positions are 0-based (line, byte column); the misspelled
  -- field's place is found in the text, and `falconer check` (1-based)
  -- must agree with it.
  local lnum, col = find_in_buffer(buf, 'proc.nmae')
  check(
    diag.lnum == lnum and diag.col == col and diag.end_lnum == lnum and diag.end_col == col + #'proc.nmae',
    string.format(
      'diagnostic at %d:%d-%d:%d (0-based), expected %d:%d-%d:%d (the text proc.nmae)',
      diag.lnum,
      diag.col,
      diag.end_lnum,
      diag.end_col,
      lnum,
      col,
      lnum,
      col + #'proc.nmae'
    )
  )
  local cli = vim.system({ bin, 'check', '--format', 'json' }, { cwd = ws, text = true }):wait(TIMEOUT)
  check(cli.code == 1, 'falconer check exited ' .. tostring(cli.code) .. ': ' .. tostring(cli.stderr))
  local json = vim.json.decode(cli.stdout).diagnostics[1]
  check(
    json.code == diag.code and json.line == diag.lnum + 1 and json.column == diag.col + 1,
    string.format(
      'falconer check says %s at %d:%d (1-based), the editor %s at %d:%d (0-based)',
      json.code,
      json.line,
      json.column,
      diag.code,
      diag.lnum,
      diag.col
    )
  )
  say(
    string.format(
      'ok: diagnostic %s at %d:%d (1-based, as falconer check) = %d:%d (0-based): %s',
      diag.code,
      diag.lnum + 1,
      diag.col + 1,
      diag.lnum,
      diag.col,
      diag.message:gsub('\n', ' / ')
    )
  )

  -- 1b. The "run tests" code lens over the rule (the plugin refreshes the
  -- lenses on attach), and running it: the rules have a load error, so
  -- the lens says the tests could not run.
  local rlnum = find_in_buffer(buf, '- rule: Shell spawned')
  local function lens_title()
    for _, l in ipairs(vim.lsp.codelens.get(buf)) do
      if l.range.start.line == rlnum and l.command then
        return l.command.title
      end
    end
  end
  local title = wait_for('a code lens over the rule', lens_title)
  check(title == '▶ Run 1 test', 'code lens title is ' .. tostring(title) .. ', expected ▶ Run 1 test')
  vim.api.nvim_win_set_cursor(0, { rlnum + 1, 0 })
  vim.lsp.codelens.run()
  title = wait_for('the code lens to show the run', function()
    vim.lsp.codelens.refresh({ bufnr = buf })
    local t = lens_title()
    return t ~= '▶ Run 1 test' and not (t or ''):find('Running') and t
  end)
  check(title == '✗ tests could not run', 'after the run the code lens says ' .. tostring(title))
  say('ok: code lens "▶ Run 1 test" over the rule, then "' .. title .. '" (the rules have a load error)')

  -- 2. Go to definition on the macro: lands in base_rules.yaml on its name.
  local mlnum, mcol = find_in_buffer(buf, 'spawned_process')
  vim.api.nvim_win_set_cursor(0, { mlnum + 1, mcol + 3 })
  vim.lsp.buf.definition()
  local target = wait_for('go to definition to open base_rules.yaml', function()
    local name = vim.api.nvim_buf_get_name(0)
    return name:match('/base_rules%.yaml$') and vim.api.nvim_get_current_buf()
  end)
  local dlnum, dcol = find_in_buffer(target, 'spawned_process')
  local cursor = vim.api.nvim_win_get_cursor(0)
  check(
    cursor[1] == dlnum + 1 and cursor[2] == dcol,
    string.format(
      'definition landed at %d:%d (1-based line, 0-based column), expected %d:%d (the macro name)',
      cursor[1],
      cursor[2],
      dlnum + 1,
      dcol
    )
  )
  check(vim.bo[target].filetype == 'yaml.falco', 'base_rules.yaml has filetype ' .. vim.bo[target].filetype)
  say(string.format('ok: definition of spawned_process at base_rules.yaml:%d:%d', cursor[1], cursor[2] + 1))

  -- 3. Completion after typing `proc.` at the end of the condition.
  vim.api.nvim_set_current_buf(buf)
  local clnum = find_in_buffer(buf, 'condition:')
  vim.api.nvim_win_set_cursor(0, { clnum + 1, 0 })
  vim.api.nvim_feedkeys(vim.keycode('A and proc.<Esc>'), 'xt', false)
  local line = vim.api.nvim_buf_get_lines(buf, clnum, clnum + 1, false)[1]
  check(line:sub(-#' and proc.') == ' and proc.', 'typing did not give the expected line: ' .. line)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = clnum, character = #line }, -- ASCII: same in UTF-8/16
    context = { triggerKind = 2, triggerCharacter = '.' },
  }
  local responses, req_err = vim.lsp.buf_request_sync(buf, 'textDocument/completion', params, TIMEOUT)
  check(responses, 'completion request failed: ' .. tostring(req_err))
  local resp = responses[client.id]
  check(resp and not resp.err, 'completion error: ' .. vim.inspect(resp and resp.err))
  local result = resp.result or {}
  local items = result.items or result
  local labels, found = {}, nil
  for _, item in ipairs(items) do
    labels[#labels + 1] = item.label
    local text = item.textEdit and item.textEdit.newText or item.insertText or item.label
    if item.label == 'proc.name' or text == 'proc.name' then
      found = item
    end
  end
  check(
    found,
    string.format(
      'completion after `proc.` does not offer proc.name (%d items: %s)',
      #labels,
      table.concat(labels, ', '):sub(1, 400)
    )
  )
  for _, l in ipairs(labels) do
    check(l:sub(1, 5) == 'proc.', 'completion after `proc.` offers ' .. l)
  end
  say(string.format('ok: completion after `proc.` offers proc.name (%d proc.* items)', #labels))

  -- 4. :FalconerMark makes any buffer a rules buffer, and the client attaches.
  vim.cmd.edit(vim.fn.fnameescape(ws .. '/notes.yaml'))
  local notes = vim.api.nvim_get_current_buf()
  check(vim.bo[notes].filetype == 'yaml', 'a new notes.yaml has filetype ' .. vim.bo[notes].filetype)
  vim.cmd('FalconerMark')
  check(vim.bo[notes].filetype == 'yaml.falco', ':FalconerMark set filetype ' .. vim.bo[notes].filetype)
  wait_for('the falconer client to attach to notes.yaml after :FalconerMark', function()
    return falconer_client(notes)
  end)
  say('ok: :FalconerMark sets yaml.falco and the client attaches')

  -- 5. :checkhealth falconer reports the running client and no error.
  vim.cmd('silent checkhealth falconer')
  local report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  check(not report:find('ERROR'), 'checkhealth falconer reports an error:\n' .. report)
  check(report:find('client ' .. client.id .. ' running'), 'checkhealth falconer does not list the client:\n' .. report)
  check(report:find('server command: ' .. bin, 1, true), 'checkhealth falconer does not show the server:\n' .. report)
  say('ok: checkhealth falconer')
end

local okay, e = xpcall(run, function(e)
  if type(e) == 'table' and e.falconer_failure then
    return e.falconer_failure
  end
  return debug.traceback(tostring(e), 2)
end)
for _, c in ipairs(vim.lsp.get_clients()) do
  c:stop(true)
end
if not okay then
  io.stderr:write('FAIL: ' .. e .. '\n')
  io.stderr:flush()
  os.exit(1)
end
say('nvim e2e: all checks passed')
os.exit(0)
