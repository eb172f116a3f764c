-- Argo CD health of analytics.crmlens.io/SegmentationModel (crmlens).
-- Healthy: the result of the current spec is served. Progressing: the run
-- of a new spec (or the first run) is under way. Degraded: a reference is
-- missing, or the last run failed (the previous result is still served,
-- and the run is retried with backoff).
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
if ready ~= nil and ready.status ~= "True" and ready.reason ~= "NoResultYet" and ready.reason ~= "JobCreated" and ready.reason ~= "JobRunning" then
  hs.status = "Degraded"
  hs.message = text(ready)
  return hs
end
if isTrue("Reconciling") then
  hs.message = text(cond.Reconciling)
  return hs
end
if isTrue("Progressing") then
  hs.message = text(cond.Progressing)
  return hs
end
if ready == nil or ready.status ~= "True" then
  if ready ~= nil then
    hs.message = text(ready)
  end
  return hs
end
hs.status = "Healthy"
hs.message = text(ready)
return hs
