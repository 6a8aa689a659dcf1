import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/** The MCP SDK's client connects over `transport`, calls the example-app's `whoami` tool, and returns its JSON answer. */
export async function callWhoami(transport: Transport): Promise<unknown> {
  const client = new Client({ name: 'example-app-test', version: '1.0.0' });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: 'whoami' });
    const [item] = result.content as { text: string }[];
    return JSON.parse(item.text);
  } finally {
    await client.close();
  }
}
