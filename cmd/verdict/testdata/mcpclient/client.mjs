// An MCP client, the official TypeScript SDK's, against `verdict mcp`:
// node client.mjs VERDICT ARGS... starts VERDICT ARGS... as an MCP server
// over stdio, lists its tools, calls search_models and get_model_card on
// the first model found, predicts two rows with it (metered to the key
// given to verdict mcp --key), ranks the models on the labelled sample in
// the file $VERDICT_SAMPLE by mae, and prints what it got as one JSON
// object.
import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [command, ...args] = process.argv.slice(2);
const transport = new StdioClientTransport({ command, args, stderr: "inherit" });
const client = new Client({ name: "verdict-npm-test", version: "1.0.0" });
await client.connect(transport);

const { tools } = await client.listTools();
const search = await client.callTool({ name: "search_models", arguments: { task_type: "regression" } });
const models = search.structuredContent?.models ?? [];
let card = null;
if (models.length > 0) {
  const res = await client.callTool({ name: "get_model_card", arguments: { id: models[0].id } });
  card = res.structuredContent;
}
let predict = null;
if (models.length > 0) {
  const res = await client.callTool({ name: "predict", arguments: { id: models[0].id, rows_csv: "id,a,b\nr1,1,2\nr2,0.5,0.25\n" } });
  predict = { isError: res.isError === true, text: res.content?.[0]?.text ?? "", result: res.structuredContent ?? null };
}
const sample = readFileSync(process.env.VERDICT_SAMPLE, "utf8");
const ranked = await client.callTool({ name: "rank_models_on_sample", arguments: { task_type: "regression", metric: "mae", sample_csv: sample, label_column: "target" } });
const rank = { isError: ranked.isError === true, text: ranked.content?.[0]?.text ?? "", result: ranked.structuredContent ?? null };
const bad = await client.callTool({ name: "search_models", arguments: { text: "x".repeat(201) } });
console.log(JSON.stringify({
  server: client.getServerVersion(),
  tools: tools.map((t) => t.name).sort(),
  models,
  card,
  predict,
  rank,
  refused: { isError: bad.isError === true, text: bad.content?.[0]?.text ?? "" },
}));
await client.close();
