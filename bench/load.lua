-- wrk script for bench/load.py (and its fault runs): requests rotating through a list of
-- targets, GETs and POSTs, and a check of every response.
--
--   wrk ... --script bench/load.lua URL -- <targets file> [<path>=<Location pattern> ...]
--
-- The targets file has one request a line, five fields separated by tabs:
--   Host <TAB> Cookie ("-" for none) <TAB> method <TAB> path <TAB> body ("-" for none)
-- A POST body is sent urlencoded. Every wrk thread walks the whole list, starting at its
-- own offset. The URL on the command line only says where to connect.
--
-- Expected: 200, or a 302 whose Location matches one of the Lua patterns given after the
-- targets file (where a successful POST redirects). wrk cannot tell which request a
-- response answers, so a 302 is judged by its Location alone: a lost session redirects to
-- the login form, which matches no pattern and counts as unexpected. done() prints two
-- lines that bench/load.py parses:
--   status-check: expected N unexpected M last-unexpected S L
--   status-counts: s200=… s302=… s4xx=… s500=… s503=… s5xx=… other=…

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_number", #threads)
end

-- Per-thread state (every wrk thread has its own Lua state); read back in done().
expected, unexpected, last_status, last_location = 0, 0, 0, "-"
s200, s302, s4xx, s500, s503, s5xx, other = 0, 0, 0, 0, 0, 0, 0
local requests = {}
local redirects = {}
local next_index = 1

function init(args)
   local name = args[1]
   if name == nil then
      error("usage: wrk ... --script load.lua URL -- <targets file> [path=pattern ...]")
   end
   for i = 2, #args do
      local pattern = args[i]:match("^[^=]+=(.+)$")
      if pattern then
         table.insert(redirects, pattern)
      end
   end
   local file = assert(io.open(name, "r"))
   for line in file:lines() do
      local host, cookie, method, path, body =
         line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)$")
      if host then
         local headers = {Host = host}
         if cookie ~= "-" then
            headers["Cookie"] = cookie
         end
         if body == "-" then
            body = nil
         else
            headers["Content-Type"] = "application/x-www-form-urlencoded"
         end
         table.insert(requests, wrk.format(method, path, headers, body))
      end
   end
   file:close()
   if #requests == 0 then
      error("no targets in " .. name)
   end
   next_index = ((thread_number or 1) - 1) * 7919 % #requests + 1
end

function request()
   local chosen = requests[next_index]
   next_index = next_index % #requests + 1
   return chosen
end

local function redirect_expected(location)
   if location == nil then
      return false
   end
   for _, pattern in ipairs(redirects) do
      if location:match(pattern) then
         return true
      end
   end
   return false
end

function response(status, headers, body)
   local location = headers["Location"] or headers["location"]
   if status == 200 then
      s200 = s200 + 1
   elseif status == 302 then
      s302 = s302 + 1
   elseif status == 500 then
      s500 = s500 + 1
   elseif status == 503 then
      s503 = s503 + 1
   elseif status >= 500 then
      s5xx = s5xx + 1
   elseif status >= 400 then
      s4xx = s4xx + 1
   else
      other = other + 1
   end
   if status == 200 or (status == 302 and redirect_expected(location)) then
      expected = expected + 1
   else
      unexpected = unexpected + 1
      last_status, last_location = status, location or "-"
   end
end

function done(summary, latency, requests)
   local totals = {expected = 0, unexpected = 0, s200 = 0, s302 = 0, s4xx = 0, s500 = 0,
                   s503 = 0, s5xx = 0, other = 0}
   local status, location = 0, "-"
   for _, thread in ipairs(threads) do
      for key, _ in pairs(totals) do
         totals[key] = totals[key] + thread:get(key)
      end
      if thread:get("unexpected") > 0 then
         status, location = thread:get("last_status"), thread:get("last_location")
      end
   end
   io.write(string.format("status-check: expected %d unexpected %d last-unexpected %d %s\n",
      totals.expected, totals.unexpected, status, location))
   io.write(string.format(
      "status-counts: s200=%d s302=%d s4xx=%d s500=%d s503=%d s5xx=%d other=%d\n",
      totals.s200, totals.s302, totals.s4xx, totals.s500, totals.s503, totals.s5xx,
      totals.other))
end
