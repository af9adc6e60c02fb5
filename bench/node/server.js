// A FHIR R4 server on @asymmetrik/node-fhir-server-core for bench/runtime_bench.sh: a Patient
// service answering reads from memory, plus the core's own /4_0_0/metadata.
// usage: NODE_PATH=DIR/node_modules node server.js PORT
const { initialize, loggers, constants } = require('@asymmetrik/node-fhir-server-core');
const { VERSIONS } = constants;
const port = Number(process.argv[2] || 18640);
const patients = {};
for (let i = 0; i < 50; i++) {
  patients[`p${i}`] = {
    resourceType: 'Patient', id: `p${i}`, active: true,
    name: [{ family: `Family${i}`, given: [`Given${i}`] }], gender: i % 2 ? 'female' : 'male',
    birthDate: `19${50 + (i % 50)}-01-01`,
  };
}
const service = {
  search: async () => Object.values(patients).slice(0, 10),
  searchById: async (args) => patients[args.id] || null,
};
const config = {
  profiles: { patient: { service, versions: [VERSIONS['4_0_0']] } },
  server: { port, host: '127.0.0.1' },
  logging: { level: 'error' },
};
const server = initialize(config);
loggers.get('default').level = 'error';
server.listen(port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}`));
