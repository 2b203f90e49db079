-- wrk script of the benchmark (docs/performance.md): POSTs one signed
-- body with one kind's headers (the same for every server), gives each
-- request its own delivery id where the kind has one (a repeated one would
-- only replay the stored answer), checks every answer, and prints one
-- machine-readable line.
--
-- Environment:
--   BENCH_BODY    file holding the body
--   BENCH_HEADERS file of "Field: value" lines sent with every request
--                 (the kind's event, signature or token, Content-Type)
--   BENCH_ID_HEADER  the field carrying a unique id per request ("": none)
--   BENCH_EXPECT  the exact answer body expected with status 200
--   BENCH_RUN     a number unique to this run (part of every id)
--   BENCH_CLOSE   "1": send "Connection: close" (a new connection per request)
--   BENCH_SAME_UUID  "1": every request carries the same id (replay check)
-- The path comes from the URL given to wrk.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

local function env(name)
   local v = os.getenv(name)
   if v == nil then
      error("post.lua: " .. name .. " is not set")
   end
   return v
end

function init(args)
   local f = assert(io.open(env("BENCH_BODY"), "rb"))
   local body = f:read("*a")
   f:close()
   expect = env("BENCH_EXPECT")
   run = tonumber(env("BENCH_RUN"))
   same_uuid = os.getenv("BENCH_SAME_UUID") == "1"
   n, bad_status, bad_body = 0, 0, 0
   first_bad = ""
   local host = wrk.host .. ":" .. wrk.port
   local fields = ""
   for line in io.lines(env("BENCH_HEADERS")) do
      if line ~= "" then
         fields = fields .. line .. "\r\n"
      end
   end
   head = "POST " .. wrk.path .. " HTTP/1.1\r\n" ..
      "Host: " .. host .. "\r\n" ..
      fields
   id_field = env("BENCH_ID_HEADER")
   tail = (os.getenv("BENCH_CLOSE") == "1" and "Connection: close\r\n" or "") ..
      "Content-Length: " .. #body .. "\r\n\r\n" .. body
end

function request()
   n = n + 1
   local k = same_uuid and 0 or n
   if id_field == "" then
      return head .. tail
   end
   return head .. id_field .. ": " .. string.format("%08x-%04x-4%03x-8%03x-%012x",
      run, tid, math.floor(k / 2^48) % 4096, 0, k % 2^48) .. "\r\n" .. tail
end

function response(status, headers, body)
   if status ~= 200 then
      bad_status = bad_status + 1
   elseif body ~= expect then
      bad_body = bad_body + 1
   else
      return
   end
   if first_bad == "" then
      first_bad = status .. " " .. string.sub(body or "", 1, 120)
   end
end

function done(summary, latency, requests)
   local bs, bb, fb = 0, 0, ""
   for _, t in ipairs(threads) do
      bs = bs + t:get("bad_status")
      bb = bb + t:get("bad_body")
      if fb == "" then
         fb = t:get("first_bad")
      end
   end
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d " ..
      "connect=%d read=%d write=%d status=%d timeout=%d bad_status=%d bad_body=%d first_bad=%q\n",
      summary.requests, summary.duration, latency:percentile(50),
      latency:percentile(99), latency.max, e.connect, e.read, e.write,
      e.status, e.timeout, bs, bb, fb))
end
