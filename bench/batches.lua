-- wrk script: POST device events (KIND check-ins or check-outs): SIZE per batch as an offline kiosk uploads them,
-- or one per request (SIZE=0, the single route). Every event is new: check-ins by distinct device times,
-- check-outs one per child and (past) day, collected by the adult with the card `card-<student id>`.
local students = {}
for id in string.gmatch(os.getenv("STUDENTS"), "[^,]+") do students[#students + 1] = id end
local token, device, base = os.getenv("TOKEN"), os.getenv("DEVICE"), tonumber(os.getenv("BASE_DAY_EPOCH"))
local size, kind = tonumber(os.getenv("SIZE")), os.getenv("KIND")
local threads, counter = 0, 0
local wrk_threads = 2  -- bench.checkin_load.wrk runs `wrk -t2`: the threads interleave their event numbers
thread_id = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  counter = 0
end

local function event(n)
  local student = students[(n % #students) + 1]
  if kind == "check-ins" then
    -- two days back: inside the AT-8 upload window, and before the single route's check-ins of the last day
    local stamp = os.date("!%Y-%m-%dT%H:%M:%S", base - 86400 * 2 + math.floor(n / 1000)) .. string.format(".%03dZ", n % 1000)
    return string.format('{"student_id":"%s","occurred_at":"%s","method":"card"}', student, stamp)
  end
  local stamp = os.date("!%Y-%m-%dT%H:%M:%SZ", base - math.floor(n / #students) * 86400)
  return string.format('{"student_id":"%s","occurred_at":"%s","credential_ref":"card-%s"}', student, stamp, student)
end

function request()
  counter = counter + 1
  -- consecutive numbers (check-outs walk back a day per roster's worth, so the window's days are not skipped)
  local first = ((counter - 1) * wrk_threads + thread_id - 1) * math.max(size, 1)
  local body
  if size == 0 then
    body = string.sub(event(first), 1, -2) .. string.format(',"device_id":"%s","place":"gate"}', device)
  else
    local events = {}
    for i = 0, size - 1 do events[#events + 1] = event(first + i) end
    body = string.format('{"device_id":"%s","events":[%s]}', device, table.concat(events, ","))
  end
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = kind .. "-" .. first,
  }, body)
end

function response(status, headers, body)
  local ok = (size == 0 and status == 201) or (status == 200 and string.find(body, '"refused":0') ~= nil)
  if not ok then
    print("unexpected answer " .. status .. ": " .. string.sub(body, 1, 300))
  end
end
