-- Argo CD health of analytics.crmlens.io/ReportSchedule (crmlens).
-- Healthy: valid and scheduling (firing business alerts are named in the
-- message; they do not make the schedule unhealthy). Suspended: suspend is
-- set. Progressing: a report Job runs. Degraded: a reference is missing,
-- the schedule is invalid, or the last run failed (retried with backoff).
local hs = { status = "Progressing", message = "Waiting for the crmlens operator" }
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
if obj.metadata.generation ~= nil and (obj.status.observedGeneration == nil or obj.status.observedGeneration < obj.metadata.generation) then
  hs.message = "The operator has not observed the latest spec yet"
  return hs
end
local cond = {}
for _, c in ipairs(obj.status.conditions) do
  cond[c.type] = c
end
local function text(c)
  local m = c.reason or ""
  if c.message ~= nil and c.message ~= "" then
    m = m .. ": " .. c.message
  end
  return m
end
local function isTrue(t)
  return cond[t] ~= nil and cond[t].status == "True"
end
-- Stalled (kstatus): a bad edit or a failure that needs a person.
if isTrue("Stalled") then
  hs.status = "Degraded"
  hs.message = text(cond.Stalled)
  return hs
end
if isTrue("Degraded") then
  hs.status = "Degraded"
  hs.message = text(cond.Degraded)
  if isTrue("Reconciling") then
    hs.message = hs.message .. " (" .. (cond.Reconciling.message or "retrying") .. ")"
  end
  return hs
end
local ready = cond.Ready
if ready == nil then
  return hs
end
if ready.status ~= "True" then
  hs.status = "Degraded"
  hs.message = text(ready)
  return hs
end
if isTrue("Progressing") or isTrue("Reconciling") then
  hs.message = text(isTrue("Reconciling") and cond.Reconciling or cond.Progressing)
  return hs
end
if ready.reason == "Suspended" then
  hs.status = "Suspended"
else
  hs.status = "Healthy"
end
hs.message = text(ready)
if isTrue("AlertFiring") then
  hs.message = hs.message .. " (alerts firing: " .. (cond.AlertFiring.message or "") .. ")"
end
return hs
