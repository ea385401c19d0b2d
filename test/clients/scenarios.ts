// Every client scenario the fixtures record: which client, what it does, and
// the recording server's script for it (the weather tool loop unless said).

import * as aiSdk from './drive-ai-sdk.ts';
import * as agents from './drive-agents.ts';
import * as langchain from './drive-langchain.ts';
import * as openai from './drive-openai.ts';
import type { Target } from './drive-openai.ts';
import type { Script } from './recorder.ts';

export interface Scenario {
  /** Fixture name: test/fixtures/clients/<client>-<scenario>.json */
  readonly client: 'openai' | 'ai-sdk' | 'agents' | 'langchain' | 'codex';
  readonly scenario: string;
  /** The npm package whose version the fixture notes. */
  readonly pkg: string;
  readonly run: (target: Target) => Promise<unknown>;
  readonly script?: Script;
}

export const SCENARIOS: readonly Scenario[] = [
  { client: 'openai', scenario: 'responses-create', pkg: 'openai', run: openai.responsesPlain },
  { client: 'openai', scenario: 'responses-instructions', pkg: 'openai', run: openai.responsesInstructions },
  { client: 'openai', scenario: 'responses-tools', pkg: 'openai', run: openai.responsesTools },
  { client: 'openai', scenario: 'responses-previous-id', pkg: 'openai', run: openai.responsesPrevious },
  { client: 'openai', scenario: 'responses-stream', pkg: 'openai', run: openai.responsesStream },
  {
    client: 'openai',
    scenario: 'responses-parse',
    pkg: 'openai',
    run: openai.responsesParse,
    script: () => ({ text: openai.FORECAST_JSON }),
  },
  { client: 'openai', scenario: 'chat-run-tools', pkg: 'openai', run: openai.chatRunTools },
  { client: 'ai-sdk', scenario: 'responses-generate-text', pkg: '@ai-sdk/openai', run: aiSdk.generateTextTools },
  { client: 'ai-sdk', scenario: 'responses-stream-text', pkg: '@ai-sdk/openai', run: aiSdk.streamTextTools },
  { client: 'ai-sdk', scenario: 'chat-generate-text', pkg: '@ai-sdk/openai', run: aiSdk.chatGenerateTextTools },
  { client: 'agents', scenario: 'responses-run-tool', pkg: '@openai/agents', run: agents.runWithTool },
  { client: 'agents', scenario: 'responses-run-stream', pkg: '@openai/agents', run: agents.runStreamed },
  { client: 'agents', scenario: 'chat-run-stream', pkg: '@openai/agents', run: agents.chatStreamTool },
  { client: 'langchain', scenario: 'responses-tools', pkg: '@langchain/openai', run: langchain.responsesApi },
  { client: 'langchain', scenario: 'chat-bind-tools', pkg: '@langchain/openai', run: langchain.chatBindTools },
];
