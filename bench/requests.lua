-- wrk script for every measurement of bench/run.py, baselines included (the same work in wrk).
--
-- BENCH_REQUESTS names a file of requests, one a line: method, path, cookie, body (tab-separated;
-- "-" for none). With one line, every request repeats it. With BENCH_ONCE=1, each line is sent
-- at most once (a pool: quiz submissions, scenario choices, each a real one); a pool used up
-- before the time is over is reported ("exhausted"), and bench/run.py refuses the measurement.
--
-- Every response is checked: another status than BENCH_EXPECT (e.g. 200 for a page, 303 after a
-- scenario choice), or without it a status of 400 or more or a redirect to the sign-in page, is
-- counted as failed and printed at the end ("failed N"), so that bench/run.py refuses the
-- measurement (wrk itself counts every 3xx as a success).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local once = os.getenv("BENCH_ONCE") == "1"
  local threads_total = tonumber(os.getenv("BENCH_THREADS") or "1")
  local user_agent = os.getenv("BENCH_USER_AGENT") or "trainer-bench"
  requests = {}
  position = 0
  failed = 0
  failed_status = 0  -- the first unexpected status, for the report
  used_up = false
  extra = 0
  local n = 0
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    if line ~= "" then
      -- In a pool, thread k takes lines k, k + T, k + 2T, ...; else every thread takes all.
      if not once or n % threads_total == index then
        local f = split(line)
        local headers = { ["User-Agent"] = user_agent }
        if f[3] ~= "-" then headers["Cookie"] = f[3] end
        local body = nil
        if f[4] ~= "-" then
          body = f[4]
          headers["Content-Type"] = "application/x-www-form-urlencoded"
        end
        if f[5] and f[5] ~= "" then headers["Accept"] = f[5] end
        table.insert(requests, wrk.format(f[1], f[2], headers, body))
      end
      n = n + 1
    end
  end
  once_mode = once
  expected = tonumber(os.getenv("BENCH_EXPECT") or "")
end

function request()
  position = position + 1
  if position > #requests then
    if once_mode then
      used_up = true
      -- Never the same submission twice: a cheap request that changes nothing, counted apart.
      extra = extra + 1
      return wrk.format("GET", "/healthz", { ["User-Agent"] = "trainer-bench" })
    end
    position = 1
  end
  return requests[position]
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if (expected and status ~= expected and not (used_up and status == 200))
      or status >= 400 or location:find("/login", 1, true) then
    failed = failed + 1
    if failed_status == 0 then failed_status = status end
  end
end

function done(summary, latency, requests_made)
  local total_failed = 0
  local exhausted = 0
  local extras = 0
  local status = 0
  for _, thread in ipairs(threads) do
    extras = extras + thread:get("extra")
    total_failed = total_failed + thread:get("failed")
    if status == 0 then status = thread:get("failed_status") end
    if thread:get("used_up") then exhausted = exhausted + 1 end
  end
  io.write(string.format("failed %d\n", total_failed))
  io.write(string.format("failed_status %d\n", status))
  io.write(string.format("exhausted %d\n", exhausted))
  io.write(string.format("extra %d\n", extras))
  io.write(string.format("completed %d\n", summary.requests))
  for _, p in ipairs({ 50, 95, 99 }) do
    io.write(string.format("p%d %.3f\n", p, latency:percentile(p) / 1000.0))
  end
end
