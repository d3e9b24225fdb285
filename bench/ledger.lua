-- wrk script for bench/ledger.py: GET requests rotating through a list of targets, and a
-- check of every response's status.
--
--   wrk ... --script bench/ledger.lua URL -- <targets file>
--
-- The targets file has one request a line, three fields separated by tabs:
--   Host header <TAB> Cookie header ("-" for none) <TAB> path with query string
-- e.g. one line per signed-in resident of a different tenant. Every wrk thread walks the
-- whole list in turn, starting at its own offset, so the requests spread over all targets.
-- The URL on the command line only says where to connect.
--
-- Every response must be exactly 200: a lost session redirects (302) to the login form and
-- wrk alone would count that as a success. done() prints the same line as login.lua, which
-- bench/login.py's parse_status_check() reads:
--   status-check: expected N unexpected M last-unexpected S L

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_number", #threads)
end

-- Per-thread state (every wrk thread has its own Lua state); read back in done().
expected, unexpected, last_status, last_location = 0, 0, 0, "-"
local requests = {}
local next_index = 1

function init(args)
   local name = args[1]
   if name == nil then
      error("usage: wrk ... --script ledger.lua URL -- <targets file>")
   end
   local file = assert(io.open(name, "r"))
   for line in file:lines() do
      local host, cookie, path = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)$")
      if host then
         local headers = {Host = host}
         if cookie ~= "-" then
            headers["Cookie"] = cookie
         end
         table.insert(requests, wrk.format("GET", path, headers))
      end
   end
   file:close()
   if #requests == 0 then
      error("no targets in " .. name)
   end
   -- thread_number was set by setup() in this thread's state.
   next_index = ((thread_number or 1) - 1) * 7 % #requests + 1
end

function request()
   local chosen = requests[next_index]
   next_index = next_index % #requests + 1
   return chosen
end

function response(status, headers, body)
   if status == 200 then
      expected = expected + 1
   else
      unexpected = unexpected + 1
      last_status = status
      last_location = headers["Location"] or headers["location"] or "-"
   end
end

function done(summary, latency, requests)
   local total_expected, total_unexpected, status, location = 0, 0, 0, "-"
   for _, thread in ipairs(threads) do
      total_expected = total_expected + thread:get("expected")
      total_unexpected = total_unexpected + thread:get("unexpected")
      if thread:get("unexpected") > 0 then
         status, location = thread:get("last_status"), thread:get("last_location")
      end
   end
   io.write(string.format("status-check: expected %d unexpected %d last-unexpected %d %s\n",
      total_expected, total_unexpected, status, location))
end
