// A real S3 implementation for the tests (issue 18): @20minutes/s3rver, which
// checks SigV4 signatures, started through its API (it has no bin file).
// usage: node s3rver.js DIRECTORY PORT BUCKET...   prints "listening http://127.0.0.1:PORT"
// Credentials: s3rver's built-in account, access key S3RVER, secret S3RVER.
const S3rver = require('@20minutes/s3rver');
const [dir, port, ...buckets] = process.argv.slice(2);
if (!dir || !port) {
  console.error('usage: node s3rver.js DIRECTORY PORT BUCKET...');
  process.exit(2);
}
new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory: dir,
  silent: true,
  vhostBuckets: false,
  configureBuckets: buckets.map((name) => ({ name })),
})
  .run()
  .then(({ address, port: bound }) => console.log(`listening http://${address}:${bound}`))
  .catch((e) => { console.error(`s3rver: ${e.message}`); process.exit(1); });
