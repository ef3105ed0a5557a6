-- wrk script: the check-in load of checkins.lua spread over many schools, each request from the school's own kiosk.
-- CALLERS names a file of lines `student_id device_id token` (a token per school is too long for the environment).
local callers = {}
for line in io.lines(os.getenv("CALLERS")) do
  local student, device, token = string.match(line, "(%S+) (%S+) (%S+)")
  callers[#callers + 1] = {student, device, token}
end
local base = tonumber(os.getenv("BASE_EPOCH"))
local threads, counter = 0, 0
thread_id = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  counter = 0
end

function request()
  counter = counter + 1
  local n = thread_id * 10000000 + counter
  local caller = callers[(n % #callers) + 1]
  local stamp = os.date("!%Y-%m-%dT%H:%M:%S", base + math.floor(n / 1000)) .. string.format(".%03dZ", n % 1000)
  local body = string.format('{"student_id":"%s","occurred_at":"%s","device_id":"%s","method":"card"}',
    caller[1], stamp, caller[2])
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. caller[3],
    ["Idempotency-Key"] = "spread-" .. n,
  }, body)
end

function response(status, headers, body)
  if status ~= 201 then
    print("unexpected status " .. status .. ": " .. body)
  end
end
