// Schema check of Kubernetes manifests, offline: each document against the JSON schema of its
// kind from the npm package kubernetes-models (generated from the Kubernetes OpenAPI spec), and
// SeccompProfile documents against seccompprofile.schema.json (a transcription of the Security
// Profiles Operator CRD, v1 and v1beta1). Unknown kinds are errors, so nothing goes unchecked.
//   node validate.mjs FILE.yaml...      exit 0: all valid; 1: "FILE: doc N (KIND NAME): why" lines
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import yaml from "js-yaml";
import Ajv from "ajv";

const here = path.dirname(fileURLToPath(import.meta.url));
const models = {
  "v1/Namespace": "kubernetes-models/v1/Namespace",
  "v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
  "v1/Service": "kubernetes-models/v1/Service",
  "v1/PersistentVolumeClaim": "kubernetes-models/v1/PersistentVolumeClaim",
  "v1/Pod": "kubernetes-models/v1/Pod",
  "apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment",
  "apps/v1/StatefulSet": "kubernetes-models/apps/v1/StatefulSet",
};
const ajv = new Ajv({ allErrors: true, strict: true });
const spoSchema = JSON.parse(fs.readFileSync(path.join(here, "seccompprofile.schema.json"), "utf8"));
const validateSpo = ajv.compile(spoSchema);

let failures = 0;
for (const file of process.argv.slice(2)) {
  let docs;
  try {
    docs = yaml.loadAll(fs.readFileSync(file, "utf8"));
  } catch (e) {
    console.log(`${file}: not YAML: ${e.message}`);
    failures++;
    continue;
  }
  let n = 0;
  for (const doc of docs) {
    n++;
    if (doc === null || doc === undefined) continue;
    const what = `${file}: doc ${n} (${doc.kind} ${doc.metadata?.name ?? "?"})`;
    const key = `${doc.apiVersion}/${doc.kind}`;
    try {
      if (doc.kind === "SeccompProfile") {
        if (!validateSpo(doc)) throw new Error(ajv.errorsText(validateSpo.errors, { separator: "; " }));
      } else if (models[key]) {
        const mod = await import(models[key]);
        new mod[doc.kind](doc).validate();
      } else {
        throw new Error(`no schema for ${key}`);
      }
      console.log(`valid: ${what}`);
    } catch (e) {
      console.log(`${what}: ${e.message}`);
      failures++;
    }
  }
}
process.exit(failures ? 1 : 0);
