-- Files, time and string work in one script. tests/e2e compare what it
-- prints under uk with what Debian's own lua5.4 prints on the host.
local path = arg[1] or "/tmp/uk-lua-test.txt"

local f = assert(io.open(path, "w"))
for i = 1, 2000 do
  f:write(string.format("line %04d %s\n", i, string.rep(string.char(97 + i % 26), i % 13)))
end
f:close()

local lines, bytes, longest = 0, 0, ""
for line in io.lines(path) do
  lines = lines + 1
  bytes = bytes + #line + 1
  if #line > #longest then longest = line end
end
print(string.format("lines=%d bytes=%d longest=%q", lines, bytes, longest))

f = assert(io.open(path, "a+"))
f:write("appended\n")
f:seek("set", 0)
local first = f:read("l")
f:seek("end", -9)
print("first=" .. first .. " last=" .. f:read("l"))
f:close()

local words = {}
for w in ("the quick brown fox jumps over the lazy dog, then naps"):gmatch("%a+") do
  words[#words + 1] = w:upper()
end
table.sort(words)
print(table.concat(words, " "))
print((("hello world"):gsub("o", "0")), ("%5.2f|%-6s|%x"):format(math.pi, "ab", 48879))

local t = os.time({year = 2026, month = 11, day = 29, hour = 12})
print(os.date("!%Y-%m-%d %H:%M", t + 86400 * 3), os.time() > t - 86400 * 365)
local c0 = os.clock()
local acc = 0
for i = 1, 300000 do acc = acc + i % 7 end
print("acc=" .. acc, os.clock() >= c0)

assert(os.remove(path))
print("removed", io.open(path) == nil)
