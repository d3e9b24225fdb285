-- wrk script for bench/login.py: the request, and a check of every response's status.
--
--   wrk ... --script bench/login.lua URL -- post <login> <password>
--       POST the resident login form (urlencoded); expect 302 with Location .../konto
--   wrk ... --script bench/login.lua URL -- get
--       the request as given on the command line (URL, -H headers); expect 200
--
-- wrk itself only counts statuses outside 2xx/3xx as errors. A failed login answers 200
-- (the form again, with a message) and a lost session 302 (to the login form), so neither
-- would be noticed without this check. done() prints one line that bench/login.py parses:
--   status-check: expected N unexpected M last-unexpected S L
-- (S = the last unexpected status, L = its Location header or "-").

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

-- Per-thread state (every wrk thread has its own Lua state); read back in done().
expected, unexpected, last_status, last_location = 0, 0, 0, "-"
local want_status, want_location

local function urlencode(text)
   return (text:gsub("[^%w%-%._~]", function(char)
      return string.format("%%%02X", string.byte(char))
   end))
end

function init(args)
   if args[1] == "post" and args[2] and args[3] then
      wrk.method = "POST"
      wrk.body = "login=" .. urlencode(args[2]) .. "&password=" .. urlencode(args[3])
      wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
      want_status, want_location = 302, "/konto"
   elseif args[1] == "get" then
      want_status = 200
   else
      error("usage: wrk ... --script login.lua URL -- post <login> <password> | -- get")
   end
end

function response(status, headers, body)
   local location = headers["Location"] or headers["location"]
   if status == want_status and (want_location == nil
         or (location ~= nil and location:sub(-#want_location) == want_location)) then
      expected = expected + 1
   else
      unexpected = unexpected + 1
      last_status, last_location = status, location or "-"
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
