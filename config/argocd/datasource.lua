-- Argo CD health of analytics.crmlens.io/DataSource (crmlens).
-- Healthy: the last probe connected. Degraded: it failed (a transient
-- outage too, while the probe is retried: see Reconciling).
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
local ready = cond.Ready
if ready == nil then
  return hs
end
hs.message = text(ready)
if ready.status == "True" then
  hs.status = "Healthy"
  return hs
end
hs.status = "Degraded"
if isTrue("Reconciling") then
  hs.message = hs.message .. " (" .. (cond.Reconciling.message or "retrying") .. ")"
end
return hs
