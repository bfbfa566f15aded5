const { fork } = require('child_process');
const autocannon = require('autocannon');
const path = require('path');
async function main() {
  const child = fork(path.join(__dirname, '../dist/loadtest/bare-server.js'), [], { stdio: 'inherit' });
  const port = await new Promise((r) => child.once('message', (m) => r(m.port)));
  const auth = 'Bearer ' + 'x'.repeat(200);
  const body = JSON.stringify({ token: 'y'.repeat(90) });
  const modes = {
    static: [{ method: 'POST', path: '/api/activities/1/purchase', headers: { 'content-type': 'application/json', authorization: auth }, body }],
    setup: [{ method: 'POST', path: '/api/activities/1/purchase', setupRequest: (r, c) => { c.entry = 1; r.headers = { 'content-type': 'application/json', authorization: auth }; r.body = body; return r; } }],
    setupResp: [{ method: 'POST', path: '/api/activities/1/purchase', setupRequest: (r, c) => { c.entry = 1; r.headers = { 'content-type': 'application/json', authorization: auth }; r.body = body; return r; }, onResponse: (s, b, c) => {} }],
  };
  for (const [name, requests] of Object.entries(modes)) {
    const c0 = process.cpuUsage(); const s0 = require('fs').readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const r = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 50, duration: 5, requests });
    const c1 = process.cpuUsage(c0); const s1 = require('fs').readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const total = r.requests.total;
    console.log(name, 'rps', r.requests.average, 'client us/req', ((c1.user + c1.system) / total).toFixed(1), 'server us/req', (((+s1[11] + +s1[12]) - (+s0[11] + +s0[12])) * 10000 / total).toFixed(1));
  }
  child.kill();
}
main();
