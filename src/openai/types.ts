// The parts of the OpenAI wire format Sluice reads. Everything else in a body is carried along untouched.

export interface ChatMessage {
  role: string;
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  [k: string]: unknown;
}

export interface ContentPart {
  type: string;
  text?: string;
  image_url?: { url: string; detail?: string };
  [k: string]: unknown;
}

export interface ToolCall {
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
  index?: number;
}

export interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

export interface ChatCompletion {
  id?: string;
  object?: string;
  model?: string;
  choices?: Array<{ index?: number; message?: ChatMessage; finish_reason?: string | null; logprobs?: unknown }>;
  usage?: Usage | null;
  [k: string]: unknown;
}

export interface ChatChunk {
  id?: string;
  object?: string;
  model?: string;
  choices?: Array<{ index?: number; delta?: Partial<ChatMessage>; finish_reason?: string | null; logprobs?: unknown }>;
  usage?: Usage | null;
  [k: string]: unknown;
}
