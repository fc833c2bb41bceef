-- Headless Neovim (0.7+) as a real LSP client of `ptlint server`, with nothing but the
-- built-in vim.lsp. Run by tests/test_nvim_client.py:
--
--   PTLINT_NVIM_CMD='["/path/ptlint","server"]' PTLINT_NVIM_FILE=buggy.py \
--   PTLINT_NVIM_OUT=result.json nvim --headless --clean -n -i NONE -u NONE \
--     -c 'luafile tests/nvim/lsp_check.lua'
--
-- It opens the file, waits for diagnostics, hovers on the first diagnostic and on the
-- word in PTLINT_NVIM_HOVER_WORD, asks for code actions there, applies the quick fix and
-- waits for the fixed diagnostic to go away; everything it sees goes to PTLINT_NVIM_OUT
-- as JSON, which the pytest test asserts on.

local TIMEOUT = tonumber(vim.env.PTLINT_NVIM_TIMEOUT or '30000')
local out_path = assert(vim.env.PTLINT_NVIM_OUT, 'PTLINT_NVIM_OUT not set')
local result = { nvim = vim.version(), errors = {}, log = {}, pushes = 0 }

local function write_result()
  local f = assert(io.open(out_path, 'w'))
  f:write(vim.fn.json_encode(result))
  f:close()
end

local function hover_text(resp)
  if not resp or not resp.result or not resp.result.contents then
    return nil
  end
  local c = resp.result.contents
  if type(c) == 'string' then
    return c
  end
  if c.value then
    return c.value
  end
  local parts = {}
  for _, item in ipairs(c) do
    table.insert(parts, type(item) == 'string' and item or item.value)
  end
  return table.concat(parts, '\n')
end

local function main()
  local file = assert(vim.env.PTLINT_NVIM_FILE, 'PTLINT_NVIM_FILE not set')
  local cmd = vim.fn.json_decode((assert(vim.env.PTLINT_NVIM_CMD, 'PTLINT_NVIM_CMD not set')))
  local init_options = vim.fn.json_decode(vim.env.PTLINT_NVIM_INIT or '{}')
  if vim.tbl_isempty(init_options) then
    init_options = vim.empty_dict()
  end

  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'python'
  local uri = vim.uri_from_bufnr(bufnr)

  -- Keep the diagnostics exactly as the server sent them (vim.diagnostic converts
  -- positions), then let the built-in handler show them as usual.
  local raw = {}
  local function on_publish(err, params, ctx, config)
    result.pushes = result.pushes + 1
    raw[params.uri] = params.diagnostics
    return vim.lsp.handlers['textDocument/publishDiagnostics'](err, params, ctx, config)
  end

  local client_id = vim.lsp.start_client({
    name = 'ptlint',
    cmd = cmd,
    root_dir = vim.fn.fnamemodify(file, ':p:h'),
    init_options = init_options,
    handlers = {
      ['textDocument/publishDiagnostics'] = on_publish,
      ['window/logMessage'] = function(_, params)
        table.insert(result.log, params.message)
      end,
      ['window/showMessage'] = function(_, params)
        table.insert(result.log, params.message)
      end,
    },
    on_exit = function(code, signal)
      result.exit = { code = code, signal = signal }
    end,
  })
  assert(client_id, 'vim.lsp.start_client failed')
  vim.lsp.buf_attach_client(bufnr, client_id)
  local client = vim.lsp.get_client_by_id(client_id)

  local got = vim.wait(TIMEOUT, function()
    return raw[uri] ~= nil and #raw[uri] > 0
  end, 50)
  result.diagnostics = raw[uri] or {}
  result.vim_diagnostic_count = #vim.diagnostic.get(bufnr)
  result.server_capabilities = client and {
    hover = client.server_capabilities.hoverProvider ~= nil,
    codeAction = client.server_capabilities.codeActionProvider ~= nil,
    pull = client.server_capabilities.diagnosticProvider ~= nil,
  } or nil
  if not got then
    error('no diagnostics within ' .. TIMEOUT .. ' ms')
  end

  -- hover and code actions at the diagnostic we want fixed
  local want = vim.env.PTLINT_NVIM_FIX_CODE or ''
  local target = result.diagnostics[1]
  for _, d in ipairs(result.diagnostics) do
    if d.code == want then
      target = d
    end
  end
  local pos = target.range.start
  local hover = client.request_sync('textDocument/hover', {
    textDocument = { uri = uri },
    position = { line = pos.line, character = pos.character + 1 },
  }, TIMEOUT, bufnr)
  result.hover_diagnostic = hover_text(hover)
  result.hover_diagnostic_error = hover and hover.err and hover.err.message or nil

  local word = vim.env.PTLINT_NVIM_HOVER_WORD
  if word and word ~= '' then
    local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
    for i, line in ipairs(lines) do
      local s = line:find(word, 1, true)
      if s then
        local r = client.request_sync('textDocument/hover', {
          textDocument = { uri = uri },
          position = { line = i - 1, character = s },
        }, TIMEOUT, bufnr)
        result.hover_word = hover_text(r)
        result.hover_word_error = r and r.err and r.err.message or nil
        break
      end
    end
  end

  local resp = client.request_sync('textDocument/codeAction', {
    textDocument = { uri = uri },
    range = target.range,
    context = { diagnostics = { target } },
  }, TIMEOUT, bufnr)
  local actions = (resp and resp.result) or {}
  result.code_actions = {}
  local fix
  for _, a in ipairs(actions) do
    table.insert(result.code_actions, {
      title = a.title,
      kind = a.kind,
      has_edit = a.edit ~= nil,
      preferred = a.isPreferred == true,
    })
    if not fix and a.kind == 'quickfix' and a.edit and not a.title:find('noqa', 1, true)
        and not a.title:find('禁用', 1, true) then
      fix = a
    end
  end

  -- apply the quick fix the way a user's mapping would, then wait for the re-check
  if fix then
    result.applied_fix = fix.title
    vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding or 'utf-16')
    result.fixed_text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
    local cleared = vim.wait(TIMEOUT, function()
      for _, d in ipairs(raw[uri] or {}) do
        if d.code == target.code then
          return false
        end
      end
      return true
    end, 50)
    result.after_fix = raw[uri] or {}
    result.fix_cleared = cleared
  end

  client.stop()
  vim.wait(5000, function()
    return result.exit ~= nil
  end, 50)
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  table.insert(result.errors, tostring(err))
end
write_result()
vim.cmd(ok and 'qa!' or 'cq!')
