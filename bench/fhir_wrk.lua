-- A FHIR read mix for wrk: reads of the seeded patients and observations, searches by name
-- and by subject, and the CapabilityStatement. bench/fhir_bench.sh seeds Patient/p0..p49
-- and Observation/o0..o49 (subject Patient/pN) before the run.
local paths = {}
local names = {"Smith", "Jones", "Garcia", "Chen", "Okafor"}
for i = 0, 49 do
  paths[#paths + 1] = "/Patient/p" .. i
  paths[#paths + 1] = "/Observation/o" .. i
end
for i = 0, 9 do
  paths[#paths + 1] = "/Patient?name=" .. names[i % 5 + 1]:sub(1, 3)
  paths[#paths + 1] = "/Observation?subject=Patient/p" .. i
end
-- The CapabilityStatement, unless FHIR_WRK_METADATA=0: HAPI's is 1.5 MB of JSON (every resource
-- type's search parameters) and costs ~200 ms of CPU, ~50x a read, so 1 request in 121 makes
-- more than half the run's CPU and the few that finish in a window swing the figures 2x.
if os.getenv("FHIR_WRK_METADATA") ~= "0" then
  paths[#paths + 1] = "/metadata"
end

-- The URL's path is the FHIR base ("" for the example server, "/fhir" for HAPI).
local n, prefix = 0, nil
request = function()
  if prefix == nil then
    prefix = (wrk.path or "/"):gsub("/+$", "")
  end
  n = n + 1
  return wrk.format("GET", prefix .. paths[n % #paths + 1], {["Accept"] = "application/fhir+json"})
end
