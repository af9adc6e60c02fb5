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
paths[#paths + 1] = "/metadata"

-- The URL's path is the FHIR base ("" for the example server, "/fhir" for HAPI).
local n, prefix = 0, nil
request = function()
  if prefix == nil then
    prefix = (wrk.path or "/"):gsub("/+$", "")
  end
  n = n + 1
  return wrk.format("GET", prefix .. paths[n % #paths + 1], {["Accept"] = "application/fhir+json"})
end
