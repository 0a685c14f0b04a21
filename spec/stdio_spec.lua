-- process.stdin, process.stdout and process.stderr as streams, in child
-- processes (fixtures in fixtures/stdio/) on files, pipes and /dev/null.
local t = require('./helper')

local dir = process.cwd() .. '/fixtures/stdio/'
local lode = t.quote(process.execPath)

local function slurp(name)
  local f = io.open(name, 'rb')
  local s = f and f:read('*a') or ''
  if f then f:close() end
  os.remove(name)
  return s
end

-- sh(script): runs shell text with $LODE and $DIR set; returns
-- { out, err, code }.
local function sh(script)
  local out, err = os.tmpname(), os.tmpname()
  local cmd = ('LODE=%s DIR=%s; export LODE DIR; { %s ; } >%s 2>%s'):format(lode, t.quote(dir), script,
    t.quote(out), t.quote(err))
  local status = os.execute(cmd)
  return { out = slurp(out), err = slurp(err), code = math.floor(status / 256) }
end

local ALL_BYTES = {}
for i = 0, 255 do ALL_BYTES[#ALL_BYTES + 1] = string.char(i) end
ALL_BYTES = table.concat(ALL_BYTES):rep(300) -- 76800 bytes: more than one read

t.test('stdout keeps its order with print, io.write and console.log (file)', function()
  local r = t.spawn(t.quote(dir .. 'order.lua'))
  t.eq(r.code, 0, r.err)
  t.same(r.lines, { '1 print', '2 write', '3 console.log', '4 io.write', '5 buffer', '6 print',
    string.rep('7', 20000), '8 console.log 8', '9 io.stdout 10 write', '11 print', '12 callback' })
end)

t.test('stdout keeps its order with print, io.write and console.log (pipe)', function()
  local r = sh('"$LODE" "$DIR/order.lua" | cat')
  t.eq(r.code, 0, r.err)
  local want = table.concat({ '1 print', '2 write', '3 console.log', '4 io.write', '5 buffer', '6 print',
    string.rep('7', 20000), '8 console.log 8', '9 io.stdout 10 write', '11 print', '12 callback', '' }, '\n')
  t.eq(r.out, want)
end)

t.test('1 MiB written right before process.exit() reaches a file whole', function()
  local r = t.spawn(t.quote(dir .. 'exit_big.lua') .. ' 3')
  t.eq(r.code, 3)
  t.eq(#r.err, 1048576)
  t.eq(r.err, string.rep('e', 1048576))
  local tail = {}
  for i = 1, 1000 do tail[i] = ('%04d\n'):format(i) end
  t.eq(r.out, string.rep('o', 1048576) .. table.concat(tail) .. 'last\n')
end)

t.test('1 MiB written right before process.exit() goes through a slow pipe whole', function()
  -- The reader sleeps first, so the pipe fills up and the writer waits.
  local r = sh('"$LODE" "$DIR/exit_big.lua" 5 2>/dev/null | { sleep 0.2; wc -c; }')
  t.match(r.out, '^%s*1053581%s*\n')
end)

t.test('stdout and stderr are Writables on fds 1 and 2, stdin a Readable on fd 0; isTTY false for files and pipes', function()
  local r = t.spawn(t.quote(dir .. 'kinds.lua'))
  t.eq(r.code, 0, r.err)
  t.eq(r.err, 'stdin fd=0 isTTY=false readable=true writable=false\n' ..
    'stdout fd=1 isTTY=false readable=false writable=true\n' ..
    'stderr fd=2 isTTY=false readable=false writable=true\n')
  r = sh('echo x | "$LODE" "$DIR/kinds.lua" 2>&1 | cat')
  t.eq(r.out, 'stdin fd=0 isTTY=false readable=true writable=false\n' ..
    'stdout fd=1 isTTY=false readable=false writable=true\n' ..
    'stderr fd=2 isTTY=false readable=false writable=true\n')
end)

-- What stdin_read.lua reports when it read ALL_BYTES.
local function readAll(r)
  t.eq(r.code, 0, r.err)
  t.eq(r.err, 'isTTY=false fd=0 end close\n')
  t.eq(#r.out, #ALL_BYTES)
  t.ok(r.out == ALL_BYTES, 'the bytes differ')
end

t.test("stdin from a file: 'data' strings, then 'end' and 'close', exact bytes", function()
  readAll(t.spawn(t.quote(dir .. 'stdin_read.lua'), { input = ALL_BYTES }))
end)

t.test("stdin from a pipe: 'data' strings, then 'end' and 'close', exact bytes", function()
  local f = os.tmpname()
  local h = io.open(f, 'wb')
  h:write(ALL_BYTES)
  h:close()
  local r = sh('cat ' .. t.quote(f) .. ' | "$LODE" "$DIR/stdin_read.lua"')
  os.remove(f)
  readAll(r)
end)

t.test("stdin from a pipe in pieces, with setEncoding('utf8'): characters cut between reads stay whole", function()
  -- 'é' is c3 a9: the first write ends after c3.
  local r = sh([[{ printf 'caf\303'; sleep 0.1; printf '\251!'; } | "$LODE" "$DIR/stdin_read.lua" utf8]])
  t.eq(r.code, 0, r.err)
  t.eq(r.out, 'café!')
  t.eq(r.err, 'isTTY=false fd=0 end close\n')
end)

t.test("empty stdin (/dev/null, an empty pipe): 'end' and 'close' at once", function()
  local r = t.spawn(t.quote(dir .. 'stdin_read.lua'))
  t.eq(r.code, 0, r.err)
  t.eq(r.out, '')
  t.eq(r.err, 'isTTY=false fd=0 end close\n')
  r = sh('"$LODE" "$DIR/stdin_read.lua" < /dev/null | cat; : | "$LODE" "$DIR/stdin_read.lua"')
  t.eq(r.err, 'isTTY=false fd=0 end close\nisTTY=false fd=0 end close\n')
end)

-- stdin is a pipe whose writer stays open for 30 s: the child must end by
-- itself long before (timeout kills it, with status 124, if it hangs).
local function withOpenStdin(mode)
  return sh(([[f=$(mktemp -u); mkfifo "$f"; (exec sleep 30 > "$f") & p=$!
timeout 10 "$LODE" "$DIR/stdin_unused.lua" %s < "$f"; echo "rc=$?"; kill $p; rm -f "$f"]]):format(mode))
end

t.test('process.stdin on an open pipe does not keep the process alive when never read', function()
  local r = withOpenStdin('untouched')
  t.eq(r.out, 'done\tfalse\tfalse\nrc=0\n', r.err)
end)

t.test('process.stdin read from and then paused lets the process end', function()
  local r = withOpenStdin('paused')
  t.eq(r.out, 'done\tfalse\tfalse\nrc=0\n', r.err)
end)

t.test('a paused readline interface on process.stdin lets the process end', function()
  local r = withOpenStdin('readline')
  t.eq(r.out, 'done\tfalse\tfalse\nrc=0\n', r.err)
end)

t.test('process.stdin being read keeps the process alive until EOF', function()
  local r = sh([[{ sleep 0.2; printf 'late'; } | "$LODE" "$DIR/stdin_read.lua"]])
  t.eq(r.out, 'late')
  t.eq(r.err, 'isTTY=false fd=0 end close\n')
end)

t.test('stdin piped to stdout copies every byte', function()
  local r = t.spawn('-e ' .. t.quote('process.stdin:pipe(process.stdout)'), { input = ALL_BYTES })
  t.eq(r.code, 0, r.err)
  t.ok(r.out == ALL_BYTES, 'the bytes differ')
end)

t.test('a write error on stdout (EPIPE) is an error event; console.log ignores it', function()
  local r = sh([["$LODE" -e 'process.stdout:on("error", function(e) io.stderr:write(e.code, " ", e.syscall, "\n") os.exit(0) end) for i = 1, 1e6 do process.stdout:write("x\n") end' | head -1]])
  t.eq(r.out, 'x\n')
  t.eq(r.err, 'EPIPE write\n')
  r = sh([["$LODE" -e 'for i = 1, 1e5 do console.log(i) end' | head -1]])
  t.match(r.out, '^1\n')
  t.eq(r.err, '')
end)

t.test('process.stdout:write returns false for a chunk over the high-water mark, then drain', function()
  local r = t.spawn('-e ' .. t.quote([[
    local s = process.stdout
    local big = s:write(string.rep('y', 20000))
    s:on('drain', function() io.stderr:write('drain ', s.writableLength, '\n') end)
    io.stderr:write(tostring(s:write('small')), ' ', tostring(big), '\n')
  ]]))
  t.eq(r.code, 0, r.err)
  t.eq(r.err, 'true false\ndrain 0\n')
  t.eq(#r.out, 20005)
end)

t.test('process.stdout:finish() emits finish; stdout is never closed', function()
  local r = t.spawn('-e ' .. t.quote([[
    process.stdout:on('finish', function() io.stderr:write('finish\n') io.write('after\n') end)
    process.stdout:finish('last\n')
  ]]))
  t.eq(r.code, 0, r.err)
  t.eq(r.err, 'finish\n')
  t.eq(r.out, 'last\nafter\n')
end)

t.test('the streams are made on first access and are the same objects after', function()
  t.ok(process.stdout == process.stdout)
  t.ok(process.stdin == process.stdin)
  t.eq(process.stdout.fd, 1)
  t.eq(process.stderr.fd, 2)
  t.eq(process.stdin.fd, 0)
end)

t.test('tty.isatty is false for files, pipes and anything that is not an fd', function()
  local tty = require('tty')
  t.eq(tty.isatty(1.5), false)
  t.eq(tty.isatty(-1), false)
  t.eq(tty.isatty('1'), false)
  t.eq(tty.isatty(nil), false)
  local r = sh([["$LODE" -e 'print(require("tty").isatty(0), require("tty").isatty(1), require("tty").isatty(99))' < /dev/null | cat]])
  t.eq(r.out, 'false\tfalse\tfalse\n')
  t.raises(function() tty.WriteStream:new(-1) end, 'ERR_INVALID_FD')
  t.raises(function() tty.ReadStream:new('x') end, 'ERR_INVALID_FD')
end)

t.test('tty streams refuse a descriptor that is not a terminal (ERR_TTY_INIT_FAILED)', function()
  local r = t.spawn('-e ' .. t.quote([[
    local tty = require('tty')
    local ok, e = pcall(tty.ReadStream.new, tty.ReadStream, 0)
    print(ok, e.code)
    ok, e = pcall(tty.WriteStream.new, tty.WriteStream, 1)
    print(ok, e.code)
  ]]))
  t.eq(r.code, 0, r.err)
  t.eq(r.out, 'false\tERR_TTY_INIT_FAILED\nfalse\tERR_TTY_INIT_FAILED\n')
end)

t.test('a closed stdout or stdin is /dev/null: writes go nowhere, stdin ends at once', function()
  local r = sh([["$LODE" -e 'print(1) process.stdout:write("x") console.log("y") io.stderr:write("ok ", tostring(process.stdout.writable), "\n")' >&-; echo "rc=$?"]])
  t.eq(r.out, 'rc=0\n')
  t.eq(r.err, 'ok true\n')
  r = sh([["$LODE" "$DIR/stdin_read.lua" <&-]])
  t.eq(r.code, 0, r.err)
  t.eq(r.err, 'isTTY=false fd=0 end close\n')
end)

t.test('process.stdin never read holds no handle; read to its end, none is left', function()
  local r = sh([[echo hi | "$LODE" -e '
    local s = process.stdin
    print(#process._getActiveHandles())
    s:on("data", function() print(table.concat(process._getActiveHandles(), ",")) end)
    s:on("close", function() print(#process._getActiveHandles()) end)']])
  t.eq(r.out, '0\npipe\n0\n', r.err)
end)
