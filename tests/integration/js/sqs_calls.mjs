// Runs SQS commands with the AWS SDK for JavaScript v3 against an endpoint and prints, for each,
// one JSON line: {"output": ...} or {"error": {"name", "message", "status"}}.
// Usage: node sqs_calls.mjs '{"endpoint": ..., "calls": [["StartMessageMoveTask", {...}], ...]}'
// JS_SDK_DIR names the folder scripts/install-js-sdk installed the SDK into.
import { createRequire } from "node:module";

const require = createRequire(`${process.env.JS_SDK_DIR}/`);
const sqs = require("@aws-sdk/client-sqs");

const spec = JSON.parse(process.argv[2]);
const client = new sqs.SQSClient({
  endpoint: spec.endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
});
for (const [name, input] of spec.calls) {
  try {
    const { $metadata, ...output } = await client.send(new sqs[`${name}Command`](input));
    console.log(JSON.stringify({ output }));
  } catch (error) {
    console.log(
      JSON.stringify({
        error: { name: error.name, message: error.message, status: error.$metadata?.httpStatusCode },
      }),
    );
  }
}
